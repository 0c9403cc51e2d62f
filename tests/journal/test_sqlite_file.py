"""A journal file opened with ``sqlite3`` alone writes exactly what ``SqlJournal`` writes.

Clients that queue for a running driver append through ``SqliteFile`` (no SQLAlchemy); the
driver appends through ``SqlJournal``. Both go into one file, so their rows, keys and
idempotency must be the same, and the driver must read what a queueing client wrote.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from prefrontal import open_journal
from prefrontal.errors import JournalError
from prefrontal.journal.base import Stored
from prefrontal.journal.space import journal_folder, sqlite_path
from prefrontal.journal.sqlite_file import SqliteFile, open_file
from prefrontal.seam.events import Event
from support.records import AT, commission, decision, report, request, routed, seqs


def _batches() -> list[list[Event]]:
    return [
        [request("r1"), routed("r1")],
        [decision(2), commission("c1", 2)],
        [commission("c1", 2), report("c1")],  # c1 again: its key is stored, so it is skipped
        [report("c1")],  # the same report again: skipped
    ]


def _rows(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT * FROM events ORDER BY seq").fetchall()


def _writable(path: Path) -> SqliteFile:
    journal = open_file(f"sqlite:///{path}", writable=True)
    assert journal is not None
    return journal


def test_sqlite3_alone_appends_the_rows_sqljournal_appends(tmp_path: Path) -> None:
    by_sqlalchemy, by_sqlite3 = tmp_path / "a.db", tmp_path / "b.db"
    for path in (by_sqlalchemy, by_sqlite3):
        open_journal(f"sqlite:///{path}").close()  # created (and formatted) by SqlJournal
    reference = open_journal(f"sqlite:///{by_sqlalchemy}")
    light = _writable(by_sqlite3)
    try:
        for batch in _batches():
            assert seqs(light.append(batch)) == seqs(reference.append(batch))
        assert seqs(light.append([report("c1")])) == [None]
    finally:
        reference.close()
        light.close()
    assert _rows(by_sqlite3) == _rows(by_sqlalchemy)
    assert len(_rows(by_sqlite3)) == 5


def test_what_a_queueing_client_appends_the_driver_reads(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    driver = open_journal(f"sqlite:///{path}")
    light = _writable(path)
    try:
        driver.append([request("r1")])

        def follow(row: Stored) -> list[Event]:  # a decision on the routed row, nothing after
            return [decision(row.seq)] if row.event.kind == "routed" else []

        stored = light.append([routed("r1")], follow=follow)
        assert seqs(stored) == [2, 3]
        assert [s.event.kind for s in driver.read()] == ["request", "routed", "decision"]
        follow_up = driver.append([commission("c1", 2)])[0]
        assert isinstance(follow_up, Stored)
        assert follow_up.seq == 4
        assert light.last_seq() == 4
    finally:
        driver.close()
        light.close()


def test_snapshots_are_kept_as_sqljournal_keeps_them(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    open_journal(f"sqlite:///{path}").close()
    light = _writable(path)
    try:
        light.append([request(f"r{i}") for i in range(5)])
        for seq in range(1, 6):
            light.save_snapshot(seq, f'{{"upto": {seq}}}', at=AT)
        assert light.snapshot_seqs() == [3, 4, 5]
        assert light.snapshot(upto=4) == (4, '{"upto": 4}')
    finally:
        light.close()
    reference = open_journal(f"sqlite:///{path}")
    try:
        assert reference.snapshot_seqs() == [3, 4, 5]
    finally:
        reference.close()


def test_a_read_only_file_refuses_to_append(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    open_journal(f"sqlite:///{path}").close()
    reader = open_file(f"sqlite:///{path}")
    assert reader is not None
    try:
        with pytest.raises(JournalError, match="cannot append to the journal"):
            reader.append([request("r1")])
    finally:
        reader.close()
    assert _rows(path) == []


def test_only_a_journal_file_in_todays_format_opens(tmp_path: Path) -> None:
    assert open_file(f"sqlite:///{tmp_path / 'missing.db'}", writable=True) is None
    assert open_file("sqlite:///:memory:", writable=True) is None
    assert open_file("postgresql+psycopg://user@127.0.0.1/db", writable=True) is None
    other = tmp_path / "other.db"
    sqlite3.connect(other).close()
    assert open_file(f"sqlite:///{other}", writable=True) is None


@pytest.mark.parametrize(
    ("url", "folder"),
    [
        ("sqlite:///j.db", Path(".")),
        ("sqlite:///data/j.db", Path("data")),
        ("sqlite:////var/lib/p/j.db", Path("/var/lib/p")),
        ("sqlite+pysqlite:///data/j.db", Path("data")),
        ("sqlite:///data/j.db?timeout=5", Path("data")),
        ("sqlite:///my%20data/j.db", Path("my data")),  # the file SQLite opens is decoded
        ("sqlite:///:memory:", None),
        ("sqlite://", None),
        ("postgresql://me@localhost/prefrontal", None),
    ],
)
def test_a_journal_url_names_one_folder_whichever_parser_reads_it(
    url: str, folder: Path | None
) -> None:
    """The plain form is read without SQLAlchemy; every other form by SQLAlchemy's parser."""
    assert journal_folder(url) == folder
    plain = sqlite_path(url)
    assert plain is None or plain.parent == folder
