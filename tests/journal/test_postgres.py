"""What only PostgreSQL has to show: concurrent writers, chunked keys, a whole system on it.

The journal's contract (appends, keys, queries, timers) runs on both backends in
``journal/test_journal.py``; the server is ``support/pg_server.py``'s, on 127.0.0.1 only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event as sa_event

from prefrontal import (
    Config,
    JournalError,
    SqlJournal,
    Stored,
    load_config,
    open_journal,
    open_system,
    replay,
)
from prefrontal.cli.demo import write_example
from prefrontal.clock import ManualClock
from prefrontal.examples.household import day
from support.records import commission, decision, report, request, routed, seqs


@pytest.fixture
def journal(pg_url: str) -> Iterator[SqlJournal]:
    opened = open_journal(pg_url)
    yield opened
    opened.close()


# -- events ----------------------------------------------------------------------------------


# -- the journal's contract on PostgreSQL ----------------------------------------------------


def test_the_journal_is_on_postgresql(journal: SqlJournal) -> None:
    assert journal.engine.dialect.name == "postgresql"
    assert journal.engine.dialect.driver == "psycopg"
    assert journal.data_version() is None  # a driver polls on time alone here


def test_a_batch_larger_than_one_key_chunk_keeps_its_order(journal: SqlJournal) -> None:
    batch = [request(f"r{i}") for i in range(1200)]
    assert seqs(journal.append(batch)) == list(range(1, 1201))
    again = journal.append([*batch[::-1], request("new")])
    assert seqs(again) == [None] * 1200 + [1201]


def test_verify_is_empty_on_a_sound_journal_and_finds_broken_ones(pg_url: str) -> None:
    sound = open_journal(pg_url)
    try:
        sound.append([request("r1"), routed("r1")])
        sound.append([decision(2), commission("c1", 2)])
        sound.append([report("c1")])
        assert sound.verify() == []  # no SQLite integrity_check on PostgreSQL

        sound.append([report("ghost"), commission("c2", 99)])
        assert sound.verify() == [
            "1 reports without an issued commission",
            "1 commissions issued without a decision",
        ]
    finally:
        sound.close()


def _index_defs(journal: SqlJournal) -> dict[str, str]:
    with journal.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'events'"
        )
        return {str(name): str(sql) for name, sql in rows.all()}


def test_an_older_journals_indexes_on_every_row_are_rebuilt_partial_on_open(pg_url: str) -> None:
    """As on SQLite (journal/test_format.py): same rows, same format, leaner appends."""
    journal = open_journal(pg_url)
    journal.append([request("r-1"), routed("r-1")])
    assert " WHERE " in _index_defs(journal)["events_cause"]
    with journal.engine.begin() as conn:  # what a build before partial indexes left
        for name, columns in (("events_cause", "cause"), ("events_kind_ref", "kind, ref")):
            conn.exec_driver_sql(f"DROP INDEX {name}")
            conn.exec_driver_sql(f"CREATE INDEX {name} ON events ({columns})")
        conn.exec_driver_sql("CREATE INDEX events_domain_kind ON events (domain, kind)")
    assert " WHERE " not in _index_defs(journal)["events_cause"]
    journal.close()
    reopened = open_journal(pg_url)
    try:
        defs = _index_defs(reopened)
        assert "events_domain_kind" not in defs
        assert defs["events_cause"].endswith("WHERE (cause IS NOT NULL)")
        assert defs["events_kind_ref"].endswith("WHERE (ref IS NOT NULL)")
        assert reopened.find("r-1", "request") is not None
    finally:
        reopened.close()


def test_two_journals_on_one_database_see_each_others_appends(pg_url: str) -> None:
    first, second = open_journal(pg_url), open_journal(pg_url)
    try:
        first.append([request("r1")])
        assert [s.event for s in second.read()] == [request("r1")]

        assert seqs(second.append([request("r2")])) == [2]
        assert first.last_seq() == 2
        assert first.append([request("r2")]) == [None]
        assert second.unrouted() == [Stored(1, request("r1")), Stored(2, request("r2"))]
    finally:
        first.close()
        second.close()

    reopened = open_journal(pg_url)
    try:
        assert reopened.last_seq() == 2
        assert seqs(reopened.append([request("r3"), request("r1")])) == [3, None]
    finally:
        reopened.close()


def test_a_key_another_writer_commits_mid_append_is_dropped(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = open_journal(pg_url), open_journal(pg_url)
    outcome: dict[str, Any] = {}

    def other_writer() -> None:
        try:
            outcome["stored"] = second.append([request("r1", "from the other writer")])
        except JournalError as error:
            outcome["error"] = error

    racer = threading.Thread(target=other_writer)
    looked_up = first._present_keys

    def present_keys_then_race(keys: list[str]) -> set[str]:
        # ``first`` has looked for the keys inside its transaction; ``second`` appends now.
        present = looked_up(keys)
        racer.start()
        racer.join(timeout=3)  # a writer lock taken at BEGIN holds ``second`` back here
        return present

    monkeypatch.setattr(first, "_present_keys", present_keys_then_race)
    try:
        stored = first.append([request("r1")])
        racer.join(timeout=30)
        assert "error" not in outcome, outcome.get("error")
        assert sorted(seqs([*stored, *outcome["stored"]]), key=str) == [1, None]
        assert len(first.read()) == 1
    finally:
        if racer.ident is not None:
            racer.join(timeout=30)
        first.close()
        second.close()


def test_a_reader_polling_after_its_last_seq_misses_nothing(pg_url: str) -> None:
    first, second, reader = open_journal(pg_url), open_journal(pg_url), open_journal(pg_url)
    seen: list[int] = []

    def other_writer() -> None:
        second.append([request("r2")])

    racer = threading.Thread(target=other_writer)

    def after_insert(*args: Any) -> None:
        # ``first`` has inserted (its seq is taken) but not committed yet.
        if str(args[2]).lstrip().upper().startswith("INSERT") and racer.ident is None:
            racer.start()
            racer.join(timeout=3)  # a writer lock taken at BEGIN holds ``second`` back here
            seen.extend(s.seq for s in reader.read())

    sa_event.listen(first._conn, "after_cursor_execute", after_insert)
    try:
        first.append([request("r1")])
        racer.join(timeout=30)
        seen.extend(s.seq for s in reader.read(after=max(seen, default=0)))
        assert sorted(seen) == [1, 2]
    finally:
        if racer.ident is not None:
            racer.join(timeout=30)
        first.close()
        second.close()
        reader.close()


def test_a_long_request_id_is_stored_as_on_sqlite(journal: SqlJournal) -> None:
    long_id = "msg-" + "x" * 250
    assert seqs(journal.append([request(long_id)])) == [1]
    found = journal.find(long_id, "request")
    assert found is not None
    assert found.event == request(long_id)


# -- a whole system on PostgreSQL ------------------------------------------------------------

SYSTEM = """
[journal]
url = "{url}"

[workers.shout]
kind = "tool"
function = "pg_system_mod:shout"
trusted = true  # a pure function of its inputs: its text is readable

[domains.home]
charter = "the house"
policy = "pg_system_mod:home"
workers = ["shout"]
"""

MODULE = """
from prefrontal import *

CALLS = []

def shout(text: str, context: CommissionContext) -> str:
    CALLS.append(context.idempotency_key)
    return text.upper()

def home(state, event):
    if isinstance(event, RoutedEvent):
        return Decision.of(CommissionAction(worker="shout", inputs={"text": event.text}))
    if isinstance(event, Report):
        return Decision.of(ReplyAction(text=str(event.output)))
    return Decision.of()
"""

REQUESTS = 20


@pytest.fixture
def system_config(write_config: Callable[..., Config], pg_url: str) -> Config:
    return write_config(SYSTEM.format(url=pg_url), pg_system_mod=MODULE)


async def _run_requests(config: Config) -> list[str]:
    async with open_system(config) as system:
        for i in range(REQUESTS):
            await system.submit(f"@home task {i}")
        await system.run_until_idle()
    import pg_system_mod  # type: ignore[import-not-found] - open_system loaded it

    return list(pg_system_mod.CALLS)


@pytest.mark.anyio
async def test_a_system_runs_and_recovers_on_postgresql(system_config: Config) -> None:
    calls = await _run_requests(system_config)

    journal = open_journal(system_config.journal_url())
    try:
        assert journal.engine.dialect.name == "postgresql"
        commissions = [s.event for s in journal.read(kinds=["commission"])]
        reports = [s.event for s in journal.read(kinds=["report"])]
        replies = [s.event for s in journal.read(kinds=["inbox"])]
        assert len(commissions) == REQUESTS
        assert sorted(calls) == sorted(c.commission_id for c in commissions)  # type: ignore[union-attr]
        assert sorted(r.commission_id for r in reports) == sorted(calls)  # type: ignore[union-attr]
        assert {r.status for r in reports} == {"ok"}  # type: ignore[union-attr]
        assert len(replies) == REQUESTS
        assert {r.item for r in replies} == {"reply"}  # type: ignore[union-attr]
        assert sorted(r.text for r in replies) == sorted(f"TASK {i}" for i in range(REQUESTS))  # type: ignore[union-attr]
        assert journal.open_commissions() == []
        assert journal.unrouted() == []
        assert journal.pending("home") == []
        assert journal.verify() == []
        last = journal.last_seq()
    finally:
        journal.close()

    # Reopen: recovery finds nothing undone, so nothing runs and nothing is journaled.
    import pg_system_mod  # type: ignore[import-not-found]

    async with open_system(system_config) as system:
        await system.run_until_idle()
        assert system.journal.last_seq() == last
    assert calls == pg_system_mod.CALLS

    journal = open_journal(system_config.journal_url())
    try:
        assert journal.last_seq() == last
        assert len(journal.read(kinds=["inbox"])) == REQUESTS
        assert journal.verify() == []
    finally:
        journal.close()


@pytest.mark.anyio
async def test_replay_over_a_postgresql_journal_has_no_mismatches(system_config: Config) -> None:
    await _run_requests(system_config)

    journal = open_journal(system_config.journal_url())
    try:
        report = await replay(system_config, journal)
    finally:
        journal.close()

    assert report.ok, report.mismatches
    assert report.domains["home"].decisions == 2 * REQUESTS
    assert report.domains["home"].checked == 2 * REQUESTS
    assert report.domains["home"].open_commissions == 0


@pytest.mark.anyio
async def test_the_household_day_runs_and_replays_on_postgresql(
    tmp_path: Path, pg_url: str
) -> None:
    path = write_example(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert 'url = "sqlite:///household.db"' in text
    path.write_text(text.replace('url = "sqlite:///household.db"', f'url = "{pg_url}"'))
    config = load_config(path)
    clock = ManualClock(day.START)
    async with open_system(config, clock=clock) as system:
        await day.run_day(system, clock)

    journal = open_journal(config.journal_url())
    try:
        assert journal.engine.dialect.name == "postgresql"
        assert journal.verify() == []
        report = await replay(config, journal)
        decisions = journal.read(kinds=["decision"])
    finally:
        journal.close()
    assert report.ok, report.mismatches
    assert set(report.domains) == {"home", "health", "money"}
    assert sum(d.decisions for d in report.domains.values()) == len(decisions) > 20
    assert not (tmp_path / "household.db").exists()
