"""Timers falling due: the open timers, read without scanning every timer ever set."""

from __future__ import annotations

from datetime import datetime

from prefrontal.journal.base import Journal
from prefrontal.seam.events import TimerEvent, TimerSet


class DueTimers:
    """Reads the timers set since the last look plus those still open then, and fires them."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._after = 0
        self._open: list[int] = []

    def restore(self, after: int, open_seqs: list[int]) -> None:
        """Continue from a snapshot: timers up to ``after`` that were open are ``open_seqs``."""
        self._after, self._open = after, list(open_seqs)

    def due(self, now: datetime) -> list[TimerEvent]:
        """The timer events to journal for every open timer due at ``now``."""
        top = self.journal.last_seq()
        found = self.journal.open_timers(after=self._after, carried=self._open)
        self._after, self._open = top, [s.seq for s in found]
        timers = [s.event for s in found if isinstance(s.event, TimerSet)]
        return [
            TimerEvent(
                timer_id=t.timer_id,
                domain=t.domain,
                name=t.name,
                payload=t.payload,
                thread_id=t.thread_id,
                at=now,
            )
            for t in timers
            if t.due_at <= now
        ]
