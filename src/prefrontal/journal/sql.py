"""SqlJournal: the journal on SQLAlchemy 2 Core. SQLite (WAL) by default, PostgreSQL by URL.

Writes go through SQLAlchemy (and, for SQLite's hot path, its driver connection); every read
is ``JournalReader``'s plain SQL on the driver connection of a reader connection of its own.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool

from prefrontal.errors import JournalError, JournalFullError
from prefrontal.journal.base import Follow, Stored
from prefrontal.journal.engine import Synchronous, make_engine
from prefrontal.journal.format import FORMAT, Version
from prefrontal.journal.reader import JournalReader
from prefrontal.journal.schema import events, prepare, snapshots
from prefrontal.journal.space import is_disk_full, journal_folder
from prefrontal.journal.sqlite_file import (
    COLUMNS,
    SNAPSHOTS_KEPT,
    append_failed,
    followed,
    insert_all,
    row_of,
    snapshot_failed,
)
from prefrontal.seam.events import Event

__all__ = ["SqlJournal", "Synchronous", "events", "open_journal"]

_WRITER_LOCK = 0x50524546  # an arbitrary, fixed advisory-lock key for the journal's writers


class SqlJournal(JournalReader):
    """The journal on one database. Not thread-safe: one runtime owns it.

    SQLite runs in WAL mode; ``synchronous`` trades durability against speed (NORMAL: a
    crash of the process loses nothing, a power cut may lose the last commits; FULL: an
    fsync per commit). Writes take SQLite's write lock at BEGIN, so two processes sharing a
    file never interleave inside a transaction. Opening a journal of an older format
    migrates it (``schema.py``); rows are decoded through the upcasters of their format.
    """

    def __init__(self, url: str, *, synchronous: Synchronous = "NORMAL") -> None:
        self.url = url
        self._folder = journal_folder(url)
        self.engine = make_engine(url, synchronous)
        self._sqlite = self.engine.dialect.name == "sqlite"
        self._file = self._sqlite and not isinstance(self.engine.pool, StaticPool)
        try:
            self._conn = self.engine.connect()
        except SQLAlchemyError as error:
            self.engine.dispose()
            if is_disk_full(error, self._folder):
                raise JournalFullError(
                    f"the disk of the journal at {url!r} is full: it cannot even be opened "
                    "(SQLite needs room beside it for its -wal and -shm files). Free some "
                    "space there and run the command again; nothing stored was lost."
                ) from error
            raise JournalError(f"cannot open the journal at {url!r}: {error}") from error
        self._conn.info["immediate"] = True
        try:
            with self._conn.begin():
                if not self._sqlite:
                    self._conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_WRITER_LOCK})")
                history: tuple[Version, ...] = prepare(self._conn, url)
        except SQLAlchemyError as error:
            self._conn.close()
            self.engine.dispose()
            if is_disk_full(error, self._folder):
                raise JournalFullError(
                    f"the disk of the journal at {url!r} is full: it cannot be opened. Free "
                    "some space there and run the command again; nothing stored was lost."
                ) from error
            raise JournalError(f"cannot open the journal at {url!r}: {error}") from error
        except BaseException:
            self._conn.close()
            self.engine.dispose()
            raise
        shared = self._sqlite and isinstance(self.engine.pool, StaticPool)
        self._reader = self._conn if shared else self.engine.connect()
        dbapi = self.engine.dialect.loaded_dbapi
        raw = self._reader.connection.driver_connection
        assert raw is not None  # a connection just opened
        super().__init__(
            raw,
            url=url,
            history=history,
            paramstyle=dbapi.paramstyle,
            errors=dbapi.Error,
        )

    # -- writing ---------------------------------------------------------------------------

    def append(
        self, batch: Sequence[Event], *, follow: Follow | None = None
    ) -> list[Stored | None]:
        if not batch:
            return []
        try:
            if self._sqlite:
                return self._append_sqlite(batch, follow)
            return self._append_generic(batch, follow)
        except (SQLAlchemyError, sqlite3.Error) as error:
            raise append_failed(
                error, self.url, self._folder, then=": the driver retries and goes on."
            ) from error

    def _append_sqlite(self, batch: Sequence[Event], follow: Follow | None) -> list[Stored | None]:
        # The hot path: one transaction of plain INSERT OR IGNOREs on the driver connection.
        # Through SQLAlchemy's statement layer the same append cost about 4.5 times as much.
        raw: sqlite3.Connection = self._conn.connection.driver_connection  # type: ignore[assignment]
        return insert_all(raw, batch, follow, immediate=self._file)

    def _append_generic(self, batch: Sequence[Event], follow: Follow | None) -> list[Stored | None]:
        with self._conn.begin():
            # Writers take turns, as SQLite's BEGIN IMMEDIATE makes them: otherwise two could
            # insert the same key, or commit out of sequence order and a reader polling
            # "after the last seq seen" would skip the earlier one for good.
            self._conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_WRITER_LOCK})")
            return followed(self._insert_generic(batch), follow, self._insert_generic)

    def _insert_generic(self, batch: Sequence[Event]) -> list[Stored | None]:
        rows = [row_of(e) for e in batch]
        key = COLUMNS.index("key")
        present = self._present_keys([r[key] for r in rows if r[key]])
        fresh: list[int] = []
        seen: set[str] = set()
        for index, row in enumerate(rows):
            if row[key] is not None and (row[key] in present or row[key] in seen):
                continue
            if row[key] is not None:
                seen.add(row[key])
            fresh.append(index)
        stored: list[Stored | None] = [None] * len(rows)
        if fresh:
            result = self._conn.execute(
                events.insert().returning(events.c.seq, sort_by_parameter_order=True),
                [dict(zip(COLUMNS, rows[i], strict=True)) for i in fresh],
            )
            for index, (seq,) in zip(fresh, result.all(), strict=True):
                stored[index] = Stored(seq, batch[index])
        return stored

    def _present_keys(self, keys: list[str]) -> set[str]:
        if not keys:
            return set()
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            query = sa.select(events.c.key).where(events.c.key.in_(chunk))
            found.update(k for (k,) in self._conn.execute(query))
        return found

    def checkpoint(self) -> None:
        """Fold SQLite's WAL back into the database and cut it to nothing; best effort."""
        if self._file:
            raw: sqlite3.Connection = self._conn.connection.driver_connection  # type: ignore[assignment]
            with contextlib.suppress(sqlite3.Error):
                raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    # -- snapshots of folded state ---------------------------------------------------------

    def save_snapshot(self, seq: int, body: str, *, at: datetime) -> None:
        """Store a snapshot of the state folded up to ``seq`` (in today's format)."""
        try:
            with self._conn.begin():
                self._conn.execute(snapshots.delete().where(snapshots.c.seq == seq))
                self._conn.execute(
                    snapshots.insert().values(seq=seq, format=FORMAT, at=at.isoformat(), body=body)
                )
                kept = (
                    sa.select(snapshots.c.seq)
                    .order_by(snapshots.c.seq.desc())
                    .limit(SNAPSHOTS_KEPT)
                    .scalar_subquery()
                )
                self._conn.execute(snapshots.delete().where(snapshots.c.seq.not_in(kept)))
        except SQLAlchemyError as error:
            raise snapshot_failed(error, self.url, self._folder, seq) from error

    def verify(self) -> list[str]:
        """Check the journal's invariants; return the problems found (empty when sound)."""
        problems: list[str] = []
        with self.engine.connect() as conn:
            if self._sqlite:
                status = conn.exec_driver_sql("PRAGMA integrity_check").scalar_one()
                if status != "ok":
                    problems.append(f"SQLite integrity_check: {status}")
            orphans = conn.execute(
                sa.text(
                    "SELECT count(*) FROM events r WHERE r.kind = 'report' AND NOT EXISTS "
                    "(SELECT 1 FROM events c WHERE c.kind = 'commission' AND c.ref = r.ref)"
                )
            ).scalar_one()
            if orphans:
                problems.append(f"{orphans} reports without an issued commission")
            undecided_issue = conn.execute(
                sa.text(
                    "SELECT count(*) FROM events c WHERE c.kind = 'commission' AND NOT EXISTS "
                    "(SELECT 1 FROM events d WHERE d.kind = 'decision' AND d.cause = c.cause)"
                )
            ).scalar_one()
            if undecided_issue:
                problems.append(f"{undecided_issue} commissions issued without a decision")
        return problems

    def close(self) -> None:
        if self._reader is not self._conn:
            self._reader.close()
        self._conn.close()
        self.engine.dispose()


def open_journal(url: str, *, synchronous: Synchronous = "NORMAL") -> SqlJournal:
    """Open (and create if needed) the journal at ``url``; migrate it if it is older."""
    return SqlJournal(url, synchronous=synchronous)
