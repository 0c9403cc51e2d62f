"""spectrum: the FFT of a signal with its sample rate: peaks and band energies."""

from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel

from prefrontal.errors import RecordError

MAX_SAMPLES = 4_000_000


class Peak(BaseModel):
    frequency_hz: float
    amplitude: float


class Band(BaseModel):
    low_hz: float
    high_hz: float
    energy: float
    share: float


class Spectrum(BaseModel):
    resolution_hz: float
    peaks: list[Peak]
    bands: list[Band]


def spectrum(
    samples: list[float],
    rate: float,
    peaks: int = 3,
    bands: list[tuple[float, float]] | None = None,
) -> Spectrum:
    """Peaks (amplitude of a sinusoid, refined between bins) and energy per band."""
    x = _checked(samples, rate)
    window = np.hanning(len(x))
    values = np.fft.rfft(x * window)
    power = np.abs(values) ** 2
    freqs = np.fft.rfftfreq(len(x), 1.0 / rate)
    scale = 2.0 / window.sum()
    found: list[Peak] = []
    candidates = [
        i for i in range(1, len(power) - 1) if power[i] >= power[i - 1] and power[i] > power[i + 1]
    ]
    for i in sorted(candidates, key=lambda i: -power[i])[: max(0, peaks)]:
        # Parabolic interpolation on log magnitude: exact for a Gaussian-like (Hann) main lobe.
        a, b, c = (math.log(float(abs(values[j])) + 1e-300) for j in (i - 1, i, i + 1))
        shift = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
        amplitude = math.exp(b - 0.25 * (a - c) * shift) * scale
        found.append(Peak(frequency_hz=round(float(freqs[i] + shift * rate / len(x)), 6),
                          amplitude=round(amplitude, 6)))  # fmt: skip
    total = float(power.sum()) or 1.0
    measured = [
        Band(low_hz=lo, high_hz=hi, energy=float(power[(freqs >= lo) & (freqs < hi)].sum()),
             share=float(power[(freqs >= lo) & (freqs < hi)].sum()) / total)
        for lo, hi in bands or []
    ]  # fmt: skip
    return Spectrum(resolution_hz=rate / len(x), peaks=found, bands=measured)


def _checked(samples: list[float], rate: float) -> np.ndarray:
    if not math.isfinite(rate) or rate <= 0:
        raise RecordError(f"spectrum: rate={rate!r}; expected a sample rate in Hz above 0")
    if len(samples) < 8:
        raise RecordError(f"spectrum: {len(samples)} samples; expected at least 8")
    if len(samples) > MAX_SAMPLES:
        raise RecordError(
            f"spectrum: {len(samples):,} samples; the limit is {MAX_SAMPLES:,}: send a shorter "
            "window or decimate first"
        )
    x = np.asarray(samples, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(x))
    if bad.size:
        raise RecordError(
            f"spectrum: sample {int(bad[0])} is {float(x[bad[0]])}; expected finite numbers: "
            "drop or interpolate the bad samples"
        )
    return x
