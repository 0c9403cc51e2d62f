"""The household's sensory scene: a short binaural recording and a boiler's telemetry.

The recording (``scene.wav``, 16 kHz stereo, with ``scene.json`` its ground truth) was
generated offline by ``python -m prefrontal.examples.household.scene`` with Debian's flite
speaking: someone says the principal's name from the left, another voice talks from the
right, and a knock comes from the front. The boiler's telemetry is generated on the fly,
seeded: its temperature starts drifting up halfway through.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path

import numpy as np
import soundfile
from scipy.signal import resample_poly

from prefrontal.errors import ConfigError
from prefrontal.senses.sources.scene import Placed, knock, render, write
from prefrontal.senses.telemetry.sources import (
    ChannelSpec,
    Drift,
    Flagged,
    Generated,
    Sample,
    generate,
)

RATE = 16_000
SCENE = (
    ("speech", 1.0, -70.0, "slt", "Alex, dinner is ready.", ("alex",)),
    ("speech", 4.5, 60.0, "rms", "I think it will rain tomorrow afternoon.", ()),
    ("knock", 9.0, 0.0, "", "", ()),
)


def scene_path(name: str) -> Path:
    if name != "household":
        raise ConfigError(f"no scene {name!r}; the bundled scene is 'scene:household'")
    path = Path(str(resources.files("prefrontal.examples.household") / "scene.wav"))
    if not path.exists():
        raise ConfigError(
            f"{path} is missing; regenerate it: python -m prefrontal.examples.household.scene"
        )
    return path


def telemetry(name: str) -> Generated:
    """The boiler: 64 °C and steady for 40 minutes at 1 Hz, then drifting up by 25 °C."""
    if name != "boiler":
        raise ConfigError(f"no generated telemetry {name!r}; the bundled one is 'generate:boiler'")
    channels = [ChannelSpec(name="boiler_temp", base=64.0, noise=0.4, wander=0.2)]
    drift = Drift(channel="boiler_temp", t=1200.0, magnitude=25.0, duration_s=1200.0)
    return generate(channels, rate_hz=1.0, duration_s=2400.0, seed=7, events=[drift])


def household() -> Path:
    """The ``scene:household`` entry point (group ``prefrontal.scenes``)."""
    return scene_path("household")


def boiler() -> list[Sample | Flagged]:
    """The ``generate:boiler`` entry point (group ``prefrontal.telemetry``)."""
    return list(telemetry("boiler").samples)


def _say(text: str, voice: str) -> np.ndarray:
    flite = shutil.which("flite")
    if flite is None:
        raise SystemExit("flite is not installed: apt-get install flite")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "say.wav"
        subprocess.run([flite, "-voice", voice, "-t", text, "-o", str(path)], check=True)
        audio, rate = soundfile.read(str(path), dtype="float64")
    return resample_poly(audio, RATE, rate) if rate != RATE else audio


def make(folder: Path) -> None:
    items = [
        Placed(label, start, azimuth, knock(RATE) if label == "knock" else _say(text, voice),
               words)
        for label, start, azimuth, voice, text, words in SCENE
    ]  # fmt: skip
    stereo, truths = render(items, rate=RATE, duration_s=11.0, snr_db=35.0, seed=3)
    write(folder / "scene.wav", stereo, RATE)
    truth = [
        {"label": t.label, "start_s": round(t.start_s, 3), "end_s": round(t.end_s, 3),
         "azimuth_deg": t.azimuth_deg, "tau_s": t.tau_s, "words": list(t.words)}
        for t in truths
    ]  # fmt: skip
    (folder / "scene.json").write_text(json.dumps(truth, indent=2) + "\n")


if __name__ == "__main__":
    make(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent)
