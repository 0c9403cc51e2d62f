"""The journal: the append-only, sequence-numbered event log every state is a fold of.

Owns: ``Journal`` (the protocol; ``JournalReads`` its reading half) and ``SqlJournal``
(SQLAlchemy 2 Core: SQLite in WAL mode by default, PostgreSQL by URL), the read queries
written once as plain SQL over a DB-API connection (``reader``: ``SqlJournal`` runs them on
its driver connection, ``reading`` on a SQLite file opened read-only by ``sqlite3``, without
SQLAlchemy), the format version (``format``) and its migrations (``schema``), the upcasters
that lift rows of older formats (``upcast``), and the storage of snapshots (their content is
the runtime's). Imports only the seam and errors.

Invariants (``SqlJournal.verify`` checks them):
- rows are never updated or deleted; ``seq`` strictly increases in commit order;
- an event with a key is stored at most once (one decision per inbound event, one report per
  commission, one firing per timer, one answer per escalation);
- a decision and everything it issues (commissions, inbox items, timers, hand-offs) are
  committed in one transaction, before any of it is acted on;
- every row decodes in today's records, through the upcasters of the format it was written
  in (``unreadable`` lists those that do not); a snapshot is derived data, never the truth.
"""

from typing import TYPE_CHECKING

from prefrontal.exports import lazy_exports

if TYPE_CHECKING:
    from prefrontal.journal.base import Journal, JournalReads, Stored, event_key, event_ref
    from prefrontal.journal.reader import JournalReader, reading
    from prefrontal.journal.sql import SqlJournal, open_journal

# SQLAlchemy loads when ``SqlJournal`` or ``open_journal`` is first used, not on import.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "prefrontal.journal.base": ("Journal", "JournalReads", "Stored", "event_key", "event_ref"),
        "prefrontal.journal.reader": ("JournalReader", "reading"),
        "prefrontal.journal.sql": ("SqlJournal", "open_journal"),
    },
)

__all__ = [
    "Journal",
    "JournalReader",
    "JournalReads",
    "SqlJournal",
    "Stored",
    "event_key",
    "event_ref",
    "open_journal",
    "reading",
]
