"""The figures of one run, read back from the journal it wrote; never from a formula.

A *decision* is one step of a capable-tier agent: an orchestrator's decision (two-tier), a
monolith step, a peer's turn (flat). Its context is the input tokens its model call was
charged for, as the scripted model counted them from the request actually sent (UTF-8
bytes / 4 over instructions, messages and tool schemas). Interruptions are inbox items
delivered as ``interrupt``; the rest went to the digest. Cost and tokens per tier come from
the runtime's cost ledger (genai-prices). Agents are the distinct capable-tier decision
makers; workers are the distinct workers that reported. ``rendered_context_mean`` is the
decision's own ``context_tokens``: for two-tier the runtime's measure of the rendered domain
context alone (without the action guide and the ``Decision`` schema the prompt also
carries); the hand-built topologies record their whole prompt there.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from prefrontal.bench.workload import START
from prefrontal.journal.base import Journal
from prefrontal.runtime.costs import cost_ledger
from prefrontal.seam.events import DecisionEvent, InboxItem, Report


@dataclass(frozen=True, slots=True, kw_only=True)
class Figures:
    topology: str
    domains: int
    days: int
    tasks: int
    decisions: int
    context_mean: float
    context_p95: int
    context_max: int
    rendered_context_mean: float
    interruptions_per_day: float
    max_interruptions_per_agent_day: int
    max_normal_interruptions_per_agent_day: int
    digest_per_day: float
    cost_per_day: float
    cost_per_day_by_tier: dict[str, float]
    tokens_by_tier: dict[str, int]
    agents: int
    workers: int
    worker_runs: int
    worker_prompt_max: int
    context_by_day: tuple[float, ...]
    interruptions_by_day: tuple[int, ...]
    cost_by_day: tuple[float, ...]

    @property
    def ratio(self) -> float:
        """Workers per capable-tier agent (orchestrator, monolith or peer)."""
        return self.workers / self.agents if self.agents else 0.0

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "workers_per_agent": self.ratio}


def percentile(values: list[int], q: float) -> int:
    """The ``q``-th percentile (0-100) by nearest rank; 0 for no values."""
    if not values:
        return 0
    ordered = sorted(values)
    rank = max(1, round(q / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def _day(at: datetime) -> int:
    return (at.date() - START.date()).days


def figures_of(journal: Journal, *, topology: str, domains: int, days: int) -> Figures:
    """Every figure of one run, folded from its journal."""
    decisions = [
        s.event
        for s in journal.read(kinds=["decision"])
        if isinstance(s.event, DecisionEvent) and s.event.usage
    ]
    contexts = [sum(u.input_tokens for u in d.usage) for d in decisions]
    by_day: dict[int, list[int]] = defaultdict(list)
    for decision, tokens in zip(decisions, contexts, strict=True):
        by_day[_day(decision.at)].append(tokens)

    items = [s.event for s in journal.read(kinds=["inbox"]) if isinstance(s.event, InboxItem)]
    interrupts = [i for i in items if i.delivery == "interrupt"]
    per_day = Counter(_day(i.at) for i in interrupts)
    per_agent_day = Counter((i.domain, _day(i.at)) for i in interrupts)
    normal_per_agent_day = Counter(
        (i.domain, _day(i.at)) for i in interrupts if i.priority != "urgent"
    )

    reports = [s.event for s in journal.read(kinds=["report"]) if isinstance(s.event, Report)]
    agents = {d.domain for d in decisions}
    worked = [r for r in reports if r.worker not in agents]  # not the monolith's own steps
    ledger = cost_ledger(journal)
    cost_by_day: dict[int, float] = defaultdict(float)
    for event in [*decisions, *worked]:
        cost_by_day[_day(event.at)] += float(sum(u.cost_usd or 0 for u in event.usage))
    tiers = ledger.by("tier")
    return Figures(
        topology=topology,
        domains=domains,
        days=days,
        tasks=len({i.thread_id for i in items}),
        decisions=len(decisions),
        context_mean=sum(contexts) / len(contexts) if contexts else 0.0,
        context_p95=percentile(contexts, 95),
        context_max=max(contexts, default=0),
        rendered_context_mean=(
            sum(d.context_tokens for d in decisions) / len(decisions) if decisions else 0.0
        ),
        interruptions_per_day=len(interrupts) / days,
        max_interruptions_per_agent_day=max(per_agent_day.values(), default=0),
        max_normal_interruptions_per_agent_day=max(normal_per_agent_day.values(), default=0),
        digest_per_day=(len(items) - len(interrupts)) / days,
        cost_per_day=float(ledger.total.cost_usd) / days,
        cost_per_day_by_tier={t: float(v.cost_usd) / days for t, v in tiers.items()},
        tokens_by_tier={t: v.input_tokens + v.output_tokens for t, v in tiers.items()},
        agents=len(agents),
        workers=len({r.worker for r in worked}),
        worker_runs=len(worked),
        worker_prompt_max=max((u.input_tokens for r in worked for u in r.usage), default=0),
        context_by_day=tuple(
            sum(by_day[d]) / len(by_day[d]) if by_day[d] else 0.0 for d in range(days)
        ),
        interruptions_by_day=tuple(per_day[d] for d in range(days)),
        cost_by_day=tuple(cost_by_day[d] for d in range(days)),
    )
