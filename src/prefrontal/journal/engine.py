"""The database engine under the journal: SQLite in WAL mode with its pragmas, or any URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from prefrontal.errors import ConfigError
from prefrontal.journal.space import free_bytes, journal_folder

Synchronous = Literal["OFF", "NORMAL", "FULL"]
WAL_AUTOCHECKPOINT_PAGES = 8192
"""SQLite folds the WAL back into the database every this many pages (32 MiB)...

A request's commit writes about 22 WAL pages (the row's table page and a leaf of each index,
one per kind), so SQLite's default of 1000 pages checkpointed every ~45 commits, each time
copying the hot pages back and syncing the database: 230-400 µs per commit on the one at a
time flow against 160-180 µs with 16,000 pages or none (the peers.py flow, 3,000 requests,
runs alternated)."""
WAL_MIN_PAGES = 16
WAL_SHARE_OF_FREE = 8
"""...or sooner on a disk with little room: the WAL may take an eighth of what is free.

On a full disk a checkpoint cannot help (the database must grow to take the WAL's pages),
so it has to come before: a 2 MiB disk was once filled by the WAL of a 4 KiB database."""
_PAGE_BYTES = 4096


def wal_pages(folder: Path) -> int:
    """WAL pages between checkpoints for a journal in ``folder``, from its free space."""
    free = free_bytes(folder)
    if free is None:
        return WAL_AUTOCHECKPOINT_PAGES
    fits = free // (WAL_SHARE_OF_FREE * _PAGE_BYTES)
    return max(WAL_MIN_PAGES, min(WAL_AUTOCHECKPOINT_PAGES, fits))


def make_engine(url: str, synchronous: Synchronous) -> Engine:
    """An engine for ``url``; a SQLite file is put in WAL mode with ``synchronous``."""
    try:
        parsed = sa.make_url(url)
    except ArgumentError as error:
        raise ConfigError(
            f"[journal] url = {url!r} is not a database URL. "
            "Use 'sqlite:///prefrontal.db' or 'postgresql+psycopg://user@host/db'."
        ) from error
    if parsed.get_backend_name() != "sqlite":
        try:
            return sa.create_engine(url)
        except ImportError as error:
            raise ConfigError(
                f"[journal] url = {url!r} needs a database driver that is not installed "
                f"({error}). For PostgreSQL: pip install 'prefrontal[postgres]'."
            ) from None
    memory = parsed.database in (None, "", ":memory:")
    if not memory and parsed.database and not Path(parsed.database).parent.is_dir():
        # Only the journal's own file is created, never the folders a typo would make.
        raise ConfigError(
            f"[journal] url = {url!r}: folder {str(Path(parsed.database).parent)!r} does not "
            "exist; create it, or fix the path."
        )
    engine = sa.create_engine(
        url, poolclass=StaticPool if memory else None, connect_args={"check_same_thread": False}
    )
    folder = None if memory else journal_folder(url)

    @sa_event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA busy_timeout=10000")
        # A checkpoint every 32 MiB of WAL (less on a small disk), and the WAL file cut back
        # to that size after it: the WAL must not keep the space of its largest burst.
        pages = wal_pages(folder) if folder is not None else WAL_AUTOCHECKPOINT_PAGES
        cursor.execute(f"PRAGMA wal_autocheckpoint={pages}")
        cursor.execute(f"PRAGMA journal_size_limit={pages * _PAGE_BYTES}")
        cursor.close()

    @sa_event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        immediate = not memory and conn.info.get("immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
