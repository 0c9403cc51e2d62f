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

Synchronous = Literal["OFF", "NORMAL", "FULL"]
WAL_AUTOCHECKPOINT_PAGES = 1000
"""SQLite folds the WAL back into the database every this many pages (about 4 MB)."""


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

    @sa_event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA busy_timeout=10000")
        # A checkpoint every ~4 MB of WAL, and the WAL file cut back to that size after it:
        # on a small disk the WAL must not keep the space of its largest burst.
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cursor.execute(f"PRAGMA journal_size_limit={WAL_AUTOCHECKPOINT_PAGES * 4096}")
        cursor.close()

    @sa_event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        immediate = not memory and conn.info.get("immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
