"""Resolving handles: the real value behind ``⟦#SEQ.PATH: ...⟧``, for workers and the principal.

A handle names a journaled event by its sequence number and a path into it, so it resolves
the same after a replay or a restart. Only two parts resolve handles, never an orchestrator:
the executor (a worker commissioned with a handle gets the real value) and the inbox (the
principal sees the text, marked as from outside). A handle resolves only within its own
domain or thread (a hand-off keeps the thread); anything else is a ``HandleError``.
Resolved text is never scanned again, so a token inside tainted text stays inert.
"""

from __future__ import annotations

import json
import re
from typing import Any

from prefrontal.errors import HandleError
from prefrontal.journal.base import JournalReads
from prefrontal.seam.events import Report
from prefrontal.seam.percept import Percept
from prefrontal.seam.taint import TOKEN

_REF = re.compile(r"#(\d+)((?:\.[A-Za-z0-9_-]+)*)")


class HandleResolver:
    """Reads the values handles refer to from the journal."""

    def __init__(self, journal: JournalReads) -> None:
        self.journal = journal

    def value(self, ref: str, *, domain: str, thread_id: str) -> Any:
        """The value behind ``ref`` (``#12.output.summary``), for ``domain``'s ``thread_id``."""
        match = _REF.fullmatch(ref)
        if match is None:
            raise HandleError(f"handle {ref!r} is malformed; a handle looks like #12.output.text")
        seq = int(match[1])
        found = self.journal.read(after=seq - 1, limit=1)
        event = found[0].event if found and found[0].seq == seq else None
        if not isinstance(event, Report | Percept):
            raise HandleError(
                f"handle {ref} names journal entry #{seq}, which is not a report or a percept; "
                "pass on a handle exactly as the context showed it"
            )
        thread = event.thread_id
        if event.domain != domain and thread != thread_id:
            raise HandleError(
                f"handle {ref} belongs to domain {event.domain!r}, not {domain!r}, and to "
                "another thread; a domain resolves only its own handles and those handed to it"
            )
        value: Any = event.model_dump(mode="json")
        for part in match[2].split(".")[1:]:
            try:
                value = value[int(part)] if isinstance(value, list) else value[part]
            except (KeyError, IndexError, ValueError, TypeError):
                raise HandleError(f"handle {ref}: entry #{seq} has no {part!r}") from None
        return value

    def expand(self, value: Any, *, domain: str, thread_id: str) -> Any:
        """``value`` with every handle replaced by what it refers to (for a worker's inputs).

        A string that is exactly one handle becomes the value itself (text, list or object);
        handles inside a longer string are replaced by their text (JSON for other values).
        """
        if isinstance(value, str):
            whole = TOKEN.fullmatch(value)
            if whole is not None:
                return self.value(whole[1], domain=domain, thread_id=thread_id)
            return TOKEN.sub(
                lambda m: _text(self.value(m[1], domain=domain, thread_id=thread_id)), value
            )
        if isinstance(value, dict):
            return {k: self.expand(v, domain=domain, thread_id=thread_id) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.expand(v, domain=domain, thread_id=thread_id) for v in value]
        return value

    def show(self, text: str, *, domain: str | None, thread_id: str) -> str:
        """``text`` for the principal: each handle as its text, marked as from outside."""

        def quote(match: re.Match[str]) -> str:
            try:
                found = self.value(match[1], domain=domain or "", thread_id=thread_id)
            except HandleError as error:
                return f"[{error}]"
            origin = match[0].split(", from ", 1)[-1].removesuffix(", untrusted⟧")
            return f"«from outside, {origin}: {_text(found)}»"

        return TOKEN.sub(quote, text)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
