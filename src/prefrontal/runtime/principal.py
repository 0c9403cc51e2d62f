"""What the principal can put into the journal: requests, answers to escalations, routes.

These build validated records from the journal's current state; the caller commits them
(through the running system's writer, or straight to the journal when another process is
driving it). Mistakes raise ``UsageError`` naming the item and the fix.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from prefrontal.errors import RecordError, UsageError
from prefrontal.journal.base import Journal
from prefrontal.runtime.inbox import inbox_entry, pending_entries
from prefrontal.runtime.router import Router, split_address
from prefrontal.seam.events import ApprovalEvent, InboxItem, RequestEvent, RoutedEvent


def check_request_text(text: object) -> None:
    """A request is text a person could have typed: a ``str`` of Unicode, with no NUL."""
    if not isinstance(text, str):
        raise RecordError(
            f"request text must be a str; got {type(text).__name__} {str(text)[:80]!r}. "
            "Pass the request as text."
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise RecordError(
            f"request text has a lone surrogate {text[error.start]!r} at index {error.start}; "
            "it is not valid Unicode. Decode bytes with errors='replace' before submitting."
        ) from None
    if "\x00" in text:
        raise RecordError(
            f"request text has a NUL character at index {text.index(chr(0))}; remove it "
            "(no journal stores NUL in text)."
        )


def new_request(
    router: Router,
    text: str,
    *,
    at: datetime,
    domain: str | None = None,
    request_id: str | None = None,
) -> RequestEvent:
    """A request, addressed by ``domain`` or a leading ``@domain``; the address is checked."""
    address, body = split_address(text.strip())
    if domain is not None:
        address, body = domain, text.strip()
    router.check_address(address)
    if not body.strip():
        raise UsageError(
            f"request {text!r} is empty; say what you need, e.g. '@{router.domains[0]} ...' "
            "or plain words for the router"
        )
    return RequestEvent(
        request_id=request_id or f"r-{uuid.uuid4().hex[:12]}", text=body, address=address, at=at
    )


def _open_item(journal: Journal, item_id: str, kind: str) -> InboxItem:
    entry = inbox_entry(journal, item_id)
    if entry is None or entry.item.item != kind:
        open_items = pending_entries(journal)
        pending = sorted(e.item.item_id for e in open_items if e.item.item == kind)
        others = sorted(e.item.item_id for e in open_items if e.item.item != kind)
        elsewhere = f" (other pending items: {others})" if others else ""
        answer = (
            "prefrontal inbox route ID DOMAIN"
            if kind == "question"
            else ("prefrontal inbox approve ID (or deny ID)")
        )
        raise UsageError(
            f"inbox item {item_id!r} is not a pending {kind}; pending {kind}s: {pending}"
            f"{elsewhere}. List them with 'prefrontal inbox'; answer with '{answer}'."
        )
    if not entry.pending:
        answer = entry.answer
        verdict = (
            "routed"
            if isinstance(answer, RoutedEvent)
            else ("approved" if getattr(answer, "approved", False) else "denied")
        )
        at = f" at {answer.at:%Y-%m-%d %H:%M}" if answer is not None else ""
        raise UsageError(f"inbox item {item_id!r} was already answered: {verdict}{at}")
    return entry.item


def answer_escalation(
    journal: Journal, item_id: str, *, approved: bool, note: str, at: datetime
) -> ApprovalEvent:
    item = _open_item(journal, item_id, "escalation")
    assert item.domain is not None
    return ApprovalEvent(
        item_id=item_id,
        domain=item.domain,
        approved=approved,
        note=note,
        proposed=item.proposed if approved else (),
        thread_id=item.thread_id,
        source=item.source,
        at=at,
    )


def answer_route(
    journal: Journal, router: Router, item_id: str, domain: str, *, at: datetime
) -> RoutedEvent:
    item = _open_item(journal, item_id, "question")
    found = journal.find(item.thread_id, "request")
    if found is None or not isinstance(found.event, RequestEvent):
        raise UsageError(f"question {item_id!r} has no request in the journal")
    return router.answer(found.event, domain, at=at)
