"""Calibrated confidence: a hearing percept's confidence is the measured chance it is right.

Right means what the percept claims holds: its kind (a voice, a knock, a beep, a door), its
side (when it claims one) and, for a voice, whether it said the name. Two steps, both fitted
by ``benchmarks/calibrate.py`` on scenes of ``benchmarks/rooms.py`` (tuning seeds only) and
shipped in ``calibration.json`` beside this module:

1. a score: a logistic map of what the sense measured (voice probability, direction
   confidence, the azimuth's distance from the front/side boundary, a word heard, the
   voice's SNR, whether the side is hedged; for a sound its kind and whether it claims a
   side), one for voices and one for sounds;
2. a monotone map per percept kind from that score to the share of such percepts that were
   right (isotonic regression, its steps holding at least a hundred percepts each; a kind
   with too few for two steps uses its group's map), so a kind the score flatters or
   slights is set right on its own.

Refit after changing what the sense measures (one command, in the README's hearing
section). Pure arithmetic on a small table; the table is read once.
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

UNSURE_BELOW = 0.5  # a percept more likely wrong than right says so in its rendering
UNSURE = " (not sure)"
SOUND_KINDS = ("knock", "beep", "door")


@dataclass(frozen=True, kw_only=True)
class Step:
    """A monotone step map: scores up to ``upper[i]`` (the last one: all above) map to
    ``chance[i]``."""

    upper: tuple[float, ...]
    chance: tuple[float, ...]

    def __call__(self, score: float) -> float:
        return self.chance[min(bisect.bisect_left(self.upper, score), len(self.chance) - 1)]


@dataclass(frozen=True, kw_only=True)
class Calibration:
    """The fitted table: logistic weights per group (``speech``, ``sound``) and a step map
    per percept kind (``speech``, ``knock``, ``beep``, ``door``, and ``sound`` for the rest)."""

    weights: Mapping[str, tuple[float, ...]]
    maps: Mapping[str, Step]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Calibration:
        return cls(
            weights={k: tuple(float(w) for w in v) for k, v in data["weights"].items()},
            maps={
                k: Step(upper=tuple(v["upper"]), chance=tuple(v["chance"]))
                for k, v in data["maps"].items()
            },
        )

    def chance(self, kind: str, features: Sequence[float]) -> float:
        """The calibrated chance that a percept of ``kind`` with these features is right."""
        group = "speech" if kind == "speech" else "sound"
        step = self.maps.get(kind) or self.maps.get(group)
        raw = score(self.weights[group], features)
        return round(step(raw), 3) if step is not None else raw


@cache
def shipped() -> Calibration:
    """The table shipped with the package (``calibration.json``)."""
    text = resources.files("prefrontal.senses.hearing").joinpath("calibration.json").read_text()
    return Calibration.from_json(json.loads(text))


def chance(kind: str, features: Sequence[float]) -> float:
    """The shipped calibration's chance that a percept of ``kind`` is right."""
    return shipped().chance(kind, features)


def speech_features(
    probability: float,
    direction_confidence: float,
    azimuth_deg: float | None,
    named: bool,
    snr_db: float = 40.0,
    continues: bool = False,
    hedged: bool = False,
) -> tuple[float, ...]:
    """(1, voice probability, direction confidence, margin from the side boundary, named,
    the voice's SNR over the room's noise / 30 dB, capped at 1, continues): in noise the name
    is missed more often, so a voice that claims no name is less sure there; the rest of an
    utterance cut at a pause has not heard its beginning, where a name is most often said;
    hedged: it claims a side and the front (near their boundary), so has two ways to be
    right."""
    snr = min(max(snr_db, 0.0), 30.0) / 30.0
    margin = _margin(azimuth_deg)
    return (1.0, probability, direction_confidence, margin, float(named), snr, float(continues),
            float(hedged))  # fmt: skip


def sound_features(
    direction_confidence: float,
    azimuth_deg: float | None,
    kind: str,
    sided: bool = True,
    hedged: bool = False,
) -> tuple[float, ...]:
    """(1, direction confidence, margin from the side boundary, knock, beep, door, claims a
    side, hedged): a sound that claims no side cannot have it wrong; a hedged one claims a
    side or the front."""
    kinds = tuple(float(kind == k) for k in SOUND_KINDS)
    return (1.0, direction_confidence, _margin(azimuth_deg), *kinds, float(sided), float(hedged))


def score(weights: Sequence[float], features: Sequence[float]) -> float:
    """The logistic map ``1 / (1 + exp(-w·x))``."""
    z = sum(w * x for w, x in zip(weights, features, strict=True))
    return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


def _margin(azimuth_deg: float | None) -> float:
    """Degrees from the nearest front/side boundary (±10°), capped at 30: near a boundary
    a small error flips the side."""
    if azimuth_deg is None:
        return 0.0
    return min(abs(abs(azimuth_deg) - 10.0), 30.0) / 30.0
