"""The orchestrator: one per domain, a serial loop over its events.

For each inbound event, in journal order: build the context from its own domain, ask the
policy, apply the guards, and journal the decision together with everything it issues
(commissions, inbox items, timers, hand-offs) in one transaction. Only after that commit is
anything dispatched. The orchestrator has no domain tools: it acts only through the fixed
action space. ``decide`` is pure apart from the policy call, so replay can re-run it.

An idle orchestrator whose policy can decide on the spot (``InlinePolicy``: a rule measured
cheap) decides an event inside the very transaction that journals it (``decide_now``), so
the event, the decision and what it issues are committed together; otherwise the event waits
in the mailbox for the serial loop. Either way decisions are folded in journal order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from datetime import timedelta
from decimal import Decimal

import anyio

from prefrontal.clock import Clock
from prefrontal.config import Config, DomainConfig
from prefrontal.errors import JournalError, PolicyError
from prefrontal.journal.base import Stored
from prefrontal.policies.base import InlinePolicy, Policy, PolicyResult
from prefrontal.runtime.context import build_view
from prefrontal.runtime.guards import GuardInput, apply_guards, budget_before_policy, trip
from prefrontal.runtime.inbox import Inbox
from prefrontal.runtime.state import DomainState, commission_id
from prefrontal.runtime.writer import Writer
from prefrontal.seam.actions import (
    Action,
    AttendAction,
    CommissionAction,
    Decision,
    EscalateAction,
    HandOffAction,
    ReplyAction,
    ScheduleAction,
)
from prefrontal.seam.events import (
    ApprovalEvent,
    AttentionEvent,
    Commission,
    DecisionEvent,
    Event,
    GuardTrip,
    HandOffEvent,
    InboundEvent,
    Report,
    TimerSet,
    WorkerLimits,
)
from prefrontal.seam.roster import DomainView, WorkerSpec
from prefrontal.seam.sealing import seal
from prefrontal.seam.taint import handle_refs


def resolve_limits(roster: Mapping[str, WorkerSpec], action: CommissionAction) -> WorkerLimits:
    """A commission's limits: its worker's defaults (from the roster), overridden by the
    action's; a worker not on the roster (a guard refuses it) gets the plain defaults."""
    spec = roster.get(action.worker)
    base = spec.limits if spec is not None else WorkerLimits()
    if not action.limits.model_fields_set:
        return base  # nothing overridden (the usual case): no dump, no copy
    overrides = action.limits.model_dump(exclude_none=True)
    return base.model_copy(update=overrides) if overrides else base


_MAX_BACKLOG = 64
_RUN = 8
"""Events decided in a row before the loop lets other tasks run."""


def _escalation(trips: list[GuardTrip], guard: str, detail: str) -> PolicyResult:
    """The decision a tripped guard leaves: one escalation (built by the guards)."""
    return PolicyResult(decision=Decision(actions=(trip(trips, guard, detail),)))


class Orchestrator:
    def __init__(
        self,
        name: str,
        *,
        config: Config,
        policy: Policy,
        roster: tuple[WorkerSpec, ...],
        clock: Clock,
    ) -> None:
        self.name = name
        self.config = config
        self.domain: DomainConfig = config.domains[name]
        self.policy = policy
        self.roster = roster
        self._specs = {spec.name: spec for spec in roster}
        self._ceilings: dict[str, Decimal] = {}
        self._sealed: tuple[int, InboundEvent] | None = None
        self.clock = clock
        self.state = DomainState(
            domain=name,
            ceiling=self._ceiling,
            recent_limit=self.domain.recent_events,
            memory_limit=self.domain.memory_notes,
        )
        self.guards = GuardInput(
            domain=name,
            workers=self.domain.workers,
            senses=self.domain.senses,
            domains=tuple(config.domains),
            budget_usd=Decimal(str(self.domain.budget.usd_per_day)),
            limits=config.guards,
            consequential={
                n: w.tainted_inputs for n, w in config.workers.items() if w.consequential
            },
        )
        self.mailbox: deque[Stored[InboundEvent]] = deque()
        self._wake = anyio.Event()
        self._inline = policy if isinstance(policy, InlinePolicy) else None
        self._busy = False
        self._declined: set[int] = set()
        """Seqs ``decide_now`` passed over: they reach the mailbox once committed."""

    def _seal(self, stored: Stored[InboundEvent]) -> InboundEvent:
        """The event as the policy sees it; kept for the fold of the decision on it."""
        sealed = seal(stored.event, stored.seq)
        self._sealed = (stored.seq, sealed)
        return sealed

    def _sealed_for(self, seq: int) -> InboundEvent | None:
        kept, self._sealed = self._sealed, None
        return kept[1] if kept is not None and kept[0] == seq else None

    def _ceiling(self, action: CommissionAction) -> Decimal:
        """The most a commission may cost; per worker, once, when the action overrides none
        of its limits (the guards and the fold both ask, for every commission)."""
        if action.limits.model_fields_set:
            return Decimal(str(resolve_limits(self._specs, action).max_cost_usd))
        found = self._ceilings.get(action.worker)
        if found is None:
            found = Decimal(str(resolve_limits(self._specs, action).max_cost_usd))
            self._ceilings[action.worker] = found
        return found

    # -- deciding (pure apart from the policy) ---------------------------------------------

    async def decide(self, stored: Stored[InboundEvent]) -> DecisionEvent:
        # The policy, the context and the guards see the sealed event: handles, no taint.
        event = self._seal(stored)
        early = self._without_policy(stored.seq, event)
        if isinstance(early, DecisionEvent):
            return early
        view, trips = early
        # A rule measured cheap is called in place: a time limit around a call that never
        # awaits could not stop it anyway, so it would be a cancel scope per event for nothing.
        now = self._inline_result(view, event, trips)
        if now is not None:
            return self._guarded(stored.seq, event, view, now, trips)
        limit = self.domain.decision_timeout_s
        try:
            with anyio.fail_after(limit):
                result = await self.policy.decide(view, event)
            if result.failure is not None:
                trips.append(GuardTrip(guard="policy error", detail=result.failure))
        except TimeoutError:
            result = _escalation(
                trips,
                "decision timeout",
                (
                    f"policy {self.policy.name!r} did not decide event #{stored.seq} "
                    f"({event.kind}, thread {event.thread_id}) within {limit:g} s; it was "
                    f"stopped. Raise [domains.{self.name}] decision_timeout_s if it needs "
                    "longer, or fix what it waits on"
                ),
            )
        except Exception as error:
            result = self._policy_failed(trips, error)
        return self._guarded(stored.seq, event, view, result, trips)

    def decide_inline(self, stored: Stored[InboundEvent]) -> DecisionEvent | None:
        """``decide``, synchronously, if the policy can decide now (``InlinePolicy``)."""
        event = self._seal(stored)
        early = self._without_policy(stored.seq, event)
        if isinstance(early, DecisionEvent):
            return early
        view, trips = early
        result = self._inline_result(view, event, trips)
        if result is None:
            return None
        return self._guarded(stored.seq, event, view, result, trips)

    def _inline_result(
        self, view: DomainView, event: InboundEvent, trips: list[GuardTrip]
    ) -> PolicyResult | None:
        """The policy's result if it decides synchronously now; ``None``: ask ``decide``."""
        if self._inline is None:
            return None
        try:
            result = self._inline.decide_inline(view, event)
            if result is None:
                return None
            if result.failure is not None:
                trips.append(GuardTrip(guard="policy error", detail=result.failure))
        except Exception as error:
            result = self._policy_failed(trips, error)
        return result

    def _without_policy(
        self, seq: int, event: InboundEvent
    ) -> DecisionEvent | tuple[DomainView, list[GuardTrip]]:
        """The decision when the policy is not asked (a join, an approval, a spent budget),
        or the view to ask it with and the trips so far."""
        waiting = self._still_out(event)
        if waiting:
            return DecisionEvent(
                domain=self.name,
                cause_seq=seq,
                policy="join",
                actions=(),
                rationale=f"{waiting} more report(s) still out in this thread; decide on the last",
                context_tokens=0,
                thread_id=event.thread_id,
                source=event.source,
                at=self.clock.now(),
            )
        view = build_view(
            name=self.name,
            config=self.domain,
            principal=self.config.principal.name,
            state=self.state,
            roster=self.roster,
            event=event,
        )
        trips: list[GuardTrip] = []
        if isinstance(event, ApprovalEvent) and event.approved and event.proposed:
            result = PolicyResult(decision=Decision(actions=event.proposed))
            return self._guarded(seq, event, view, result, trips, policy="principal")
        det = self.policy.deterministic
        if (spent := budget_before_policy(self.name, view, deterministic=det)) is not None:
            return self._guarded(seq, event, view, _escalation(trips, "budget", spent), trips)
        return view, trips

    def _policy_failed(self, trips: list[GuardTrip], error: Exception) -> PolicyResult:
        if isinstance(error, PolicyError):
            return _escalation(trips, "policy error", str(error))
        return _escalation(
            trips,
            "policy error",
            f"policy {self.policy.name!r} raised {type(error).__name__}: {error}",
        )

    def _guarded(
        self,
        seq: int,
        event: InboundEvent,
        view: DomainView,
        result: PolicyResult,
        trips: list[GuardTrip],
        *,
        policy: str | None = None,
    ) -> DecisionEvent:
        """The decision event: ``result``'s actions through the guards."""
        actions, guard_trips = apply_guards(
            result.decision.actions,
            state=self.state,
            event=event,
            guards=self.guards,
            approved=policy == "principal",
        )
        return DecisionEvent(
            domain=self.name,
            cause_seq=seq,
            policy=policy or self.policy.name,
            actions=actions,
            rationale=result.decision.rationale,
            trips=(*trips, *guard_trips),
            context_tokens=view.measured_tokens,
            usage=result.usage,
            thread_id=event.thread_id,
            source=event.source,
            at=self.clock.now(),
        )

    def _still_out(self, event: InboundEvent) -> int:
        """With ``join_reports``, how many other commissions of this report's thread are out.

        The policy is woken once per fan-out, on its last report, with the earlier ones in
        its recent history: the same information, one model call instead of one per report.
        """
        if not (self.domain.joins_reports and isinstance(event, Report)):
            return 0
        others = self.state.open_in(event.thread_id)
        return others - 1 if event.commission_id in self.state.open else others

    def issue(self, decision: DecisionEvent, event: InboundEvent, inbox: Inbox) -> list[Event]:
        """The records a decision issues, journaled in the same transaction as the decision."""
        records: list[Event] = [decision]
        for index, action in enumerate(decision.actions):
            ident = commission_id(self.name, decision.cause_seq, index)
            records.extend(self._records_for(action, ident, decision, event, inbox))
        return records

    def _records_for(
        self,
        action: Action,
        ident: str,
        decision: DecisionEvent,
        event: InboundEvent,
        inbox: Inbox,
    ) -> list[Event]:
        at = decision.at
        match action:
            case CommissionAction():
                return [
                    Commission(
                        commission_id=ident,
                        domain=self.name,
                        worker=action.worker,
                        inputs=action.inputs,
                        constraints=action.constraints,
                        limits=resolve_limits(self._specs, action),
                        cause_seq=decision.cause_seq,
                        thread_id=decision.thread_id,
                        source=decision.source,
                        at=at,
                        tainted=tuple(token for _, token in handle_refs(action.inputs)),
                    )
                ]
            case ReplyAction() | EscalateAction():
                return [
                    inbox.item(
                        action,
                        item_id=f"i-{ident}",
                        domain=self.name,
                        thread_id=decision.thread_id,
                        source=decision.source,
                        at=at,
                    )
                ]
            case ScheduleAction():
                return [
                    TimerSet(
                        timer_id=f"t-{ident}",
                        domain=self.name,
                        name=action.name,
                        due_at=at + timedelta(seconds=action.after_s),
                        payload=action.payload,
                        thread_id=decision.thread_id,
                        at=at,
                    )
                ]
            case AttendAction():
                return [
                    AttentionEvent(
                        attention_id=f"a-{ident}",
                        domain=self.name,
                        sense=action.sense,
                        settings=action.settings,
                        thread_id=decision.thread_id,
                        at=at,
                    )
                ]
            case HandOffAction():
                return [
                    HandOffEvent(
                        handoff_id=f"h-{ident}",
                        from_domain=self.name,
                        domain=action.domain,
                        text=action.text,
                        payload=action.payload,
                        depth=self.state.handoff_depth(event) + 1,
                        thread_id=decision.thread_id,
                        source=decision.source,
                        at=at,
                    )
                ]
            case _:
                return []

    # -- the serial loop -------------------------------------------------------------------

    def deliver(self, stored: Stored) -> None:
        self.mailbox.append(stored.inbound())
        self._declined.discard(stored.seq)
        self._wake.set()

    def decide_now(self, stored: Stored, inbox: Inbox) -> list[Event]:
        """Decide ``stored`` on the spot and fold it: the decision and what it issues, to be
        journaled in ``stored``'s own transaction; empty when it must wait for the loop.

        Only an idle orchestrator decides on the spot (nothing in its mailbox, no decision
        under way, no event of this transaction passed over), so its decisions are folded in
        journal order, as replay folds them. Decisions it queued for the writer before are
        stored already: the writer's whole batch goes in before anything follows from it.
        """
        if self._busy or self.mailbox or self._declined:
            self._declined.add(stored.seq)
            return []
        inbound = stored.inbound()
        decision = self.decide_inline(inbound)
        if decision is None:
            self._declined.add(stored.seq)
            return []
        records = self.issue(decision, inbound.event, inbox)
        self.state.apply(stored.seq, inbound.event, decision, sealed=self._sealed_for(stored.seq))
        return records

    async def process(
        self,
        stored: Stored[InboundEvent],
        writer: Writer,
        inbox: Inbox,
        done: Callable[[], None] | None = None,
    ) -> DecisionEvent:
        """Decide one event, queue the decision and its records, then fold the state.

        The next event may be decided from the folded state before this decision is
        durable: nothing it issued is dispatched, and ``done`` is not called, until the
        writer committed it. Group commit then carries several decisions at once.
        """
        event = stored.event
        self._busy = True
        try:
            decision = await self.decide(stored)
        finally:
            self._busy = False

        def committed(written: list[Stored | None]) -> None:
            if written[0] is None:
                raise JournalError(
                    f"event #{stored.seq} of domain {self.name!r} was already decided by "
                    "another process; only one 'prefrontal run' may drive a journal at a time"
                )
            if done is not None:
                done()

        writer.enqueue(self.issue(decision, event, inbox), after=committed)
        self.state.apply(stored.seq, event, decision, sealed=self._sealed_for(stored.seq))
        if self._declined:
            # Seqs passed over in a transaction that was rolled back never come; newer ones do.
            self._declined = {seq for seq in self._declined if seq > stored.seq}
        if writer.backlog > _MAX_BACKLOG:
            await writer.commit([])  # let the journal catch up before deciding more
        return decision

    async def run(self, writer: Writer, inbox: Inbox, done: Callable[[], None]) -> None:
        run = 0
        while True:
            while not self.mailbox:
                run = 0
                await self._wake.wait()
                self._wake = anyio.Event()
            stored = self.mailbox.popleft()
            try:
                await self.process(stored, writer, inbox, done)
            except BaseException:
                done()
                raise
            run += 1
            if run % _RUN == 0:
                # A full mailbox must not starve the other tasks; a trip through the event
                # loop per event, though, cost more than the decision on a cheap rule.
                await anyio.lowlevel.checkpoint()
