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
# on rooms.py --seed 1..4 --names tune --scenes 6 (183 percepts), with the sense spotting the
# name by keyword search. Fitted on seeds 1, 2, 4 alone, seed 3's ECE was 0.13: too few
# percepts for a map this size to be trusted far.
SPEECH_WEIGHTS = (-0.655, -0.27, 0.956, 0.197, 1.204, 0.857)
SOUND_WEIGHTS = (0.726, 0.455, 0.709, 0.642, -0.695, 0.778)


def speech_features(
    probability: float,
    direction_confidence: float,
    azimuth_deg: float | None,
    named: bool,
    snr_db: float = 40.0,
) -> tuple[float, ...]:
    """(1, voice probability, direction confidence, margin from the side boundary, named,
    the voice's SNR over the room's noise / 30 dB, capped at 1): in noise the name is missed
    more often, so a voice that claims no name is less sure there."""
    snr = min(max(snr_db, 0.0), 30.0) / 30.0
    return (1.0, probability, direction_confidence, _margin(azimuth_deg), float(named), snr)


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
