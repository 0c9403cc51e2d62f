"""One failure out of many: what a task group raised, as the one typed error a person reads.

A task group wraps what its tasks raised in an exception group, and when the journal's disk
fills, every task that writes can fail at the same moment (an ``ExceptionGroup`` of 15 was
seen). The principal needs one line: the most meaningful typed error, a full disk first
(it causes the rest), naming the journal and the fix. ``collapse`` picks it; a group that
holds anything else (a bug, an interrupt) is left as it is, so its traceback is not lost.

``unless_disk_stays_full`` is for commands a person waits on: rather than wait for space as a
driver does, they give up after a short grace and say so in one line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

from prefrontal.errors import (
    JournalError,
    JournalFullError,
    PolicyError,
    PrefrontalError,
    UsageError,
    WorldError,
)
from prefrontal.journal.space import is_disk_full, journal_folder
from prefrontal.runtime.writer import Writer

__all__ = ["FULL_GRACE_S", "collapse", "leaves", "sole", "unless_disk_stays_full"]

T = TypeVar("T")
_WATCH_S = 0.05

_RANK: tuple[type[PrefrontalError], ...] = (
    JournalFullError,  # the cause of everything else that failed with it
    JournalError,
    UsageError,
    WorldError,
    PolicyError,
    PrefrontalError,
)


def leaves(error: BaseException) -> list[BaseException]:
    """The exceptions inside ``error``, groups within groups flattened, in order."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in leaves(inner)]
    return [error]


def sole(error: BaseException) -> BaseException | None:
    """The one exception in ``error`` besides cancellations (a bug, ``SystemExit``...)."""
    found = [leaf for leaf in leaves(error) if not _cancelled(leaf)]
    return found[0] if len(found) == 1 else None


def _cancelled(error: BaseException) -> bool:
    # A cancellation only says that a sibling failed first; it carries no failure itself.
    return isinstance(error, asyncio.CancelledError)


def _typed(error: BaseException, journal_url: str | None) -> PrefrontalError | None:
    if isinstance(error, PrefrontalError):
        return error
    folder = journal_folder(journal_url) if journal_url else None
    if isinstance(error, Exception) and is_disk_full(error, folder):
        where = f"the disk of the journal at {journal_url!r}" if journal_url else "a disk"
        return JournalFullError(
            f"{where} is full ({error}); what was not acknowledged was not stored. Free some "
            "space and run the command again: the journal resumes where it stopped."
        )
    return None


def _rank(error: PrefrontalError) -> int:
    return next(n for n, kind in enumerate(_RANK) if isinstance(error, kind))


def collapse(error: BaseException, *, journal_url: str | None = None) -> PrefrontalError | None:
    """The one typed error that stands for ``error``, or ``None`` if it holds something else.

    Every leaf must be a Prefrontal error, a full disk (turned into a ``JournalFullError``
    naming ``journal_url``) or a cancellation; the most meaningful is returned (a full disk,
    then other journal failures, the user's mistakes, the world's), with how many failed
    with it. A leaf that is anything else, such as a bug or ``KeyboardInterrupt``, gives
    ``None``: the caller re-raises the group.
    """
    found = [leaf for leaf in leaves(error) if not _cancelled(leaf)]
    typed = [_typed(leaf, journal_url) for leaf in found]
    chosen = [t for t in typed if t is not None]
    if not chosen or len(chosen) < len(typed):
        return None
    # At equal rank, an error Prefrontal raised itself beats one made here from an OSError.
    first = min(chosen, key=lambda t: (_rank(t), t not in found))
    others = len(chosen) - 1
    if others == 0:
        return first
    kinds = sorted({type(t).__name__ for t in chosen if t is not first})
    return _noted(first, f" ({others} more failed with it: {', '.join(kinds)})")


def _noted(error: PrefrontalError, note: str) -> PrefrontalError:
    """A copy of ``error`` (same type, same ``retryable``) with ``note`` after its message."""
    cls = type(error)
    noted = cls.__new__(cls)
    PrefrontalError.__init__(noted, f"{error}{note}", retryable=error.retryable)
    return noted


FULL_GRACE_S = 2.0
"""How long a one-shot command lets the writer retry a full disk before it gives up."""


async def unless_disk_stays_full(
    writer: Writer,
    journal_url: str,
    act: Callable[[], Awaitable[T]],
    *,
    grace_s: float = FULL_GRACE_S,
) -> T:
    """``act``, unless the writer stays paused on a full disk for ``grace_s``: then fail.

    A driver that runs on (``run --follow``, ``serve``) waits for space and resumes; a
    command that a person is waiting on (``ask``, ``run``, an answer) says so in one line
    instead. What it had not stored is not acknowledged, so nothing is lost: the writes
    still queued are dropped with the system, and a later start resumes from the journal.
    A session that only serves such a person clears ``writer.patient`` too, so the writer
    does not also announce a pause that will not be waited out.
    """
    done: list[T] = []
    try:
        await _race(writer, journal_url, act, grace_s, done)
    except BaseExceptionGroup as group:
        # What ``act`` raised (or the full disk) is raised as itself, to be caught by its type.
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        raise
    return done[0]


async def _race(
    writer: Writer,
    journal_url: str,
    act: Callable[[], Awaitable[T]],
    grace_s: float,
    done: list[T],
) -> None:
    async with anyio.create_task_group() as tg:

        async def watch() -> None:
            paused_for = 0.0
            while True:
                await anyio.sleep(_WATCH_S)
                paused_for = paused_for + _WATCH_S if writer.paused else 0.0
                if paused_for >= grace_s:
                    raise JournalFullError(
                        f"the disk of the journal at {journal_url!r} is full; this command "
                        "stopped, and its writes still waiting were not stored (what was "
                        "journaled stays and resumes). Free some space, then run "
                        "'prefrontal run' ('run --follow' waits for space instead)."
                    )

        async def run() -> None:
            done.append(await act())
            tg.cancel_scope.cancel()

        tg.start_soon(watch)
        tg.start_soon(run)
