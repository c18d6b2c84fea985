"""The endpoint's clock: real time plus an offset that tests move forward (POST /localazure/clock), so a test
never waits for a long-running operation or a rate window on the machine's speed: it advances the clock instead.

A caller can also hold the clock still for a bounded real time (``hold_seconds``): a proof that must finish inside
one rate window (a token minute) then does not depend on how fast the machine makes its calls. The hold is a lease:
it ends when released (``hold_seconds: 0``) or when its real time is up, so a caller that dies never leaves the
clock stopped. The clock only moves forward: a hold ends where it stood, and time goes on from there.
The offset lives in the process; a restarted endpoint starts again at real time (operations already due stay due),
or at the instant given by ``--clock-start`` (a test that judges dates, e.g. a model's retirement date against the
``Date`` header every answer carries, then does not depend on the machine's date). Start a fresh state with it: the
clock may then begin before the machine's time, but never moves back once running."""
from __future__ import annotations

import datetime
import time

# A hold longer than this would stall every long-running operation of a forgotten caller for too long.
MAX_HOLD_SECONDS = 900.0


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
