"""The journal's tables, its format version, and the numbered migrations between versions.

A journal records its format in ``prefrontal_format``: one row per version it was ever
written in, with the first ``seq`` written in that version. So every row's version is known
without a column per row, and ``upcast`` can lift an old row's body to today's records.

Versions:

1. the first journal: ``events`` only, no version table (journals written before 2026-12).
2. the version table, ``snapshots`` of folded state, and the indexes that let start-up,
   polling and the read commands use ranges of ``seq`` instead of whole-journal scans.

A migration is a numbered function run once, in its own transaction, in the style of
simonw/llm's ``migrations.py``; it only adds (tables, indexes, the version row): the rows of
``events`` are never rewritten. Apart from the numbered migrations, opening a journal drops
the indexes no query needs (``_DROPPED_INDEXES``) and makes partial those an older build
kept on every row (``_make_partial``): that changes what each append writes, not
what any read returns, so it is not a format change. A journal whose version is newer than
``FORMAT`` is refused with ``JournalFormatError``, as is a database that holds someone
else's tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from prefrontal.errors import JournalFormatError
from prefrontal.journal.format import FORMAT, Version, version_of

__all__ = [
    "FORMAT",
    "MIGRATIONS",
    "Version",
    "events",
    "metadata",
    "prepare",
    "snapshots",
    "version_of",
    "versions",
]


def _where(condition: str) -> dict[str, Any]:
    """A partial index's condition, on both databases. Each is implied by ``column = x``,
    which every query on the index has, so the planner still uses it; rows that can never
    match (a decision's NULL ref, a request's NULL domain) are not indexed at all, which
    spares a B-tree page per kind in a commit: about 12% of the WAL pages of a request."""
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


metadata = sa.MetaData()
events = sa.Table(
    "events",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("domain", sa.Text),
    sa.Column("ref", sa.Text),
    sa.Column("cause", sa.Integer),
    sa.Column("key", sa.Text, unique=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Index("events_kind_ref", "kind", "ref", **_where("ref IS NOT NULL")),
    sa.Index("events_cause", "cause", **_where("cause IS NOT NULL")),
)
versions = sa.Table(
    "prefrontal_format",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("since_seq", sa.Integer, nullable=False),
)
snapshots = sa.Table(
    "snapshots",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("format", sa.Integer, nullable=False),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
)
# Added by migration 2: ranges of seq within a kind, and within a domain's kind.
_RANGE_INDEXES = (
    sa.Index("events_kind_seq", events.c.kind, events.c.seq),
    sa.Index(
        "events_domain_kind_seq",
        events.c.domain,
        events.c.kind,
        events.c.seq,
        **_where("domain IS NOT NULL"),
    ),
)
_PARTIAL = {index.name: index for index in (*events.indexes, *_RANGE_INDEXES) if index.name}
"""Indexes that older journals have on every row, rebuilt partial on open."""
_EVENT_COLUMNS = {c.name for c in events.columns}
_DROPPED_INDEXES = ("events_domain_kind",)
"""Indexes older journals have that no query needs: ``events_domain_kind`` (domain, kind) is
a prefix of ``events_domain_kind_seq``, which serves every query it served. Each index is
one more B-tree page written per kind in every commit (about a seventh of a request's
commit cost), so opening a journal drops them. Rows and reads are unchanged, so this is not
a format change: a build that still creates the index opens the journal as before."""


def _m002_versions_snapshots_indexes(conn: Connection) -> None:
    versions.create(conn, checkfirst=True)
    snapshots.create(conn, checkfirst=True)
    for index in _RANGE_INDEXES:
        index.create(conn, checkfirst=True)
    if conn.execute(sa.select(sa.func.count()).select_from(versions)).scalar_one() == 0:
        # Rows written before the version table existed are version 1.
        conn.execute(versions.insert().values(version=1, since_seq=1))


Migration = Callable[[Connection], None]
MIGRATIONS: dict[int, Migration] = {2: _m002_versions_snapshots_indexes}
"""``MIGRATIONS[n]`` takes a journal from format ``n - 1`` to format ``n``."""


def prepare(conn: Connection, url: str) -> tuple[Version, ...]:
    """Create or migrate the journal's tables; return its version history, oldest first.

    Runs inside the caller's write transaction, so two processes opening one old journal
    at once migrate it once.
    """
    tables = set(sa.inspect(conn).get_table_names())
    if not tables:
        metadata.create_all(conn)
        for index in _RANGE_INDEXES:
            index.create(conn, checkfirst=True)
        conn.execute(versions.insert().values(version=FORMAT, since_seq=1))
        return (Version(FORMAT, 1),)
    _check_ours(conn, url, tables)
    history = _history(conn) if versions.name in tables else (Version(1, 1),)
    newest = history[-1].version
    if newest > FORMAT:
        raise JournalFormatError(
            f"the journal at {url!r} is in format {newest}, written by a newer Prefrontal; "
            f"this one reads formats 1 to {FORMAT}. Upgrade Prefrontal to open it "
            "(pip install -U prefrontal)."
        )
    for target in range(newest + 1, FORMAT + 1):
        MIGRATIONS[target](conn)
    for name in _DROPPED_INDEXES:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    _make_partial(conn)
    if newest < FORMAT:
        top = conn.execute(sa.select(sa.func.coalesce(sa.func.max(events.c.seq), 0)))
        conn.execute(versions.insert().values(version=FORMAT, since_seq=top.scalar_one() + 1))
        history = _history(conn)
    return history


_INDEX_SQL = {
    "sqlite": "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'",
    "postgresql": "SELECT indexname, indexdef FROM pg_indexes "
    "WHERE tablename = 'events' AND schemaname = current_schema()",
}
"""Each database's catalogue of the ``events`` table's indexes and their definitions."""


def _make_partial(conn: Connection) -> None:
    """Rebuild as partial the indexes an older build made on every row (once: a journal of
    a million rows takes seconds). Rows and reads are unchanged, and an older build reads
    through the partial indexes as well, so this is not a format change."""
    dialect = conn.dialect.name
    if dialect not in _INDEX_SQL:
        return
    for name, sql in conn.exec_driver_sql(_INDEX_SQL[dialect]).all():
        index = _PARTIAL.get(name)
        partial = index is not None and index.dialect_options[dialect]["where"] is not None
        if index is not None and partial and sql is not None and " WHERE " not in sql.upper():
            conn.exec_driver_sql(f"DROP INDEX {name}")
            index.create(conn)


def _history(conn: Connection) -> tuple[Version, ...]:
    rows = conn.execute(sa.select(versions.c.version, versions.c.since_seq).order_by("version"))
    return tuple(Version(int(v), int(s)) for v, s in rows)


def _check_ours(conn: Connection, url: str, tables: set[str]) -> None:
    columns = (
        {c["name"] for c in sa.inspect(conn).get_columns(events.name)}
        if events.name in tables
        else set()
    )
    if columns != _EVENT_COLUMNS:
        found = sorted(tables)[:8]
        raise JournalFormatError(
            f"the database at {url!r} is not a Prefrontal journal: it holds the tables "
            f"{found} (an 'events' table needs the columns {sorted(_EVENT_COLUMNS)}). "
            "Point [journal] url at a new file or an empty database."
        )
