"""Calibrated confidence: a hearing percept's confidence is the measured chance it is right.

Right means what the percept claims holds: its kind (a voice, a knock, a beep, a door), its
side and, for a voice, whether it said the name. The chance is a logistic map of what the
sense measured (voice probability, direction confidence, the azimuth's distance from the
front/side boundary, a word heard), fitted by ``benchmarks/calibrate.py`` on scenes of
``benchmarks/rooms.py`` (tuning seeds only) and shipped here as constants. Pure arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

UNSURE_BELOW = 0.5  # a percept more likely wrong than right says so in its rendering
UNSURE = " (not sure)"
# Logistic weights in the order of the features below; fitted by benchmarks/calibrate.py
# on rooms.py --seed 1 --names tune --scenes 5 (32 percepts: few, so refit on more), with
# the ridge that leave-one-out chose.
# A voice's chance is low when it claims no name: half the voices in those scenes said
# the name and the recogniser rarely heard it.
SPEECH_WEIGHTS = (-0.421, -0.092, 0.635, 0.282, 0.0)
SOUND_WEIGHTS = (0.584, 0.554, 0.412, 0.006, 0.089, 0.489)


def speech_features(
    probability: float, direction_confidence: float, azimuth_deg: float | None, named: bool
) -> tuple[float, ...]:
    """(1, voice probability, direction confidence, margin from the side boundary, named)."""
    return (1.0, probability, direction_confidence, _margin(azimuth_deg), float(named))


def sound_features(
    direction_confidence: float, azimuth_deg: float | None, kind: str
) -> tuple[float, ...]:
    """(1, direction confidence, margin from the side boundary, knock, beep, door)."""
    kinds = tuple(float(kind == k) for k in ("knock", "beep", "door"))
    return (1.0, direction_confidence, _margin(azimuth_deg), *kinds)


def chance(weights: Sequence[float], features: Sequence[float]) -> float:
    """The logistic map ``1 / (1 + exp(-w·x))``, rounded to 0.001."""
    z = sum(w * x for w, x in zip(weights, features, strict=True))
    return round(1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0))), 3)


def _margin(azimuth_deg: float | None) -> float:
    """Degrees from the nearest front/side boundary (±10°), capped at 30: near a boundary
    a small error flips the side."""
    if azimuth_deg is None:
        return 0.0
    return min(abs(abs(azimuth_deg) - 10.0), 30.0) / 30.0
