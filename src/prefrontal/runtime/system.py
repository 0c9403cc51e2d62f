"""The running system and the one execution path.

``open_system`` resolves the model tiers (a missing key fails at start-up naming the tier),
takes the driver lock, builds the parts from a ``Config`` (``runtime.assembly``), recovers
from the journal (folds every domain's state from the newest snapshot, re-delivers
undecided events, resumes unfinished commissions, routes unrouted requests) and runs the
writer, the orchestrators, the router and the executor in one task group. The CLI, the
library API, the benchmarks and the tests all drive this same loop and observe the same
stream of journaled events.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import AsyncGenerator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import anyio
from anyio.abc import TaskGroup

from prefrontal.clock import Clock, SystemClock
from prefrontal.config import Config
from prefrontal.errors import JournalBusyError, JournalError
from prefrontal.journal.base import Journal, Stored
from prefrontal.journal.lock import driver_lock
from prefrontal.journal.sql import open_journal
from prefrontal.models.tiers import resolve_tiers
from prefrontal.runtime.assembly import Parts, build_parts
from prefrontal.runtime.failures import collapse, leaves, sole
from prefrontal.runtime.observers import Feeds, Observer
from prefrontal.runtime.principal import (
    answer_escalation,
    answer_route,
    check_request_text,
    new_request,
)
from prefrontal.runtime.signals import stop_on_signal
from prefrontal.runtime.snapshot import (
    OpenWork,
    Snapshots,
    domain_states,
    fold_tail,
    load_snapshot,
)
from prefrontal.runtime.spawn import Spawner
from prefrontal.runtime.summary import Summary, fold_summary
from prefrontal.runtime.timers import DueTimers
from prefrontal.runtime.tracker import Tracker
from prefrontal.runtime.writer import Pending, Writer
from prefrontal.seam.events import (
    INBOUND_KINDS,
    AttentionEvent,
    Commission,
    CommissionStarted,
    Event,
    InboxItem,
    RequestEvent,
    RoutedEvent,
)
from prefrontal.seam.percept import Percept
from prefrontal.seam.work import Worker

if TYPE_CHECKING:
    from pydantic_ai.models import Model

    from prefrontal.senses.base import Sense

__all__ = ["WAKE_S", "Observer", "System", "Tracker", "open_system"]

WAKE_S = 0.025
"""Seconds between a resting driver's looks at the journal's data version (SQLite): a
pragma on its reader connection (about 5 µs); the timer wake-ups cost about 1% of a
core at rest on the development machine (0.4% polling alone every 0.1 s)."""


class System:
    """A running Prefrontal system. Make one with ``open_system``."""

    def __init__(self, config: Config, *, journal: Journal, clock: Clock, parts: Parts) -> None:
        self.config = config
        self.journal = journal
        self.clock = clock
        self.workers = parts.workers
        self.router = parts.router
        self.inbox = parts.inbox
        self.executor = parts.executor
        self.orchestrators = parts.orchestrators
        self.sense_host = parts.sense_host
        self.evidence = parts.evidence
        self.writer = Writer(
            journal, self._dispatch, committed=self._committed, follow=self._decide_now
        )
        self._decided: dict[int, tuple[Event, int, list[Event]]] = {}
        self.tracker = Tracker()
        self.summary = Summary()
        self.feeds = Feeds(journal)
        self._tg: TaskGroup | None = None
        self._spawner = Spawner()
        self._polled = 0
        self._own: set[int] = set()
        self._routed_with: set[str] = set()
        self._starting: dict[str, Pending] = {}
        self.snapshots = Snapshots(journal, config, clock)
        self._committed_seq = 0
        self.timers = DueTimers(journal)
        self.stopped_by: int | None = None

    def stop_by(self, signum: int) -> None:
        """Note the signal that stopped the system; ``open_system`` raises once closed."""
        self.stopped_by = signum

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
        if stored.seq == self._polled + 1:
            # Right after what the last poll saw: no other process's row can hide below
            # it, so the next poll starts after it and nothing is remembered (a system
            # that never polls keeps no set growing with the journal).
            self._polled = stored.seq
        else:
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
            if self._decided.pop(id(event), None) is not None:
                return  # decided in its own transaction
            if domain in self.orchestrators:
                self.tracker.add()
                self.orchestrators[domain].deliver(stored)
        elif isinstance(event, Commission):
            self.tracker.add()
            self._spawner.spawn(self._execute, event)
        elif isinstance(event, AttentionEvent) and self.sense_host is not None:
            percepts = self.sense_host.attend(event)
            if percepts:
                self.writer.enqueue(percepts)

    def _decide_now(self, stored: Stored) -> Sequence[Event]:
        """What follows ``stored`` in its own transaction: an idle orchestrator's decision on
        it, and what that issues (``Writer``'s ``follow``).

        A transaction rolled back (a full disk) is tried again with the same events: one
        decided already gets the same decision back if it got the same seq again; if
        another process's row took that seq meanwhile, the folded state no longer matches
        the journal and the driver stops (a restart folds it from the journal).
        """
        event = stored.event
        if event.kind not in INBOUND_KINDS:
            return ()
        orchestrator = self.orchestrators.get(getattr(event, "domain", None) or "")
        if orchestrator is None:
            return ()
        decided = self._decided.get(id(event))
        if decided is not None:
            if decided[1] != stored.seq:
                raise JournalError(
                    f"a write rolled back by {self.config.journal_url()!r} came back with "
                    f"event #{stored.seq} where it had #{decided[1]}, already decided on; "
                    "stopping so that a restart folds the state from the journal"
                )
            return decided[2]
        records = orchestrator.decide_now(stored, self.inbox)
        if records:
            self._decided[id(event)] = (event, stored.seq, records)
        return records

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
        except BaseException:
            self.tracker.done()
            raise
        finally:
            started = self._starting.pop(commission.commission_id, None)
        if started is not None:
            # Not committed yet: the report, in the same commit or the next, says as much
            # (its attempts and duration), so the record of a start that no commit ever saw
            # in flight is not written at all.
            self.writer.withdraw(started)
        # Nobody waits on the report's commit: the work is done once it is stored (a write
        # that fails for good stops the writer, and with it the system).
        self.writer.enqueue([report], after=self._reported)

    def _reported(self, _: list[Stored | None]) -> None:
        self.tracker.done()

    def _started(self, record: CommissionStarted) -> None:
        # Lifecycle records ride along with the next group commit; nobody waits on them.
        self._starting[record.commission_id] = self.writer.enqueue([record])

    async def start(self, tg: TaskGroup) -> None:
        """Recover from the journal and start the parts' tasks in ``tg``."""
        self._tg = tg
        tg.start_soon(self.writer.run)
        self._spawner.start(tg)
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
        self.timers.restore(floor, old.timers)
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

    async def fire_due_timers(self) -> int:
        """Journal a timer event for every open timer that is due; returns how many."""
        fired = self.timers.due(self.clock.now())
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
        """Run until ``stop`` is set: process, poll the journal, fire timers as they fall due.

        What a poll finds is handled at once, not a poll later. Between polls it rests
        ``poll_s``, or less on SQLite: it wakes within ``WAKE_S`` of another process's
        commit (a queued ``ask`` or answer), seen in the journal's data version.
        """
        while stop is None or not stop.is_set():
            await self.run_until_idle()
            if self.poll():
                continue
            await self._rest(poll_s, stop)

    async def _rest(self, poll_s: float, stop: anyio.Event | None) -> None:
        version = self.journal.data_version()
        if version is None or poll_s <= WAKE_S:
            await anyio.sleep(poll_s)
            return
        deadline = anyio.current_time() + poll_s
        while (left := deadline - anyio.current_time()) > 0:
            await anyio.sleep(min(WAKE_S, left))
            if (stop is not None and stop.is_set()) or self.journal.data_version() != version:
                return


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
        running_clock = clock or SystemClock()
        parts = build_parts(
            config,
            journal=active,
            clock=running_clock,
            models=resolved,
            workers=workers,
            senses=senses,
        )
        system = System(config, journal=active, clock=running_clock, parts=parts)
        try:
            async with anyio.create_task_group() as tg:
                if stop_on_signals and threading.current_thread() is threading.main_thread():
                    tg.start_soon(stop_on_signal, system.stop_by, tg.cancel_scope)
                await system.start(tg)
                try:
                    yield system
                    system.snapshot()  # a clean stop: the next start folds nothing
                finally:
                    tg.cancel_scope.cancel()
        except BaseExceptionGroup as group:
            # A task group wraps what it propagates: what stands for it (a full disk first,
            # naming the journal) is raised as one typed error, to be caught by its type; a
            # lone exception of another kind (a caller's SystemExit, a bug) as itself.
            found = collapse(group, journal_url=config.journal_url()) or sole(group)
            if found is None:
                raise
            raise found from (None if found in leaves(group) else group)
    finally:
        lock.release()
        if own_journal:
            active.close()
    if system.stopped_by is not None:
        raise KeyboardInterrupt(f"stopped by {signal.Signals(system.stopped_by).name}")
