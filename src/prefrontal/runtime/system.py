"""The running system and the one execution path.

``open_system`` builds every part from a ``Config`` (model tiers are resolved here, so a
missing key fails at start-up naming the tier), recovers from the journal (folds every
domain's state, re-delivers undecided events, resumes unfinished commissions, routes
unrouted requests) and runs the writer, the orchestrators, the router and the executor in
one task group. The CLI, the library API, the benchmarks and the tests all drive this same
loop and observe the same stream of journaled events.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import AsyncGenerator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import anyio
from anyio.abc import TaskGroup

from prefrontal.clock import Clock, SystemClock
from prefrontal.config import Config
from prefrontal.errors import JournalBusyError, PrefrontalError, RecordError
from prefrontal.journal.base import Journal, Stored
from prefrontal.journal.lock import driver_lock
from prefrontal.journal.sql import open_journal
from prefrontal.models.tiers import resolve_tiers
from prefrontal.runtime.assembly import (
    build_code_worker,
    build_policy,
    build_roster,
    build_sense_host,
    build_workers,
)
from prefrontal.runtime.executor import Executor
from prefrontal.runtime.handles import HandleResolver
from prefrontal.runtime.inbox import Inbox
from prefrontal.runtime.observers import Feeds, Observer
from prefrontal.runtime.orchestrator import Orchestrator
from prefrontal.runtime.principal import answer_escalation, answer_route, new_request
from prefrontal.runtime.router import Router
from prefrontal.runtime.snapshot import (
    OpenWork,
    Snapshots,
    domain_states,
    fold_tail,
    load_snapshot,
)
from prefrontal.runtime.summary import Summary, fold_summary
from prefrontal.runtime.writer import Writer
from prefrontal.seam.events import (
    INBOUND_KINDS,
    AttentionEvent,
    Commission,
    CommissionStarted,
    InboxItem,
    RequestEvent,
    RoutedEvent,
    TimerEvent,
    TimerSet,
)
from prefrontal.seam.percept import Percept
from prefrontal.seam.work import Worker

if TYPE_CHECKING:
    from pydantic_ai.models import Model

    from prefrontal.runtime.senses import SenseHost
    from prefrontal.senses.base import Sense
    from prefrontal.senses.evidence import EvidenceStore


# Assembly lives in ``runtime.assembly``; its builders stay importable from here.
__all__ = [
    "Observer",
    "System",
    "Tracker",
    "build_code_worker",
    "build_policy",
    "build_workers",
    "open_system",
]


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


class Tracker:
    """Counts units of work in flight; idle when none is."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = anyio.Event()
        self._idle.set()

    def add(self) -> None:
        self.count += 1
        if self._idle.is_set():
            self._idle = anyio.Event()

    def done(self) -> None:
        self.count -= 1
        if self.count == 0:
            self._idle.set()

    async def wait_idle(self) -> None:
        while self.count:
            await self._idle.wait()


class System:
    """A running Prefrontal system. Make one with ``open_system``."""

    def __init__(
        self,
        config: Config,
        *,
        journal: Journal,
        clock: Clock,
        models: Mapping[str, Model],
        workers: Mapping[str, Worker] | None = None,
        senses: Mapping[str, Sense] | None = None,
    ) -> None:
        self.config = config
        self.journal = journal
        self.clock = clock
        built = build_workers(config, models)
        built.update(workers or {})
        self.workers = built
        self.router = Router(
            config,
            classifier=models.get(config.router.classifier) if config.router.classifier else None,
        )
        self.inbox = Inbox(
            config.principal.interruptions_per_day,
            {name: d.interruptions_per_day for name, d in config.domains.items()},
        )
        self.evidence: EvidenceStore | None = None
        self.sense_host: SenseHost | None = None
        if senses is not None or any(d.senses for d in config.domains.values()):
            self.sense_host, self.evidence = build_sense_host(config, clock=clock, given=senses)
        self.executor = Executor(
            built,
            clock=clock,
            concurrency=config.executor.concurrency,
            per_worker={n: w.concurrency for n, w in config.workers.items()},
            max_output_bytes={n: w.max_output_bytes for n, w in config.workers.items()},
            evidence=self.evidence,
            handles=HandleResolver(journal),
            trusted=[n for n, w in config.workers.items() if w.trusted],
        )
        self.orchestrators = {
            name: Orchestrator(
                name,
                config=config,
                policy=build_policy(config, name, models),
                roster=build_roster(config, built, name),
                clock=clock,
            )
            for name in config.domains
        }
        self.writer = Writer(journal, self._dispatch, committed=self._committed)
        self.tracker = Tracker()
        self.summary = Summary()
        self.feeds = Feeds(journal)
        self._tg: TaskGroup | None = None
        self._polled = 0
        self._own: set[int] = set()
        self._routed_with: set[str] = set()
        self.snapshots = Snapshots(journal, config, clock)
        self._committed_seq = 0
        self._timers_after = 0
        self._timers_open: list[int] = []
        self.stopped_by: int | None = None

    def _resume_senses(self) -> None:
        # A restarted system continues each stream after the last percept it journaled.
        if self.sense_host is None:
            return
        for name, figures in self.summary.senses.items():
            if name in self.sense_host.senses and figures.heard_s > 0:
                self.sense_host.senses[name].resume(figures.heard_s)

    # -- observing -------------------------------------------------------------------------

    def observe(self, observer: Observer) -> None:
        """Call ``observer`` with every event journaled from now on, once each, in order.

        Each observer has its own bounded buffer and task (``self.feeds``, with
        ``statistics()``), so a slow one never holds up group commit; it may be async.
        """
        self.feeds.add(observer)

    def _dispatch(self, stored: Stored) -> None:
        self._own.add(stored.seq)
        self.summary.fold(stored)
        event = stored.event
        if isinstance(event, InboxItem) and event.item == "question":
            self.inbox.note(event)  # the orchestrators' items were noted when issued
        self.feeds.publish(stored)
        self._act_on(stored)

    def _act_on(self, stored: Stored) -> None:
        assert self._tg is not None
        event = stored.event
        if isinstance(event, RequestEvent):
            if event.request_id in self._routed_with:
                return  # routed in its own transaction
            self.tracker.add()
            self._tg.start_soon(self._route, event)
        elif event.kind in INBOUND_KINDS:
            domain = getattr(event, "domain", None)
            if domain in self.orchestrators:
                self.tracker.add()
                self.orchestrators[domain].deliver(stored)
        elif isinstance(event, Commission):
            self.tracker.add()
            self._tg.start_soon(self._execute, event)
        elif isinstance(event, AttentionEvent) and self.sense_host is not None:
            percepts = self.sense_host.attend(event)
            if percepts:
                self.writer.enqueue(percepts)

    # -- the parts' tasks ------------------------------------------------------------------

    async def _route(self, request: RequestEvent) -> None:
        try:
            outcome = await self._routing(request)
            await self.writer.commit([outcome])
        finally:
            self.tracker.done()

    async def _routing(self, request: RequestEvent) -> RoutedEvent | InboxItem:
        """Route ``request``; one that cannot be routed in time becomes a question.

        The request is journaled before it is routed, so routing that hung or raised would
        hang or fail again on every restart: it is asked about instead.
        """
        limit = self.config.router.timeout_s
        try:
            with anyio.move_on_after(limit):
                return await self.router.route(request, at=self.clock.now())
        except Exception as error:  # a router bug must not stop the system or recur
            reason = f"routing failed: {type(error).__name__}"
        else:
            reason = f"routing took longer than {limit:g} s"
        return self.router.question(request, reason, at=self.clock.now())

    async def _execute(self, commission: Commission) -> None:
        try:
            report = await self.executor.execute(commission, started=self._started)
            await self.writer.commit([report])
        finally:
            self.tracker.done()

    def _started(self, record: CommissionStarted) -> None:
        # Lifecycle records ride along with the next group commit; nobody waits on them.
        self.writer.enqueue([record])

    async def start(self, tg: TaskGroup) -> None:
        """Recover from the journal and start the parts' tasks in ``tg``."""
        self._tg = tg
        tg.start_soon(self.writer.run)
        self.feeds.start(tg)
        self._recover()
        self._resume_senses()
        for orchestrator in self.orchestrators.values():
            tg.start_soon(orchestrator.run, self.writer, self.inbox, self.tracker.done)
        if self.sense_host is not None:
            for sense in self.sense_host.senses.values():
                self.tracker.add()
                tg.start_soon(self._sense, sense)

    async def _sense(self, sense: Sense) -> None:
        assert self.sense_host is not None
        try:
            await self.sense_host.supervise(sense, self._commit_percepts)
        finally:
            self.tracker.done()

    async def _commit_percepts(self, percepts: list[Percept]) -> None:
        if percepts:
            await self.writer.commit(percepts)

    def _recover(self) -> None:
        """Fold the state from the newest snapshot and the tail, then resume what is open.

        Everything is read up to ``top``, the journal's end when recovery began, and polling
        continues from there: a request or an answer another process appends meanwhile is
        picked up by the next poll, never lost between the two.
        """
        top = self.journal.last_seq()
        base = load_snapshot(self.journal, upto=top)
        states = domain_states(base, self.config)
        floor = base.seq if base is not None else 0
        if base is not None:
            self.inbox.restore(base.inbox)
            self.summary = base.summary
        self.inbox.load(self.journal, after=floor)
        self.summary = fold_summary(self.journal, self.summary)
        work = OpenWork()
        for name, orchestrator in self.orchestrators.items():
            after = floor if name in states else 0
            if name in states:
                orchestrator.state.restore(states[name])
            fold_tail(self.journal, orchestrator.state, after=after, upto=top)
            carried = base.open.pending.get(name, ()) if base and name in states else ()
            pending = self.journal.pending(name, after=after, carried=carried, upto=top)
            work.pending[name] = [s.seq for s in pending]
            for stored in pending:
                self._act_on(stored)
        old = base.open if base is not None else OpenWork()
        commissions = self.journal.open_commissions(after=floor, carried=old.commissions, upto=top)
        unrouted = self.journal.unrouted(after=floor, carried=old.unrouted, upto=top)
        for stored in [*commissions, *unrouted]:
            self._act_on(stored)
        self._timers_after, self._timers_open = floor, old.timers
        self._polled = self._committed_seq = top
        self.snapshots.latest = base
        if top - floor >= max(self.config.journal.snapshot_every, 1):
            # A long tail was folded: keep the result, so the next start need not.
            work.commissions = [s.seq for s in commissions]
            work.unrouted = [s.seq for s in unrouted]
            self._save_snapshot(top, work)

    # -- snapshots -------------------------------------------------------------------------

    def _committed(self, seq: int) -> None:
        self._committed_seq = seq
        every = self.config.journal.snapshot_every
        if every and seq - self.snapshots.seq >= every:
            self.snapshot()

    def snapshot(self) -> bool:
        """Store a snapshot at the last commit, if the folded state matches it exactly.

        It does not while a write is queued: a decision queued is folded but not durable.
        """
        if self.writer.backlog or self.snapshots.seq >= self._committed_seq:
            return False
        self._save_snapshot(self._committed_seq, None)
        return True

    def _save_snapshot(self, seq: int, work: OpenWork | None) -> None:
        states = {name: o.state for name, o in self.orchestrators.items()}
        self.snapshots.take(seq, states, self.inbox, self.summary, work)

    # -- the principal's API ---------------------------------------------------------------

    async def submit(
        self, text: str, *, domain: str | None = None, request_id: str | None = None
    ) -> Stored:
        """Journal a request (it is acknowledged once this returns) and let it be routed.

        Raises ``RecordError`` for text that is not a ``str`` of valid Unicode without NUL
        characters (nothing is journaled then).
        """
        check_request_text(text)
        request = new_request(
            self.router, text, at=self.clock.now(), domain=domain, request_id=request_id
        )
        records: list[RequestEvent | RoutedEvent | InboxItem] = [request]
        routed = self._route_now(request)
        if routed is not None:
            # Routed without a model: in the request's own transaction, one commit fewer.
            records.append(routed)
            self._routed_with.add(request.request_id)
        try:
            stored = (await self.writer.commit(records))[0]
        finally:
            self._routed_with.discard(request.request_id)
        if stored is None:
            found = self.journal.find(request.request_id, "request")
            assert found is not None
            return found
        return stored

    def _route_now(self, request: RequestEvent) -> RoutedEvent | InboxItem | None:
        try:
            return self.router.route_now(request, at=self.clock.now())
        except Exception:  # a router bug: the routing task asks the principal instead
            return None

    async def answer(self, item_id: str, *, approved: bool, note: str = "") -> Stored | None:
        """Approve or deny an escalation that waits for the principal."""
        event = answer_escalation(
            self.journal, item_id, approved=approved, note=note, at=self.clock.now()
        )
        return (await self.writer.commit([event]))[0]

    async def route(self, item_id: str, domain: str) -> Stored | None:
        """Answer the router's question: send the request to ``domain``."""
        event = answer_route(self.journal, self.router, item_id, domain, at=self.clock.now())
        return (await self.writer.commit([event]))[0]

    # -- driving ---------------------------------------------------------------------------

    def _open_timers(self) -> list[Stored]:
        # Timers set after the last look, and those still open then: never all timers ever.
        top = self.journal.last_seq()
        found = self.journal.open_timers(after=self._timers_after, carried=self._timers_open)
        self._timers_after, self._timers_open = top, [s.seq for s in found]
        return found

    async def fire_due_timers(self) -> int:
        now = self.clock.now()
        timers = [s.event for s in self._open_timers() if isinstance(s.event, TimerSet)]
        due = [t for t in timers if t.due_at <= now]
        fired = [
            TimerEvent(
                timer_id=t.timer_id,
                domain=t.domain,
                name=t.name,
                payload=t.payload,
                thread_id=t.thread_id,
                at=now,
            )
            for t in due
        ]
        if fired:
            await self.writer.commit(fired)
        return len(fired)

    async def run_until_idle(self) -> None:
        """Process everything that is due: events, commissions, timers, until nothing is."""
        while True:
            await self.tracker.wait_idle()
            await self.feeds.wait_idle()
            if not await self.fire_due_timers():
                return

    def poll(self) -> int:
        """Pick up requests and answers other processes journaled; returns how many.

        It reads the range of seq after the last one it saw: its cost does not grow with
        the journal.
        """
        found = 0
        batch = self.journal.read(after=self._polled, kinds=["request", "approval", "routed"])
        # A client that routed its request by address or rule journaled both together.
        paired = {s.event.request.request_id for s in batch if isinstance(s.event, RoutedEvent)}
        paired -= self._routed_with
        self._routed_with |= paired
        try:
            for stored in batch:
                self._polled = max(self._polled, stored.seq)
                if stored.seq in self._own:
                    continue
                found += 1
                self.feeds.publish(stored)
                self._act_on(stored)
        finally:
            self._routed_with -= paired
        self._own = {s for s in self._own if s > self._polled}
        return found

    async def serve(self, *, poll_s: float = 0.1, stop: anyio.Event | None = None) -> None:
        """Run until ``stop`` is set: process, poll the journal, fire timers as they fall due."""
        while stop is None or not stop.is_set():
            await self.run_until_idle()
            self.poll()
            await anyio.sleep(poll_s)


@asynccontextmanager
async def open_system(
    config: Config,
    *,
    journal: Journal | None = None,
    clock: Clock | None = None,
    models: Mapping[str, Model] | None = None,
    workers: Mapping[str, Worker] | None = None,
    senses: Mapping[str, Sense] | None = None,
    env: Mapping[str, str] | None = None,
    stop_on_signals: bool = True,
) -> AsyncGenerator[System, None]:
    """Start a system on ``config``; it stops (and closes a journal it opened) on exit.

    ``models`` override configured tiers (tests pass scripted models); ``workers`` override
    or add workers by name. With ``stop_on_signals`` (in the main thread), SIGINT or SIGTERM
    stops it within moments and ``KeyboardInterrupt`` is raised after it closed.
    """
    resolved = resolve_tiers(config, overrides=models, env=env)
    own_journal = journal is None
    if journal is None:
        journal = open_journal(config.journal_url(), synchronous=config.journal.synchronous)
    active: Journal = journal
    lock = driver_lock(active)
    try:
        if not lock.acquire():
            raise JournalBusyError(
                f"another prefrontal process is driving {config.journal_url()!r} (lock: "
                f"{lock.where}); stop it, or let it do the work: 'ask' and 'inbox' still work."
            )
        system = System(
            config,
            journal=journal,
            clock=clock or SystemClock(),
            models=resolved,
            workers=workers,
            senses=senses,
        )
        try:
            async with anyio.create_task_group() as tg:
                if stop_on_signals and threading.current_thread() is threading.main_thread():
                    tg.start_soon(_stop_on_signal, system, tg.cancel_scope)
                await system.start(tg)
                try:
                    yield system
                    system.snapshot()  # a clean stop: the next start folds nothing
                finally:
                    tg.cancel_scope.cancel()
        except BaseExceptionGroup as group:
            # A task group wraps what it propagates; a caller's or the runtime's single
            # Prefrontal error is raised as itself so it can be caught by its type.
            if len(group.exceptions) == 1 and isinstance(group.exceptions[0], PrefrontalError):
                raise group.exceptions[0] from None
            raise
    finally:
        lock.release()
        if own_journal:
            active.close()
    if system.stopped_by is not None:
        raise KeyboardInterrupt(f"stopped by {signal.Signals(system.stopped_by).name}")


async def _stop_on_signal(system: System, scope: anyio.CancelScope) -> None:
    """SIGINT or SIGTERM stops the system at once: what is committed stays, the rest resumes.

    Every effect is acknowledged only after its commit, so cancelling mid-flight loses
    nothing acknowledged: undecided events are decided, and open commissions run (under
    their idempotency keys), on the next start.
    """
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for received in signals:
            system.stopped_by = received
            scope.cancel()
            return
