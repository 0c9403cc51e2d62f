"""The router: sends each principal request to exactly one domain, or asks.

Order: an explicit address (``@home ...`` or ``--domain``), then the charter rules (keywords
and patterns from config; a unique best score wins), then, if configured, a cheap-tier
classifier whose confidence must reach ``min_confidence``. When unsure it puts a question in
the inbox instead of guessing. Every routing decision is journaled with its reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from prefrontal.config import Config, compile_pattern
from prefrontal.errors import RoutingError
from prefrontal.seam.events import InboxItem, RequestEvent, RoutedEvent
from prefrontal.seam.usage import Usage

if TYPE_CHECKING:
    from pydantic_ai.models import Model

_ADDRESS = re.compile(r"^@([a-z][a-z0-9_-]*)\b\s*")


class _Choice(BaseModel):
    domain: str = Field(description="the one domain that owns this request, or 'unsure'")
    confidence: float = Field(ge=0.0, le=1.0)


@dataclass(frozen=True, slots=True)
class _Rules:
    words: tuple[str, ...]
    keywords: tuple[re.Pattern[str], ...]
    patterns: tuple[Any, ...]  # RE2, so a pattern cannot take more than linear time

    def score(self, text: str) -> tuple[int, list[str]]:
        hits = [k for k, p in zip(self.words, self.keywords, strict=True) if p.search(text)]
        hits += [str(p.pattern) for p in self.patterns if p.search(text)]
        return len(hits), hits


def split_address(text: str) -> tuple[str | None, str]:
    """``'@home water the plants'`` → ``('home', 'water the plants')``."""
    match = _ADDRESS.match(text)
    if match is None:
        return None, text
    return match.group(1), text[match.end() :]


class Router:
    def __init__(self, config: Config, *, classifier: Model | None = None) -> None:
        self.domains = tuple(config.domains)
        self.min_confidence = config.router.min_confidence
        self.classifier_tier = config.router.classifier
        self.classifier = classifier
        self.charters = {n: d.charter for n, d in config.domains.items()}
        self.rules = {
            name: _Rules(
                domain.keywords,
                tuple(re.compile(rf"\b{re.escape(k)}\b", re.I) for k in domain.keywords),
                tuple(compile_pattern(p) for p in domain.patterns),
            )
            for name, domain in config.domains.items()
        }

    def check_address(self, address: str | None) -> None:
        if address is not None and address not in self.domains:
            raise RoutingError(
                f"request addressed to @{address}, which is not a domain; domains: "
                f"{list(self.domains)}. Use one of them, or drop the address to let the "
                "router choose."
            )

    async def route(self, request: RequestEvent, *, at: datetime) -> RoutedEvent | InboxItem:
        routed = self.route_now(request, at=at)
        if routed is not None:
            return routed
        candidates = self._leaders(request) or self.domains
        assert self.classifier is not None
        choice, usage = await self._classify(request, candidates)
        confident = choice is not None and choice.confidence >= self.min_confidence
        if choice is not None and confident and choice.domain in candidates:
            reason = f"classifier chose it with confidence {choice.confidence:.2f}"
            return self._routed(request, choice.domain, "classifier", reason, at, usage)
        detail = (
            "classifier unsure"
            if choice is None
            else (f"classifier said {choice.domain!r} at {choice.confidence:.2f}")
        )
        return self._ask(request, candidates, detail, at)

    def route_now(self, request: RequestEvent, *, at: datetime) -> RoutedEvent | InboxItem | None:
        """Route without the classifier: by address, by charter rules, or ask; ``None``
        when only the classifier can tell (then ``route`` asks it)."""
        address = request.address
        if address is None:
            address, _ = split_address(request.text)
        if address is not None:
            if address in self.domains:
                return self._routed(request, address, "address", f"addressed @{address}", at)
            return self._ask(request, self.domains, f"@{address} is not a domain", at)
        scores = self._scores(request)
        leaders = self._leaders(request, scores)
        if len(leaders) == 1:
            name = leaders[0]
            return self._routed(request, name, "rules", f"matched {scores[name][1]}", at)
        if self.classifier is not None:
            return None
        reason = "several domains match equally" if leaders else "no charter rule matches"
        return self._ask(request, leaders or self.domains, reason, at)

    def _scores(self, request: RequestEvent) -> dict[str, tuple[int, list[str]]]:
        return {name: rules.score(request.text) for name, rules in self.rules.items()}

    def _leaders(
        self, request: RequestEvent, scores: dict[str, tuple[int, list[str]]] | None = None
    ) -> tuple[str, ...]:
        """The domains whose charter rules match best (none when no rule matches)."""
        scores = self._scores(request) if scores is None else scores
        best = max((s for s, _ in scores.values()), default=0)
        return tuple(n for n, (s, _) in scores.items() if s == best and best > 0)

    async def _classify(
        self, request: RequestEvent, candidates: tuple[str, ...]
    ) -> tuple[_Choice | None, tuple[Usage, ...]]:
        from prefrontal.models.run import ModelCaller, ModelFailure

        assert self.classifier is not None
        tier = self.classifier_tier or "classifier"
        listing = "\n".join(f"- {n}: {self.charters[n]}" for n in candidates)
        caller = ModelCaller(self.classifier, tier=tier, output_type=_Choice)
        outcome = await caller.run(
            request.text,
            instructions=(
                "Pick the one domain that owns the principal's request, with your confidence. "
                f"Answer 'unsure' if none clearly does. Domains:\n{listing}"
            ),
        )
        if isinstance(outcome, ModelFailure):
            return None, outcome.usage
        return outcome.output, outcome.usage

    def _routed(
        self,
        request: RequestEvent,
        domain: str,
        method: Literal["address", "rules", "classifier", "principal"],
        reason: str,
        at: datetime,
        usage: tuple[Usage, ...] = (),
    ) -> RoutedEvent:
        return RoutedEvent(
            request=request, domain=domain, method=method, reason=reason, usage=usage, at=at
        )

    def question(self, request: RequestEvent, reason: str, *, at: datetime) -> InboxItem:
        """Ask the principal which domain should handle a request the router could not route."""
        return self._ask(request, self.domains, reason, at)

    def _ask(
        self, request: RequestEvent, candidates: tuple[str, ...], reason: str, at: datetime
    ) -> InboxItem:
        return InboxItem(
            item_id=f"q-{request.request_id}",
            domain=None,
            item="question",
            text=(
                f"Which domain should handle {request.text[:200]!r}? ({reason}). "
                f"Domains: {', '.join(self.domains)}. "
                f"Answer with: prefrontal inbox route q-{request.request_id} DOMAIN"
            ),
            priority="normal",
            delivery="interrupt",
            needs_answer=True,
            options=candidates,
            thread_id=request.request_id,
            source="request",
            at=at,
        )

    def answer(self, request: RequestEvent, domain: str, *, at: datetime) -> RoutedEvent:
        if domain not in self.domains:
            raise RoutingError(
                f"question q-{request.request_id}: {domain!r} is not a domain; domains: "
                f"{list(self.domains)}. Answer with one of them."
            )
        return self._routed(request, domain, "principal", "the principal chose it", at)
