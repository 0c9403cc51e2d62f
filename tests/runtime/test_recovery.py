"""A restart resumes what a stop left undone: undecided events, unfinished commissions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anyio
import pytest

from prefrontal import Config, open_journal, open_system
from prefrontal.journal import Journal
from prefrontal.seam import Report, RoutedEvent
from prefrontal.testing import FakeClock

pytestmark = pytest.mark.anyio

CONFIG = """
[workers.slow]
kind = "tool"
function = "recover_mod:slow"

[domains.home]
charter = "the house"
policy = "recover_mod:home"
workers = ["slow"]
"""

MODULE = """
import os
import anyio
from prefrontal import *

CALLS = []

async def slow(text: str, context: CommissionContext) -> str:
    CALLS.append(context.idempotency_key)
    if os.environ.get("RECOVER_HANG") == "1":
        await anyio.sleep_forever()
    return text.upper()

def home(state, event):
    if isinstance(event, RoutedEvent):
        return Decision.of(CommissionAction(worker="slow", inputs={"text": event.text}))
    if isinstance(event, Report):
        return Decision.of(ReplyAction(text=str(event.output)))
    return Decision.of()
"""


@pytest.fixture
def config(write_config: Callable[..., Config]) -> Config:
    return write_config(CONFIG, recover_mod=MODULE)


def _journal(tmp_path: Path) -> Journal:
    return open_journal(f"sqlite:///{tmp_path / 'recover.db'}")


async def test_an_unfinished_commission_resumes_under_the_same_key(
    config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECOVER_HANG", "1")
    journal = _journal(tmp_path)
    async with open_system(config, journal=journal) as system:
        await system.submit("@home hello")
        with anyio.move_on_after(0.5):
            await system.run_until_idle()  # the worker hangs: stop mid-commission
    [open_commission] = journal.open_commissions()
    journal.close()

    monkeypatch.setenv("RECOVER_HANG", "0")
    journal = _journal(tmp_path)
    async with open_system(config, journal=journal) as system:
        await system.run_until_idle()
    import recover_mod  # type: ignore[import-not-found]

    key = open_commission.event.commission_id  # type: ignore[union-attr]
    assert [key, key] == recover_mod.CALLS
    assert journal.open_commissions() == []
    [report] = [s.event for s in journal.read(kinds=["report"])]
    assert isinstance(report, Report)
    assert report.output == "HELLO"
    assert journal.verify() == []
    journal.close()


async def test_an_undecided_event_is_decided_after_a_restart(
    config: Config, tmp_path: Path
) -> None:
    journal = _journal(tmp_path)
    clock = FakeClock()
    async with open_system(config, journal=journal, clock=clock) as system:
        request = (await system.submit("@home wake up")).event
    # stopped before anything else ran: only the acknowledged request is journaled, with
    # its routing (by address: in the request's own transaction), not yet decided
    assert [s.event.kind for s in journal.read()] == ["request", "routed"]
    journal.close()
    journal = _journal(tmp_path)
    async with open_system(config, journal=journal, clock=clock) as system:
        await system.run_until_idle()
    routed = [s.event for s in journal.read(kinds=["routed"])]
    assert [r.request for r in routed if isinstance(r, RoutedEvent)] == [request]
    assert journal.pending("home") == []
    assert len(journal.read(kinds=["inbox"])) == 1
    journal.close()
