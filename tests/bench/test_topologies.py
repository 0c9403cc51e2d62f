"""The three topologies play the same tasks, on the tiers they claim, with real prompts."""

from __future__ import annotations

from collections import Counter

import anyio
import pytest

from prefrontal.bench.ceilings import TOPOLOGIES
from prefrontal.bench.figures import figures_of
from prefrontal.bench.workload import Workload, generate
from prefrontal.journal.base import Journal
from prefrontal.seam.events import Commission, DecisionEvent, InboxItem, Report


def _play(workload: Workload) -> dict[str, Journal]:
    return {name: anyio.run(run, workload) for name, run in TOPOLOGIES.items()}


@pytest.fixture(scope="module")
def workload() -> Workload:
    return generate(seed=3, domains=2, days=2)


@pytest.fixture(scope="module")
def journals(workload: Workload) -> dict[str, Journal]:
    return _play(workload)


def _decisions(journal: Journal) -> list[DecisionEvent]:
    return [s.event for s in journal.read(kinds=["decision"]) if isinstance(s.event, DecisionEvent)]


def test_every_topology_answers_every_task(
    workload: Workload, journals: dict[str, Journal]
) -> None:
    tasks = {t.task_id for t in workload.tasks}
    for name, journal in journals.items():
        answered = {
            s.event.thread_id
            for s in journal.read(kinds=["inbox"])
            if isinstance(s.event, InboxItem)
        }
        assert answered == tasks, name


def test_every_sub_task_is_done_once_by_whoever_does_the_work(
    workload: Workload, journals: dict[str, Journal]
) -> None:
    wanted = Counter(
        (t.task_id, s.kind, str(sorted(s.inputs.items())))
        for t in workload.tasks
        for s in t.subtasks
    )
    issued = Counter(
        (s.event.thread_id, s.event.worker.rsplit("-", 1)[1], str(sorted(s.event.inputs.items())))
        for s in journals["two-tier"].read(kinds=["commission"])
        if isinstance(s.event, Commission)
    )
    assert issued == wanted
    reports = [s.event for s in journals["two-tier"].read(kinds=["report"])]
    assert all(isinstance(r, Report) and r.ok for r in reports)
    done_itself = [s.event for s in journals["monolith"].read(kinds=["report"])]
    assert len(done_itself) == sum(wanted.values())
    peer_turns = [d for d in _decisions(journals["flat"]) if d.actions]
    assert len(peer_turns) == sum(wanted.values())


def test_two_tier_decides_on_the_capable_tier_and_reads_on_the_cheap_one(
    journals: dict[str, Journal],
) -> None:
    journal = journals["two-tier"]
    models = {(u.tier, u.model) for d in _decisions(journal) for u in d.usage}
    assert models == {("capable", "claude-sonnet-4-6")}
    readers = [
        u
        for s in journal.read(kinds=["report"])
        if isinstance(s.event, Report)
        for u in s.event.usage
    ]
    assert readers
    assert {(u.tier, u.model) for u in readers} == {("cheap", "claude-haiku-4-5")}
    assert all(u.cost_usd is not None and u.cost_usd > 0 for u in readers)


def test_documents_reach_the_monolith_and_the_readers_but_never_an_orchestrator(
    workload: Workload, journals: dict[str, Journal]
) -> None:
    longest = max(workload.documents.values(), key=lambda d: d.words)
    document_tokens = len(longest.text.encode()) // 4
    assert document_tokens > 4_000  # the workload has a document longer than any context
    assert max(d.context_tokens for d in _decisions(journals["monolith"])) > document_tokens
    orchestrator = max(
        sum(u.input_tokens for u in d.usage) for d in _decisions(journals["two-tier"])
    )
    assert orchestrator < document_tokens
    reader = max(
        u.input_tokens
        for s in journals["two-tier"].read(kinds=["report"])
        if isinstance(s.event, Report)
        for u in s.event.usage
    )
    assert reader > document_tokens


def test_context_per_decision_stays_flat_for_two_tier_and_grows_for_the_monolith() -> None:
    small, large = generate(seed=5, domains=1, days=2), generate(seed=5, domains=6, days=2)
    means: dict[tuple[str, int], float] = {}
    for workload in (small, large):
        for name, journal in _play(workload).items():
            figures = figures_of(journal, topology=name, domains=len(workload.domains), days=2)
            means[(name, len(workload.domains))] = figures.context_mean
    assert abs(means[("two-tier", 6)] / means[("two-tier", 1)] - 1) < 0.2
    assert means[("monolith", 6)] > 1.3 * means[("monolith", 1)]


def test_tables_and_plots_show_every_topology_that_runs() -> None:
    from prefrontal.bench.results import NAMES

    assert tuple(TOPOLOGIES) == NAMES
