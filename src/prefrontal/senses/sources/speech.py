"""Synthetic speech from Debian's flite, for tests and benchmarks (``apt-get install flite``).

flite's voices are recognised far better than espeak-ng's. Synthesis is cached per process.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile
from scipy.signal import resample_poly

VOICES = ("slt", "kal16", "awb", "rms", "kal")
MISSING = "flite is not installed; install it with: apt-get install flite"

WITH_NAME = (
    "Alex, dinner is ready.",
    "Hey Alex, can you come here?",
    "Alex, the taxi is outside.",
    "Good morning Alex.",
    "Alex, your phone is ringing.",
    "Is that you, Alex?",
    "Alex, we need to leave now.",
    "Thank you Alex, that was lovely.",
)
WITHOUT_NAME = (
    "I think it will rain tomorrow afternoon.",
    "The kettle has boiled, shall I make tea?",
    "Please close the window in the kitchen.",
    "The meeting was moved to Thursday.",
    "We are out of milk and bread.",
    "The garden needs watering this evening.",
    "Turn the music down a little, please.",
    "The train leaves at half past six.",
)


def available() -> bool:
    return shutil.which("flite") is not None


def say(text: str, voice: str = "slt", rate: int = 16_000) -> npt.NDArray[np.float32]:
    """``text`` spoken by flite's ``voice``, float32 mono at ``rate``."""
    return _say(text, voice, rate).copy()


@functools.lru_cache(maxsize=512)
def _say(text: str, voice: str, rate: int) -> npt.NDArray[np.float32]:
    flite = shutil.which("flite")
    if flite is None:
        raise RuntimeError(MISSING)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "say.wav"
        subprocess.run([flite, "-voice", voice, "-t", text, "-o", str(path)], check=True,
                       capture_output=True, timeout=60)  # fmt: skip
        audio, native = soundfile.read(str(path), dtype="float64", always_2d=True)
    mono = audio.mean(axis=1)
    if native != rate:
        from math import gcd

        g = gcd(rate, int(native))
        mono = resample_poly(mono, rate // g, int(native) // g)
    return mono.astype(np.float32)


def noisy(
    samples: npt.NDArray[np.floating], snr_db: float, seed: int = 0
) -> npt.NDArray[np.float32]:
    """``samples`` with white noise at ``snr_db`` relative to their active (non-silent) power."""
    x = np.asarray(samples, dtype=np.float64)
    active = x[np.abs(x) > 0.02 * np.max(np.abs(x))] if np.any(x) else x
    power = float(np.mean(active**2)) if active.size else 1e-6
    noise = np.random.default_rng(seed).normal(0.0, np.sqrt(power / 10 ** (snr_db / 10)), x.shape)
    return (x + noise).astype(np.float32)
