"""Clocks: where recorded times come from.

Time is injected, never read inside the domain, so a notebook or a test can
replay the same story at the same times.  A clock is any callable that
returns Unix seconds as an ``int``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

__all__ = ["system_clock", "SimulatedClock", "to_datetime", "to_timestamp"]


def system_clock() -> int:
    """The real time, in whole Unix seconds."""
    return int(time.time())


class SimulatedClock:
    """A clock that moves only when told to: by ``advance`` or by ``step`` on each reading."""

    def __init__(self, start: int = 1_628_379_200, step: int = 0):
        self.now = int(start)
        self.step = int(step)

    def __call__(self) -> int:
        now = self.now
        self.now += self.step
        return now

    def advance(self, seconds: int) -> int:
        self.now += int(seconds)
        return self.now

    def __repr__(self) -> str:
        return f"SimulatedClock(now={self.now}, step={self.step})"


def to_datetime(timestamp: int) -> datetime:
    """Unix seconds -> an aware UTC datetime."""
    return datetime.fromtimestamp(timestamp, tz=UTC)


def to_timestamp(moment: int | datetime | str) -> int:
    """Unix seconds from an int, a datetime (naive means UTC) or an ISO string."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp())
    return int(moment)
