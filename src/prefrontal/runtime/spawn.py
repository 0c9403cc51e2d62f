"""Many short tasks (a commission each), supervised as a task group's, for less.

anyio's ``start_soon`` wraps every task in a handle with its own cancel scope and event:
about 40 µs a task where a plain asyncio task costs about 12 µs, and the durable path starts
one per commission. On asyncio ``Spawner`` starts plain tasks and supervises them from one
task of the system's task group (``run``): the first task to raise makes ``run`` raise it,
so it stops the system as a failed child of the group would; and when ``run`` ends (the
group is cancelled, or a task failed) it cancels every task still running and waits for
them, so none outlives the system. anyio's cancel scopes, limiters and threads work inside
them as in any task. On another backend (trio) it is the task group's ``start_soon``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import anyio
import sniffio
from anyio.abc import TaskGroup


class Spawner:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._failed: BaseException | None = None
        self._wake = anyio.Event()
        self._tg: TaskGroup | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def running(self) -> int:
        """Tasks started here and not yet finished (asyncio only)."""
        return len(self._tasks)

    def start(self, tg: TaskGroup) -> None:
        """Supervise from ``tg``: spawned tasks live and fail as its children do."""
        self._tg = tg
        if sniffio.current_async_library() == "asyncio":
            self._loop = asyncio.get_running_loop()
            tg.start_soon(self._supervise)

    def spawn(self, function: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> None:
        """Run ``function(*args)`` in a task of its own."""
        if self._loop is None:
            assert self._tg is not None, "Spawner.start was not called"
            self._tg.start_soon(function, *args)
            return
        task = self._loop.create_task(function(*args))
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled() or self._failed is not None:
            return
        error = task.exception()
        if error is not None:
            self._failed = error
            self._wake.set()

    async def _supervise(self) -> None:
        try:
            await self._wake.wait()
            assert self._failed is not None
            raise self._failed
        finally:
            self._loop = None  # what is spawned from now on is the group's own
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            if tasks:
                with anyio.CancelScope(shield=True):
                    await asyncio.wait(tasks)
