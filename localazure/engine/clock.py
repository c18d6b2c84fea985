"""The endpoint's clock: real time plus an offset that tests move forward (POST /localazure/clock), so a test
never waits for a long-running operation or a rate window on the machine's speed: it advances the clock instead.

A caller can also hold the clock still for a bounded real time (``hold_seconds``): a proof that must finish inside
one rate window (a token minute) then does not depend on how fast the machine makes its calls. The hold is a lease:
it ends when released (``hold_seconds: 0``) or when its real time is up, so a caller that dies never leaves the
clock stopped. The clock only moves forward: a hold ends where it stood, and time goes on from there.
A fresh state's clock starts at real time, or at the instant given by ``--clock-start`` or the environment variable
``LOCALAZURE_CLOCK_START`` (the test suites set it: a test that judges dates, e.g. a model's retirement date against
the ``Date`` header every answer carries, then does not depend on the machine's date); it may then run behind the
machine's time. The state dir keeps the clock's lead over real time (``clock.json``), so a restarted endpoint goes on
from where its clock stood, never back to real time: what the state holds (operations due, role assignments, log
rows) was stamped by this clock. A requested start never moves a running state's clock back either."""
from __future__ import annotations

import datetime
import json
import os
import time
from pathlib import Path

# A hold longer than this would stall every long-running operation of a forgotten caller for too long.
MAX_HOLD_SECONDS = 900.0
CLOCK_FILE = "clock.json"            # in the state dir: {"lead_seconds": the clock minus real time}
START_VARIABLE = "LOCALAZURE_CLOCK_START"


def checked_advance(seconds) -> float:
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
        raise ValueError(f"advance_seconds must be a number of seconds >= 0, not {seconds!r}")
    return float(seconds)


def checked_start(text):
    """``--clock-start``: an ISO 8601 instant (``2027-04-15T00:00:00Z`` or a date, read as midnight UTC) -> epoch."""
    try:
        when = datetime.datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"the clock start must be an ISO 8601 date or instant, not {text!r}") from None
    return (when if when.tzinfo else when.replace(tzinfo=datetime.timezone.utc)).timestamp()


def requested_start(flag, environ=os.environ):
    """The start asked for: ``--clock-start`` when given, else ``LOCALAZURE_CLOCK_START`` (a bad value is refused
    naming the variable), else None (real time)."""
    if flag is not None:
        return checked_start(flag)
    text = environ.get(START_VARIABLE, "").strip()
    if not text:
        return None
    try:
        return checked_start(text)
    except ValueError as error:
        raise ValueError(f"{START_VARIABLE}: {error}") from None


def stored_lead(state_dir: Path) -> float | None:
    """The clock's lead over real time the state dir kept (None for a fresh state, or an unreadable file)."""
    try:
        lead = json.loads((state_dir / CLOCK_FILE).read_text())["lead_seconds"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return float(lead) if isinstance(lead, (int, float)) and not isinstance(lead, bool) else None


def resumed_start(start: float | None, lead: float | None, real: float) -> float | None:
    """Where a starting endpoint's clock begins: where the state's clock stands now (real time plus its kept lead),
    unless the requested start (or, without one, real time) is later; None: real time."""
    if lead is None:
        return start
    return max(real + lead, real if start is None else start)


def checked_hold(seconds) -> float:
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not 0 <= seconds <= MAX_HOLD_SECONDS:
        raise ValueError(f"hold_seconds must be a number of seconds from 0 to {MAX_HOLD_SECONDS:g}, not {seconds!r}")
    return float(seconds)


class Clock:
    def __init__(self, real=time.time, start: float | None = None) -> None:
        self._real = real
        self.offset = 0.0 if start is None else float(start) - real()
        self._held_at: float | None = None      # the clock's value while held
        self._hold_ends: float | None = None    # real time at which the hold lapses

    def __call__(self) -> float:
        self._lapse()
        return self._held_at if self._held_at is not None else self._real() + self.offset

    def _lapse(self) -> None:
        if self._hold_ends is not None and self._real() >= self._hold_ends:
            # time resumes from where it stood when the lease ran out
            self.offset = self._held_at - self._hold_ends
            self._held_at = self._hold_ends = None

    @property
    def lead(self) -> float:
        """The clock minus real time now: what the state dir keeps (a held clock's lead shrinks as real time goes)."""
        return self() - self._real()

    @property
    def held_for(self) -> float:
        """Real seconds the current hold has left (0 when the clock runs)."""
        self._lapse()
        return max(0.0, self._hold_ends - self._real()) if self._hold_ends is not None else 0.0

    def advance(self, seconds: float) -> float:
        seconds = checked_advance(seconds)
        self._lapse()
        if self._held_at is not None:
            self._held_at += seconds
        else:
            self.offset += seconds
        return self()

    def hold(self, seconds: float) -> float:
        """Stop the clock for at most ``seconds`` of real time (0 releases it), from the current value."""
        seconds = checked_hold(seconds)
        now = self()
        if seconds == 0:
            if self._held_at is not None:
                self.offset = self._held_at - self._real()
            self._held_at = self._hold_ends = None
        else:
            self._held_at, self._hold_ends = now, self._real() + seconds
        return self()
