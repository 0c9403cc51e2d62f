"""Replay rebuilds every domain's state and re-checks rule policies' decisions."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from prefrontal import load_config, open_journal, open_system, replay
from prefrontal.cli.demo import write_example
from prefrontal.clock import ManualClock
from prefrontal.config import parse_config
from prefrontal.examples.household import day

pytestmark = pytest.mark.anyio


async def _household_day(folder: Path) -> Path:
    path = write_example(folder)
    clock = ManualClock(day.START)
    async with open_system(load_config(path), clock=clock) as system:
        await day.run_day(system, clock)
    return path


async def test_the_household_day_replays_identically(tmp_path: Path) -> None:
    path = await _household_day(tmp_path)
    config = load_config(path)
    journal = open_journal(config.journal_url())
    report = await replay(config, journal)
    assert report.ok, report.mismatches
    assert set(report.domains) == {"home", "health", "money"}
    checked = sum(d.checked for d in report.domains.values())
    decisions = len(journal.read(kinds=["decision"]))
    principal = sum(
        1 for s in journal.read(kinds=["decision"]) if getattr(s.event, "policy", "") == "principal"
    )
    assert checked == decisions - principal > 20
    assert report.domains["health"].memory_notes >= 2
    assert report.domains["money"].spent_usd == "$0.5000"
    journal.close()


async def test_a_changed_policy_is_caught(tmp_path: Path) -> None:
    path = await _household_day(tmp_path)
    text = path.read_text().replace(
        "prefrontal.examples.household.policies:money",
        "prefrontal.examples.household.policies:home",
    )
    config = parse_config(tomllib.loads(text), source="changed", base_dir=tmp_path)
    journal = open_journal(config.journal_url())
    report = await replay(config, journal)
    assert not report.ok
    assert {m.domain for m in report.mismatches} == {"money"}
    journal.close()
