"""The aiohttp application: TLS, identity endpoints, control endpoints and the ARM catch-all."""
from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import os
import signal
import ssl
import time
import uuid
from pathlib import Path

from aiohttp import web

from localazure import certs
from localazure.engine import requestlog
from localazure.engine.arm import Engine, Registry
from localazure.engine.clock import CLOCK_FILE, Clock, checked_advance, checked_hold, resumed_start, stored_lead
from localazure.engine.conformance import load_specs
from localazure.engine.contract import ArmError
from localazure.engine.events import Events
from localazure.engine.faults import Faults
from localazure.engine.store import Store
from localazure.identity import ARM_AUDIENCES, MSI_PATH, Identity, TokenError
from localazure.services import Env, discover, services

ENDPOINT_FILE, PID_FILE, STATE_DB, REQUEST_LOG = "endpoint.json", "server.pid", "state.db", "requests.jsonl"
DEFAULT_TIME_SCALE = 0.002


NO_CONFORMANCE_WARNING = ("WARNING: conformance is off (--no-conformance): request and response bodies are NOT "
                          "checked against Microsoft's definitions, so this endpoint accepts what Azure may refuse")


def load_conformance(mode: str):
    """The checker for `mode` (None when off). Raises SpecsUnavailable when the definitions are missing or
    unreadable: checking is never silently dropped."""
    if mode == "off":
        return None
    return load_specs()


class RateCounters:
    """x-ms-ratelimit-remaining-subscription-* values from ARM's legacy hourly limits."""
    LIMITS = {"reads": 12000, "writes": 1200, "deletes": 15000}

    def __init__(self):
        self._hour = int(time.time() // 3600)
        self._used = dict.fromkeys(self.LIMITS, 0)

    def take(self, bucket: str) -> int:
        hour = int(time.time() // 3600)
        if hour != self._hour:
            self._hour, self._used = hour, dict.fromkeys(self.LIMITS, 0)
        self._used[bucket] += 1
        return max(0, self.LIMITS[bucket] - self._used[bucket])


def _error_response(error: ArmError) -> web.Response:
    return web.json_response(error.body(), status=error.status, headers=error.headers)


def _log_kind(request: web.Request, plane_prefixes) -> str:
    path = request.path.lower()
    if path.startswith("/localazure/"):
        return "control"
    first = path.split("/", 2)[1] if path.count("/") > 1 else ""
    if first in plane_prefixes:
        return first
    if "/oauth2/" in path or "openid-configuration" in path or path == MSI_PATH:
        return "token"
    return requestlog.classify(request.method, request.path)


class App:
    def __init__(self, state_dir: Path, *, time_scale: float, faults: Faults, conformance_mode: str = "strict",
                 clock_start: float | None = None):
        self.state_dir = state_dir
        self.identity = Identity.load_or_create(state_dir)
        self.store = Store(state_dir / STATE_DB)
        self.log = requestlog.RequestLog(state_dir / REQUEST_LOG)
        self.faults = faults
        self.rates = RateCounters()
        self.conformance_mode = conformance_mode
        self.conformance = load_conformance(conformance_mode)
        self.clock = Clock(start=resumed_start(clock_start, stored_lead(state_dir), time.time()))
        self.keep_clock()
        events = Events()
        self.engine = Engine(store=self.store, registry=Registry(discover()), conformance=self.conformance,
                             conformance_mode=conformance_mode, faults=faults, time_scale=time_scale,
                             tenant_id=self.identity.tenant_id, subscription_id=self.identity.subscription_id,
                             clock=self.clock, events=events)
        # Every service's data planes and test controls, built with what they may use (services/__init__.py Env):
        # first what services offer each other (the log workspaces, the model host), then the planes.
        env = Env(store=self.store, clock=self.clock, identity=self.identity, settle=self.engine.settle,
                  ca_file=state_dir / certs.CA_FILE, events=events)
        found = services()
        for service in found.values():
            env.shared.update(service.offers(env) if service.offers else {})
        self.planes = [plane for service in found.values() if service.planes for plane in service.planes(env)]
        self.controls = [(package, control) for package, service in found.items() if service.controls
                         for control in service.controls(env)]
        self.plane_prefixes = frozenset(plane.prefix for plane in self.planes)
        self.gates = [service.gate(env) for service in found.values() if service.gate]

    # --- middleware ----------------------------------------------------------------------------
    @web.middleware
    async def middleware(self, request: web.Request, handler) -> web.StreamResponse:
        started = time.time()
        is_arm = request.path.lower().startswith("/subscriptions/")
        request["conformance"] = "off" if self.conformance is None and is_arm else []
        request["log_kind"] = _log_kind(request, self.plane_prefixes)
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return self._dated(response)
        except ArmError as error:
            status = error.status
            return self._dated(_error_response(error))
        except web.HTTPException as error:
            status = error.status
            self._dated(error)
            raise
        finally:
            self.log.append(method=request.method, path=request.path, api_version=request.query.get("api-version"),
                            status=status, started=started, kind=request["log_kind"],
                            conformance=request["conformance"])

    def _dated(self, response):
        """Every answer's Date header (RFC 9110 section 6.6.1, which ARM and the data planes send) reads the
        endpoint's clock, not the machine's: a client that takes "today" from Azure's answer (cognitive_quota_info
        judging retirement dates) then follows the clock a test sets."""
        response.headers["Date"] = email.utils.formatdate(self.clock(), usegmt=True)
        return response

    # --- ARM -----------------------------------------------------------------------------------
    def _authenticate(self, request: web.Request) -> dict:
        challenge = (f'Bearer authorization_uri="https://{request.host}/{self.identity.tenant_id}", '
                     'error="invalid_token", error_description="{}"')
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            raise ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.",
                           headers={"WWW-Authenticate": challenge.format(
                               "The authentication failed because of missing 'Authorization' header.")})
        try:
            claims = self.identity.validate(header[7:].strip())
        except (TokenError, ValueError) as error:
            message = str(error) if isinstance(error, TokenError) else "The access token is invalid."
            raise ArmError(401, "InvalidAuthenticationToken", message,
                           headers={"WWW-Authenticate": challenge.format("The access token is invalid.")}) from None
        if claims.get("aud") not in ARM_AUDIENCES:
            # ARM's own answer for a token of another resource (quoted in public issue threads).
            allowed = ",".join(f"'{audience}'" for audience in ARM_AUDIENCES)
            raise ArmError(401, "InvalidAuthenticationTokenAudience",
                           f"The access token has been obtained for wrong audience or resource '{claims.get('aud')}'. "
                           f"It should exactly match with one of the allowed audiences {allowed}.",
                           headers={"WWW-Authenticate": challenge.format("The access token is invalid.")})
        return claims

    def _arm_headers(self, request: web.Request, response: web.StreamResponse) -> None:
        request_id = str(uuid.uuid4())
        method = request.method.upper()
        bucket = "reads" if method in ("GET", "HEAD") else "deletes" if method == "DELETE" else "writes"
        response.headers.setdefault("x-ms-request-id", request_id)
        response.headers["x-ms-correlation-request-id"] = request.headers.get("x-ms-correlation-request-id",
                                                                              request_id)
        response.headers["x-ms-routing-request-id"] = f"LOCAL:{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}:{request_id}"
        response.headers[f"x-ms-ratelimit-remaining-subscription-{bucket}"] = str(self.rates.take(bucket))
        response.headers.update({"Cache-Control": "no-cache", "Pragma": "no-cache", "Expires": "-1"})

    async def arm(self, request: web.Request) -> web.StreamResponse:
        try:
            response = await self._arm(request)
        except ArmError as error:
            response = _error_response(error)
        except Exception:   # a provider bug must still answer like ARM, and be visible in server.log
            logging.exception("unhandled error for %s %s", request.method, request.path)
            response = _error_response(ArmError(500, "InternalServerError",
                                                "Encountered internal server error. See server.log."))
        self._arm_headers(request, response)
        return response

    async def _arm(self, request: web.Request) -> web.StreamResponse:
        if not request.path.lower().startswith("/subscriptions/"):
            raise ArmError(404, "NotFound", f"The requested path '{request.path}' was not found.")
        claims = self._authenticate(request)
        fault = self.faults.request_fault(request.method, request.path)
        if isinstance(fault, ArmError):
            raise fault
        if fault is not None:
            return web.Response(status=200, text=fault.text, content_type=fault.content_type)
        raw = await request.read()
        body = None
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError as error:
                raise ArmError(400, "InvalidRequestContent",
                               f"The request content was invalid and could not be deserialized: {error}.") from None
        self.engine.base_url = f"https://{request.host}"
        with self.store.transaction():
            self.engine.settle()
            monitored = self.engine.monitor(request, claims)
            if monitored is not None:
                return monitored
            for gate in self.gates:
                gate(request.method, request.path, claims)
            return self.engine.handle(request, body, claims)

    # --- control -------------------------------------------------------------------------------
    async def health(self, request):
        return web.json_response({"status": "ok", "pid": os.getpid(), "conformance": self.conformance_mode})

    async def get_faults(self, request):
        return web.json_response(self.faults.settings())

    async def set_faults(self, request):
        try:
            self.faults.configure(**await request.json())
        except (TypeError, ValueError) as error:
            raise ArmError(400, "InvalidFaults", str(error)) from None
        return web.json_response(self.faults.settings())

    async def clear_faults(self, request):
        self.faults.configure()
        return web.json_response(self.faults.settings())

    def keep_clock(self) -> None:
        """The state dir keeps the clock's lead, so a restart goes on from where the clock stood."""
        write_private_json(self.state_dir / CLOCK_FILE, {"lead_seconds": self.clock.lead})

    async def get_clock(self, request):
        return web.json_response({"now": self.clock(), "offset_seconds": self.clock.offset,
                                  "held_for_seconds": self.clock.held_for})

    async def advance_clock(self, request):
        """{"advance_seconds": N} moves the clock forward; {"hold_seconds": H} then holds it for at most H real
        seconds (0 releases it). A bare number is advance_seconds."""
        try:
            body = await request.json()
            if not isinstance(body, dict):
                body = {"advance_seconds": body}
            unknown = sorted(set(body) - {"advance_seconds", "hold_seconds"})
            if unknown:
                raise ValueError("the clock takes advance_seconds and/or hold_seconds, not %s" % ", ".join(unknown))
            # both checked before either applies: a bad request changes nothing; without hold_seconds,
            # advance_seconds is required
            advance = checked_advance(body.get("advance_seconds") if "hold_seconds" not in body
                                      else body.get("advance_seconds", 0))
            hold = checked_hold(body["hold_seconds"]) if "hold_seconds" in body else None
            self.clock.advance(advance)
            if hold is not None:
                self.clock.hold(hold)
            self.keep_clock()
        except ValueError as error:
            raise ArmError(400, "InvalidClock", str(error)) from None
        return await self.get_clock(request)

    async def get_holds(self, request):
        held = [{"id": record["id"], "kind": record["kind"], "resource_id": record["resource_id"]}
                for record in self.store.pending_operations() if record.get("held")]
        return web.json_response({"holds": self.engine.holds.rules, "held": held})

    async def add_hold(self, request):
        try:
            self.engine.holds.add(await request.json())
        except ValueError as error:
            raise ArmError(400, "InvalidHold", str(error)) from None
        return await self.get_holds(request)

    async def release_holds(self, request):
        with self.store.transaction():
            released = self.engine.holds.release(self.store, self.clock())
        return web.json_response({"released": released})

    async def reset(self, request):
        with self.store.transaction():
            self.store.wipe_resources()
        return web.json_response({"reset": True})

    async def summary(self, request):
        return web.json_response(self.log.summary())

    def build(self) -> web.Application:
        app = web.Application(middlewares=[self.middleware], client_max_size=64 * 1024 * 1024)
        app.add_routes(self.identity.routes())
        app.add_routes([
            web.get("/localazure/health", self.health),
            web.get("/localazure/faults", self.get_faults),
            web.post("/localazure/faults", self.set_faults),
            web.delete("/localazure/faults", self.clear_faults),
            web.post("/localazure/reset", self.reset),
            web.get("/localazure/clock", self.get_clock),
            web.post("/localazure/clock", self.advance_clock),
            web.get("/localazure/holds", self.get_holds),
            web.post("/localazure/holds", self.add_hold),
            web.delete("/localazure/holds", self.release_holds),
            web.get("/localazure/requests/summary", self.summary),
        ])
        for package, control in self.controls:   # each service's test controls, under its package's name
            app.router.add_route(control.method, f"/localazure/{package}/{control.path}", control.handler)
        for plane in self.planes:
            app.add_routes(plane.routes)
        app.router.add_route("*", "/{tail:.*}", self.arm)
        app.on_cleanup.append(lambda _app: self._close())
        return app

    async def _close(self):
        self.store.close()


def endpoint_info(state_dir: Path, identity: Identity, port: int, time_scale: float, conformance: str) -> dict:
    base = f"https://127.0.0.1:{port}"
    return {"arm_endpoint": base, "authority_host": base, "tenant_id": identity.tenant_id,
            "client_id": identity.client_id, "client_secret": identity.client_secret,
            "subscription_id": identity.subscription_id, "ca_bundle": str(state_dir / certs.CA_FILE),
            "identity_endpoint": f"{base}{MSI_PATH}", "identity_header": identity.msi_header,
            "msi_client_id": identity.msi_client_id, "pid": os.getpid(), "port": port, "time_scale": time_scale,
            "conformance": conformance,
            "gateway_base_url_template": f"{base}/gateway/{{service}}",
            "foundry_project_url_template": f"{base}/foundry/{{account}}/api/projects/{{project}}",
            "log_analytics_endpoint": f"{base}/loganalytics"}


def private_state_dir(state_dir: Path) -> None:
    """The state dir holds the service principal's secret, the signing key, the TLS key and, in state.db, every
    resource's keys and connection strings: the dir is 0700 and every file in it 0600, also those an older
    endpoint left readable, and whatever this process creates from now on (its umask: state.db and its -wal/-shm,
    requests.jsonl, server.pid)."""
    os.umask(0o077)
    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    state_dir.chmod(0o700)
    for path in state_dir.iterdir():
        if path.is_file() and path.stat().st_mode & 0o077:
            path.chmod(0o600)


def write_private_json(path: Path, data: dict) -> None:
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2)
    os.replace(temporary, path)


async def _serve(state_dir: Path, port: int, time_scale: float, faults: Faults, conformance_mode: str,
                 clock_start: float | None = None) -> None:
    ca, cert, key = certs.ensure_certificates(state_dir)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    app = App(state_dir, time_scale=time_scale, faults=faults, conformance_mode=conformance_mode,
              clock_start=clock_start)
    runner = web.AppRunner(app.build(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, ssl_context=context, reuse_address=True)
    await site.start()
    actual_port = site._server.sockets[0].getsockname()[1]
    write_private_json(state_dir / ENDPOINT_FILE, endpoint_info(state_dir, app.identity, actual_port, time_scale,
                                                                  conformance_mode))
    (state_dir / PID_FILE).write_text(str(os.getpid()))
    print(f"localazure serving https://127.0.0.1:{actual_port} (state {state_dir}, conformance "
          f"{conformance_mode})", flush=True)
    if app.conformance is None:
        print(NO_CONFORMANCE_WARNING, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        app.keep_clock()
        pid_file = state_dir / PID_FILE
        if pid_file.exists() and pid_file.read_text().strip() == str(os.getpid()):
            pid_file.unlink()


def serve(state_dir: Path, *, port: int = 0, time_scale: float = DEFAULT_TIME_SCALE, faults: Faults | None = None,
          conformance_mode: str = "strict", clock_start: float | None = None) -> None:
    private_state_dir(state_dir)
    asyncio.run(_serve(state_dir, port, time_scale, faults or Faults(), conformance_mode, clock_start))
