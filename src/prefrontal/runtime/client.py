"""The client every interface uses: the CLI, the HTTP API and the web page.

``open_client(config)`` either drives the journal (it brings the system up in this process)
or, when another process drives it, queues requests and answers in the journal for that
process. Either way it returns typed results (``Submitted``, ``Answered``) and typed reads
(inbox entries, timers, a domain's memory, costs, journal pages), so an interface only
renders. Invariant: a queued request or answer is always handled. A queueing client waits
until the driver has acted on it, or, when the driver goes away first (a one-shot ``ask``
that finished), takes the lock and drives it itself.
"""

from __future__ import annotations

import math
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from prefrontal.clock import Clock, SystemClock
from prefrontal.errors import JournalBusyError, UsageError
from prefrontal.journal.base import Journal, JournalReads, Stored
from prefrontal.runtime.costs import CostLedger, cost_ledger
from prefrontal.runtime.inbox import (
    InboxEntry,
    inbox_entries,
    pending_entries,
    recent_entries,
    thread_entries,
)
from prefrontal.runtime.summary import read_summary
from prefrontal.seam.events import (
    INBOUND_KINDS,
    DecisionEvent,
    Event,
    RequestEvent,
    RoutedEvent,
    TimerCancelled,
    TimerEvent,
    TimerSet,
)

if TYPE_CHECKING:
    from pydantic_ai.models import Model

    from prefrontal.config import Config
    from prefrontal.runtime.observers import Observer
    from prefrontal.runtime.router import Router
    from prefrontal.runtime.system import System

# The reads (``Reads``, ``open_reader``) load neither SQLAlchemy nor anyio nor the runtime
# loop: a command that only reads imports this module and the journal's reader alone.

T = TypeVar("T")

EVENT_KINDS: tuple[str, ...] = (
    "request",
    "routed",
    "commission",
    "started",
    "report",
    "percept",
    "timer_set",
    "timer",
    "timer_cancelled",
    "handoff",
    "approval",
    "attention",
    "decision",
    "inbox",
)
"""Every kind of journal event, in the order a request's life meets them."""


CHECK_S = 0.02
"""Seconds between checks whether the driver handled a queued write (a few index reads)."""


@dataclass(frozen=True, slots=True)
class Submitted:
    """A journaled request. ``queued``: another process drives the journal and acted on it.

    ``answers`` are the inbox items of the request's thread known when the call returned.
    """

    request_id: str
    queued: bool
    answers: tuple[InboxEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class Answered:
    """A journaled answer to an inbox item (approval, denial or route)."""

    item_id: str
    queued: bool


@dataclass(frozen=True, slots=True)
class Timer:
    """A timer a domain set: pending until it fires or the principal cancels it."""

    timer_id: str
    domain: str
    name: str
    due_at: datetime
    state: str  # "pending", "fired" or "cancelled"


@dataclass(frozen=True, slots=True)
class Memory:
    """What a domain remembers: notes its policy kept, summaries of compacted history."""

    domain: str
    notes: tuple[str, ...]
    compacted: tuple[str, ...]
    forgotten: int
    decisions: int
    spent_usd: Decimal


@dataclass(frozen=True, slots=True)
class JournalPage:
    events: tuple[Stored, ...]
    next_after: int
    last_seq: int


class Reads:
    """The typed reads every interface renders, on one journal; ``open_reader`` makes one.

    Reading never drives (nor changes) anything, and loads nothing of the runtime loop.
    """

    def __init__(self, config: Config, journal: JournalReads) -> None:
        self.config = config
        self._reads = journal

    @property
    def journal(self) -> JournalReads:
        return self._reads

    def answers(self, request_id: str, *, after: int | None = None) -> tuple[InboxEntry, ...]:
        """The request's inbox entries, handles resolved for the principal.

        They are read from the journal's tail after the request (``after``: its seq, found
        by index when not given), so none is missed however many items came since.
        """
        if after is None:
            found = self.journal.find(request_id, "request")
            if found is None:
                return ()
            after = found.seq
        return tuple(thread_entries(self.journal, request_id, after=after))

    def inbox(self) -> list[InboxEntry]:
        """Every inbox item with its answer (reads them all: for --all and --digest)."""
        return inbox_entries(self.journal)

    def recent_inbox(self, count: int) -> list[InboxEntry]:
        """The last ``count`` items with their answers, read by index."""
        return recent_entries(self.journal, count)

    def pending(self) -> list[InboxEntry]:
        """Escalations and questions waiting for an answer, read by index."""
        return pending_entries(self.journal)

    def digest_count(self) -> int:
        """How many items went to the digest (from the newest snapshot and the tail)."""
        return read_summary(self.journal).deliveries.get("digest", 0)

    def timers(self, *, ended: bool = False) -> list[Timer]:
        """The pending timers (set, neither fired nor cancelled), read by index; with
        ``ended``, every timer ever set with its state (reads all timer rows)."""
        from prefrontal.runtime.snapshot import load_snapshot

        if ended:
            return self._all_timers()
        snapshot = load_snapshot(self.journal)
        after = snapshot.seq if snapshot is not None else 0
        carried = snapshot.open.timers if snapshot is not None else []
        return [
            Timer(e.timer_id, e.domain, e.name, e.due_at, "pending")
            for e in (s.event for s in self.journal.open_timers(after=after, carried=carried))
            if isinstance(e, TimerSet)
        ]

    def _all_timers(self) -> list[Timer]:
        ended: dict[str, str] = {}
        for stored in self.journal.read(kinds=["timer", "timer_cancelled"]):
            event = stored.event
            if isinstance(event, TimerEvent | TimerCancelled):
                ended[event.timer_id] = "fired" if event.kind == "timer" else "cancelled"
        return [
            Timer(e.timer_id, e.domain, e.name, e.due_at, ended.get(e.timer_id, "pending"))
            for e in (s.event for s in self.journal.read(kinds=["timer_set"]))
            if isinstance(e, TimerSet)
        ]

    def timer(self, timer_id: str) -> Timer | None:
        """One timer by id, in whatever state it is: three index look-ups."""
        found = self.journal.find(timer_id, "timer_set")
        if found is None or not isinstance(found.event, TimerSet):
            return None
        event = found.event
        state = "pending"
        if self.journal.find(timer_id, "timer") is not None:
            state = "fired"
        elif self.journal.find(timer_id, "timer_cancelled") is not None:
            state = "cancelled"
        return Timer(event.timer_id, event.domain, event.name, event.due_at, state)

    def memory(self, domain: str) -> Memory:
        """Fold ``domain``'s decisions as its orchestrator does, and show what it remembers."""
        if domain not in self.config.domains:
            raise UsageError(
                f"domain {domain!r} does not exist; domains: {sorted(self.config.domains)}"
            )
        from prefrontal.runtime.state import DomainState

        spec = self.config.domains[domain]
        state = DomainState(
            domain=domain,
            ceiling=lambda _: Decimal(0),
            recent_limit=spec.recent_events,
            memory_limit=spec.memory_notes,
        )
        causes = {
            s.seq: s.inbound().event for s in self.journal.read(kinds=INBOUND_KINDS, domain=domain)
        }
        for stored in self.journal.read(kinds=["decision"], domain=domain):
            decision = stored.of(DecisionEvent).event
            state.apply(decision.cause_seq, causes[decision.cause_seq], decision)
        return Memory(
            domain,
            tuple(state.memory),
            tuple(state.compacted),
            state.forgotten,
            state.decisions,
            sum(state.spent.values(), Decimal(0)),
        )

    def costs(self) -> CostLedger:
        return cost_ledger(self.journal)

    def page(
        self,
        *,
        after: int = 0,
        limit: int = 100,
        kinds: list[str] | None = None,
        domain: str | None = None,
    ) -> JournalPage:
        """Up to ``limit`` events after seq ``after``, oldest first."""
        check_kinds(kinds)
        if limit < 1:
            raise UsageError(f"limit {limit} must be at least 1")
        events = self.journal.read(after=after, kinds=kinds, domain=domain, limit=limit)
        last = self.journal.last_seq()
        return JournalPage(tuple(events), events[-1].seq if events else after, last)


class Client(Reads):
    """One interface to a system; make one with ``open_client``.

    ``system`` is set when this process drives the journal; otherwise writes are queued for
    the process that does.
    """

    def __init__(
        self,
        config: Config,
        journal: Journal,
        system: System | None,
        *,
        clock: Clock | None = None,
        wait_poll_s: float = 0.2,
        drive: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        from prefrontal.runtime.router import Router

        super().__init__(config, journal)
        self._journal = journal
        self.system = system
        self.clock = clock or (system.clock if system is not None else SystemClock())
        self.router: Router = system.router if system is not None else Router(config)
        self.wait_poll_s = wait_poll_s
        self.check_s = min(wait_poll_s, CHECK_S)
        self._drive = drive

    @property
    def journal(self) -> Journal:
        return self._journal

    @property
    def drives(self) -> bool:
        return self.system is not None

    # -- writes ----------------------------------------------------------------------------

    async def ask(self, text: str, *, domain: str | None = None, wait: bool = True) -> Submitted:
        """Journal a request; with ``wait``, return once everything it caused is processed.

        Queued for another process, it returns once the driver has handled the request's
        thread as far as it can go: routed, every event of the thread decided and no
        commission of it still running (a reply, an escalation, or nothing more to do).
        """
        if self.system is not None:
            system = self.system

            async def submit() -> Stored[RequestEvent]:
                stored = (await system.submit(text, domain=domain)).of(RequestEvent)
                if wait:
                    await system.run_until_idle()
                return stored

            stored = await self._unless_disk_stays_full(submit)
            request_id = stored.event.request_id
            answers = self.answers(request_id, after=stored.seq)
            return Submitted(request_id, queued=False, answers=answers)
        from prefrontal.runtime.principal import new_request

        request = new_request(self.router, text, at=self.clock.now(), domain=domain)
        records: list[Event] = [request]
        routed = self.router.route_now(request, at=self.clock.now())
        if isinstance(routed, RoutedEvent):
            records.append(routed)  # routed by address or rule: in the request's transaction
        stored = self.journal.append(records)[0]
        seq = stored.seq if stored is not None else 0
        await self._hand_over(lambda: self._quiet(request.request_id, after=seq))
        answers = self.answers(request.request_id, after=seq)
        return Submitted(request.request_id, queued=True, answers=answers)

    async def approve(self, item_id: str, *, note: str = "") -> Answered:
        return await self.decide(item_id, approved=True, note=note)

    async def deny(self, item_id: str, *, note: str = "") -> Answered:
        return await self.decide(item_id, approved=False, note=note)

    async def decide(self, item_id: str, *, approved: bool, note: str = "") -> Answered:
        """Approve or deny an escalation that waits for the principal."""
        if self.system is not None:
            system = self.system
            await self._unless_disk_stays_full(
                lambda: system.answer(item_id, approved=approved, note=note)
            )
            return Answered(item_id, queued=False)
        from prefrontal.runtime.principal import answer_escalation

        event = answer_escalation(
            self.journal, item_id, approved=approved, note=note, at=self.clock.now()
        )
        return await self._queue_answer(item_id, event)

    async def route(self, item_id: str, domain: str) -> Answered:
        """Answer the router's question: send the request to ``domain``."""
        if self.system is not None:
            system = self.system
            await self._unless_disk_stays_full(lambda: system.route(item_id, domain))
            return Answered(item_id, queued=False)
        from prefrontal.runtime.principal import answer_route

        event = answer_route(self.journal, self.router, item_id, domain, at=self.clock.now())
        return await self._queue_answer(item_id, event)

    async def cancel_timer(self, timer_id: str) -> Timer:
        """Cancel a pending timer; it never fires. Cancelling twice names its state."""
        timer = self.timer(timer_id)
        if timer is None or timer.state != "pending":
            pending = sorted(t.timer_id for t in self.timers())
            state = f"is {timer.state}" if timer is not None else "does not exist"
            raise UsageError(
                f"timer {timer_id!r} {state}; pending timers: {pending}. "
                "List them with 'prefrontal timers'."
            )
        event = TimerCancelled(timer_id=timer_id, domain=timer.domain, at=self.clock.now())
        if self.system is not None:
            await self.system.writer.commit([event])
        else:
            self.journal.append([event])
        return Timer(timer.timer_id, timer.domain, timer.name, timer.due_at, "cancelled")

    async def _unless_disk_stays_full(self, act: Callable[[], Awaitable[T]]) -> T:
        """A person waits on this write: on a full disk, say so rather than wait for space."""
        from prefrontal.runtime.failures import unless_disk_stays_full

        assert self.system is not None
        return await unless_disk_stays_full(self.system.writer, self.config.journal_url(), act)

    async def _queue_answer(self, item_id: str, event: Event) -> Answered:
        stored = self.journal.append([event])[0]
        if stored is not None:
            await self._hand_over(lambda: self._decided(stored))
        return Answered(item_id, queued=True)

    async def _hand_over(self, handled: Callable[[], bool]) -> None:
        """Wait until the driver handled a queued write, or drive it here once it is gone.

        ``handled`` is a few indexed reads, checked every ``check_s``; whether the driver is
        still there (its lock) only every ``wait_poll_s``.
        """
        import anyio

        probed = -math.inf
        while not handled():
            now = anyio.current_time()
            if self._drive is not None and now - probed >= self.wait_poll_s:
                probed = now
                if await self._try_drive():
                    return
            await anyio.sleep(self.check_s)

    async def _try_drive(self) -> bool:
        assert self._drive is not None
        if not _lock_free(self.journal):  # the driver is still there: keep waiting for it
            return False
        try:
            await self._drive()
        except JournalBusyError:
            return False
        return True

    def _quiet(self, request_id: str, *, after: int) -> bool:
        """The request's thread is routed, all its events decided, none of its work running.

        The reads share one snapshot of the journal: read one after another, a report
        committed between them was missed by both (its commission no longer open, the report
        not yet there when the undecided events were read), and ``ask`` returned early.
        """
        with self.journal.consistent():
            if not self._routed(request_id):
                return False
            for domain in self.config.domains:
                pending = self.journal.pending(domain, after=after)
                if any(_thread(s) == request_id for s in pending):
                    return False
            running = self.journal.open_commissions(after=after)
            return not any(_thread(s) == request_id for s in running)

    def _routed(self, request_id: str) -> bool:
        return any(self.journal.find(request_id, kind) is not None for kind in ("routed", "inbox"))

    def _decided(self, stored: Stored) -> bool:
        domain = getattr(stored.event, "domain", None)
        return any(
            isinstance(d.event, DecisionEvent) and d.event.cause_seq == stored.seq
            for d in self.journal.read(after=stored.seq, kinds=["decision"], domain=domain)
        )


def _thread(stored: Stored) -> str | None:
    return getattr(stored.event, "thread_id", None)


def check_kinds(kinds: list[str] | None) -> None:
    """Unknown event kinds are a usage error naming every kind (never a silent empty list)."""
    unknown = sorted(set(kinds or ()) - set(EVENT_KINDS))
    if unknown:
        raise UsageError(
            f"unknown event kind {', '.join(map(repr, unknown))}; kinds: {', '.join(EVENT_KINDS)}"
        )


@asynccontextmanager
async def open_client(
    config: Config,
    *,
    observe: Observer | None = None,
    models: Mapping[str, Model] | None = None,
    clock: Clock | None = None,
    wait_poll_s: float = 0.2,
) -> AsyncGenerator[Client, None]:
    """A client that drives the journal if no other process does, else queues for it.

    It opens the journal once and looks at the driver lock first, so a client that queues
    builds nothing of the system. ``observe`` sees every event this process journals or,
    while it only queues, nothing.
    """
    queueing = _queueing_file(config)
    if queueing is not None:  # another process drives this SQLite file: queue, load no loop
        try:
            drive = _driver(config, None, observe=observe, models=models, clock=clock)
            yield Client(config, queueing, None, clock=clock, wait_poll_s=wait_poll_s, drive=drive)
        finally:
            queueing.close()
        return
    from prefrontal.journal.sql import open_journal
    from prefrontal.runtime.failures import unless_disk_stays_full

    journal = open_journal(config.journal_url(), synchronous=config.journal.synchronous)
    try:
        async with AsyncExitStack() as stack:
            system: System | None = None
            if _lock_free(journal):
                # Only a client that drives loads the loop: one that queues never does.
                from prefrontal.runtime.system import open_system

                try:
                    system = await stack.enter_async_context(
                        open_system(config, journal=journal, models=models, clock=clock)
                    )
                except JournalBusyError:  # another process took it meanwhile
                    system = None
            if system is not None:
                system.writer.patient = False  # a person waits on this session: see failures.py
                if observe is not None:
                    system.observe(observe)
                yield Client(config, journal, system, wait_poll_s=wait_poll_s)
                await unless_disk_stays_full(
                    system.writer, config.journal_url(), system.run_until_idle
                )
                return
        drive = _driver(config, journal, observe=observe, models=models, clock=clock)
        yield Client(config, journal, None, clock=clock, wait_poll_s=wait_poll_s, drive=drive)
    finally:
        journal.close()


def _driver(
    config: Config,
    journal: Journal | None,
    *,
    observe: Observer | None,
    models: Mapping[str, Model] | None,
    clock: Clock | None,
) -> Callable[[], Awaitable[None]]:
    """Drive the journal here until nothing is due: for a client whose driver went away."""

    async def drive() -> None:
        from prefrontal.runtime.failures import unless_disk_stays_full
        from prefrontal.runtime.system import open_system

        async with open_system(config, journal=journal, models=models, clock=clock) as system:
            system.writer.patient = False
            if observe is not None:
                system.observe(observe)
            await unless_disk_stays_full(system.writer, config.journal_url(), system.run_until_idle)

    return drive


def _queueing_file(config: Config) -> Journal | None:
    """The SQLite journal file, opened with ``sqlite3`` alone, when another process drives it.

    A client that only queues then loads neither SQLAlchemy nor the loop. ``None`` when no
    process holds the driver lock, or when the journal is not a SQLite file in today's format
    (``SqlJournal`` opens, creates or migrates those).
    """
    from prefrontal.journal.sqlite_file import open_file

    journal = open_file(config.journal_url(), writable=True, synchronous=config.journal.synchronous)
    if journal is None:
        return None
    if _lock_free(journal):
        journal.close()
        return None
    return journal


def _lock_free(journal: Journal) -> bool:
    from prefrontal.journal.lock import driver_lock

    lock = driver_lock(journal)
    if not lock.acquire():
        return False
    lock.release()
    return True


@contextmanager
def open_reader(config: Config) -> Generator[Reads, None, None]:
    """Reads only (inbox, timers, memory, costs, journal); it never drives.

    A SQLite journal is read through ``sqlite3`` alone, read-only (see ``journal.reader``).
    """
    from prefrontal.journal.reader import reading

    with reading(config.journal_url(), synchronous=config.journal.synchronous) as journal:
        yield Reads(config, journal)
