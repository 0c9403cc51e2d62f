"""Figures are read from the journal's records, so changing the records changes them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from prefrontal.bench.figures import figures_of, percentile
from prefrontal.bench.workload import START
from prefrontal.seam.actions import ReplyAction
from prefrontal.seam.events import DecisionEvent, Event, InboxItem, Report
from prefrontal.seam.usage import Usage
from prefrontal.testing import MemoryJournal


def _usage(tier: str, tokens: int, cost: str) -> Usage:
    return Usage(tier=tier, model="m", requests=1, input_tokens=tokens, output_tokens=10,
                 cost_usd=Decimal(cost))  # fmt: skip


def _decision(domain: str, seq: int, tokens: int, day: int) -> DecisionEvent:
    return DecisionEvent(
        domain=domain,
        cause_seq=seq,
        policy="p",
        actions=(ReplyAction(text="ok"),),
        context_tokens=tokens - 500,
        usage=(_usage("capable", tokens, "0.01"),),
        thread_id=f"t{seq}",
        source="request",
        at=START + timedelta(days=day, hours=9),
    )


def _item(domain: str, seq: int, delivery: str, day: int, priority: str = "normal") -> InboxItem:
    return InboxItem(
        item_id=f"i{seq}",
        domain=domain,
        item="reply",
        text="ok",
        priority=priority,  # type: ignore[arg-type]
        delivery=delivery,  # type: ignore[arg-type]
        thread_id=f"t{seq}",
        source="request",
        at=START + timedelta(days=day, hours=9),
    )


def test_figures_are_folded_from_the_recorded_events() -> None:
    journal = MemoryJournal()
    records: list[Event] = [
        _decision("home", 1, 1_000, 0),
        _decision("home", 2, 3_000, 0),
        _decision("money", 3, 2_000, 1),
        _item("home", 1, "interrupt", 0),
        _item("home", 2, "interrupt", 0, "urgent"),
        _item("money", 3, "digest", 1),
        Report(
            commission_id="c1",
            domain="home",
            worker="home-read",
            status="ok",
            output={"facts": []},
            usage=(_usage("cheap", 5_000, "0.005"),),
            thread_id="t1",
            source="request",
            at=START + timedelta(hours=9),
        ),
    ]
    journal.append(records)
    figures = figures_of(journal, topology="two-tier", domains=2, days=2)
    assert (figures.decisions, figures.context_mean, figures.context_max) == (3, 2_000.0, 3_000)
    assert figures.rendered_context_mean == 1_500.0
    assert figures.context_by_day == (2_000.0, 2_000.0)
    assert figures.interruptions_per_day == 1.0
    assert figures.max_interruptions_per_agent_day == 2
    assert figures.max_normal_interruptions_per_agent_day == 1  # the other was urgent
    assert figures.digest_per_day == 0.5
    assert figures.interruptions_by_day == (2, 0)
    assert figures.cost_per_day == 0.0175  # (3 × 0.01 + 0.005) / 2 days, from the ledger
    assert figures.cost_by_day == (0.025, 0.01)
    assert figures.tokens_by_tier == {"capable": 6_030, "cheap": 5_010}
    assert (figures.agents, figures.workers, figures.worker_runs) == (2, 1, 1)
    assert figures.worker_prompt_max == 5_000
    assert figures.tasks == 3

    journal.append([_decision("money", 4, 9_000, 1)])
    assert figures_of(journal, topology="two-tier", domains=2, days=2).context_max == 9_000


def test_percentile_is_nearest_rank() -> None:
    assert percentile(list(range(1, 101)), 95) == 95
    assert percentile([5], 95) == 5
    assert percentile([], 95) == 0
