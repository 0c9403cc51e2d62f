"""Snapshots of folded state: a restart folds only the tail and ends where a full fold ends."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import closing
from typing import Any

import anyio
import pytest

from prefrontal import Config, CostLedger, SqlJournal, open_journal, open_system, replay
from prefrontal.runtime.snapshot import load_snapshot
from prefrontal.runtime.summary import fold_summary
from prefrontal.seam import RoutedEvent
from prefrontal.testing import FakeClock

pytestmark = pytest.mark.anyio

CONFIG = """
[journal]
url = "sqlite:///snap.db"
snapshot_every = 7

[principal]
interruptions_per_day = 3

[workers.echo]
kind = "tool"
function = "snap_mod:echo"
trusted = true  # a pure function of its inputs: its text is readable
cost_usd = 0.01

[domains.home]
charter = "the house"
policy = "snap_mod:home"
workers = ["echo"]
recent_events = 3

[domains.money]
charter = "the money"
policy = "snap_mod:home"
workers = ["echo"]
"""

MODULE = """
import os
import anyio
from prefrontal import *

async def echo(text: str, context: CommissionContext) -> str:
    if os.environ.get("SNAP_HANG") == "1" and text.endswith("hang"):
        await anyio.sleep_forever()
    return text.upper()

def home(state, event):
    if isinstance(event, RoutedEvent):
        return Decision.of(
            CommissionAction(worker="echo", inputs={"text": event.text}),
            RememberAction(note=f"asked {event.text[:20]}"),
        )
    if isinstance(event, Report):
        return Decision.of(ReplyAction(text=str(event.output)))
    return Decision.of()
"""


@pytest.fixture
def config(write_config: Callable[..., Config]) -> Config:
    return write_config(CONFIG, snap_mod=MODULE)


async def _ask(config: Config, texts: list[str], clock: FakeClock) -> dict[str, Any]:
    """Submit ``texts``, process them, and return every domain's folded state."""
    async with open_system(config, clock=clock) as system:
        for text in texts:
            await system.submit(text)
        with anyio.move_on_after(2):
            await system.run_until_idle()
        return {name: o.state.dump() for name, o in system.orchestrators.items()}


async def _states_after_restart(config: Config, clock: FakeClock) -> dict[str, Any]:
    async with open_system(config, clock=clock) as system:
        return {name: o.state.dump() for name, o in system.orchestrators.items()}


def _drop_snapshots(config: Config) -> None:
    db = config.journal_url().removeprefix("sqlite:///")
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("DELETE FROM snapshots")
        conn.commit()


async def test_a_restart_from_a_snapshot_folds_the_same_state_as_the_whole_journal(
    config: Config,
) -> None:
    clock = FakeClock()
    texts = [f"@{'home' if n % 3 else 'money'} task {n}" for n in range(20)]
    live = await _ask(config, texts, clock)
    journal = open_journal(config.journal_url())
    seqs = journal.snapshot_seqs()
    assert len(seqs) >= 2, "the driver wrote no snapshots while it ran"
    assert seqs[-1] == journal.last_seq(), "no snapshot at the clean stop"
    journal.close()

    from_snapshot = await _states_after_restart(config, clock)
    _drop_snapshots(config)
    from_scratch = await _states_after_restart(config, clock)

    assert json.loads(json.dumps(live)) == from_snapshot == from_scratch
    assert from_snapshot["home"]["decisions"] == 2 * 13


async def test_replay_checks_every_snapshot_and_catches_a_wrong_one(config: Config) -> None:
    await _ask(config, [f"@home task {n}" for n in range(10)], FakeClock())
    journal = open_journal(config.journal_url())
    report = await replay(config, journal)
    assert report.ok
    assert report.snapshots_checked >= 4
    tail = await replay(config, journal, from_snapshot=True)
    assert tail.ok
    assert tail.domains["home"].from_seq == journal.last_seq()

    db = config.journal_url().removeprefix("sqlite:///")
    with closing(sqlite3.connect(db)) as conn:
        seq, body = conn.execute("SELECT seq, body FROM snapshots ORDER BY seq LIMIT 1").fetchone()
        data = json.loads(body)
        data["domains"]["home"]["state"]["decisions"] += 1
        conn.execute("UPDATE snapshots SET body = ? WHERE seq = ?", (json.dumps(data), seq))
        conn.commit()
    report = await replay(config, journal)
    journal.close()
    assert not report.ok
    assert report.snapshot_mismatches == [
        f"snapshot #{seq}: the state of domain 'home' differs from the fold of the journal up "
        "to it; delete the snapshot rows (start-up folds from the journal)"
    ]


async def test_work_open_at_a_snapshot_resumes_after_a_restart(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SNAP_HANG", "1")
    clock = FakeClock()
    await _ask(config, ["@home please hang", *[f"@money task {n}" for n in range(8)]], clock)
    journal = open_journal(config.journal_url())
    [hung] = journal.open_commissions()
    snapshot = load_snapshot(journal)
    assert snapshot is not None
    assert hung.seq in snapshot.open.commissions
    assert snapshot.seq > hung.seq + 7  # later snapshots carry it, the tail does not hold it
    journal.close()

    monkeypatch.setenv("SNAP_HANG", "0")
    await _ask(config, [], clock)
    journal = open_journal(config.journal_url())
    assert journal.open_commissions() == []
    assert journal.pending("home") == []
    assert journal.unrouted() == []
    replies = [s.event for s in journal.read(kinds=["inbox"])]
    assert "PLEASE HANG" in {getattr(r, "text", "") for r in replies}
    journal.close()


async def test_the_read_summary_from_a_snapshot_equals_a_fold_of_everything(
    config: Config,
) -> None:
    await _ask(config, [f"@home task {n}" for n in range(9)], FakeClock())
    journal = open_journal(config.journal_url())
    snapshot = load_snapshot(journal, upto=journal.snapshot_seqs()[0])
    assert snapshot is not None
    from_snapshot = fold_summary(journal, snapshot.summary)
    from_scratch = fold_summary(journal)
    journal.close()
    assert from_snapshot.dump() | {"seq": 0} == from_scratch.dump() | {"seq": 0}
    assert str(CostLedger(from_scratch.costs).by("domain")["home"].cost_usd) == "0.09"


class _RacingJournal(SqlJournal):
    """Another process appends a request just after recovery asked for unrouted requests."""

    raced = False

    def unrouted(self, **window: Any) -> Any:
        found = super().unrouted(**window)
        if not self.raced:
            self.raced = True
            other = open_journal(self.url)
            other.append([_request("r-raced", "@home raced in")])
            other.close()
        return found


def _request(request_id: str, text: str) -> Any:
    from prefrontal.seam import RequestEvent

    return RequestEvent(request_id=request_id, text=text, at=FakeClock().now())


async def test_a_request_appended_while_the_driver_recovers_is_routed_by_the_next_poll(
    config: Config,
) -> None:
    journal = _RacingJournal(config.journal_url())
    async with open_system(config, journal=journal) as system:
        await system.run_until_idle()
        assert journal.raced
        assert system.poll() == 1
        await system.run_until_idle()
    routed = [s.event for s in journal.read(kinds=["routed"])]
    journal.close()
    assert [r.request.request_id for r in routed if isinstance(r, RoutedEvent)] == ["r-raced"]
