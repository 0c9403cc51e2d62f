"""The inbox: one queue, an attention budget, escalations that survive restarts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from prefrontal import Config, InboxItem, UsageError, inbox_entries, open_journal, open_system
from prefrontal.testing import MemoryJournal

pytestmark = pytest.mark.anyio

CONFIG = """
[principal]
interruptions_per_day = 2

[workers.pay]
kind = "tool"
function = "inbox_mod:pay"

[domains.home]
charter = "the house"
policy = "inbox_mod:home"
workers = ["pay"]
"""

MODULE = """
from prefrontal import *

def pay(amount: str) -> str:
    return f"paid {amount}"

def home(state, event):
    if isinstance(event, RoutedEvent):
        word = event.text.split()[0]
        if word == "pay":
            action = CommissionAction(worker="pay", inputs={"amount": event.text.split()[1]})
            return Decision.of(EscalateAction(text="pay it?", proposed=(action,)))
        return Decision.of(ReplyAction(text=event.text, priority=word))
    if isinstance(event, Report):
        return Decision.of(ReplyAction(text=str(event.output), priority="urgent"))
    if isinstance(event, ApprovalEvent):
        return Decision.of(ReplyAction(text="ok, not paying", priority="low"))
    return Decision.of()
"""


@pytest.fixture
def config(write_config: Callable[..., Config]) -> Config:
    return write_config(CONFIG, inbox_mod=MODULE)


async def test_attention_budget_sends_the_rest_to_the_digest(config: Config) -> None:
    journal = MemoryJournal()
    async with open_system(config, journal=journal) as system:
        for text in ["normal a", "normal b", "normal c", "urgent d", "low e", "normal f"]:
            await system.submit(text, domain="home")
            await system.run_until_idle()
    delivery = {e.item.text: e.item.delivery for e in inbox_entries(journal)}
    assert delivery == {
        "normal a": "interrupt",
        "normal b": "interrupt",
        "normal c": "digest",
        "urgent d": "interrupt",
        "low e": "digest",
        "normal f": "digest",
    }


async def test_an_escalation_waits_across_a_restart_then_approval_dispatches(
    config: Config, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'inbox.db'}"
    journal = open_journal(url)
    async with open_system(config, journal=journal) as system:
        await system.submit("pay 12.50", domain="home")
        await system.run_until_idle()
    journal.close()

    journal = open_journal(url)
    [entry] = [e for e in inbox_entries(journal) if e.pending]
    assert entry.item.text == "pay it?"
    assert entry.item.proposed[0].inputs == {"amount": "12.50"}
    async with open_system(config, journal=journal) as system:
        await system.answer(entry.item.item_id, approved=True)
        await system.run_until_idle()
        with pytest.raises(UsageError, match="was already answered"):
            await system.answer(entry.item.item_id, approved=True)
    # The tool's answer is tainted: the reply carries a handle, the principal reads the text.
    last = inbox_entries(journal)[-1]
    assert last.item.text.startswith("⟦#")
    assert "from worker 'pay', untrusted⟧" in last.item.text
    assert last.text == "«from outside, worker 'pay': paid 12.50»"
    assert len(journal.read(kinds=["commission"])) == 1
    assert journal.verify() == []
    journal.close()


async def test_denial_goes_to_the_policy_and_nothing_is_dispatched(config: Config) -> None:
    journal = MemoryJournal()
    async with open_system(config, journal=journal) as system:
        await system.submit("pay 99", domain="home")
        await system.run_until_idle()
        [entry] = [e for e in inbox_entries(journal) if e.pending]
        await system.answer(entry.item.item_id, approved=False, note="too much")
        await system.run_until_idle()
    assert journal.read(kinds=["commission"]) == []
    assert [e.item.text for e in inbox_entries(journal)][-1] == "ok, not paying"


async def test_answering_an_unknown_item_lists_the_pending_ones(config: Config) -> None:
    journal = MemoryJournal()
    async with open_system(config, journal=journal) as system:
        await system.submit("pay 1", domain="home")
        await system.run_until_idle()
        with pytest.raises(UsageError) as error:
            await system.answer("i-nope", approved=True)
    expected = (
        "inbox item 'i-nope' is not a pending escalation; pending escalations: ['i-home-2-0']"
    )
    assert expected in str(error.value)


async def test_the_day_s_interruptions_survive_a_restart(config: Config, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'attention.db'}"
    for text in ["normal a", "normal b", "normal c"]:
        journal = open_journal(url)
        async with open_system(config, journal=journal) as system:
            await system.submit(text, domain="home")
            await system.run_until_idle()
        journal.close()
    journal = open_journal(url)
    items = [s.event for s in journal.read(kinds=["inbox"]) if isinstance(s.event, InboxItem)]
    assert [i.delivery for i in items] == ["interrupt", "interrupt", "digest"]
    journal.close()


async def test_a_domain_s_share_of_the_budget_keeps_the_rest_for_others(
    write_config: Callable[..., Config],
) -> None:
    two_domains = (
        CONFIG.replace("interruptions_per_day = 2", "interruptions_per_day = 3")
        + 'interruptions_per_day = 1\n\n[domains.garden]\ncharter = "the garden"\n'
        'policy = "inbox_mod:home"\n'
    )
    config = write_config(two_domains, inbox_mod=MODULE)
    journal = MemoryJournal()
    async with open_system(config, journal=journal) as system:
        for text, domain in [
            ("normal a", "home"),
            ("normal b", "home"),
            ("urgent c", "home"),
            ("normal d", "garden"),
            ("normal e", "garden"),
        ]:
            await system.submit(text, domain=domain)
            await system.run_until_idle()
    delivery = {e.item.text: e.item.delivery for e in inbox_entries(journal)}
    assert delivery == {
        "normal a": "interrupt",
        "normal b": "digest",  # home's share of one is spent
        "urgent c": "interrupt",  # urgent always interrupts
        "normal d": "interrupt",  # garden has no share: the principal's budget (3) decides
        "normal e": "digest",  # a, c and d spent the principal's three
    }
