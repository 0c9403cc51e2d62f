"""Replay: rebuild every domain's state from the journal and re-check rule policies.

Each domain's decisions are folded in journal order, exactly as the live orchestrator folded
them. Before each fold, a deterministic (rule) policy is asked again with the same state and
event, through the same guards; any difference in the final actions is a mismatch. Decisions
of LLM policies are folded but not re-asked (a model is not deterministic, and replay must
not spend money).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prefrontal.clock import SystemClock
from prefrontal.config import Config, tiers_in_use
from prefrontal.journal.base import Journal, Stored
from prefrontal.runtime.assembly import build_policy, build_workers
from prefrontal.runtime.orchestrator import Orchestrator
from prefrontal.seam.events import INBOUND_KINDS, DecisionEvent
from prefrontal.seam.render import actions_line


@dataclass(frozen=True, slots=True)
class Mismatch:
    domain: str
    cause_seq: int
    recorded: str
    replayed: str


@dataclass(slots=True)
class DomainReplay:
    decisions: int = 0
    checked: int = 0
    memory_notes: int = 0
    open_commissions: int = 0
    spent_usd: str = "$0"


@dataclass(slots=True)
class ReplayReport:
    domains: dict[str, DomainReplay] = field(default_factory=dict)
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


async def replay(config: Config, journal: Journal) -> ReplayReport:
    from pydantic_ai.models.test import TestModel

    # Models are never called on replay; placeholders let LLM workers describe themselves.
    models = {tier: TestModel() for tier, _ in tiers_in_use(config)}
    workers = build_workers(config, models)
    report = ReplayReport()
    for name, domain in config.domains.items():
        orchestrator = Orchestrator(
            name,
            config=config,
            policy=build_policy(config, name, models),
            roster=tuple(workers[w].spec for w in domain.workers),
            clock=SystemClock(),
        )
        summary = report.domains.setdefault(name, DomainReplay())
        causes = {s.seq: s.event for s in journal.read(kinds=INBOUND_KINDS, domain=name)}
        for stored in journal.read(kinds=["decision"], domain=name):
            recorded = stored.event
            assert isinstance(recorded, DecisionEvent)
            cause = causes[recorded.cause_seq]
            summary.decisions += 1
            if orchestrator.policy.deterministic and recorded.policy != "principal":
                again = await orchestrator.decide(Stored(recorded.cause_seq, cause))
                summary.checked += 1
                if again.actions != recorded.actions:
                    report.mismatches.append(
                        Mismatch(
                            name,
                            recorded.cause_seq,
                            actions_line(recorded.actions),
                            actions_line(again.actions),
                        )
                    )
            orchestrator.state.apply(recorded.cause_seq, cause, recorded)  # type: ignore[arg-type]
        state = orchestrator.state
        summary.memory_notes = len(state.memory) + len(state.compacted)
        summary.open_commissions = len(state.open)
        summary.spent_usd = f"${sum(state.spent.values()):.4f}"
    return report
