"""Injected failures: request faults (429/500/503, or 401, before the handler runs), bad bodies (a 200 with an empty
or HTML body, as a proxy or a captive portal in the way answers) and LRO failures."""
from __future__ import annotations

import random
import re
from typing import Any, NamedTuple

from localazure.engine.contract import ArmError

_BODIES = {
    429: ("TooManyRequests", "The request is being throttled as the limit has been reached for operation "
                             "'{method}'. Please try again after '{retry}' seconds."),
    500: ("InternalServerError", "Encountered internal server error. Please try again."),
    503: ("ServiceUnavailable", "The service is currently unavailable. Please try again."),
    # Only when asked for (statuses [401]): ARM's answer to a token it no longer accepts, for example on a poll.
    401: ("InvalidAuthenticationToken", "The access token is invalid."),
}

# A 200 whose body is not the JSON ARM sends: nothing at all, or an HTML page (a proxy or portal in the way).
_BAD_BODIES = {
    "empty": ("application/json", ""),
    "html": ("text/html", "<!DOCTYPE html><html><head><title>Proxy error</title></head><body><h1>502 Bad Gateway"
                          "</h1><p>The upstream server sent an invalid response.</p></body></html>"),
}


class BadBody(NamedTuple):
    """A request fault that answers 200 with ``text`` instead of ARM's JSON."""
    content_type: str
    text: str


class Faults:
    """Settings: rate (0..1), seed, statuses, lro_failure_rate, only_methods, only_path_regex, count
    (how many request faults to inject at most; None: unlimited), body ("empty" or "html": a request fault answers
    200 with that body instead of an error status)."""

    def __init__(self, **settings: Any):
        self.configure(**settings)

    def configure(self, rate: float = 0.0, seed: int | None = None, statuses=(429, 500, 503),
                  lro_failure_rate: float = 0.0, only_methods=None, only_path_regex: str | None = None,
                  count: int | None = None, retry_after: int = 1, body: str | None = None) -> None:
        unknown = [status for status in statuses if status not in _BODIES]
        if unknown:
            raise ValueError(f"unsupported fault statuses: {unknown}")
        if body is not None and body not in _BAD_BODIES:
            raise ValueError(f"unsupported fault body: {body!r} (one of {sorted(_BAD_BODIES)})")
        self.body = body
        self.rate = float(rate)
        self.seed = seed
        self.statuses = [int(status) for status in statuses]
        self.lro_failure_rate = float(lro_failure_rate)
        self.only_methods = [method.upper() for method in only_methods] if only_methods else None
        self.only_path_regex = only_path_regex
        self._path = re.compile(only_path_regex, re.IGNORECASE) if only_path_regex else None
        self.count = None if count is None else int(count)
        self.retry_after = max(1, int(retry_after))
        self.injected = 0
        self._random = random.Random(seed)

    def settings(self) -> dict[str, Any]:
        return {"rate": self.rate, "seed": self.seed, "statuses": self.statuses,
                "lro_failure_rate": self.lro_failure_rate, "only_methods": self.only_methods,
                "only_path_regex": self.only_path_regex, "count": self.count, "body": self.body,
                "injected": self.injected}

    def _applies(self, method: str, path: str) -> bool:
        if self.count is not None and self.injected >= self.count:
            return False
        if self.only_methods and method.upper() not in self.only_methods:
            return False
        return not (self._path and not self._path.search(path))

    def request_fault(self, method: str, path: str) -> ArmError | BadBody | None:
        if self.rate <= 0 or not self._applies(method, path) or self._random.random() >= self.rate:
            return None
        self.injected += 1
        if self.body is not None:
            return BadBody(*_BAD_BODIES[self.body])
        status = self._random.choice(self.statuses)
        code, message = _BODIES[status]
        headers = {"Retry-After": str(self.retry_after)} if status in (429, 503) else {}
        return ArmError(status, code, message.format(method=method, retry=self.retry_after), headers=headers)

    def lro_fails(self, method: str, path: str) -> bool:
        if self.lro_failure_rate <= 0 or not self._applies(method, path):
            return False
        if self._random.random() >= self.lro_failure_rate:
            return False
        self.injected += 1
        return True
