"""Amounts counted per key in fixed windows of the endpoint's clock: the gateway's token limits and a model
host's deployment capacity both count this way. In memory; the clock is engine/clock.py's, so a test moves a
window forward instead of waiting."""
from __future__ import annotations

import math

WINDOW_SECONDS = 60.0


class TokenWindows:
    """Amounts used per key in fixed windows of `seconds`, opened by the first use."""

    def __init__(self, clock, seconds: float = WINDOW_SECONDS):
        self.clock, self.seconds = clock, seconds
        self._windows: dict[str, tuple[float, int]] = {}

    def _current(self, key: str) -> tuple[float, int]:
        start, used = self._windows.get(key, (0.0, 0))
        if self.clock() - start >= self.seconds:
            return self.clock(), 0
        return start, used

    def used(self, key: str) -> int:
        return self._current(key)[1]

    def add(self, key: str, amount: int) -> None:
        start, used = self._current(key)
        self._windows[key] = (start, used + amount)

    def seconds_left(self, key: str) -> int:
        start, _ = self._current(key)
        return max(1, math.ceil(start + self.seconds - self.clock()))
