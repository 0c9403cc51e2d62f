"""Run blocking code off the event loop, on a thread that never holds the process up.

``run_sync`` runs a plain function on a daemon thread of its own and waits for it. If the
waiting task is cancelled (a time limit, a shutdown), the thread is abandoned: Python cannot
stop a thread, but a daemon thread does not keep the process alive at exit, so a stuck
rule, tool or sense cannot delay stopping the runtime. Ground floor: imports nothing of
Prefrontal's.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import anyio.lowlevel

T = TypeVar("T")


async def run_sync(function: Callable[..., T], *args: Any, name: str = "prefrontal") -> T:
    """``function(*args)`` on a daemon thread; cancelling the caller abandons the thread."""
    done = anyio.Event()
    token = anyio.lowlevel.current_token()
    outcome: list[Any] = []

    def main() -> None:
        try:
            outcome.append((True, function(*args)))
        except BaseException as error:  # handed to the waiting task, which raises it
            outcome.append((False, error))
        with contextlib.suppress(Exception):  # the event loop is gone: nobody waits any more
            anyio.from_thread.run_sync(done.set, token=token)

    threading.Thread(target=main, name=name, daemon=True).start()
    await done.wait()
    ok, value = outcome[0]
    if ok:
        return value
    raise value
