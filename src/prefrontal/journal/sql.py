"""SqlJournal: the journal on SQLAlchemy 2 Core. SQLite (WAL) by default, PostgreSQL by URL."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool

from prefrontal.errors import JournalError, JournalFullError, RecordError
from prefrontal.journal.base import Follow, Stored, event_key, event_ref
from prefrontal.journal.engine import Synchronous, make_engine
from prefrontal.journal.schema import FORMAT, Version, events, prepare, snapshots, version_of
from prefrontal.journal.space import is_disk_full, journal_folder
from prefrontal.journal.upcast import upcast
from prefrontal.seam.codec import encode_event
from prefrontal.seam.events import INBOUND_KINDS, Event, TimerSet

__all__ = ["SqlJournal", "Synchronous", "events", "open_journal"]

_EVENT: TypeAdapter[Event] = TypeAdapter(Event)
_SNAPSHOTS_KEPT = 3
_WRITER_LOCK = 0x50524546  # an arbitrary, fixed advisory-lock key for the journal's writers
_COLUMNS = ("at", "kind", "domain", "ref", "cause", "key", "body")
_INSERT_OR_IGNORE = "INSERT OR IGNORE INTO events ({}) VALUES ({})".format(
    ", ".join(_COLUMNS), ", ".join("?" * len(_COLUMNS))
)


def _row(event: Event) -> tuple[Any, ...]:
    at: datetime = event.at
    return (
        at.isoformat(),
        event.kind,
        getattr(event, "domain", None),
        event_ref(event),
        getattr(event, "cause_seq", None),
        event_key(event),
        encode_event(event),
    )


def _why(error: ValidationError | ValueError) -> str:
    if not isinstance(error, ValidationError):
        return repr(str(error)[:200])
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"][1:])  # [0] is the union member
    return f"{first['msg'][:200]!r}" + (f" at {where!r}" if where else "")


class SqlJournal:
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
                self.history: tuple[Version, ...] = prepare(self._conn, url)
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
        self._current_since = self.history[-1].since_seq
        shared = self._sqlite and isinstance(self.engine.pool, StaticPool)
        self._reader = self._conn if shared else self.engine.connect()

    @property
    def format(self) -> int:
        """The journal's format version (after any migration on open)."""
        return self.history[-1].version

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
            if is_disk_full(error, self._folder):
                raise JournalFullError(
                    f"the disk of the journal at {self.url!r} is full; nothing of this write "
                    "was stored. Free some space: the driver retries and goes on."
                ) from error
            raise JournalError(f"cannot append to the journal at {self.url!r}: {error}") from error

    @staticmethod
    def _followed(
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

    def _append_sqlite(self, batch: Sequence[Event], follow: Follow | None) -> list[Stored | None]:
        # The hot path: one transaction of plain INSERT OR IGNOREs on the driver connection.
        # Through SQLAlchemy's statement layer the same append cost about 4.5 times as much.
        raw: sqlite3.Connection = self._conn.connection.driver_connection  # type: ignore[assignment]
        cursor = raw.cursor()

        def insert(events: Sequence[Event]) -> list[Stored | None]:
            stored: list[Stored | None] = []
            for event in events:
                cursor.execute(_INSERT_OR_IGNORE, _row(event))
                seq = cursor.lastrowid if cursor.rowcount == 1 else None
                stored.append(None if seq is None else Stored(seq, event))
            return stored

        cursor.execute("BEGIN IMMEDIATE" if self._file else "BEGIN")
        try:
            stored = self._followed(insert(batch), follow, insert)
            cursor.execute("COMMIT")
        except BaseException:
            if raw.in_transaction:
                cursor.execute("ROLLBACK")
            raise
        finally:
            cursor.close()
        return stored

    def _append_generic(self, batch: Sequence[Event], follow: Follow | None) -> list[Stored | None]:
        with self._conn.begin():
            # Writers take turns, as SQLite's BEGIN IMMEDIATE makes them: otherwise two could
            # insert the same key, or commit out of sequence order and a reader polling
            # "after the last seq seen" would skip the earlier one for good.
            self._conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_WRITER_LOCK})")
            return self._followed(self._insert_generic(batch), follow, self._insert_generic)

    def _insert_generic(self, batch: Sequence[Event]) -> list[Stored | None]:
        rows = [_row(e) for e in batch]
        key = _COLUMNS.index("key")
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
                [dict(zip(_COLUMNS, rows[i], strict=True)) for i in fresh],
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
                    .limit(_SNAPSHOTS_KEPT)
                    .scalar_subquery()
                )
                self._conn.execute(snapshots.delete().where(snapshots.c.seq.not_in(kept)))
        except SQLAlchemyError as error:
            if is_disk_full(error, self._folder):
                raise JournalFullError(
                    f"the disk of the journal at {self.url!r} is full; the snapshot at "
                    f"#{seq} was not stored (start-up folds from an older one)."
                ) from error
            raise JournalError(f"cannot store a snapshot in {self.url!r}: {error}") from error

    def snapshot(self, *, upto: int | None = None) -> tuple[int, str] | None:
        """The newest snapshot in today's format (at or before ``upto``): (seq, body)."""
        query = sa.select(snapshots.c.seq, snapshots.c.body).where(snapshots.c.format == FORMAT)
        if upto is not None:
            query = query.where(snapshots.c.seq <= upto)
        rows = self._rows(query.order_by(snapshots.c.seq.desc()).limit(1))
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    def snapshot_seqs(self) -> list[int]:
        query = sa.select(snapshots.c.seq).where(snapshots.c.format == FORMAT)
        return [int(seq) for (seq,) in self._rows(query.order_by(snapshots.c.seq))]

    # -- reading ---------------------------------------------------------------------------

    def _rows(self, query: sa.Executable) -> list[Any]:
        """Run a read on the reader connection, ending its snapshot; errors become ours."""
        try:
            rows: list[Any] = list(self._reader.execute(query).all())
            self._reader.rollback()
        except SQLAlchemyError as error:
            raise JournalError(f"cannot read the journal at {self.url!r}: {error}") from error
        return rows

    def _decode(self, seq: int, body: str) -> Event:
        if seq >= self._current_since:
            return _EVENT.validate_json(body)
        data = upcast(json.loads(body), version_of(self.history, seq), FORMAT)
        return _EVENT.validate_python(data)

    def decode(self, seq: int, body: str) -> Event:
        """The event stored as row ``seq``, lifted to today's records if it is older."""
        try:
            return self._decode(seq, body)
        except (ValidationError, ValueError) as error:
            raise RecordError(
                f"journal row #{seq} cannot be read: {_why(error)} (written in format "
                f"{version_of(self.history, seq)}; this Prefrontal reads up to {FORMAT}). "
                "'prefrontal replay' lists every unreadable row; restore the journal from a "
                "backup, or delete that row if it is the last and was never acted on."
            ) from error

    def _select(self, query: sa.Select[Any, Any]) -> list[Stored]:
        return [Stored(row[0], self.decode(row[0], row[1])) for row in self._rows(query)]

    def read(
        self,
        *,
        after: int = 0,
        kinds: Iterable[str] | None = None,
        domain: str | None = None,
        limit: int | None = None,
        upto: int | None = None,
    ) -> list[Stored]:
        query = sa.select(events.c.seq, events.c.body).where(events.c.seq > after)
        if upto is not None:
            query = query.where(events.c.seq <= upto)
        if kinds is not None:
            query = query.where(events.c.kind.in_(list(kinds)))
        if domain is not None:
            query = query.where(events.c.domain == domain)
        query = query.order_by(events.c.seq)
        if limit is not None:
            query = query.limit(limit)
        return self._select(query)

    def last(
        self, count: int, *, kinds: Iterable[str] | None = None, domain: str | None = None
    ) -> list[Stored]:
        """The last ``count`` events (of ``kinds``, of ``domain``), oldest first."""
        query = sa.select(events.c.seq, events.c.body)
        if kinds is not None:
            query = query.where(events.c.kind.in_(list(kinds)))
        if domain is not None:
            query = query.where(events.c.domain == domain)
        return self._select(query.order_by(events.c.seq.desc()).limit(count))[::-1]

    def at(self, seqs: Iterable[int]) -> dict[int, Event]:
        """The events stored as rows ``seqs``, by seq."""
        wanted = sorted(set(seqs))
        found: dict[int, Event] = {}
        for start in range(0, len(wanted), 500):
            query = sa.select(events.c.seq, events.c.body).where(
                events.c.seq.in_(wanted[start : start + 500])
            )
            found.update((s.seq, s.event) for s in self._select(query))
        return found

    def unreadable(self, chunk: int = 5000) -> list[str]:
        """Every row that cannot be decoded, as ``#seq (kind): why``; empty when all can."""
        problems: list[str] = []
        after = 0
        while True:
            query = (
                sa.select(events.c.seq, events.c.kind, events.c.body)
                .where(events.c.seq > after)
                .order_by(events.c.seq)
                .limit(chunk)
            )
            rows = self._rows(query)
            for seq, kind, body in rows:
                try:
                    self._decode(seq, body)
                except (ValidationError, ValueError) as error:
                    problems.append(f"row #{seq} (kind {kind[:40]!r}): {_why(error)}")
            if len(rows) < chunk:
                return problems
            after = rows[-1][0]

    def _since(
        self, query: sa.Select[Any, Any], after: int, carried: Iterable[int], upto: int | None
    ) -> sa.Select[Any, Any]:
        """Restrict ``query`` to rows after ``after`` or among ``carried``, up to ``upto``."""
        kept = list(carried)
        window = events.c.seq > after
        query = query.where(sa.or_(window, events.c.seq.in_(kept)) if kept else window)
        if upto is not None:
            query = query.where(events.c.seq <= upto)
        return query.order_by(events.c.seq)

    def pending(
        self,
        domain: str,
        *,
        after: int = 0,
        carried: Iterable[int] = (),
        upto: int | None = None,
    ) -> list[Stored]:
        """Undecided inbound events of ``domain``: after ``after``, or among ``carried``."""
        decisions = events.alias("d")
        answered = (
            sa.select(decisions.c.seq)
            .where(decisions.c.kind == "decision", decisions.c.cause == events.c.seq)
            .exists()
        )
        query = sa.select(events.c.seq, events.c.body).where(
            events.c.domain == domain, events.c.kind.in_(INBOUND_KINDS), ~answered
        )
        return self._select(self._since(query, after, carried, upto))

    def _without(
        self,
        kind: str,
        others: tuple[str, ...],
        after: int,
        carried: Iterable[int],
        upto: int | None,
    ) -> list[Stored]:
        other = events.alias("o")
        sibling = (
            sa.select(other.c.seq)
            .where(other.c.kind.in_(others), other.c.ref == events.c.ref)
            .exists()
        )
        query = sa.select(events.c.seq, events.c.body).where(events.c.kind == kind, ~sibling)
        return self._select(self._since(query, after, carried, upto))

    def open_commissions(
        self, *, after: int = 0, carried: Iterable[int] = (), upto: int | None = None
    ) -> list[Stored]:
        return self._without("commission", ("report",), after, carried, upto)

    def unrouted(
        self, *, after: int = 0, carried: Iterable[int] = (), upto: int | None = None
    ) -> list[Stored]:
        return self._without("request", ("routed", "inbox"), after, carried, upto)

    def open_timers(
        self, *, after: int = 0, carried: Iterable[int] = (), upto: int | None = None
    ) -> list[Stored]:
        return self._without("timer_set", ("timer", "timer_cancelled"), after, carried, upto)

    def open_items(
        self, *, after: int = 0, carried: Iterable[int] = (), upto: int | None = None
    ) -> list[Stored]:
        """Inbox items with no answer (replies among them: they never get one), in order."""
        return self._without("inbox", ("approval", "routed"), after, carried, upto)

    def due_timers(self, now: datetime) -> list[Stored]:
        return [
            s for s in self.open_timers() if isinstance(s.event, TimerSet) and s.event.due_at <= now
        ]

    def next_timer(self) -> datetime | None:
        due = [s.event.due_at for s in self.open_timers() if isinstance(s.event, TimerSet)]
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


def open_journal(url: str, *, synchronous: Synchronous = "NORMAL") -> SqlJournal:
    """Open (and create if needed) the journal at ``url``; migrate it if it is older."""
    return SqlJournal(url, synchronous=synchronous)
