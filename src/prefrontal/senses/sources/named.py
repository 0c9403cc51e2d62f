"""Named sources: what a config names as ``scene:NAME`` (a recording) or ``generate:NAME``.

Senses never import an application. An application ships its named sources as entry points
(``prefrontal.scenes``: a function returning the path of a two-channel WAV file;
``prefrontal.telemetry``: a function returning an iterable of samples), and this registry
looks them up by name. Prefrontal's own ``pyproject.toml`` registers the household example's
``household`` scene and ``boiler`` telemetry this way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import cast

from prefrontal.errors import ConfigError
from prefrontal.senses.telemetry.sources import Flagged, Sample

SCENES = "prefrontal.scenes"
TELEMETRY = "prefrontal.telemetry"


def _entry(group: str, name: str, what: str, prefix: str) -> EntryPoint:
    found = {point.name: point for point in entry_points(group=group)}
    if name not in found:
        known = ", ".join(f"'{prefix}{n}'" for n in sorted(found)) or "none"
        raise ConfigError(
            f"no {what} {name!r}; the installed ones are {known}. An application adds its own "
            f"as an entry point in the {group!r} group"
        )
    return found[name]


def scene(name: str) -> Path:
    """The path of the recording named ``scene:NAME``."""
    factory = cast(Callable[[], Path], _entry(SCENES, name, "scene", "scene:").load())
    return factory()


def telemetry(name: str) -> Iterable[Sample | Flagged]:
    """The readings of the generated telemetry named ``generate:NAME``."""
    point = _entry(TELEMETRY, name, "generated telemetry", "generate:")
    factory = cast(Callable[[], Iterable[Sample | Flagged]], point.load())
    return factory()
