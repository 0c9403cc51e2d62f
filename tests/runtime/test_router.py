"""The router: address, then charter rules, then a classifier; when unsure it asks."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from prefrontal import Config, InboxItem, RoutedEvent, RoutingError, open_system
from prefrontal.journal import Journal
from prefrontal.testing import MemoryJournal, ScriptedModel

pytestmark = pytest.mark.anyio

CONFIG = """
[models]
cheap = "anthropic:claude-haiku-4-5"

{router}

[domains.home]
charter = "the house"
policy = "route_mod:noop"
keywords = ["lights", "heating"]

[domains.money]
charter = "the money"
policy = "route_mod:noop"
keywords = ["bill", "spent"]
patterns = ["\\\\b\\\\d+\\\\.\\\\d\\\\d\\\\b"]
"""

MODULE = """
from prefrontal import Decision
def noop(state, event):
    return Decision.of()
"""


@pytest.fixture
def rules_only(write_config: Callable[..., Config]) -> Config:
    return write_config(CONFIG.format(router=""), route_mod=MODULE)


@pytest.fixture
def with_classifier(write_config: Callable[..., Config]) -> Config:
    router = '[router]\nclassifier = "cheap"\nmin_confidence = 0.7'
    return write_config(CONFIG.format(router=router), route_mod=MODULE)


def _outcomes(journal: Journal) -> list[RoutedEvent | InboxItem]:
    return [
        s.event
        for s in journal.read(kinds=["routed", "inbox"])
        if isinstance(s.event, RoutedEvent | InboxItem)
    ]


async def _route(
    config: Config, text: str, **kwargs: object
) -> tuple[Journal, list[RoutedEvent | InboxItem]]:
    journal = MemoryJournal()
    models = kwargs.pop("models", None)
    async with open_system(config, journal=journal, models=models) as system:  # type: ignore[arg-type]
        await system.submit(text, **kwargs)  # type: ignore[arg-type]
        await system.run_until_idle()
    return journal, _outcomes(journal)


async def test_explicit_address_wins_over_rules(rules_only: Config) -> None:
    _, [routed] = await _route(rules_only, "@home pay the bill")
    assert isinstance(routed, RoutedEvent)
    assert (routed.domain, routed.method, routed.reason) == ("home", "address", "addressed @home")
    assert routed.text == "pay the bill"


async def test_domain_option_addresses_too(rules_only: Config) -> None:
    _, [routed] = await _route(rules_only, "pay the bill", domain="home")
    assert isinstance(routed, RoutedEvent)
    assert routed.domain == "home"


async def test_charter_rules_route_with_their_reason(rules_only: Config) -> None:
    _, [routed] = await _route(rules_only, "I spent 12.40 on lunch")
    assert isinstance(routed, RoutedEvent)
    assert routed.domain == "money"
    assert routed.method == "rules"
    assert "spent" in routed.reason


async def test_a_tie_asks_the_principal_instead_of_guessing(rules_only: Config) -> None:
    journal, [question] = await _route(rules_only, "turn on the lights and pay the bill")
    assert isinstance(question, InboxItem)
    assert question.item == "question"
    assert question.options == ("home", "money")
    assert "several domains match equally" in question.text
    assert journal.unrouted() == []  # asked, not lost


async def test_the_principal_answers_a_question(rules_only: Config) -> None:
    journal = MemoryJournal()
    async with open_system(rules_only, journal=journal) as system:
        await system.submit("what about tomorrow?")
        await system.run_until_idle()
        [question] = _outcomes(journal)
        await system.route(question.item_id, "home")  # type: ignore[union-attr]
        await system.run_until_idle()
    routed = _outcomes(journal)[-1]
    assert isinstance(routed, RoutedEvent)
    assert (routed.domain, routed.method) == ("home", "principal")
    assert len(journal.read(kinds=["decision"], domain="home")) == 1


async def test_unknown_address_is_a_routing_error_and_journals_nothing(rules_only: Config) -> None:
    journal = MemoryJournal()
    async with open_system(rules_only, journal=journal) as system:
        with pytest.raises(RoutingError) as error:
            await system.submit("@garden water the roses")
    assert str(error.value) == (
        "request addressed to @garden, which is not a domain; domains: ['home', 'money']. "
        "Use one of them, or drop the address to let the router choose."
    )
    assert journal.last_seq() == 0


async def test_a_confident_classifier_routes(with_classifier: Config) -> None:
    cheap = ScriptedModel([{"domain": "home", "confidence": 0.9}])
    _, [routed] = await _route(with_classifier, "it is cold in here", models={"cheap": cheap})
    assert isinstance(routed, RoutedEvent)
    assert (routed.domain, routed.method) == ("home", "classifier")
    assert routed.usage[0].model == "claude-haiku-4-5"
    assert routed.usage[0].input_tokens == 100


async def test_an_unsure_classifier_asks(with_classifier: Config) -> None:
    cheap = ScriptedModel([{"domain": "money", "confidence": 0.4}])
    _, [question] = await _route(with_classifier, "hmm", models={"cheap": cheap})
    assert isinstance(question, InboxItem)
    assert "classifier said 'money' at 0.40" in question.text


async def test_classifier_cannot_pick_a_domain_that_does_not_exist(with_classifier: Config) -> None:
    cheap = ScriptedModel([{"domain": "garden", "confidence": 0.99}])
    _, [question] = await _route(with_classifier, "roses", models={"cheap": cheap})
    assert isinstance(question, InboxItem)
