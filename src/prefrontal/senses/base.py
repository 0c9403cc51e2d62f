"""The sense protocol and what a sense hands up.

A sense runs at its own rate on its own stream and emits ``Observation`` records through an
``emit`` callable that applies back-pressure (it waits when the percept stream is full). The
runtime turns each observation into one ``Percept`` per subscribed domain, measures its
compression, and journals it. Top-down attention arrives through ``attend``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from prefrontal.errors import UsageError


@dataclass(frozen=True, slots=True, kw_only=True)
class Observation:
    """A sense's summary of a stretch of signal, before it is addressed to domains.

    ``name`` is the percept's type (``speech``, ``sound``, ``telemetry.anomaly``);
    ``rendering`` its one-line English form; ``span`` the stream time it covers (seconds);
    ``raw_bytes`` how many bytes of signal stand behind it (for the compression ratio);
    ``evidence`` the reference of the raw window kept in the evidence store, if any.
    ``tainted`` names what came from outside (``fields.channel``, ``rendering``); the rest
    the sense built from closed parts. ``None`` declares nothing: every free-text field and
    the rendering are then tainted, and orchestrators see them only as handles.
    """

    name: str
    rendering: str
    confidence: float
    span: tuple[float, float]
    fields: Mapping[str, Any] = field(default_factory=dict)
    raw_bytes: int = 0
    evidence: str | None = None
    tainted: tuple[str, ...] | None = None


Emit = Callable[[Observation], Awaitable[None]]


def check_settings(sense: str, settings: Mapping[str, Any], known: tuple[str, ...]) -> None:
    """Refuse an attention request naming a setting the sense does not have."""
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise UsageError(f"sense {sense!r} has no setting {unknown}; settings: {list(known)}")


class Sense(Protocol):
    """A long-running perception submodel on one continuous stream."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    async def run(self, emit: Emit) -> None:
        """Read the stream until it ends (a file) or forever (a live source)."""
        ...

    def resume(self, position_s: float) -> None:
        """Skip the stream up to ``position_s``: what came before is already journaled."""
        ...

    def attend(self, settings: Mapping[str, Any]) -> list[str]:
        """Apply a top-down attention request; return what changed, one line each.

        Unknown settings raise ``UsageError`` naming the setting and the known ones.
        """
        ...
