"""Generated binaural scenes with known ground truth, for tests, benchmarks and the demo.

Each mono clip is placed at an azimuth: the far microphone hears it later by the time
difference of a two-microphone head (``tau = -sin(azimuth) · spacing / c``, positive when the
left microphone hears it first) and a little quieter; then white noise is added at the asked
signal-to-noise ratio. Delays are applied in the frequency domain, so they are exact to a
fraction of a sample.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile

Mono = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Placed:
    """A clip in the scene: ``label`` (``speech``, ``knock``, ``beep``...), what it says."""

    label: str
    start_s: float
    azimuth_deg: float
    samples: Mono
    words: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Truth:
    label: str
    start_s: float
    end_s: float
    azimuth_deg: float
    tau_s: float
    words: tuple[str, ...] = ()


def tau_for(azimuth_deg: float, spacing_m: float, c: float = 343.0) -> float:
    return -math.sin(math.radians(azimuth_deg)) * spacing_m / c


def delayed(samples: Mono, delay_s: float, rate: int, length: int) -> Mono:
    """``samples`` delayed by ``delay_s`` (any fraction of a sample) in ``length`` frames."""
    n = 1 << math.ceil(math.log2(length + len(samples) + 1))
    spectrum = np.fft.rfft(samples, n)
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    shifted = np.fft.irfft(spectrum * np.exp(-2j * np.pi * freqs * delay_s), n)
    return shifted[:length]


def render(
    items: Sequence[Placed],
    *,
    rate: int,
    duration_s: float,
    spacing_m: float = 0.18,
    snr_db: float | None = 30.0,
    seed: int = 0,
) -> tuple[npt.NDArray[np.float32], list[Truth]]:
    """The scene as (frames × 2) float32 audio, and the truth of each clip."""
    length = round(duration_s * rate)
    left = np.zeros(length)
    right = np.zeros(length)
    truths: list[Truth] = []
    for item in items:
        tau = tau_for(item.azimuth_deg, spacing_m)
        lead = item.start_s + max(0.0, -tau)
        far = 1.0 - 0.25 * abs(math.sin(math.radians(item.azimuth_deg)))
        gain_left, gain_right = (1.0, far) if item.azimuth_deg < 0 else (far, 1.0)
        left += gain_left * delayed(item.samples, lead, rate, length)
        right += gain_right * delayed(item.samples, lead + tau, rate, length)
        end = item.start_s + len(item.samples) / rate
        truths.append(Truth(item.label, item.start_s, end, item.azimuth_deg, tau, item.words))
    stereo = np.stack([left, right], axis=1)
    if snr_db is not None:
        power = float(np.mean(np.concatenate([i.samples for i in items]) ** 2)) if items else 1e-6
        noise_sd = math.sqrt(power / 10 ** (snr_db / 10))
        stereo += np.random.default_rng(seed).normal(0.0, noise_sd, stereo.shape)
    peak = float(np.max(np.abs(stereo))) or 1.0
    return (stereo * (0.9 / peak)).astype(np.float32), truths


def knock(rate: int, seed: int = 1) -> Mono:
    """Two sharp, broadband raps 120 ms apart (a knock on a door)."""
    rng = np.random.default_rng(seed)
    rap = rng.normal(0, 1, round(0.04 * rate)) * np.exp(
        -np.arange(round(0.04 * rate)) / (0.006 * rate)
    )
    gap = np.zeros(round(0.08 * rate))
    return np.concatenate([rap, gap, rap * 0.8]) * 0.8


def beep(rate: int, freq_hz: float = 1000.0, duration_s: float = 0.3) -> Mono:
    t = np.arange(round(duration_s * rate)) / rate
    ramp = np.minimum(1.0, np.minimum(t, duration_s - t) / 0.01)
    return 0.5 * np.sin(2 * np.pi * freq_hz * t) * ramp


def voiced(rate: int, duration_s: float, f0_hz: float = 130.0, seed: int = 2) -> Mono:
    """A synthetic voiced sound (harmonics 120-3000 Hz with a slow pitch glide): speech-like
    for direction, not for words."""
    t = np.arange(round(duration_s * rate)) / rate
    f0 = f0_hz * (1 + 0.08 * np.sin(2 * np.pi * 3 * t))
    phase = 2 * np.pi * np.cumsum(f0) / rate
    harmonics = sum(np.sin(k * phase) / k for k in range(1, int(3000 / f0_hz)))
    envelope = 0.5 * (1 + np.sin(2 * np.pi * 4 * t + np.random.default_rng(seed).uniform(0, 6)))
    return 0.3 * np.asarray(harmonics) * envelope


def write(path: Path, stereo: npt.NDArray[np.float32], rate: int) -> None:
    soundfile.write(str(path), stereo, rate, subtype="PCM_16")
