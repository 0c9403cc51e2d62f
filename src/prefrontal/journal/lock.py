"""The driver lock: one process drives a journal at a time; others only append.

A process that drives a journal (routes, decides, executes) holds its lock for its whole
life. On a SQLite file the lock is an ``flock`` on ``<file>.lock`` beside it; on PostgreSQL
it is a session-level advisory lock held on a connection of its own, so it is released when
the process ends, however it ends (the server drops a dead client's session and its locks).
An in-memory journal belongs to one process and needs no lock.
"""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from prefrontal.errors import JournalError
from prefrontal.journal.base import Journal

if TYPE_CHECKING:
    import sqlalchemy as sa

# SQLAlchemy loads only for a journal that needs it: a client that queues on a SQLite file
# checks the lock with nothing but ``fcntl``.

# An arbitrary, fixed key, distinct from the writers' transaction lock in ``sql.py``.
DRIVER_LOCK_KEY = 0x50524644  # "PRFD"


class DriverLock(Protocol):
    """Held by the one process that drives a journal."""

    @property
    def where(self) -> str:
        """Where the lock lives, for messages."""
        ...

    def acquire(self) -> bool:
        """Take the lock if it is free; ``False`` if another process holds it."""
        ...

    def release(self) -> None: ...


class FileLock:
    """An ``flock`` on a file beside a SQLite journal."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    @property
    def where(self) -> str:
        return str(self.path)

    def acquire(self) -> bool:
        self._file = open(self.path, "a")  # noqa: SIM115 - held for the driver's life
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            self._file = None
            return False
        return True

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class AdvisoryLock:
    """A PostgreSQL session-level advisory lock on a connection held for the driver's life."""

    def __init__(self, engine: sa.Engine, *, key: int = DRIVER_LOCK_KEY) -> None:
        self.engine = engine
        self.key = key
        self._conn: sa.Connection | None = None

    @property
    def where(self) -> str:
        return f"PostgreSQL advisory lock {self.key} on database {self.engine.url.database!r}"

    def acquire(self) -> bool:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            conn = self.engine.connect()
            taken = conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({self.key})").scalar()
            conn.commit()  # end the implicit transaction; the session lock stays held
        except SQLAlchemyError as error:
            raise JournalError(
                f"cannot take the driver lock on {self.engine.url.render_as_string()!r}: {error}"
            ) from error
        if not taken:
            conn.close()
            return False
        self._conn = conn
        return True

    def release(self) -> None:
        from sqlalchemy.exc import SQLAlchemyError

        if self._conn is None:
            return
        try:
            self._conn.exec_driver_sql(f"SELECT pg_advisory_unlock({self.key})")
            self._conn.commit()
        except SQLAlchemyError:
            pass  # a lost connection has already dropped its session and the lock with it
        finally:
            self._conn.close()
            self._conn = None


class NoLock:
    """For a journal only this process can reach (in memory)."""

    where = "no lock (a journal private to this process)"

    def acquire(self) -> bool:
        return True

    def release(self) -> None:
        pass


def driver_lock(journal: Journal) -> DriverLock:
    """The lock that keeps a second process from driving ``journal``."""
    from prefrontal.journal.reader import JournalReader
    from prefrontal.journal.space import sqlite_path

    # Every SqliteFile's URL is plain, and most SqlJournals' on SQLite: one reading of it.
    path = sqlite_path(journal.url) if isinstance(journal, JournalReader) else None
    if path is not None:
        return FileLock(Path(f"{path}.lock"))
    import sqlalchemy as sa

    from prefrontal.journal.sql import SqlJournal

    if isinstance(journal, SqlJournal):
        url = sa.make_url(journal.url)
        if url.get_backend_name() == "sqlite":
            if url.database not in (None, "", ":memory:"):
                return FileLock(Path(f"{url.database}.lock"))
        elif url.get_backend_name() == "postgresql":
            return AdvisoryLock(journal.engine)
    return NoLock()
