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


def knock(rate: int, seed: int = 1, raps: int = 2) -> Mono:
    """``raps`` sharp, broadband raps about 120 ms apart (a knock on a door)."""
    rng = np.random.default_rng(seed)
    n = round(0.04 * rate)
    decay = np.exp(-np.arange(n) / (0.006 * rate))
    parts: list[Mono] = []
    for k in range(raps):
        if k:
            parts.append(np.zeros(round(rng.uniform(0.07, 0.12) * rate)))
        parts.append(rng.normal(0, 1, n) * decay * (0.8 if k else 1.0))
    return np.concatenate(parts) * 0.8


def door(rate: int, seed: int = 3) -> Mono:
    """A door closing: a low, heavy thud (most power below 400 Hz, ringing about 0.2 s)
    with the latch's click on top."""
    rng = np.random.default_rng(seed)
    n = round(0.35 * rate)
    t = np.arange(n) / rate
    body = np.zeros(n)
    for freq in rng.uniform(60, 180, 3):
        body += np.sin(2 * np.pi * freq * t + rng.uniform(0, 6)) * np.exp(-t / 0.06)
    rumble = np.cumsum(rng.normal(0, 1, n))
    rumble -= np.convolve(rumble, np.ones(64) / 64, "same")
    body += 0.05 * rumble * np.exp(-t / 0.05)
    click = np.zeros(n)
    at = round(rng.uniform(0.0, 0.01) * rate)
    m = round(0.004 * rate)
    click[at : at + m] = rng.normal(0, 0.6, m) * np.exp(-np.arange(m) / (0.001 * rate))
    mixed = body + click
    return 0.8 * mixed / float(np.max(np.abs(mixed)))


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
