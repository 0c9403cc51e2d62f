"""The journal's one read path gives the same answers on each of its connection sources.

A SQLite file is read through ``SqlJournal`` (SQLAlchemy's driver connection) and through
``reading`` (the stdlib's ``sqlite3``, read-only, what the reading commands use); a real
PostgreSQL database on 127.0.0.1 holding the same rows is read through ``SqlJournal``. Every
read of the protocol must agree, row for row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from prefrontal import InboxItem, SqlJournal, open_journal
from prefrontal.journal.base import JournalReads
from prefrontal.journal.reader import JournalReader, reading
from prefrontal.seam import ApprovalEvent, TimerCancelled, TimerEvent
from support.records import AT, commission, decision, report, request, routed, timer_set


def _item(item_id: str, *, needs_answer: bool, delivery: str = "interrupt") -> InboxItem:
    return InboxItem.model_validate(
        {
            "item_id": item_id,
            "domain": "home",
            "item": "escalation" if needs_answer else "reply",
            "text": f"item {item_id}",
            "delivery": delivery,
            "needs_answer": needs_answer,
            "thread_id": "r1",
            "source": "request",
            "at": AT,
        }
    )


def _fill(journal: SqlJournal) -> None:
    """A journal with every kind of open and closed work, and a snapshot in the middle."""
    journal.append([request("r1"), routed("r1")])  # 1, 2
    journal.append([decision(2), commission("c1", 2), commission("c2", 2)])  # 3, 4, 5
    journal.append([report("c1")])  # 6: c2 stays open
    journal.append([request("r2"), request("r3"), routed("r3")])  # 7, 8, 9: r2 unrouted
    journal.append([timer_set("t1", 60), timer_set("t2", 7200), timer_set("t3", 30)])  # 10-12
    journal.save_snapshot(12, '{"not": "read here"}', at=AT)
    fired = TimerEvent(timer_id="t1", domain="home", name="timer t1", thread_id="r1", at=AT)
    journal.append([fired, TimerCancelled(timer_id="t3", domain="home", at=AT)])  # 13, 14
    journal.append([_item("e1", needs_answer=True), _item("e2", needs_answer=True)])  # 15, 16
    journal.append([_item("p1", needs_answer=False, delivery="digest")])  # 17
    answer = ApprovalEvent(
        item_id="e1", domain="home", approved=True, thread_id="r1", source="request", at=AT
    )
    journal.append([answer])  # 18: e1 answered, e2 waits
    journal.save_snapshot(18, '{"newest": true}', at=AT)


READS: dict[str, Callable[[JournalReads], Any]] = {
    "read all": lambda j: j.read(),
    "read a window": lambda j: j.read(after=2, kinds=["decision", "report"], domain="home", upto=6),
    "read a limit": lambda j: j.read(after=3, limit=4),
    "read no kinds": lambda j: j.read(kinds=[]),
    "last": lambda j: j.last(3),
    "last of kinds": lambda j: j.last(2, kinds=["commission", "routed"], domain="home"),
    "last none": lambda j: j.last(0),
    "at": lambda j: j.at([1, 6, 17, 99]),
    "pending": lambda j: j.pending("home"),
    "pending after, carried": lambda j: j.pending("home", after=8, carried=[2]),
    "pending up to": lambda j: j.pending("home", upto=9),
    "open commissions": lambda j: j.open_commissions(),
    "open commissions carried": lambda j: j.open_commissions(after=12, carried=[4, 5]),
    "unrouted": lambda j: j.unrouted(),
    "open timers": lambda j: j.open_timers(),
    "open items": lambda j: j.open_items(),
    "due timers": lambda j: j.due_timers(AT + timedelta(hours=3)),
    "next timer": lambda j: j.next_timer(),
    "find": lambda j: j.find("c2", "commission"),
    "find nothing": lambda j: j.find("c9", "commission"),
    "last seq": lambda j: j.last_seq(),
    "snapshot": lambda j: j.snapshot(),
    "snapshot up to": lambda j: j.snapshot(upto=17),
    "snapshot seqs": lambda j: j.snapshot_seqs(),
    "unreadable": lambda j: j.unreadable(),
}
EMPTY = {"read no kinds", "last none", "find nothing", "unreadable"}


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'journal.db'}"
    journal = open_journal(url)
    _fill(journal)
    journal.close()
    return url


def test_the_reads_find_what_the_journal_holds(sqlite_url: str) -> None:
    # The guard for the comparisons below: they compare answers that say something.
    with reading(sqlite_url) as journal:
        assert [s.seq for s in journal.pending("home")] == [6, 9, 13, 18]
        assert [s.seq for s in journal.open_commissions()] == [5]
        assert [s.seq for s in journal.unrouted()] == [7]
        assert [s.seq for s in journal.open_timers()] == [11]
        assert [s.seq for s in journal.open_items()] == [16, 17]
        assert journal.snapshot() == (18, '{"newest": true}')
        for name, read in READS.items():
            assert bool(read(journal)) is (name not in EMPTY), name


@pytest.mark.parametrize("name", list(READS))
def test_sqlite3_read_only_and_sqlalchemy_read_alike(sqlite_url: str, name: str) -> None:
    with reading(sqlite_url) as light:
        assert isinstance(light, JournalReader)
        assert not isinstance(light, SqlJournal)
        journal = open_journal(sqlite_url)
        try:
            assert READS[name](light) == READS[name](journal)
        finally:
            journal.close()


@pytest.mark.parametrize("name", list(READS))
def test_postgresql_reads_alike(sqlite_url: str, pg_url: str, name: str) -> None:
    postgres = open_journal(pg_url)
    try:
        _fill(postgres)
        with reading(sqlite_url) as light:
            assert READS[name](postgres) == READS[name](light)
    finally:
        postgres.close()


def test_a_reader_sees_what_a_writer_commits_after_it_opened(sqlite_url: str) -> None:
    with reading(sqlite_url) as light:
        before = light.last_seq()
        writer = open_journal(sqlite_url)
        try:
            writer.append([request("r9")])
        finally:
            writer.close()
        assert light.last_seq() == before + 1
        assert light.find("r9", "request") is not None


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url
        return
    postgres = request.getfixturevalue("pg_url")
    journal = open_journal(postgres)
    _fill(journal)
    journal.close()
    yield postgres


def test_reads_inside_consistent_share_one_snapshot(url: str) -> None:
    reader = open_journal(url)
    writer = open_journal(url)
    try:
        top = reader.last_seq()
        with reader.consistent():
            assert reader.last_seq() == top
            writer.append([request("r9")])
            assert reader.last_seq() == top  # committed, but after the snapshot was taken
            assert reader.find("r9", "request") is None
        assert reader.last_seq() == top + 1  # each read outside sees the newest commit
    finally:
        writer.close()
        reader.close()


def test_a_file_that_is_not_there_or_older_opens_through_sqljournal(tmp_path: Path) -> None:
    missing = f"sqlite:///{tmp_path / 'new.db'}"
    with reading(missing) as journal:
        assert isinstance(journal, SqlJournal)  # created, as every other command does
        assert journal.last_seq() == 0
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as connection:  # a format-1 journal: no version table
        connection.execute(
            "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, "
            "kind TEXT NOT NULL, domain TEXT, ref TEXT, cause INTEGER, key TEXT UNIQUE, "
            "body TEXT NOT NULL)"
        )
    connection.close()
    with reading(f"sqlite:///{old}") as journal:
        assert isinstance(journal, SqlJournal)  # migrated first
        assert journal.format == 2
