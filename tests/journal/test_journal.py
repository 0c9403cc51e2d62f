"""The journal: append-only, keyed appends stored once, queries.

The contract tests (those taking ``journal``) run on both backends: a real SQLite file, and
a real PostgreSQL database on the server ``support/pg_server.py`` starts on 127.0.0.1 (skipped,
saying why, where PostgreSQL is not installed).
"""

from __future__ import annotations

import importlib.util
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from prefrontal import (
    ConfigError,
    InboxItem,
    RecordError,
    Report,
    RequestEvent,
    SqlJournal,
    Stored,
    TimerEvent,
    open_journal,
)
from prefrontal.seam import TimerSet
from prefrontal.testing import MemoryJournal
from support.records import AT, commission, decision, report, request, routed, seqs, timer_set


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "journal.db"


@pytest.fixture(params=["sqlite", "postgresql"])
def journal(request: pytest.FixtureRequest, db: Path) -> Iterator[SqlJournal]:
    url = f"sqlite:///{db}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    opened = open_journal(url)
    yield opened
    opened.close()


def test_append_returns_increasing_seqs(journal: SqlJournal) -> None:
    first = journal.append([request("r1"), request("r2")])
    second = journal.append([request("r3")])

    assert seqs(first) == [1, 2]
    assert seqs(second) == [3]
    assert journal.last_seq() == 3
    assert [s.event for s in journal.read()] == [request("r1"), request("r2"), request("r3")]


def test_an_empty_batch_stores_nothing(journal: SqlJournal) -> None:
    assert journal.append([]) == []
    assert journal.last_seq() == 0


def test_a_duplicate_request_in_one_batch_is_dropped(journal: SqlJournal) -> None:
    stored = journal.append([request("r1"), request("r1", "again"), request("r2")])

    assert seqs(stored) == [1, None, 2]
    assert [s.event for s in journal.read()] == [request("r1"), request("r2")]


def test_a_duplicate_request_across_batches_is_dropped(journal: SqlJournal) -> None:
    journal.append([request("r1")])

    assert journal.append([request("r1", "again")]) == [None]
    assert journal.last_seq() == 1


def test_a_second_report_for_a_commission_is_dropped(journal: SqlJournal) -> None:
    journal.append([commission("c1", 1), report("c1", "first")])

    assert journal.append([report("c1", "second")]) == [None]
    assert seqs(journal.append([report("c2"), report("c2", "twice")])) == [3, None]
    found = journal.find("c1", "report")
    assert found is not None
    assert found.event == report("c1", "first")


def test_one_decision_per_domain_and_cause(journal: SqlJournal) -> None:
    journal.append([routed("r1")])

    assert seqs(journal.append([decision(1), decision(1)])) == [2, None]
    assert journal.append([decision(1)]) == [None]
    # The same cause in another domain is another decision.
    assert seqs(journal.append([decision(1, domain="money")])) == [3]


def test_read_filters_by_kind_domain_after_and_limit(journal: SqlJournal) -> None:
    journal.append([request("r1"), routed("r1"), request("r2"), routed("r2", domain="money")])

    assert [s.seq for s in journal.read(kinds=["routed"])] == [2, 4]
    assert [s.seq for s in journal.read(domain="money")] == [4]
    assert [s.seq for s in journal.read(after=2)] == [3, 4]
    assert [s.seq for s in journal.read(limit=3)] == [1, 2, 3]


def test_pending_holds_inbound_events_no_decision_answered(journal: SqlJournal) -> None:
    journal.append([request("r1"), routed("r1"), routed("r2"), routed("r3", domain="money")])

    assert [s.seq for s in journal.pending("home")] == [2, 3]
    journal.append([decision(2)])
    assert [s.seq for s in journal.pending("home")] == [3]
    assert [s.seq for s in journal.pending("money")] == [4]
    assert journal.pending("garden") == []


def test_a_report_is_pending_for_its_domain(journal: SqlJournal) -> None:
    journal.append([commission("c1", 1), report("c1")])

    assert [s.event.kind for s in journal.pending("home")] == ["report"]


def test_open_commissions_are_those_without_a_report(journal: SqlJournal) -> None:
    journal.append([commission("c1", 1), commission("c2", 1), commission("c3", 1)])
    journal.append([report("c2")])

    assert [s.event for s in journal.open_commissions()] == [
        commission("c1", 1),
        commission("c3", 1),
    ]


def test_unrouted_requests_are_those_neither_routed_nor_asked_about(
    journal: SqlJournal,
) -> None:
    question = InboxItem(
        item_id="q1",
        domain=None,
        item="question",
        text="which domain: home or money?",
        needs_answer=True,
        thread_id="r3",
        source="request",
        at=AT,
    )
    journal.append([request("r1"), request("r2"), request("r3")])
    journal.append([routed("r1"), question])

    assert [s.event for s in journal.unrouted()] == [request("r2")]


def test_due_timers_and_the_next_timer(journal: SqlJournal) -> None:
    assert journal.next_timer() is None
    journal.append([timer_set("late", 3600), timer_set("soon", 60), timer_set("mid", 600)])

    assert journal.next_timer() == AT + timedelta(seconds=60)
    assert journal.due_timers(AT) == []
    due = journal.due_timers(AT + timedelta(seconds=600))
    assert [s.event.timer_id for s in due if isinstance(s.event, TimerSet)] == ["soon", "mid"]

    fired = TimerEvent(timer_id="soon", domain="home", name="timer soon", thread_id="r1", at=AT)
    journal.append([fired])
    assert journal.next_timer() == AT + timedelta(seconds=600)
    assert [s.seq for s in journal.due_timers(AT + timedelta(days=1))] == [1, 3]
    assert journal.append([fired]) == [None]


def test_find_returns_the_first_match_or_none(journal: SqlJournal) -> None:
    journal.append([request("r1"), routed("r1"), commission("c1", 2)])

    found = journal.find("r1", "routed")
    assert found is not None
    assert found.seq == 2
    assert journal.find("c1", "commission") == Stored(3, commission("c1", 2))
    assert journal.find("c1", "report") is None
    assert journal.find("nothing", "request") is None


def test_the_file_is_in_wal_mode(db: Path) -> None:
    opened = open_journal(f"sqlite:///{db}")
    opened.append([request("r1")])
    opened.close()

    with sqlite3.connect(db) as conn:
        (mode,) = conn.execute("PRAGMA journal_mode").fetchone()

    assert mode == "wal"


@pytest.mark.parametrize(("setting", "level"), [("OFF", 0), ("NORMAL", 1), ("FULL", 2)])
def test_the_synchronous_setting_is_applied(db: Path, setting: str, level: int) -> None:
    opened = open_journal(f"sqlite:///{db}", synchronous=setting)  # type: ignore[arg-type]
    try:
        with opened.engine.connect() as conn:
            value = conn.exec_driver_sql("PRAGMA synchronous").scalar_one()
    finally:
        opened.close()

    assert value == level


def test_only_the_journal_file_is_created_never_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "journal.db"

    with pytest.raises(ConfigError, match=r"folder .* does not exist; create it"):
        open_journal(f"sqlite:///{path}")
    assert not (tmp_path / "deep").exists()
    (tmp_path / "deep" / "er").mkdir(parents=True)
    opened = open_journal(f"sqlite:///{path}")
    opened.append([request("r1")])
    opened.close()

    assert path.is_file()


def test_verify_is_empty_on_a_sound_journal(journal: SqlJournal) -> None:
    journal.append([request("r1"), routed("r1")])
    journal.append([decision(2), commission("c1", 2)])
    journal.append([report("c1")])

    assert journal.verify() == []


def test_verify_reports_a_report_without_a_commission(journal: SqlJournal) -> None:
    journal.append([report("ghost")])

    assert journal.verify() == ["1 reports without an issued commission"]


def test_verify_reports_a_commission_without_a_decision(journal: SqlJournal) -> None:
    journal.append([request("r1"), routed("r1"), commission("c1", 2), commission("c2", 2)])

    assert journal.verify() == ["2 commissions issued without a decision"]


def test_two_journals_on_one_file_see_each_others_appends(db: Path) -> None:
    first = open_journal(f"sqlite:///{db}")
    second = open_journal(f"sqlite:///{db}")
    try:
        first.append([request("r1")])
        assert [s.event for s in second.read()] == [request("r1")]

        assert seqs(second.append([request("r2")])) == [2]
        assert first.last_seq() == 2
        assert [s.seq for s in first.read(after=1)] == [2]

        # A key stored through one is a duplicate through the other.
        assert first.append([request("r2")]) == [None]
        assert second.unrouted() == [Stored(1, request("r1")), Stored(2, request("r2"))]
    finally:
        first.close()
        second.close()


def test_a_journal_survives_reopening(db: Path) -> None:
    opened = open_journal(f"sqlite:///{db}")
    opened.append([request("r1"), request("r2")])
    opened.close()

    reopened = open_journal(f"sqlite:///{db}")
    try:
        assert reopened.last_seq() == 2
        assert seqs(reopened.append([request("r3"), request("r1")])) == [3, None]
    finally:
        reopened.close()


def test_memory_journals_are_private() -> None:
    first, second = MemoryJournal(), MemoryJournal()
    try:
        first.append([request("r1")])
        assert first.last_seq() == 1
        assert second.last_seq() == 0
    finally:
        first.close()
        second.close()


def test_a_bad_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        open_journal("not a url")

    assert str(caught.value) == (
        "[journal] url = 'not a url' is not a database URL. "
        "Use 'sqlite:///prefrontal.db' or 'postgresql+psycopg://user@host/db'."
    )


@pytest.mark.skipif(
    importlib.util.find_spec("psycopg") is not None, reason="psycopg is installed here"
)
def test_a_postgres_url_without_its_driver_says_which_extra_to_install() -> None:
    with pytest.raises(ConfigError, match=r"prefrontal\[postgres\]"):
        open_journal("postgresql+psycopg://alex@db.example/prefrontal")


def test_a_stored_event_narrows_to_its_kind_or_says_which_row_is_not(
    journal: SqlJournal,
) -> None:
    asked, sent = journal.append([request("r-narrow"), routed("r-narrow")])
    assert asked is not None
    assert sent is not None
    assert asked.of(RequestEvent).event.request_id == "r-narrow"
    assert sent.inbound().event.domain == "home"
    with pytest.raises(RecordError, match=r"row #\d+ is a 'request' event where a Report"):
        asked.of(Report)
    with pytest.raises(RecordError, match="where an inbound event"):
        asked.inbound()
