"""Reading the journal: every read query, written once as plain SQL over a DB-API connection.

Two connection sources share these queries. ``SqlJournal`` hands ``JournalReader`` the
driver connection under its SQLAlchemy engine (SQLite or PostgreSQL); ``reading`` opens a
SQLite file with the stdlib's ``sqlite3``, read-only (``mode=ro``), so a command that only
reads starts without loading SQLAlchemy. Both return the same ``Stored`` records, decoded
through the upcasters of the format each row was written in.

Invariants: a reader never writes; each read is a transaction of its own, ended at once (a
SQLite reader in WAL mode never holds back a checkpoint), except inside ``consistent()``,
where every read sees one snapshot of the journal.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterable, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import TypeAdapter, ValidationError

from prefrontal.errors import JournalError, RecordError
from prefrontal.journal.base import JournalReads, Stored
from prefrontal.journal.format import FORMAT, Version, version_of
from prefrontal.journal.upcast import upcast
from prefrontal.seam.events import INBOUND_KINDS, Event, TimerSet

if TYPE_CHECKING:
    from prefrontal.journal.engine import Synchronous

__all__ = ["JournalReader", "reading"]

_EVENT: TypeAdapter[Event] = TypeAdapter(Event)
_CHUNK = 500
_INBOUND = sorted(INBOUND_KINDS)


class _Cursor(Protocol):
    def execute(self, sql: str, parameters: Sequence[Any], /) -> object: ...

    def fetchall(self) -> list[Any]: ...

    def close(self) -> object: ...


class DbApiConnection(Protocol):
    """What the reader needs of a DB-API 2 connection (``sqlite3``, psycopg)."""

    def cursor(self) -> Any: ...

    def rollback(self) -> object: ...


def _why(error: ValidationError | ValueError) -> str:
    if not isinstance(error, ValidationError):
        return repr(str(error)[:200])
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"][1:])  # [0] is the union member
    return f"{first['msg'][:200]!r}" + (f" at {where!r}" if where else "")


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


class JournalReader:
    """The journal's reads on one DB-API connection (see the module's docstring).

    ``paramstyle`` is the driver's: ``qmark`` (``sqlite3``) or ``format``/``pyformat``
    (psycopg); ``errors`` the driver's error class, which reads turn into ``JournalError``.
    """

    def __init__(
        self,
        connection: DbApiConnection,
        *,
        url: str,
        history: tuple[Version, ...],
        paramstyle: str,
        errors: type[Exception],
    ) -> None:
        if paramstyle not in ("qmark", "format", "pyformat"):
            raise JournalError(
                f"the journal at {url!r} uses a database driver with paramstyle "
                f"{paramstyle!r}; Prefrontal reads through drivers with 'qmark' or 'format' "
                "parameters (sqlite3, psycopg)."
            )
        self.url = url
        self.history = history
        self._connection = connection
        self._qmark = paramstyle == "qmark"
        self._errors = errors
        self._current_since = history[-1].since_seq
        self._held = False

    @property
    def format(self) -> int:
        """The journal's format version."""
        return self.history[-1].version

    # -- one snapshot for several reads ----------------------------------------------------

    @contextmanager
    def consistent(self) -> Generator[None, None, None]:
        """Every read inside sees the journal as it was at the first of them.

        A check made of several reads (is a thread quiet: routed, nothing undecided, no work
        running) must not see one row of a transaction in one read and miss the next.
        """
        if self._held:
            yield
            return
        self._held = True
        try:
            self._run("BEGIN" if self._qmark else "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield
        finally:
            self._held = False
            self._end()

    def _end(self) -> None:
        """End the read transaction, if one is open (a no-op otherwise)."""
        with suppress(self._errors):
            self._connection.rollback()

    # -- running a query -------------------------------------------------------------------

    def _run_raw(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        cursor: _Cursor = self._connection.cursor()
        try:
            cursor.execute(sql if self._qmark else sql.replace("?", "%s"), parameters)
            return list(cursor.fetchall()) if sql.lstrip().startswith("SELECT") else []
        finally:
            cursor.close()

    def _run(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        """Run one read; outside ``consistent()`` it is a transaction of its own."""
        try:
            rows = self._run_raw(sql, parameters)
        except self._errors as error:
            self._end()
            raise JournalError(f"cannot read the journal at {self.url!r}: {error}") from error
        if not self._held:
            self._end()
        return rows

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

    def _decode(self, seq: int, body: str) -> Event:
        if seq >= self._current_since:
            return _EVENT.validate_json(body)
        data = upcast(json.loads(body), version_of(self.history, seq), FORMAT)
        return _EVENT.validate_python(data)

    def _stored(self, sql: str, parameters: Sequence[Any] = ()) -> list[Stored]:
        rows = self._run(sql, parameters)
        return [Stored(int(seq), self.decode(int(seq), body)) for seq, body in rows]

    # -- reads -----------------------------------------------------------------------------

    def read(
        self,
        *,
        after: int = 0,
        kinds: Iterable[str] | None = None,
        domain: str | None = None,
        limit: int | None = None,
        upto: int | None = None,
    ) -> list[Stored]:
        """Events with ``after < seq <= upto`` (of ``kinds``, of ``domain``), in order."""
        where, parameters = self._filter(kinds, domain, after=after, upto=upto)
        if where is None:
            return []
        sql = f"SELECT seq, body FROM events WHERE {where} ORDER BY seq"
        if limit is not None:
            sql += " LIMIT ?"
            parameters.append(limit)
        return self._stored(sql, parameters)

    def last(
        self, count: int, *, kinds: Iterable[str] | None = None, domain: str | None = None
    ) -> list[Stored]:
        """The last ``count`` events (of ``kinds``, of ``domain``), oldest first."""
        where, parameters = self._filter(kinds, domain)
        if where is None:
            return []
        sql = f"SELECT seq, body FROM events WHERE {where} ORDER BY seq DESC LIMIT ?"
        return self._stored(sql, [*parameters, count])[::-1]

    @staticmethod
    def _filter(
        kinds: Iterable[str] | None,
        domain: str | None,
        *,
        after: int | None = None,
        upto: int | None = None,
    ) -> tuple[str | None, list[Any]]:
        """A WHERE clause and its parameters; ``None`` when no row can match (no kinds)."""
        clauses = ["1 = 1"]
        parameters: list[Any] = []
        if after is not None:
            clauses.append("seq > ?")
            parameters.append(after)
        if upto is not None:
            clauses.append("seq <= ?")
            parameters.append(upto)
        if kinds is not None:
            wanted = list(kinds)
            if not wanted:
                return None, []
            clauses.append(f"kind IN ({_marks(wanted)})")
            parameters += wanted
        if domain is not None:
            clauses.append("domain = ?")
            parameters.append(domain)
        return " AND ".join(clauses), parameters

    def at(self, seqs: Iterable[int]) -> dict[int, Event]:
        """The events stored as rows ``seqs``, by seq."""
        wanted = sorted(set(seqs))
        found: dict[int, Event] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            sql = f"SELECT seq, body FROM events WHERE seq IN ({_marks(chunk)})"
            found.update((s.seq, s.event) for s in self._stored(sql, chunk))
        return found

    def find(self, ref: str, kind: str) -> Stored | None:
        sql = "SELECT seq, body FROM events WHERE kind = ? AND ref = ? ORDER BY seq LIMIT 1"
        found = self._stored(sql, [kind, ref])
        return found[0] if found else None

    def last_seq(self) -> int:
        return int(self._run("SELECT coalesce(max(seq), 0) FROM events")[0][0])

    def data_version(self) -> int | None:
        if not self._qmark:
            return None
        cursor: _Cursor = self._connection.cursor()
        try:
            cursor.execute("PRAGMA data_version", ())
            return int(cursor.fetchall()[0][0])
        except self._errors as error:
            raise JournalError(f"cannot read the journal at {self.url!r}: {error}") from error
        finally:
            cursor.close()

    def unreadable(self, chunk: int = 5000) -> list[str]:
        """Every row that cannot be decoded, as ``#seq (kind): why``; empty when all can."""
        problems: list[str] = []
        after = 0
        sql = "SELECT seq, kind, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?"
        while True:
            rows = self._run(sql, [after, chunk])
            for seq, kind, body in rows:
                try:
                    self._decode(int(seq), body)
                except (ValidationError, ValueError) as error:
                    problems.append(f"row #{seq} (kind {kind[:40]!r}): {_why(error)}")
            if len(rows) < chunk:
                return problems
            after = int(rows[-1][0])

    # -- open work: rows after ``after`` and the ``carried`` ones, never before ------------

    def _open(
        self,
        where: str,
        parameters: list[Any],
        after: int,
        carried: Iterable[int],
        upto: int | None,
    ) -> list[Stored]:
        kept = list(carried)
        window = f"(e.seq > ? OR e.seq IN ({_marks(kept)}))" if kept else "e.seq > ?"
        parameters = [*parameters, after, *kept]
        sql = f"SELECT e.seq, e.body FROM events e WHERE {where} AND {window}"
        if upto is not None:
            sql += " AND e.seq <= ?"
            parameters.append(upto)
        return self._stored(sql + " ORDER BY e.seq", parameters)

    def pending(
        self, domain: str, *, after: int = 0, carried: Iterable[int] = (), upto: int | None = None
    ) -> list[Stored]:
        """Undecided inbound events of ``domain``: after ``after``, or among ``carried``."""
        where = (
            f"e.domain = ? AND e.kind IN ({_marks(_INBOUND)}) AND NOT EXISTS "
            "(SELECT 1 FROM events d WHERE d.kind = ? AND d.cause = e.seq)"
        )
        return self._open(where, [domain, *_INBOUND, "decision"], after, carried, upto)

    def _without(
        self,
        kind: str,
        others: tuple[str, ...],
        after: int,
        carried: Iterable[int],
        upto: int | None,
    ) -> list[Stored]:
        where = (
            "e.kind = ? AND NOT EXISTS (SELECT 1 FROM events o WHERE "
            f"o.kind IN ({_marks(others)}) AND o.ref = e.ref)"
        )
        return self._open(where, [kind, *others], after, carried, upto)

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

    # -- snapshots -------------------------------------------------------------------------

    def snapshot(self, *, upto: int | None = None) -> tuple[int, str] | None:
        """The newest snapshot in today's format (at or before ``upto``): (seq, body)."""
        sql = "SELECT seq, body FROM snapshots WHERE format = ?"
        parameters: list[Any] = [FORMAT]
        if upto is not None:
            sql += " AND seq <= ?"
            parameters.append(upto)
        rows = self._run(sql + " ORDER BY seq DESC LIMIT 1", parameters)
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    def snapshot_seqs(self) -> list[int]:
        """The seqs of the stored snapshots in today's format, oldest first."""
        rows = self._run("SELECT seq FROM snapshots WHERE format = ? ORDER BY seq", [FORMAT])
        return [int(seq) for (seq,) in rows]


@contextmanager
def reading(
    url: str, *, synchronous: Synchronous = "NORMAL"
) -> Generator[JournalReads, None, None]:
    """The journal at ``url``, for reads only.

    A SQLite file in today's format is read through ``sqlite3`` alone, read-only; anything
    else through ``SqlJournal`` (which needs SQLAlchemy), with the same queries.
    """
    from prefrontal.journal.sqlite_file import open_file

    reader = open_file(url)
    if reader is not None:
        try:
            yield reader
        finally:
            reader.close()
        return
    from prefrontal.journal.sql import open_journal

    journal = open_journal(url, synchronous=synchronous)
    try:
        yield journal
    finally:
        journal.close()
