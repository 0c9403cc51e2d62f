"""Counting the work in flight, so a caller can wait until the system is idle."""

from __future__ import annotations

import anyio


class Tracker:
    """Counts units of work in flight; idle when none is."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = anyio.Event()
        self._idle.set()

    def add(self) -> None:
        self.count += 1
        if self._idle.is_set():
            self._idle = anyio.Event()

    def done(self) -> None:
        self.count -= 1
        if self.count == 0:
            self._idle.set()

    async def wait_idle(self) -> None:
        while self.count:
            await self._idle.wait()
