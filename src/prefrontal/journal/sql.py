"""SqlJournal: the journal on SQLAlchemy 2 Core. SQLite (WAL) by default, PostgreSQL by URL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from prefrontal.errors import ConfigError, JournalError
from prefrontal.journal.base import Stored, event_key, event_ref
from prefrontal.seam.codec import decode_event, encode_event
from prefrontal.seam.events import INBOUND_KINDS, Event, TimerSet

Synchronous = Literal["OFF", "NORMAL", "FULL"]

_metadata = sa.MetaData()
events = sa.Table(
    "events",
    _metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("domain", sa.Text),
    sa.Column("ref", sa.Text),
    sa.Column("cause", sa.Integer),
    sa.Column("key", sa.Text, unique=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Index("events_domain_kind", "domain", "kind"),
    sa.Index("events_kind_ref", "kind", "ref"),
    sa.Index("events_cause", "cause"),
)


_WRITER_LOCK = 0x50524546  # an arbitrary, fixed advisory-lock key for the journal's writers
_COLUMNS = ("at", "kind", "domain", "ref", "cause", "key", "body")
_INSERT_OR_IGNORE = "INSERT OR IGNORE INTO events ({}) VALUES ({})".format(
    ", ".join(_COLUMNS), ", ".join("?" * len(_COLUMNS))
)


def _row(event: Event) -> dict[str, Any]:
    at: datetime = event.at
    return {
        "at": at.isoformat(),
        "kind": event.kind,
        "domain": getattr(event, "domain", None),
        "ref": event_ref(event),
        "cause": getattr(event, "cause_seq", None),
        "key": event_key(event),
        "body": encode_event(event),
    }


class SqlJournal:
    """The journal on one database. Not thread-safe: one runtime owns it.

    SQLite runs in WAL mode; ``synchronous`` trades durability against speed (NORMAL: a
    crash of the process loses nothing, a power cut may lose the last commits; FULL: an
    fsync per commit). Writes take SQLite's write lock at BEGIN, so two processes sharing a
    file never interleave inside a transaction.
    """

    def __init__(self, url: str, *, synchronous: Synchronous = "NORMAL") -> None:
        self.url = url
        self.engine = _make_engine(url, synchronous)
        try:
            _metadata.create_all(self.engine)
        except SQLAlchemyError as error:
            raise JournalError(f"cannot open the journal at {url!r}: {error}") from error
        self._sqlite = self.engine.dialect.name == "sqlite"
        self._file = self._sqlite and not isinstance(self.engine.pool, StaticPool)
        self._conn = self.engine.connect()
        self._conn.info["immediate"] = True
        shared = self._sqlite and isinstance(self.engine.pool, StaticPool)
        self._reader = self._conn if shared else self.engine.connect()

    # -- writing ---------------------------------------------------------------------------

    def append(self, batch: Sequence[Event]) -> list[Stored | None]:
        if not batch:
            return []
        rows = [_row(e) for e in batch]
        try:
            seqs = self._append_sqlite(rows) if self._sqlite else self._append_generic(rows)
        except (SQLAlchemyError, sqlite3.Error) as error:
            raise JournalError(f"cannot append to the journal at {self.url!r}: {error}") from error
        return [None if seq is None else Stored(seq, e) for seq, e in zip(seqs, batch, strict=True)]

    def _append_sqlite(self, rows: list[dict[str, Any]]) -> list[int | None]:
        # The hot path: one transaction of plain INSERT OR IGNOREs on the driver connection.
        # Through SQLAlchemy's statement layer the same append cost about 4.5 times as much.
        raw: sqlite3.Connection = self._conn.connection.driver_connection  # type: ignore[assignment]
        cursor = raw.cursor()
        cursor.execute("BEGIN IMMEDIATE" if self._file else "BEGIN")
        try:
            seqs: list[int | None] = []
            for row in rows:
                cursor.execute(_INSERT_OR_IGNORE, tuple(row[c] for c in _COLUMNS))
                seqs.append(cursor.lastrowid if cursor.rowcount == 1 else None)
            cursor.execute("COMMIT")
        except BaseException:
            if raw.in_transaction:
                cursor.execute("ROLLBACK")
            raise
        finally:
            cursor.close()
        return seqs

    def _append_generic(self, rows: list[dict[str, Any]]) -> list[int | None]:
        with self._conn.begin():
            # Writers take turns, as SQLite's BEGIN IMMEDIATE makes them: otherwise two could
            # insert the same key, or commit out of sequence order and a reader polling
            # "after the last seq seen" would skip the earlier one for good.
            self._conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_WRITER_LOCK})")
            present = self._present_keys([r["key"] for r in rows if r["key"]])
            fresh: list[int] = []
            seen: set[str] = set()
            for index, row in enumerate(rows):
                key = row["key"]
                if key is not None and (key in present or key in seen):
                    continue
                if key is not None:
                    seen.add(key)
                fresh.append(index)
            seqs: list[int | None] = [None] * len(rows)
            if fresh:
                result = self._conn.execute(
                    events.insert().returning(events.c.seq, sort_by_parameter_order=True),
                    [rows[i] for i in fresh],
                )
                for index, (seq,) in zip(fresh, result.all(), strict=True):
                    seqs[index] = seq
        return seqs

    def _present_keys(self, keys: list[str]) -> set[str]:
        if not keys:
            return set()
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            query = sa.select(events.c.key).where(events.c.key.in_(chunk))
            found.update(k for (k,) in self._conn.execute(query))
        return found

    # -- reading ---------------------------------------------------------------------------

    def _rows(self, query: sa.Executable) -> list[Any]:
        """Run a read on the reader connection, ending its snapshot; errors become ours."""
        try:
            rows: list[Any] = list(self._reader.execute(query).all())
            self._reader.rollback()
        except SQLAlchemyError as error:
            raise JournalError(f"cannot read the journal at {self.url!r}: {error}") from error
        return rows

    def _select(self, query: sa.Select[Any, Any]) -> list[Stored]:
        return [Stored(row[0], decode_event(row[1])) for row in self._rows(query)]

    def read(
        self,
        *,
        after: int = 0,
        kinds: Iterable[str] | None = None,
        domain: str | None = None,
        limit: int | None = None,
    ) -> list[Stored]:
        query = sa.select(events.c.seq, events.c.body).where(events.c.seq > after)
        if kinds is not None:
            query = query.where(events.c.kind.in_(list(kinds)))
        if domain is not None:
            query = query.where(events.c.domain == domain)
        query = query.order_by(events.c.seq)
        if limit is not None:
            query = query.limit(limit)
        return self._select(query)

    def pending(self, domain: str) -> list[Stored]:
        decisions = events.alias("d")
        answered = (
            sa.select(decisions.c.seq)
            .where(decisions.c.kind == "decision", decisions.c.cause == events.c.seq)
            .exists()
        )
        query = (
            sa.select(events.c.seq, events.c.body)
            .where(events.c.domain == domain, events.c.kind.in_(INBOUND_KINDS), ~answered)
            .order_by(events.c.seq)
        )
        return self._select(query)

    def _without(self, kind: str, *others: str) -> sa.Select[Any, Any]:
        other = events.alias("o")
        sibling = (
            sa.select(other.c.seq)
            .where(other.c.kind.in_(others), other.c.ref == events.c.ref)
            .exists()
        )
        return (
            sa.select(events.c.seq, events.c.body)
            .where(events.c.kind == kind, ~sibling)
            .order_by(events.c.seq)
        )

    def open_commissions(self) -> list[Stored]:
        return self._select(self._without("commission", "report"))

    def unrouted(self) -> list[Stored]:
        return self._select(self._without("request", "routed", "inbox"))

    def due_timers(self, now: datetime) -> list[Stored]:
        return [
            s
            for s in self._select(self._without("timer_set", "timer"))
            if isinstance(s.event, TimerSet) and s.event.due_at <= now
        ]

    def next_timer(self) -> datetime | None:
        due = [
            s.event.due_at
            for s in self._select(self._without("timer_set", "timer"))
            if isinstance(s.event, TimerSet)
        ]
        return min(due, default=None)

    def find(self, ref: str, kind: str) -> Stored | None:
        query = (
            sa.select(events.c.seq, events.c.body)
            .where(events.c.kind == kind, events.c.ref == ref)
            .order_by(events.c.seq)
            .limit(1)
        )
        found = self._select(query)
        return found[0] if found else None

    def last_seq(self) -> int:
        query = sa.select(sa.func.coalesce(sa.func.max(events.c.seq), 0))
        return int(self._rows(query)[0][0])

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


def _make_engine(url: str, synchronous: Synchronous) -> Engine:
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
        cursor.close()

    @sa_event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        immediate = not memory and conn.info.get("immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def open_journal(url: str, *, synchronous: Synchronous = "NORMAL") -> SqlJournal:
    """Open (and create if needed) the journal at ``url``."""
    return SqlJournal(url, synchronous=synchronous)
