"""Clocks: where the runtime reads the time. ``ManualClock`` moves only when told to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until ``advance`` or ``set``: tests and scripted days."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError(f"ManualClock start {start!r} must be timezone-aware")

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        self._now += timedelta(seconds=seconds)
        return self._now

    def set(self, moment: datetime) -> datetime:
        if moment < self._now:
            raise ValueError(f"ManualClock cannot go back from {self._now} to {moment}")
        self._now = moment
        return self._now
