"""Stopping a running system on SIGINT or SIGTERM."""

from __future__ import annotations

import signal
from collections.abc import Callable

import anyio


async def stop_on_signal(stopped: Callable[[int], None], scope: anyio.CancelScope) -> None:
    """SIGINT or SIGTERM stops the system at once: what is committed stays, the rest resumes.

    Every effect is acknowledged only after its commit, so cancelling mid-flight loses
    nothing acknowledged: undecided events are decided, and open commissions run (under
    their idempotency keys), on the next start.
    """
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for received in signals:
            stopped(received)
            scope.cancel()
            return
