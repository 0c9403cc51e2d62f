"""Run blocking code off the event loop, on a thread that never holds the process up.

``run_sync`` runs a plain function on a daemon thread and waits for it. If the waiting task
is cancelled (a time limit, a shutdown), the thread is abandoned: Python cannot stop a
thread, but a daemon thread does not keep the process alive at exit, so a stuck rule, tool
or sense cannot delay stopping the runtime. Threads are reused: one that finished its call
waits for the next (up to ``KEEP_IDLE`` of them), since starting a thread per call cost more
than a rule policy's whole decision. An abandoned call keeps its thread until it returns;
the next call takes another. Ground floor: imports nothing of Prefrontal's.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import anyio.lowlevel

T = TypeVar("T")
KEEP_IDLE = 16
"""Idle threads kept for the next calls; a thread finishing while this many wait ends."""

_idle: list[_Thread] = []
_lock = threading.Lock()


class _Thread:
    """A daemon thread running the calls handed to it, one at a time."""

    def __init__(self) -> None:
        self.calls: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        threading.Thread(target=self._serve, name="prefrontal", daemon=True).start()

    def _serve(self) -> None:
        while True:
            self.calls.get()()
            with _lock:
                if len(_idle) >= KEEP_IDLE:
                    return
                _idle.append(self)


def _thread() -> _Thread:
    with _lock:
        if _idle:
            return _idle.pop()
    return _Thread()


async def run_sync(function: Callable[..., T], *args: Any, name: str = "prefrontal") -> T:
    """``function(*args)`` on a daemon thread; cancelling the caller abandons the thread."""
    done = anyio.Event()
    token = anyio.lowlevel.current_token()
    outcome: list[Any] = []

    def call() -> None:
        threading.current_thread().name = name
        try:
            outcome.append((True, function(*args)))
        except BaseException as error:  # handed to the waiting task, which raises it
            outcome.append((False, error))
        with contextlib.suppress(Exception):  # the event loop is gone: nobody waits any more
            anyio.from_thread.run_sync(done.set, token=token)

    _thread().calls.put(call)
    await done.wait()
    ok, value = outcome[0]
    if ok:
        return value
    raise value
