"""Notifications: an interrupting inbox item runs the principal's notifier.

``[principal] notify = ["notify-send", "{title}", "{text}"]`` runs a command (no shell; each
argument filled in from the item), and ``notify_url = "http://..."`` posts the item as JSON.
Only items delivered as ``interrupt`` notify, so the attention budget holds; digest items
never do. Each notice is retried ``notify_retries`` times with growing pauses; one that still
fails is journaled as a low-priority digest item (``n-<item id>``, keyed, so once), never
lost silently.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import anyio
import httpx
from anyio.streams.memory import MemoryObjectSendStream

from prefrontal.config import Config
from prefrontal.journal.base import Stored
from prefrontal.seam.events import InboxItem
from prefrontal.seam.printable import printable

if TYPE_CHECKING:
    from prefrontal.runtime.system import System

_TIMEOUT_S = 10.0


class NoticeFailedError(Exception):
    """One attempt to notify failed; the message says how."""


@dataclass
class Notifier:
    """Sends a notice per interrupting inbox item; journals the ones that cannot be sent."""

    command: list[str]
    url: str | None
    retries: int
    system: System
    backoff_s: float = 0.5
    sent: list[str] = field(default_factory=list[str])
    _send: MemoryObjectSendStream[InboxItem] | None = None

    def __post_init__(self) -> None:
        send, self._receive = anyio.create_memory_object_stream[InboxItem](1000)
        self._send = send

    def __call__(self, stored: Stored) -> None:
        event = stored.event
        is_notice = isinstance(event, InboxItem) and event.item_id.startswith("n-")
        if isinstance(event, InboxItem) and event.delivery == "interrupt" and not is_notice:
            assert self._send is not None
            try:
                self._send.send_nowait(event)
            except anyio.WouldBlock:
                self._journal_failure(event, "the notice queue is full (1000 waiting)")

    async def run(self) -> None:
        async with self._receive:
            async for item in self._receive:
                await self._deliver(item)

    async def _deliver(self, item: InboxItem) -> None:
        problem = ""
        for attempt in range(self.retries + 1):
            try:
                await self._once(item)
            except NoticeFailedError as error:
                problem = str(error)
                await anyio.sleep(self.backoff_s * 2**attempt)
            else:
                self.sent.append(item.item_id)
                return
        self._journal_failure(item, f"{problem} (after {self.retries + 1} attempts)")

    async def _once(self, item: InboxItem) -> None:
        if self.command:
            values = _values(item)
            argv = [part.format_map(values) for part in self.command]
            try:
                with anyio.fail_after(_TIMEOUT_S):
                    done = await anyio.run_process(argv, check=False, stderr=subprocess.PIPE)
            except (OSError, TimeoutError) as error:
                raise NoticeFailedError(f"notify command {argv[0]!r}: {error!r}") from None
            if done.returncode != 0:
                raise NoticeFailedError(f"notify command {argv[0]!r} exited {done.returncode}")
        if self.url:
            try:
                async with httpx.AsyncClient(timeout=_TIMEOUT_S) as http:
                    response = await http.post(self.url, json=_values(item))
            except httpx.HTTPError as error:
                raise NoticeFailedError(f"webhook {self.url}: {type(error).__name__}") from None
            if response.status_code >= 300:
                raise NoticeFailedError(f"webhook {self.url} answered {response.status_code}")

    def _journal_failure(self, item: InboxItem, problem: str) -> None:
        notice = InboxItem(
            item_id=f"n-{item.item_id}",
            domain=item.domain,
            item="reply",
            text=f"Could not notify you of {item.item_id}: {problem}",
            priority="low",
            delivery="digest",
            thread_id=item.thread_id,
            source=item.source,
            at=self.system.clock.now(),
        )
        self.system.writer.enqueue([notice])


def _values(item: InboxItem) -> dict[str, str]:
    domain = item.domain or "router"
    return {
        "title": f"Prefrontal: {item.item} from {domain} ({item.priority})",
        "text": printable(item.text, one_line=True),
        "item_id": item.item_id,
        "domain": domain,
        "priority": item.priority,
        "kind": item.item,
    }


def notifier_of(config: Config, system: System) -> Notifier | None:
    """The configured notifier, observing ``system``; ``None`` when none is configured."""
    principal = config.principal
    if not principal.notify and not principal.notify_url:
        return None
    notifier = Notifier(
        list(principal.notify), principal.notify_url, principal.notify_retries, system
    )
    system.observe(notifier)
    return notifier
