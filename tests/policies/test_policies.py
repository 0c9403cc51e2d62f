"""Policies: rule and LLM policies return the same typed decision; failures escalate."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import pytest
from genai_prices import Usage as PriceUsage
from genai_prices import calc_price
from pydantic_ai.exceptions import ModelHTTPError

from prefrontal import Config, DecisionEvent, InboxItem, open_system
from prefrontal.journal import Journal
from prefrontal.testing import MemoryJournal, ScriptedModel

pytestmark = pytest.mark.anyio

CONFIG = """
[models]
boss = "anthropic:claude-sonnet-4-5"

[workers.lookup]
kind = "tool"
function = "policy_mod:lookup"
description = "look a word up"

[domains.smart]
charter = "answers questions"
policy = { kind = "llm", tier = "boss", retries = 1 }
workers = ["lookup"]

[domains.rules]
charter = "broken rules"
policy = "policy_mod:broken"
workers = ["lookup"]
"""

MODULE = """
from prefrontal import *

def lookup(word: str) -> str:
    return word.upper()

def broken(state, event):
    if isinstance(event, RoutedEvent) and event.text == "raise":
        raise KeyError("no such rule")
    return "not a decision"
"""

COMMISSION = {
    "actions": [
        {
            "kind": "commission",
            "worker": "lookup",
            "inputs": {"word": "hi"},
            "constraints": ["only dictionary words"],
        }
    ],
    "rationale": "needs a lookup",
}
REPLY = {"actions": [{"kind": "reply", "text": "HI it is"}]}


@pytest.fixture
def config(write_config: Callable[..., Config]) -> Config:
    return write_config(CONFIG, policy_mod=MODULE)


async def _run(config: Config, model: ScriptedModel, text: str) -> Journal:
    journal = MemoryJournal()
    async with open_system(config, journal=journal, models={"boss": model}) as system:
        await system.submit(text)
        await system.run_until_idle()
    assert journal.verify() == []
    assert journal.pending("smart") == []
    return journal


def _decisions(journal: Journal) -> list[DecisionEvent]:
    return [s.event for s in journal.read(kinds=["decision"]) if isinstance(s.event, DecisionEvent)]


def _inbox(journal: Journal) -> list[InboxItem]:
    return [s.event for s in journal.read(kinds=["inbox"]) if isinstance(s.event, InboxItem)]


async def test_llm_policy_commissions_then_replies_with_usage_and_cost(config: Config) -> None:
    boss = ScriptedModel(
        [COMMISSION, REPLY], model_name="claude-sonnet-4-5", input_tokens=1200, output_tokens=80
    )
    journal = await _run(config, boss, "@smart what is hi?")
    [commission] = [s.event for s in journal.read(kinds=["commission"])]
    assert commission.constraints == ("only dictionary words",)  # type: ignore[union-attr]
    first, second = _decisions(journal)
    assert first.policy == "llm:boss"
    assert first.rationale == "needs a lookup"
    [usage] = first.usage
    expected = calc_price(
        PriceUsage(input_tokens=1200, output_tokens=80),
        "claude-sonnet-4-5",
        provider_id="anthropic",
    ).total_price
    assert (usage.model, usage.tier, usage.input_tokens, usage.output_tokens) == (
        "claude-sonnet-4-5",
        "boss",
        1200,
        80,
    )
    assert usage.cost_usd == expected
    assert expected > Decimal(0)
    assert _inbox(journal)[-1].text == "HI it is"
    assert second.context_tokens > 0


async def test_the_policy_reads_the_rendered_context(config: Config) -> None:
    boss = ScriptedModel([REPLY])
    await _run(config, boss, "@smart what is hi?")
    prompt = str(boss.prompts[0])
    assert "Charter: answers questions" in prompt
    assert "- lookup (tool): look a word up; inputs {word: string}" in prompt
    assert "what is hi?" in prompt


async def test_malformed_output_is_retried_then_escalated_with_it_as_evidence(
    config: Config,
) -> None:
    boss = ScriptedModel(['{"actions": [{"kind": "dance"}]}'])
    journal = await _run(config, boss, "@smart go")
    assert boss.calls == 2  # the first answer and one retry
    [decision] = _decisions(journal)
    assert [t.guard for t in decision.trips] == ["policy error"]
    assert [u.input_tokens for u in decision.usage] == [100, 100]  # failed calls still cost
    [item] = _inbox(journal)
    assert item.item == "escalation"
    assert item.text.startswith(
        "[policy error] policy 'llm:boss': tier 'boss' (model 'claude-haiku-4-5'): the output "
        "stayed invalid after 1 retries ("
    )
    assert 'Expected a Decision: {"actions": [{"kind": "reply"' in item.text
    # The model's text is untrusted: evidence for the principal, quoted, not the message.
    assert "dance" not in item.text
    last, why = item.evidence
    assert last == "the model's last output (untrusted): " + json.dumps(
        '{"actions": [{"kind": "dance"}]}'
    )
    assert why.startswith("why it was refused (untrusted): ")
    assert "union_tag_invalid" in why


async def test_a_rate_limit_is_retried_then_the_decision_goes_through(config: Config) -> None:
    limited = ModelHTTPError(status_code=429, model_name="claude-haiku-4-5", body="slow down")
    boss = ScriptedModel([limited, REPLY])
    journal = await _run(config, boss, "@smart hello")
    assert boss.calls == 2
    assert _inbox(journal)[-1].text == "HI it is"


async def test_a_provider_that_keeps_failing_escalates(config: Config) -> None:
    down = ModelHTTPError(status_code=500, model_name="claude-haiku-4-5", body="boom")
    boss = ScriptedModel([down])
    journal = await _run(config, boss, "@smart hello")
    assert boss.calls == 3  # one try and two retries
    [item] = _inbox(journal)
    assert item.text == (
        "[policy error] policy 'llm:boss': tier 'boss' (model 'claude-haiku-4-5') answered "
        "HTTP 500 (after 3 attempts)"
    )
    assert item.evidence == ('the server\'s answer (untrusted): "boom"',)
    [decision] = _decisions(journal)
    assert [u.requests for u in decision.usage] == [1, 1, 1]  # every attempt is journaled


async def test_a_policy_that_raises_escalates_and_the_journal_stays_consistent(
    config: Config,
) -> None:
    journal = await _run(config, ScriptedModel([REPLY]), "@rules raise")
    [decision] = [d for d in _decisions(journal) if d.domain == "rules"]
    assert decision.trips[0].guard == "policy error"
    assert _inbox(journal)[0].text == (
        "[policy error] policy 'policy_mod:broken' raised KeyError: 'no such rule'"
    )


async def test_a_rule_policy_must_return_a_decision(config: Config) -> None:
    journal = await _run(config, ScriptedModel([REPLY]), "@rules hello")
    assert "returned str ('not a decision'); it must return a Decision" in _inbox(journal)[0].text


FAN_OUT = {
    "actions": [
        {"kind": "commission", "worker": "lookup", "inputs": {"word": word}}
        for word in ("alpha", "beta", "gamma")
    ]
}


async def test_an_llm_policy_wakes_once_per_fan_out_on_its_last_report(config: Config) -> None:
    boss = ScriptedModel([FAN_OUT, REPLY])
    journal = await _run(config, boss, "@smart look three words up")
    decisions = _decisions(journal)
    assert [d.policy for d in decisions] == ["llm:boss", "join", "join", "llm:boss"]
    assert boss.calls == 2  # the arrival and the last report, not one call per report
    joins = [d for d in decisions if d.policy == "join"]
    assert all(d.actions == () and d.context_tokens == 0 and not d.usage for d in joins)
    assert "2 more report(s) still out" in joins[0].rationale
    # the last decision's context holds every report of the fan-out, each as a handle: the
    # lookup's free text is tainted and never readable by the orchestrator
    last_prompt = str(boss.prompts[-1]).replace("\\'", "'")
    for word in ("ALPHA", "BETA", "GAMMA"):
        assert word not in last_prompt
    for stored in journal.read(kinds=["report"]):  # each report as a handle into its entry
        assert f"⟦#{stored.seq}.output: text, " in last_prompt
    assert _inbox(journal)[-1].text == "HI it is"


async def test_joining_reports_can_be_turned_off(write_config: Callable[..., Config]) -> None:
    config = write_config(
        CONFIG.replace("retries = 1 }", "retries = 1 }\njoin_reports = false"), policy_mod=MODULE
    )
    boss = ScriptedModel([FAN_OUT, {"actions": []}, {"actions": []}, REPLY])
    journal = await _run(config, boss, "@smart look three words up")
    assert [d.policy for d in _decisions(journal)] == ["llm:boss"] * 4
    assert boss.calls == 4
