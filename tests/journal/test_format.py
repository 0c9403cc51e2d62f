"""The journal's format: stamped, refused when newer or foreign, and honest about bad rows."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from prefrontal import JournalFormatError, RecordError, open_journal, parse_config, replay
from prefrontal.journal.schema import FORMAT, Version
from support.records import AT, request

pytestmark = pytest.mark.anyio


def _sql(db: Path, *statements: str) -> None:
    with closing(sqlite3.connect(db)) as conn:
        for statement in statements:
            conn.execute(statement)
        conn.commit()


def test_a_new_journal_is_stamped_with_todays_format(tmp_path: Path) -> None:
    journal = open_journal(f"sqlite:///{tmp_path / 'j.db'}")
    try:
        assert journal.format == FORMAT
        assert journal.history == (Version(FORMAT, 1),)
    finally:
        journal.close()


def test_a_journal_from_a_newer_prefrontal_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    open_journal(f"sqlite:///{db}").close()
    _sql(db, f"INSERT INTO prefrontal_format VALUES ({FORMAT + 1}, 1)")

    with pytest.raises(JournalFormatError) as caught:
        open_journal(f"sqlite:///{db}")

    assert f"is in format {FORMAT + 1}, written by a newer Prefrontal" in str(caught.value)
    assert "Upgrade Prefrontal" in str(caught.value)


def _indexes(db: Path) -> set[str]:
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    return {name for (name,) in rows if not name.startswith("sqlite_autoindex")}


def _plan(db: Path, sql: str, *parameters: object) -> str:
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(f"EXPLAIN QUERY PLAN {sql}", parameters).fetchall()
    return " | ".join(str(row[-1]) for row in rows)


_PARTIAL = {
    "events_kind_ref": "ref IS NOT NULL",
    "events_cause": "cause IS NOT NULL",
    "events_domain_kind_seq": "domain IS NOT NULL",
}


def _index_sql(db: Path) -> dict[str, str]:
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'").fetchall()
    return {name: sql for name, sql in rows if sql}


def test_opening_a_journal_drops_the_index_no_query_needs_and_reads_keep_their_index(
    tmp_path: Path,
) -> None:
    db = tmp_path / "j.db"
    open_journal(f"sqlite:///{db}").close()
    assert "events_domain_kind" not in _indexes(db)
    assert {"events_domain_kind_seq", "events_kind_seq", "events_kind_ref"} <= _indexes(db)
    for name, condition in _PARTIAL.items():
        assert _index_sql(db)[name].endswith(f"WHERE {condition}")
    # A journal from a build that still made them (same rows, same format): the unused
    # index goes, and those on every row are rebuilt partial, on open.
    _sql(
        db,
        "CREATE INDEX events_domain_kind ON events (domain, kind)",
        "DROP INDEX events_kind_ref",
        "CREATE INDEX events_kind_ref ON events (kind, ref)",
        "DROP INDEX events_cause",
        "CREATE INDEX events_cause ON events (cause)",
        "DROP INDEX events_domain_kind_seq",
        "CREATE INDEX events_domain_kind_seq ON events (domain, kind, seq)",
    )
    assert "WHERE" not in _index_sql(db)["events_cause"]
    journal = open_journal(f"sqlite:///{db}")
    try:
        assert journal.format == FORMAT
        assert journal.history == (Version(FORMAT, 1),)
        journal.append([request("r-1")])
        assert [s.event.kind for s in journal.pending("home")] == []
        assert [s.event.kind for s in journal.unrouted()] == ["request"]
        assert journal.find("r-1", "request") is not None
    finally:
        journal.close()
    assert "events_domain_kind" not in _indexes(db)
    for name, condition in _PARTIAL.items():
        assert _index_sql(db)[name].endswith(f"WHERE {condition}")
    # Every read still goes through its index, not a scan of the journal.
    reads = {
        "events_domain_kind_seq": (
            "SELECT seq FROM events WHERE domain = ? AND kind IN (?, ?) AND seq > ?",
            ("home", "routed", "report", 0),
        ),
        "events_kind_ref": ("SELECT seq FROM events WHERE kind = ? AND ref = ?", ("x", "r")),
        "events_cause": (
            "SELECT e.seq FROM events e WHERE e.seq > ? AND NOT EXISTS "
            "(SELECT 1 FROM events d WHERE d.kind = ? AND d.cause = e.seq)",
            (0, "decision"),
        ),
    }
    for index, (sql, parameters) in reads.items():
        assert index in _plan(db, sql, *parameters), sql
    correlated = _plan(
        db,
        "SELECT e.seq FROM events e WHERE e.kind = ? AND e.seq > ? AND NOT EXISTS "
        "(SELECT 1 FROM events o WHERE o.kind IN (?, ?) AND o.ref = e.ref)",
        "request", 0, "routed", "inbox",
    )  # fmt: skip
    assert "events_kind_ref" in correlated


@pytest.mark.parametrize(
    "schema",
    [
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)",
        "CREATE TABLE events (id INTEGER PRIMARY KEY, payload TEXT)",
    ],
)
def test_a_database_that_is_not_a_journal_is_refused_and_left_alone(
    tmp_path: Path, schema: str
) -> None:
    db = tmp_path / "other.db"
    _sql(db, schema)

    with pytest.raises(JournalFormatError, match="is not a Prefrontal journal"):
        open_journal(f"sqlite:///{db}")

    with closing(sqlite3.connect(db)) as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    assert "prefrontal_format" not in tables
    assert "snapshots" not in tables


@pytest.mark.parametrize(
    ("kind", "body", "why"),
    [
        ("request", "{not json", "Invalid JSON"),
        ("bogus", '{"kind": "bogus", "at": "2026-01-05T07:00:00+00:00"}', "does not match"),
    ],
)
async def test_an_unreadable_row_is_named_and_replay_never_passes_over_it(
    tmp_path: Path, kind: str, body: str, why: str
) -> None:
    db = tmp_path / "j.db"
    journal = open_journal(f"sqlite:///{db}")
    journal.append([request("r1")])
    _sql(db, f"INSERT INTO events (at, kind, body) VALUES ('{AT.isoformat()}', '{kind}', '{body}')")
    journal.append([request("r3")])

    with pytest.raises(RecordError, match=r"journal row #2 cannot be read: .*" + why):
        journal.read()
    assert len(journal.unreadable()) == 1
    assert journal.unreadable()[0].startswith(f"row #2 (kind {kind!r}): ")

    config = parse_config(
        {
            "journal": {"url": f"sqlite:///{db}"},
            "workers": {"echo": {"kind": "tool", "function": "prefrontal.testing:echo"}},
            "domains": {"d": {"charter": "c", "policy": "crash_scenario:policy"}},
        },
        source="test",
        base_dir=Path(__file__).parents[1] / "support",
    )
    report = await replay(config, journal)
    journal.close()
    assert not report.ok
    assert [problem.split(":")[0] for problem in report.unreadable] == [f"row #2 (kind {kind!r})"]
