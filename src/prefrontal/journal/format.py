"""The journal format: the version this build writes, and which version wrote a row.

Kept apart from ``schema`` (the tables, on SQLAlchemy) so a read-only reader on the stdlib's
``sqlite3`` knows the format without loading SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass

FORMAT = 2
"""The journal format this build writes (and the newest it can read)."""


@dataclass(frozen=True, slots=True)
class Version:
    """A format a journal was written in, from the row ``since_seq`` on."""

    version: int
    since_seq: int


def version_of(history: tuple[Version, ...], seq: int) -> int:
    """The format the row ``seq`` was written in."""
    version = history[0].version
    for entry in history:
        if seq >= entry.since_seq:
            version = entry.version
    return version
