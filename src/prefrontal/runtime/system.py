"""System assembly and the one execution path.

``open_system`` builds every part from a ``Config`` (model tiers are resolved here, so a
missing key fails at start-up naming the tier), recovers from the journal (folds every
domain's state, re-delivers undecided events, resumes unfinished commissions, routes
unrouted requests) and runs the writer, the orchestrators, the router and the executor in
one task group. The CLI, the library API, the benchmarks and the tests all drive this same
loop and observe the same stream of journaled events.
"""

from __future__ import annotations

import fcntl
from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import anyio
import sqlalchemy as sa
from anyio.abc import TaskGroup

from prefrontal.clock import Clock, SystemClock
from prefrontal.config import (
    CodeWorkerConfig,
    Config,
    LlmPolicyConfig,
    LlmWorkerConfig,
    load_object,
)
from prefrontal.errors import ConfigError, JournalBusyError, PrefrontalError
from prefrontal.journal.base import Journal, Stored
from prefrontal.journal.sql import SqlJournal, open_journal
from prefrontal.models.tiers import resolve_tiers
from prefrontal.policies.base import Policy
from prefrontal.policies.rule import RuleFunction, RulePolicy
from prefrontal.runtime.executor import Executor
from prefrontal.runtime.handles import HandleResolver
from prefrontal.runtime.inbox import Inbox
from prefrontal.runtime.orchestrator import Orchestrator
from prefrontal.runtime.principal import answer_escalation, answer_route, new_request
from prefrontal.runtime.router import Router
from prefrontal.runtime.writer import Writer
from prefrontal.seam.events import (
    INBOUND_KINDS,
    AttentionEvent,
    Commission,
    CommissionStarted,
    InboxItem,
    RequestEvent,
    TimerEvent,
    TimerSet,
)
from prefrontal.seam.percept import Percept
from prefrontal.workers.base import Worker
from prefrontal.workers.tool import ToolWorker

if TYPE_CHECKING:
    from pydantic_ai.models import Model

    from prefrontal.runtime.senses import SenseHost
    from prefrontal.senses.base import Sense
    from prefrontal.senses.evidence import EvidenceStore

Observer = Callable[[Stored], None]


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


def build_workers(config: Config, models: Mapping[str, Model]) -> dict[str, Worker]:
    workers: dict[str, Worker] = {}
    for name, spec in config.workers.items():
        if isinstance(spec, LlmWorkerConfig):
            from prefrontal.workers.llm import LlmWorker  # pydantic-ai loads only when used

            output: Any = str
            if spec.output is not None:
                output = load_object(spec.output, where=f"[workers.{name}] output", config=config)
            workers[name] = LlmWorker(
                name,
                models[spec.tier],
                tier=spec.tier,
                instructions=spec.instructions,
                output_type=output,
                description=spec.description,
            )
        elif isinstance(spec, CodeWorkerConfig):
            workers[name] = build_code_worker(config, name, spec, models[spec.tier])
        else:
            function = load_object(spec.function, where=f"[workers.{name}] function", config=config)
            if not callable(function):
                raise ConfigError(
                    f"{config.source}: [workers.{name}] function = {spec.function!r} is not "
                    "callable; point it at a function."
                )
            try:
                workers[name] = ToolWorker(
                    name, function, description=spec.description, cost_usd=spec.cost_usd
                )
            except NameError as error:
                raise ConfigError(
                    f"{config.source}: [workers.{name}] function = {spec.function!r}: its type "
                    f"hints cannot be resolved ({error}); import the names they use at run time."
                ) from None
    return workers


def build_code_worker(config: Config, name: str, spec: CodeWorkerConfig, model: Model) -> Worker:
    """A code worker on its tier's model and a checked sandbox; no sandbox, no start."""
    from prefrontal.sandbox import Bubblewrap
    from prefrontal.workers.code import INSTRUCTIONS, CodeWorker, Program
    from prefrontal.workers.llm import LlmWorker

    sandbox = Bubblewrap(interpreter=spec.interpreter, uid=spec.sandbox_uid)
    sandbox.check()
    instructions = f"{INSTRUCTIONS}\n\n{spec.instructions}".strip()
    writer = LlmWorker(name, model, tier=spec.tier, instructions=instructions, output_type=Program)
    return CodeWorker(
        name,
        writer,
        sandbox,
        limits=spec.limits,
        repairs=spec.repairs,
        files_dir=config.base_dir / spec.files_dir,
        description=spec.description,
    )


def build_policy(config: Config, name: str, models: Mapping[str, Model]) -> Policy:
    spec = config.domains[name].policy
    if isinstance(spec, LlmPolicyConfig):
        from prefrontal.policies.llm import LlmPolicy  # pydantic-ai loads only when used

        return LlmPolicy(
            models[spec.tier], tier=spec.tier, instructions=spec.instructions, retries=spec.retries
        )
    rule = load_object(spec, where=f"[domains.{name}] policy", config=config)
    if not callable(rule):
        raise ConfigError(
            f"{config.source}: [domains.{name}] policy = {spec!r} is not callable; point it "
            "at a function (state, event) -> Decision."
        )
    return RulePolicy(cast(RuleFunction, rule), name=spec)


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
            self.sense_host = self._host_senses(senses)
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
                roster=tuple(built[w].spec for w in domain.workers),
                clock=clock,
            )
            for name, domain in config.domains.items()
        }
        self.writer = Writer(journal, self._dispatch)
        self.tracker = Tracker()
        self._observers: list[Observer] = []
        self._tg: TaskGroup | None = None
        self._polled = 0
        self._own: set[int] = set()

    def _host_senses(self, given: Mapping[str, Sense] | None) -> SenseHost:
        # Senses load numpy and their models; a system without senses never imports them.
        from prefrontal.runtime.senses import SenseHost
        from prefrontal.senses.factory import build_senses, open_evidence

        self.evidence = open_evidence(self.config)
        senses = dict(given) if given is not None else build_senses(self.config, self.evidence)
        subscribers = {
            sense: tuple(d for d, spec in self.config.domains.items() if sense in spec.senses)
            for sense in senses
        }
        # A restarted system continues each stream after the last percept it journaled.
        heard: dict[str, float] = {}
        for stored in self.journal.read(kinds=["percept"]):
            percept = stored.event
            if isinstance(percept, Percept) and not percept.name.startswith("sense."):
                heard[percept.sense] = max(heard.get(percept.sense, 0.0), percept.span[1])
        for name, position in heard.items():
            if name in senses:
                senses[name].resume(position)
        return SenseHost(senses, subscribers, clock=self.clock)

    # -- observing -------------------------------------------------------------------------

    def observe(self, observer: Observer) -> None:
        """Call ``observer`` with every event as soon as it is journaled, in sequence order."""
        self._observers.append(observer)

    def _dispatch(self, stored: Stored) -> None:
        self._own.add(stored.seq)
        for observer in self._observers:
            observer(stored)
        self._act_on(stored)

    def _act_on(self, stored: Stored) -> None:
        assert self._tg is not None
        event = stored.event
        if event.kind == "request":
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
            outcome = await self.router.route(request, at=self.clock.now())
            await self.writer.commit([outcome])
            if isinstance(outcome, InboxItem):
                self.inbox.note(outcome)
        finally:
            self.tracker.done()

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
        self.inbox.load(self.journal)
        self._recover()
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
        """Fold every domain's state, then re-deliver what a crash left undone."""
        for name, orchestrator in self.orchestrators.items():
            causes = {s.seq: s.event for s in self.journal.read(kinds=INBOUND_KINDS, domain=name)}
            for stored in self.journal.read(kinds=["decision"], domain=name):
                decision = stored.event
                orchestrator.state.apply(decision.cause_seq, causes[decision.cause_seq], decision)  # type: ignore[union-attr,arg-type]
            for stored in self.journal.pending(name):
                self._act_on(stored)
        for stored in [*self.journal.open_commissions(), *self.journal.unrouted()]:
            self._act_on(stored)
        self._polled = self.journal.last_seq()

    # -- the principal's API ---------------------------------------------------------------

    async def submit(
        self, text: str, *, domain: str | None = None, request_id: str | None = None
    ) -> Stored:
        """Journal a request (it is acknowledged once this returns) and let it be routed."""
        request = new_request(
            self.router, text, at=self.clock.now(), domain=domain, request_id=request_id
        )
        stored = (await self.writer.commit([request]))[0]
        if stored is None:
            found = self.journal.find(request.request_id, "request")
            assert found is not None
            return found
        return stored

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
        due = self.journal.due_timers(self.clock.now())
        fired = [
            TimerEvent(
                timer_id=s.event.timer_id,
                domain=s.event.domain,
                name=s.event.name,
                payload=s.event.payload,
                thread_id=s.event.thread_id,
                at=self.clock.now(),
            )
            for s in due
            if isinstance(s.event, TimerSet)
        ]
        if fired:
            await self.writer.commit(fired)
        return len(fired)

    async def run_until_idle(self) -> None:
        """Process everything that is due: events, commissions, timers, until nothing is."""
        while True:
            await self.tracker.wait_idle()
            if not await self.fire_due_timers():
                return

    def poll(self) -> int:
        """Pick up requests and answers other processes journaled; returns how many."""
        found = 0
        for stored in self.journal.read(
            after=self._polled, kinds=["request", "approval", "routed"]
        ):
            self._polled = max(self._polled, stored.seq)
            if stored.seq in self._own:
                continue
            found += 1
            for observer in self._observers:
                observer(stored)
            self._act_on(stored)
        self._own = {s for s in self._own if s > self._polled}
        return found

    async def serve(self, *, poll_s: float = 0.25, stop: anyio.Event | None = None) -> None:
        """Run until ``stop`` is set: process, poll the journal, fire timers as they fall due."""
        while stop is None or not stop.is_set():
            await self.run_until_idle()
            self.poll()
            await anyio.sleep(poll_s)


def _lock_path(journal: Journal) -> Path | None:
    if isinstance(journal, SqlJournal):
        url = sa.make_url(journal.url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            return Path(f"{url.database}.lock")
    return None


class DriverLock:
    """One process drives a journal at a time; others only append requests and answers."""

    def __init__(self, journal: Journal) -> None:
        self.path = _lock_path(journal)
        self._file: Any = None

    def acquire(self) -> bool:
        if self.path is None:
            return True
        self._file = open(self.path, "a")  # noqa: SIM115 - held for the system's lifetime
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            self._file = None
            return False
        return True

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


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
) -> AsyncGenerator[System, None]:
    """Start a system on ``config``; it stops (and closes a journal it opened) on exit.

    ``models`` override configured tiers (tests pass scripted models); ``workers`` override
    or add workers by name.
    """
    resolved = resolve_tiers(config, overrides=models, env=env)
    own_journal = journal is None
    if journal is None:
        journal = open_journal(config.journal_url(), synchronous=config.journal.synchronous)
    active: Journal = journal
    lock = DriverLock(active)
    try:
        if not lock.acquire():
            raise JournalBusyError(
                f"another prefrontal process is driving {config.journal_url()!r} (lock "
                f"{lock.path}); stop it, or let it do the work: 'ask' and 'inbox' still work."
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
                await system.start(tg)
                try:
                    yield system
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
