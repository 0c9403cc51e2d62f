"""Telling a full disk from other storage failures.

A full disk reaches Prefrontal in several shapes: ``OSError`` with ``ENOSPC`` (or ``EDQUOT``),
SQLite's ``SQLITE_FULL`` ("database or disk is full"), and, when SQLite cannot even grow its
shared-memory file on open, a bare "disk I/O error". The last one is only blamed on space
when the journal's folder really has (almost) none left, so a failing disk is not reported
as a full one.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

__all__ = ["LOW_SPACE_BYTES", "free_bytes", "is_disk_full", "journal_folder", "sqlite_path"]

LOW_SPACE_BYTES = 1 << 20
"""Below this much free space an I/O error of SQLite is taken for a full disk."""

_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_SQLITE_FULL = 13
_FULL_TEXTS = ("disk is full", "no space left", "disk full", "quota exceeded")


def sqlite_path(url: str) -> Path | None:
    """The file of a plain ``sqlite:///PATH`` URL; ``None`` for anything else or memory.

    A URL with a query or a percent escape is not plain: SQLAlchemy's parser reads it (it
    decodes ``%20`` to a space, and the file it opens is the decoded one)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url or "%" in url:
        return None
    path = url[len(prefix) :]
    return None if path in ("", ":memory:") else Path(path)


def journal_folder(url: str) -> Path | None:
    """The folder of a SQLite journal file; ``None`` for other databases or memory."""
    plain = sqlite_path(url)
    if plain is not None:
        return plain.parent
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).parent


def free_bytes(folder: Path) -> int | None:
    """Bytes an unprivileged writer may still use in ``folder``'s file system."""
    try:
        stats = os.statvfs(folder)
    except OSError:
        return None
    return stats.f_bavail * stats.f_frsize


def _chain(error: BaseException) -> list[BaseException]:
    """``error`` and the errors it was raised from, each once."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not s for s in seen):
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def is_disk_full(error: BaseException, folder: Path | None = None) -> bool:
    """Whether ``error`` (or what it was raised from) means the disk had no room.

    ``folder`` is where the journal lives: an SQLite I/O error counts as a full disk only
    when that folder has less than ``LOW_SPACE_BYTES`` free.
    """
    for link in _chain(error):
        if isinstance(link, OSError) and link.errno in _FULL_ERRNOS:
            return True
        if isinstance(link, sqlite3.Error) and getattr(link, "sqlite_errorcode", None) == (
            _SQLITE_FULL
        ):
            return True
        text = str(link).lower()
        if any(words in text for words in _FULL_TEXTS):
            return True
        if isinstance(link, sqlite3.OperationalError) and "disk i/o error" in text:
            free = free_bytes(folder) if folder is not None else None
            if free is not None and free < LOW_SPACE_BYTES:
                return True
    return False
