"""A driver at rest between polls: what another process commits is handled at once.

``System.serve`` rests ``poll_s`` between polls, but on SQLite it looks at the journal's
data version every ``WAKE_S`` and wakes for another connection's commit (a queued ``ask``),
and what a poll finds is handled in the same turn, not a poll later.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest

from prefrontal import Config, InboxItem, RequestEvent, open_journal, open_system
from prefrontal.runtime.system import WAKE_S
from support.noted import CONFIG, MODULE

pytestmark = pytest.mark.anyio


def test_the_data_version_moves_with_another_connections_commit_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'j.db'}"
    driver, other = open_journal(url), open_journal(url)
    try:
        seen = driver.data_version()
        assert seen is not None
        driver.read(after=0)
        assert driver.data_version() == seen  # reading is no commit
        other.append([RequestEvent(request_id="r1", text="@home hi", at=datetime.now(UTC))])
        assert driver.data_version() != seen
    finally:
        other.close()
        driver.close()


async def test_a_resting_driver_answers_a_queued_request_long_before_its_next_poll(
    tmp_path: Path, write_config: Callable[..., Config]
) -> None:
    config = write_config(CONFIG.format(db=tmp_path / "j.db", module="serve_mod"), serve_mod=MODULE)
    poll_s = 30.0
    other = open_journal(config.journal_url())  # another process's connection
    waited = float("inf")
    async with open_system(config) as system:
        stop = anyio.Event()
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: system.serve(poll_s=poll_s, stop=stop))
            await anyio.sleep(0.3)  # at rest now: its next poll is 30 s away
            start = time.monotonic()
            other.append([RequestEvent(request_id="q1", text="@home hi", at=datetime.now(UTC))])
            with anyio.fail_after(10):
                while not any(
                    isinstance(s.event, InboxItem) and s.event.text.startswith("noted: ")
                    for s in other.read(kinds=["inbox"])
                ):
                    await anyio.sleep(0.01)
            waited = time.monotonic() - start
            stop.set()
    other.close()
    assert waited < 2.0, f"answered after {waited:.2f} s (wake every {WAKE_S} s, poll {poll_s} s)"
