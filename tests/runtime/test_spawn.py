"""The spawner: plain asyncio tasks that live, fail and stop as a task group's children."""

from __future__ import annotations

import anyio
import pytest

from prefrontal.runtime.spawn import Spawner

pytestmark = pytest.mark.anyio


async def test_spawned_tasks_run_and_are_forgotten_once_done() -> None:
    seen: list[int] = []

    async def work(i: int) -> None:
        await anyio.lowlevel.checkpoint()
        seen.append(i)

    spawner = Spawner()
    async with anyio.create_task_group() as tg:
        spawner.start(tg)
        for i in range(5):
            spawner.spawn(work, i)
        assert spawner.running == 5
        while spawner.running:
            await anyio.sleep(0)
        tg.cancel_scope.cancel()
    assert sorted(seen) == [0, 1, 2, 3, 4]


async def test_a_failing_task_fails_the_group_and_cancels_the_others() -> None:
    cancelled: list[str] = []

    async def slow() -> None:
        try:
            await anyio.sleep(60)
        except anyio.get_cancelled_exc_class():
            cancelled.append("slow")
            raise

    async def broken() -> None:
        await anyio.lowlevel.checkpoint()
        raise ValueError("a bug in a task")

    spawner = Spawner()

    async def run() -> None:
        async with anyio.create_task_group() as tg:
            spawner.start(tg)
            spawner.spawn(slow)
            spawner.spawn(broken)
            await anyio.sleep(60)

    with pytest.raises(ExceptionGroup) as caught:
        await run()
    assert caught.group_contains(ValueError, match="a bug in a task")
    assert cancelled == ["slow"]
    assert spawner.running == 0


async def test_leaving_the_group_cancels_and_awaits_what_still_runs() -> None:
    finished: list[str] = []

    async def slow() -> None:
        try:
            await anyio.sleep(60)
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.sleep(0.01)  # cleaning up takes a moment
            finished.append("cleaned up")

    spawner = Spawner()
    async with anyio.create_task_group() as tg:
        spawner.start(tg)
        spawner.spawn(slow)
        await anyio.sleep(0.01)
        tg.cancel_scope.cancel()
    assert finished == ["cleaned up"]
    assert spawner.running == 0
