"""Replay: rebuild every domain's state from the journal and re-check rule policies.

Each domain's decisions are folded in journal order, exactly as the live orchestrator folded
them. Before each fold, a deterministic (rule) policy is asked again with the same state and
event, through the same guards; any difference in the final actions is a mismatch. Decisions
of LLM policies are folded but not re-asked (a model is not deterministic, and replay must
not spend money).

A full replay also checks every stored snapshot: the state it holds must equal the fold of
the history up to its seq. ``from_snapshot=True`` starts from the newest snapshot instead
and checks only the tail. A journal with a row that cannot be read is never reported as
replayed: the report lists the rows, and ``ok`` is false.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from prefrontal.clock import SystemClock
from prefrontal.config import Config, tiers_in_use
from prefrontal.journal.base import Journal, Stored, causes_of
from prefrontal.runtime.assembly import build_policy, build_roster, build_workers
from prefrontal.runtime.orchestrator import Orchestrator
from prefrontal.runtime.snapshot import Snapshot, domain_states, fingerprint, load_snapshot
from prefrontal.seam.events import DecisionEvent, Report
from prefrontal.seam.percept import Percept
from prefrontal.seam.render import actions_line
from prefrontal.seam.sealing import sealing


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
    from_seq: int = 0


@dataclass(slots=True)
class ReplayReport:
    domains: dict[str, DomainReplay] = field(default_factory=dict)
    mismatches: list[Mismatch] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    snapshots_checked: int = 0
    snapshot_mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.mismatches or self.unreadable or self.snapshot_mismatches)


async def replay(config: Config, journal: Journal, *, from_snapshot: bool = False) -> ReplayReport:
    from pydantic_ai.models.test import TestModel

    report = ReplayReport(unreadable=journal.unreadable())
    if report.unreadable:
        return report  # a fold with rows left out would claim a history that is not there
    # Models are never called on replay; placeholders let LLM workers describe themselves.
    models = {tier: TestModel() for tier, _ in tiers_in_use(config)}
    workers = build_workers(config, models)
    base = load_snapshot(journal) if from_snapshot else None
    states = domain_states(base, config)
    stored_snapshots = [] if from_snapshot else _snapshots(journal)
    for name in config.domains:
        orchestrator = Orchestrator(
            name,
            config=config,
            policy=build_policy(config, name, models),
            roster=build_roster(config, workers, name),
            clock=SystemClock(),
        )
        summary = report.domains.setdefault(name, DomainReplay())
        if base is not None and name in states:
            orchestrator.state.restore(states[name])
            summary.from_seq = base.seq
        mark = fingerprint(config, name)
        checks = [
            (s.seq, s.domains[name]["state"])
            for s in stored_snapshots
            if s.domains.get(name, {}).get("fingerprint") == mark
        ]
        decisions = [
            s.of(DecisionEvent)
            for s in journal.read(after=summary.from_seq, kinds=["decision"], domain=name)
        ]
        causes = causes_of(journal, decisions)
        for stored in decisions:
            recorded = stored.event
            while checks and checks[0][0] < stored.seq:
                report.snapshots_checked += 1
                _check_snapshot(report, name, checks.pop(0), orchestrator.state.dump())
            cause = causes[recorded.cause_seq]
            summary.decisions += 1
            if orchestrator.policy.deterministic and recorded.policy != "principal":
                # A report or percept journaled before provenance existed was decided on
                # unsealed: replay shows it to the policy as it was then. (A live system
                # seals such a record whole: every string is tainted.)
                legacy = isinstance(cause, Report | Percept) and cause.provenance is None
                with sealing(not legacy):
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
            orchestrator.state.apply(recorded.cause_seq, cause, recorded)
        for check in checks:
            report.snapshots_checked += 1
            _check_snapshot(report, name, check, orchestrator.state.dump())
        state = orchestrator.state
        summary.memory_notes = len(state.memory) + len(state.compacted)
        summary.open_commissions = len(state.open)
        summary.spent_usd = f"${sum(state.spent.values()):.4f}"
    return report


def _snapshots(journal: Journal) -> list[Snapshot]:
    found: list[Snapshot] = []
    for seq in journal.snapshot_seqs():
        snapshot = load_snapshot(journal, upto=seq)
        if snapshot is not None and snapshot.seq == seq:
            found.append(snapshot)
    return found


def _check_snapshot(
    report: ReplayReport, domain: str, check: tuple[int, dict[str, Any]], folded: dict[str, Any]
) -> None:
    seq, stored = check
    if json.loads(json.dumps(folded)) != stored:
        report.snapshot_mismatches.append(
            f"snapshot #{seq}: the state of domain {domain!r} differs from the fold of the "
            "journal up to it; delete the snapshot rows (start-up folds from the journal)"
        )
