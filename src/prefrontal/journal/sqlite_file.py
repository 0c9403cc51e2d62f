"""A SQLite journal file in today's format, opened with the stdlib's ``sqlite3`` alone.

The journal's SQLite append is plain ``INSERT OR IGNORE``s in one transaction on a DB-API
connection: ``insert_all`` is that append, used by ``SqlJournal`` on its driver connection
and by ``SqliteFile``. ``SqliteFile`` serves the processes that never drive the journal:
commands that only read (``mode=ro``), and clients that queue a request or an answer for the
process that drives it, so neither loads SQLAlchemy. A file that does not exist yet, or that
an older Prefrontal wrote, is not opened here (``open_file`` gives ``None``): ``SqlJournal``
creates, migrates or refuses it with the same messages as every other command.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from prefrontal.errors import JournalError, JournalFullError
from prefrontal.journal.base import Follow, Stored, event_key, event_ref
from prefrontal.journal.format import FORMAT, Version
from prefrontal.journal.reader import JournalReader
from prefrontal.journal.space import is_disk_full, sqlite_path
from prefrontal.seam.codec import encode_event
from prefrontal.seam.events import Event

if TYPE_CHECKING:
    from prefrontal.journal.engine import Synchronous

__all__ = [
    "COLUMNS",
    "SNAPSHOTS_KEPT",
    "SqliteFile",
    "append_failed",
    "followed",
    "insert_all",
    "open_file",
    "row_of",
    "snapshot_failed",
]

SNAPSHOTS_KEPT = 3
COLUMNS = ("at", "kind", "domain", "ref", "cause", "key", "body")
_INSERT_OR_IGNORE = "INSERT OR IGNORE INTO events ({}) VALUES ({})".format(
    ", ".join(COLUMNS), ", ".join("?" * len(COLUMNS))
)


_HAS: dict[type, tuple[bool, bool]] = {}
"""Per event class, whether it has a ``domain`` and a ``cause_seq``: asking a pydantic model
for a field it lacks (``getattr`` with a default) costs about 2 µs, a row about 10."""


def row_of(event: Event) -> tuple[Any, ...]:
    """The row that stores ``event``, in the order of the events table's columns."""
    at: datetime = event.at
    ref = event_ref(event)
    has = _HAS.get(type(event))
    if has is None:
        fields = type(event).model_fields
        has = _HAS[type(event)] = ("domain" in fields, "cause_seq" in fields)
    return (
        at.isoformat(),
        event.kind,
        event.domain if has[0] else None,  # type: ignore[union-attr]
        ref,
        event.cause_seq if has[1] else None,  # type: ignore[union-attr]
        event_key(event, ref),
        encode_event(event),
    )


def followed(
    stored: list[Stored | None],
    follow: Follow | None,
    insert: Callable[[Sequence[Event]], list[Stored | None]],
) -> list[Stored | None]:
    """``stored`` and, inserted after it chunk by chunk, every row that follows from it."""
    chunk = stored
    while follow is not None and chunk:
        more = [event for row in chunk if row is not None for event in follow(row)]
        chunk = insert(more) if more else []
        stored.extend(chunk)
    return stored


def insert_all(
    raw: sqlite3.Connection, batch: Sequence[Event], follow: Follow | None, *, immediate: bool
) -> list[Stored | None]:
    """Append ``batch`` (and what follows from it) in one transaction on ``raw``.

    A row whose key is already stored is skipped (``None`` in its place): that is what makes
    a retried write idempotent. ``immediate`` takes SQLite's write lock at BEGIN, so two
    processes sharing a file never interleave inside a transaction.
    """
    cursor = raw.cursor()

    def insert(events: Sequence[Event]) -> list[Stored | None]:
        stored: list[Stored | None] = []
        for event in events:
            cursor.execute(_INSERT_OR_IGNORE, row_of(event))
            seq = cursor.lastrowid if cursor.rowcount == 1 else None
            stored.append(None if seq is None else Stored(seq, event))
        return stored

    cursor.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        stored = followed(insert(batch), follow, insert)
        cursor.execute("COMMIT")
    except BaseException:
        if raw.in_transaction:
            cursor.execute("ROLLBACK")
        raise
    finally:
        cursor.close()
    return stored


def append_failed(error: Exception, url: str, folder: Path | None, *, then: str) -> JournalError:
    """The error for an append to ``url`` that failed: a full disk says so, and ``then``
    ends its fix (who tries again); anything else names the database's own error."""
    if is_disk_full(error, folder):
        return JournalFullError(
            f"the disk of the journal at {url!r} is full; nothing of this write was stored. "
            f"Free some space{then}"
        )
    return JournalError(f"cannot append to the journal at {url!r}: {error}")


def snapshot_failed(error: Exception, url: str, folder: Path | None, seq: int) -> JournalError:
    """The error for a snapshot at ``seq`` that was not stored: a full disk says so."""
    if is_disk_full(error, folder):
        return JournalFullError(
            f"the disk of the journal at {url!r} is full; the snapshot at "
            f"#{seq} was not stored (start-up folds from an older one)."
        )
    return JournalError(f"cannot store a snapshot in {url!r}: {error}")


class SqliteFile(JournalReader):
    """A journal file opened by this process with ``sqlite3``; ``close`` closes it.

    Read-only, it is a reader. Writable, it appends exactly as ``SqlJournal`` does on SQLite
    (the same rows, keys and transaction), for a process that queues work for the driver.
    """

    def __init__(
        self, connection: sqlite3.Connection, *, url: str, path: Path, history: tuple[Version, ...]
    ) -> None:
        super().__init__(
            connection, url=url, history=history, paramstyle="qmark", errors=sqlite3.Error
        )
        self._file = connection
        self._path = path

    def append(
        self, batch: Sequence[Event], *, follow: Follow | None = None
    ) -> list[Stored | None]:
        if not batch:
            return []
        try:
            return insert_all(self._file, batch, follow, immediate=True)
        except sqlite3.Error as error:
            raise append_failed(
                error, self.url, self._path.parent, then=" and run the command again."
            ) from error

    def checkpoint(self) -> None:
        """Fold SQLite's WAL back into the database and cut it to nothing; best effort."""
        with contextlib.suppress(sqlite3.Error):
            self._file.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def save_snapshot(self, seq: int, body: str, *, at: datetime) -> None:
        """Store a snapshot of the state folded up to ``seq``, keeping the newest few."""
        try:
            with self._file:
                self._file.execute("BEGIN IMMEDIATE")
                self._file.execute("DELETE FROM snapshots WHERE seq = ?", (seq,))
                self._file.execute(
                    "INSERT INTO snapshots (seq, format, at, body) VALUES (?, ?, ?, ?)",
                    (seq, FORMAT, at.isoformat(), body),
                )
                self._file.execute(
                    "DELETE FROM snapshots WHERE seq NOT IN "
                    "(SELECT seq FROM snapshots ORDER BY seq DESC LIMIT ?)",
                    (SNAPSHOTS_KEPT,),
                )
        except sqlite3.Error as error:
            raise snapshot_failed(error, self.url, self._path.parent, seq) from error

    def close(self) -> None:
        self._file.close()


def open_file(
    url: str, *, writable: bool = False, synchronous: Synchronous = "NORMAL"
) -> SqliteFile | None:
    """The SQLite file of ``url``, if it is a journal in today's format; else ``None``."""
    path = sqlite_path(url)
    if path is None or not path.is_file():
        return None
    mode = "rw" if writable else "ro"
    uri = f"file:{quote(str(path.resolve()))}?mode={mode}"
    connection = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    try:
        connection.execute("PRAGMA busy_timeout=10000")
        if writable:
            connection.execute(f"PRAGMA synchronous={synchronous}")
        rows = connection.execute(
            "SELECT version, since_seq FROM prefrontal_format ORDER BY version"
        ).fetchall()
    except sqlite3.Error:
        connection.close()
        return None
    history = tuple(Version(int(v), int(s)) for v, s in rows)
    if not history or history[-1].version != FORMAT:
        connection.close()
        return None
    return SqliteFile(connection, url=url, path=path, history=history)
