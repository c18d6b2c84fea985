"""What the local gateway remembers between requests: quotas, circuit breakers and semantic cache entries (token
counters are engine/windows.py's; a model host's throttles are cognitiveservices/modelhost.py's).

All of it is in memory (a restarted endpoint starts fresh, as a restarted gateway unit does) and every time is
read from the endpoint's clock (engine/clock.py), so a test moves a window, a quota period, a breaker's trip or a
cache entry's expiry forward with POST /localazure/clock instead of waiting.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

# llm-token-limit's token-quota-period values (learn.microsoft.com/azure/api-management/llm-token-limit-policy):
# the period starts at the UTC time truncated to its unit.
QUOTA_PERIODS = ("Hourly", "Daily", "Weekly", "Monthly", "Yearly")


def quota_period(period: str, now: float) -> tuple[float, float]:
    """(start, end) of the quota period that contains `now`, as epoch seconds."""
    moment = datetime.fromtimestamp(now, timezone.utc)
    if period == "Hourly":
        start = moment.replace(minute=0, second=0, microsecond=0)
        end = start + timedelta(hours=1)
    elif period == "Daily":
        start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        end = start + timedelta(days=1)
    elif period == "Weekly":
        start = moment.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=moment.weekday())
        end = start + timedelta(days=7)
    elif period == "Monthly":
        start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = (start + timedelta(days=32)).replace(day=1)
    elif period == "Yearly":
        start = moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
        end = start.replace(year=start.year + 1)
    else:
        raise ValueError(f"token-quota-period {period!r} is not one of {', '.join(QUOTA_PERIODS)}")
    return start.timestamp(), end.timestamp()


class Quotas:
    """Tokens used per key within calendar quota periods."""

    def __init__(self, clock):
        self.clock = clock
        self._used: dict[str, tuple[float, int]] = {}

    def used(self, key: str, period: str) -> int:
        start, _ = quota_period(period, self.clock())
        seen_start, used = self._used.get(key, (start, 0))
        return used if seen_start == start else 0

    def add(self, key: str, period: str, amount: int) -> None:
        start, _ = quota_period(period, self.clock())
        self._used[key] = (start, self.used(key, period) + amount)

    def seconds_left(self, period: str) -> int:
        _, end = quota_period(period, self.clock())
        return max(1, math.ceil(end - self.clock()))


_DURATION = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$")


def iso_seconds(value: str | None, default: float = 0.0) -> float:
    """An ISO 8601 duration such as PT1M (what backend circuit breaker rules carry) in seconds."""
    match = _DURATION.match(value or "")
    if not value or match is None:
        return default
    return (int(match["d"] or 0) * 86400 + int(match["h"] or 0) * 3600 + int(match["m"] or 0) * 60
            + float(match["s"] or 0))


@dataclass
class _Breaker:
    failures: list[float] = field(default_factory=list)
    open_until: float = 0.0


class CircuitBreakers:
    """Backend circuit breaker rules (learn.microsoft.com/azure/api-management/backends#circuit-breaker):
    a rule trips when `failureCondition.count` responses whose status is in `statusCodeRanges` (or, with
    `percentage`, that share of the responses) arrive within `interval`; the backend then takes no requests for
    `tripDuration`, or for the response's Retry-After when `acceptRetryAfter` is true.  `errorReasons` (connection
    failures) never occur here."""

    def __init__(self, clock):
        self.clock = clock
        self._state: dict[str, _Breaker] = {}
        self._seen: dict[str, list[float]] = {}

    def is_open(self, backend_id: str) -> bool:
        return self._state.get(backend_id.lower(), _Breaker()).open_until > self.clock()

    def open_until(self, backend_id: str) -> float:
        return self._state.get(backend_id.lower(), _Breaker()).open_until

    def record(self, backend_id: str, rules: list[dict], status: int, retry_after: str | None) -> bool:
        """Counts one response of the backend; True when it trips a rule now."""
        key, now = backend_id.lower(), self.clock()
        state = self._state.setdefault(key, _Breaker())
        self._seen.setdefault(key, []).append(now)
        for rule in rules or []:
            condition = rule.get("failureCondition") or {}
            interval = iso_seconds(condition.get("interval"), 60.0)
            ranges = condition.get("statusCodeRanges") or []
            seen = [moment for moment in self._seen[key] if moment > now - interval]
            if any(int(span.get("min", 0)) <= status <= int(span.get("max", 0)) for span in ranges):
                state.failures.append(now)
            state.failures = [moment for moment in state.failures if moment > now - interval]
            count, percentage = condition.get("count"), condition.get("percentage")
            tripped = (count is not None and len(state.failures) >= int(count)) or (
                percentage is not None and seen and 100 * len(state.failures) / len(seen) >= int(percentage))
            if tripped and state.failures and state.failures[-1] == now:
                duration = iso_seconds(rule.get("tripDuration"), 60.0)
                if rule.get("acceptRetryAfter") and retry_after and retry_after.strip().isdigit():
                    duration = float(retry_after.strip())
                state.open_until, state.failures = now + duration, []
                return True
        return False


def cosine(left: list[float], right: list[float]) -> float:
    dot = sum(a * b for a, b in zip(left, right))
    norms = math.sqrt(sum(a * a for a in left)) * math.sqrt(sum(b * b for b in right))
    return dot / norms if norms else 0.0


class SemanticCache:
    """Cached answers per partition: (embedding, body, usage, expiry).  A lookup returns the closest live entry
    whose cosine distance (1 - similarity) is at most the score threshold: in APIM a lower `score-threshold`
    demands a closer match (learn.microsoft.com/azure/api-management/llm-semantic-cache-lookup-policy)."""

    def __init__(self, clock):
        self.clock = clock
        self._entries: dict[str, list[tuple[list[float], dict, float]]] = {}

    def lookup(self, partition: str, vector: list[float], threshold: float) -> tuple[dict | None, float | None]:
        now = self.clock()
        live = [entry for entry in self._entries.get(partition, []) if entry[2] > now]
        self._entries[partition] = live
        best = max(live, key=lambda entry: cosine(vector, entry[0]), default=None)
        if best is None:
            return None, None
        distance = 1.0 - cosine(vector, best[0])
        return (best[1] if distance <= threshold + 1e-9 else None), distance

    def store(self, partition: str, vector: list[float], body: dict, seconds: float) -> None:
        self._entries.setdefault(partition, []).append((vector, body, self.clock() + seconds))
