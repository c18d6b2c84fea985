"""The endpoint's clock: real time plus an offset that tests move forward (POST /localazure/clock), so a test
never waits for a long-running operation or a rate window on the machine's speed: it advances the clock instead.
The offset lives in the process; a restarted endpoint starts again at real time (operations already due stay due)."""
from __future__ import annotations

import time


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> float:
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
            raise ValueError(f"advance_seconds must be a number of seconds >= 0, not {seconds!r}")
        self.offset += float(seconds)
        return self()
