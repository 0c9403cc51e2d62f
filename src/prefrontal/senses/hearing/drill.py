"""Drill-down: workers that look again at the raw window behind a hearing percept.

Commission ``relisten`` with a percept's evidence reference to re-estimate the direction on
the whole stored window with longer frames, or with a different weighting; the answer is a
typed report, never a guess.
"""

from __future__ import annotations

from typing import Literal

from prefrontal.errors import WorkerError
from prefrontal.seam.work import CommissionContext
from prefrontal.senses.evidence import Evidence
from prefrontal.senses.hearing.direction import accumulate_tdoa, azimuth_deg, side


def relisten(
    evidence: str,
    context: CommissionContext,
    frame_s: float = 0.25,
    weighting: Literal["phat", "scot", "ml", "none"] = "phat",
) -> dict[str, float | str]:
    """Re-estimate the direction of the sound behind a percept from its stored window."""
    if context.evidence is None:
        raise WorkerError("relisten needs the evidence store; run it inside a system with senses")
    kept = context.evidence.get(evidence)
    assert isinstance(kept, Evidence)
    samples, rate = kept.samples, kept.rate
    if samples.ndim != 2 or samples.shape[1] != 2:
        raise WorkerError(f"evidence {evidence!r} is not a two-channel window: {samples.shape}")
    spacing = float(kept.meta.get("spacing_m", 0.18))
    frame = max(16, round(frame_s * rate))
    frames = [
        (samples[i : i + frame, 0], samples[i : i + frame, 1])
        for i in range(0, max(1, len(samples) - frame + 1), frame // 2)
    ]
    tdoa = accumulate_tdoa(
        frames, rate, max_tau_s=1.1 * spacing / 343.0, band=(200.0, min(4000.0, 0.45 * rate)),
        weighting=weighting,
    )  # fmt: skip
    azimuth = azimuth_deg(tdoa.tau_s, spacing)
    return {
        "azimuth_deg": round(azimuth, 1),
        "side": side(azimuth),
        "itd_us": round(tdoa.tau_s * 1e6, 2),
        "peak_ratio": round(tdoa.peak_ratio, 3),
        "confidence": round(tdoa.confidence, 3),
        "duration_s": round(len(samples) / rate, 3),
    }
