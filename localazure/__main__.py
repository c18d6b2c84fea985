"""CLI: python -m localazure start|stop|status|serve --state-dir DIR [options]; check-recording DIR."""
from __future__ import annotations

import argparse
import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from localazure import server
from localazure.engine.clock import checked_start, requested_start
from localazure.engine.conformance import SpecsUnavailable, load_specs
from localazure.engine.faults import Faults

START_TIMEOUT = 30.0
EXIT_STOPPED = 3


def _read_endpoint(state_dir: Path) -> dict | None:
    try:
        return json.loads((state_dir / server.ENDPOINT_FILE).read_text())
    except (OSError, ValueError):
        return None


def _file_identity(path: Path) -> tuple[int, int] | None:
    """Which file is at ``path`` (endpoint.json is replaced, never rewritten in place), None when there is none."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_ino, status.st_mtime_ns


def _running_pid(state_dir: Path) -> int | None:
    try:
        pid = int((state_dir / server.PID_FILE).read_text().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def _healthy(endpoint: dict) -> bool:
    context = ssl.create_default_context(cafile=endpoint["ca_bundle"])
    try:
        with urllib.request.urlopen(f"{endpoint['arm_endpoint']}/localazure/health", context=context,
                                    timeout=2) as response:
            return json.loads(response.read()).get("pid") == endpoint.get("pid")
    except (OSError, ValueError):
        return False


def _running_endpoint(state_dir: Path) -> dict | None:
    endpoint = _read_endpoint(state_dir)
    pid = _running_pid(state_dir)
    if endpoint and pid and endpoint.get("pid") == pid and _healthy(endpoint):
        return endpoint
    return None


def _clock_start(text: str) -> str:
    """argparse checks --clock-start before start spawns the server (which reads it again)."""
    try:
        checked_start(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _serve_args(args) -> list[str]:
    out = ["--state-dir", str(args.state_dir), "--time-scale", str(args.time_scale),
           "--conformance", args.conformance, "--fault-rate", str(args.fault_rate),
           "--lro-failure-rate", str(args.lro_failure_rate), "--fault-statuses", args.fault_statuses]
    if args.port is not None:
        out += ["--port", str(args.port)]
    for flag in ("fault_seed", "fault_count", "fault_methods", "fault_path_regex"):
        if getattr(args, flag) is not None:
            out += ["--" + flag.replace("_", "-"), str(getattr(args, flag))]
    for spec in args.extra_provider:
        out += ["--extra-provider", spec]
    if args.clock_start is not None:
        out += ["--clock-start", args.clock_start]
    return out


def _refusal(error: SpecsUnavailable) -> str:
    return f"localazure will not start: {error}. Start with --no-conformance to run without checking."


def _clock_refused(args) -> str | None:
    """Why the clock cannot start (a bad LOCALAZURE_CLOCK_START; --clock-start argparse checks), None when it can."""
    try:
        requested_start(args.clock_start)
    except ValueError as error:
        return f"localazure will not start: {error}"
    return None


def _conformance_refused(args) -> str | None:
    """Why the endpoint must not start with this conformance mode (None when it may); warns when off."""
    if args.conformance == "off":
        print(server.NO_CONFORMANCE_WARNING, file=sys.stderr)
        return None
    try:
        load_specs()
    except SpecsUnavailable as error:
        return _refusal(error)
    return None


def cmd_start(args) -> int:
    state_dir = args.state_dir.resolve()
    server.private_state_dir(state_dir)
    running = _running_endpoint(state_dir)
    if running:
        _warn_when_unchecked(running)
        print(json.dumps(running, indent=2))
        return 0
    refused = _clock_refused(args) or _conformance_refused(args)
    if refused:
        print(refused, file=sys.stderr)
        return 2
    if args.port is None:
        # Reuse the previous port so absolute monitor URLs held by clients survive a restart.
        previous = _read_endpoint(state_dir)
        args.port = previous["port"] if previous else 0
    # The new process proves itself by replacing endpoint.json, not by a process number different from the old
    # one: in a new container (an execution environment's next job) the numbers start again and often repeat.
    previous_file = _file_identity(state_dir / server.ENDPOINT_FILE)
    log = (state_dir / "server.log").open("ab")
    child = subprocess.Popen([sys.executable, "-m", "localazure", "serve", *_serve_args(args)],
                             stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True, cwd=str(Path(__file__).resolve().parent.parent))
    deadline = time.time() + START_TIMEOUT
    while time.time() < deadline:
        if child.poll() is not None:
            if args.port:
                # The previous port is taken: take any free one.
                args.port = 0
                return cmd_start(args)
            print(f"localazure exited with {child.returncode}; see {state_dir / 'server.log'}", file=sys.stderr)
            return 1
        endpoint = _read_endpoint(state_dir)
        if (endpoint and endpoint.get("pid") == child.pid
                and _file_identity(state_dir / server.ENDPOINT_FILE) != previous_file and _healthy(endpoint)):
            print(json.dumps(endpoint, indent=2))
            return 0
        time.sleep(0.05)
    child.terminate()
    print("localazure did not start in time", file=sys.stderr)
    return 1


def cmd_stop(args) -> int:
    state_dir = args.state_dir.resolve()
    pid = _running_pid(state_dir)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                os.kill(pid, 0)
            except OSError:
                break
            time.sleep(0.05)
        else:
            os.kill(pid, signal.SIGKILL)
    (state_dir / server.PID_FILE).unlink(missing_ok=True)
    print(json.dumps({"stopped": pid is not None, "pid": pid}))
    return 0


def _warn_when_unchecked(endpoint: dict) -> None:
    if endpoint.get("conformance") == "off":
        print(server.NO_CONFORMANCE_WARNING, file=sys.stderr)


def cmd_status(args) -> int:
    endpoint = _running_endpoint(args.state_dir.resolve())
    if endpoint is None:
        print(json.dumps({"running": False}))
        return EXIT_STOPPED
    _warn_when_unchecked(endpoint)
    print(json.dumps({"running": True, **{k: v for k, v in endpoint.items() if k not in ("client_secret", "identity_header")}}, indent=2))
    return 0


def cmd_serve(args) -> int:
    from localazure import services as providers
    for spec in args.extra_provider:
        providers.load_extra(spec)
    faults = Faults(rate=args.fault_rate, seed=args.fault_seed, lro_failure_rate=args.lro_failure_rate,
                    statuses=[int(item) for item in args.fault_statuses.split(",") if item],
                    only_methods=args.fault_methods.split(",") if args.fault_methods else None,
                    only_path_regex=args.fault_path_regex, count=args.fault_count)
    refused = _clock_refused(args)
    if refused:
        print(refused, file=sys.stderr)
        return 2
    try:
        server.serve(args.state_dir.resolve(), port=args.port or 0, time_scale=args.time_scale, faults=faults,
                     conformance_mode=args.conformance, clock_start=requested_start(args.clock_start))
    except SpecsUnavailable as error:
        print(_refusal(error), file=sys.stderr)
        return 2
    return 0


def cmd_check_recording(args) -> int:
    """Checks a recording of Azure's answers (make azure-check) against the definitions; 1 when one disagrees."""
    from localazure.engine.recordings import check_recording
    if not args.folder.is_dir():
        print(f"no recording at {args.folder}", file=sys.stderr)
        return 2
    report = check_recording(args.folder, load_specs())
    print("\n".join(report.lines()))
    return 1 if report.errors else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localazure", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    recording = commands.add_parser("check-recording", help="check a recording of Azure's answers (make azure-check)")
    recording.set_defaults(handler=cmd_check_recording)
    recording.add_argument("folder", type=Path)
    for name, handler in (("start", cmd_start), ("stop", cmd_stop), ("status", cmd_status), ("serve", cmd_serve)):
        command = commands.add_parser(name)
        command.set_defaults(handler=handler)
        command.add_argument("--state-dir", type=Path, required=True)
        if name in ("start", "serve"):
            command.add_argument("--port", type=int, default=None, help="0 or absent: a free port")
            command.add_argument("--time-scale", type=float, default=server.DEFAULT_TIME_SCALE,
                                 help="multiplies every long-running operation's realistic duration")
            checking = command.add_mutually_exclusive_group()
            checking.add_argument("--conformance", choices=("strict", "log", "off"), default="strict",
                                  help="strict: bodies that break Microsoft's definitions get 400; log: logged only")
            checking.add_argument("--no-conformance", dest="conformance", action="store_const", const="off",
                                  help="run without the definitions (said on every start and in status)")
            command.add_argument("--fault-rate", type=float, default=0.0)
            command.add_argument("--fault-seed", type=int, default=None)
            command.add_argument("--fault-statuses", default="429,500,503")
            command.add_argument("--lro-failure-rate", type=float, default=0.0)
            command.add_argument("--fault-count", type=int, default=None, help="inject at most this many")
            command.add_argument("--fault-methods", default=None, help="e.g. PUT,DELETE")
            command.add_argument("--fault-path-regex", default=None)
            command.add_argument("--extra-provider", action="append", default=[], metavar="MODULE:ATTR",
                                 help="load an additional Provider (test-only kinds)")
            command.add_argument("--clock-start", default=None, metavar="ISO8601", type=_clock_start,
                                 help="start the endpoint's clock (its Date headers) at this instant (default: "
                                      "$LOCALAZURE_CLOCK_START, else real time); a state dir keeps its clock "
                                      "across restarts and never moves it back")
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
