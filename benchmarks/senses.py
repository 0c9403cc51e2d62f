"""The senses' figures in one run: the hearing sense end to end, then direction, words and
telemetry (each of those also runs on its own: benchmarks/direction.py, words.py,
telemetry.py).

Hearing end to end, on generated scenes (voices at known azimuths, knocks, silence):
- real-time factor on one core of voice activity plus direction, and of the whole sense
  (with word spotting and sound events), compute time over audio time;
- latency from the end of an utterance to its percept: the audio the sense had to read past
  the true end before the voice detector closed the segment, plus the compute time of the
  block that closed it (the recogniser, fed while the voice spoke, finishes; direction).

Usage: python benchmarks/senses.py [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import numpy as np
from rich.console import Console
from rich.table import Table

from prefrontal.senses.base import Observation
from prefrontal.senses.hearing.sense import HearingSense
from prefrontal.senses.hearing.vad import VoiceActivity
from prefrontal.senses.sources import speech
from prefrontal.senses.sources.scene import Placed, knock, render, voiced, write
from prefrontal.testing import load_script

HERE = Path(__file__).parent
RATE = 16_000


def _pin_one_core() -> set[int] | None:
    if not hasattr(os, "sched_setaffinity"):
        return None
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    return before


def _scene(seconds: float, seed: int) -> tuple[Path, list[float]]:
    """Voices (flite speech when flite is installed, else a synthetic voiced sound) and
    knocks at random azimuths; returns the file and the true end of each voice."""
    rng = np.random.default_rng(seed)
    texts = speech.WITH_NAME + speech.WITHOUT_NAME
    items: list[Placed] = []
    t = 0.5
    while t < seconds - 4:
        if rng.random() < 0.75:
            if speech.available():
                text = texts[int(rng.integers(len(texts)))]
                voice = speech.VOICES[int(rng.integers(len(speech.VOICES)))]
                clip = speech.say(text, voice).astype(np.float64)
            else:
                clip = voiced(RATE, float(rng.uniform(0.8, 2.0)), seed=int(t))
            items.append(Placed("speech", t, float(rng.uniform(-75, 75)), clip))
        else:
            items.append(Placed("knock", t, float(rng.uniform(-75, 75)), knock(RATE, int(t))))
        t += len(items[-1].samples) / RATE + float(rng.uniform(1.0, 2.0))
    stereo, truths = render(items, rate=RATE, duration_s=seconds, snr_db=25.0, seed=seed)
    path = Path(tempfile.mkdtemp()) / "scene.wav"
    write(path, stereo, RATE)
    ends = []
    for truth, item in zip(truths, items, strict=True):
        if truth.label == "speech":
            active = np.flatnonzero(np.abs(item.samples) > 0.02 * np.max(np.abs(item.samples)))
            ends.append(truth.start_s + (active[-1] + 1) / RATE)
    return path, ends


async def _hear(path: Path, ends: list[float]) -> dict[str, Any]:
    """Run the whole sense; per utterance, the audio read past its true end before its
    percept, and the compute time of the block that closed it (recogniser finish, direction).
    """
    sense = HearingSense("ears", path, listen_for=("alex",), principal="Alex")
    lags: list[float] = []
    closing: list[float] = []
    listen, voice = sense._listen, sense._voice
    block = {"t": 0.0}

    def timed_listen(t0: float, mono16: Any, *, closed: bool) -> Any:
        begun = time.perf_counter()
        heard = listen(t0, mono16, closed=closed)
        block["t"] = time.perf_counter() - begun
        return heard

    async def timed_voice(segment: Any, rate: int, heard: Any = None) -> Observation:
        begun = time.perf_counter()
        observation = await voice(segment, rate, heard)
        closing.append(block["t"] + time.perf_counter() - begun)
        return observation

    sense._listen = timed_listen  # type: ignore[method-assign]
    sense._voice = timed_voice  # type: ignore[method-assign]

    async def emit(observation: Observation) -> None:
        source = sense._source
        if observation.name == "speech" and source is not None:
            end = min(ends, key=lambda e: abs(e - observation.span[1]))
            lags.append(source.position_s - end)

    begun = time.process_time()
    await sense.run(emit)
    return {"cpu_s": time.process_time() - begun, "lags": lags, "closing": closing}


def _vad_and_direction(path: Path) -> float:
    import soundfile

    from prefrontal.senses.hearing.direction import accumulate_tdoa

    audio, _ = soundfile.read(str(path), dtype="float32")
    vad = VoiceActivity(RATE)
    begun = time.process_time()
    segments = []
    for i in range(0, len(audio), 1600):
        segments += vad.push(audio[i : i + 1600].mean(axis=1))
    segments += vad.flush()
    for segment in segments:
        window = audio[round(segment.start_s * RATE) : round(segment.end_s * RATE)]
        frames = [(window[i : i + 1600, 0], window[i : i + 1600, 1])
                  for i in range(0, len(window) - 1600 + 1, 800)]  # fmt: skip
        if frames:
            accumulate_tdoa(frames, RATE, max_tau_s=1.1 * 0.18 / 343)
    return (time.process_time() - begun) / (len(audio) / RATE)


def _run_other(name: str, quick: bool) -> dict[str, Any] | None:
    path = HERE / f"{name}.py"
    if not path.exists():
        return None
    return load_script(path).main(["--quick"] if quick else [])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short scenes, quick sub-benchmarks")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    seconds = 30.0 if args.quick else 120.0
    before = _pin_one_core()
    try:
        path, ends = _scene(seconds, seed=11)
        vad_direction_rtf = _vad_and_direction(path)
        whole = anyio.run(lambda: _hear(path, ends))
    finally:
        if before is not None:
            os.sched_setaffinity(0, before)
    closing = np.array(whole["closing"][: len(whole["lags"])])
    latency = np.array(whole["lags"]) + closing
    analysis_s = float(np.median(closing)) if len(closing) else 0.0
    figures: dict[str, Any] = {
        "audio_s": seconds,
        "vad_direction_rtf": vad_direction_rtf,
        "hearing_rtf": whole["cpu_s"] / seconds,
        "utterances": len(whole["lags"]),
        "latency_p50_s": float(np.median(latency)) if len(latency) else None,
        "latency_max_s": float(np.max(latency)) if len(latency) else None,
        "segment_analysis_s": analysis_s,
    }
    table = Table(title=f"Hearing sense end to end ({seconds:.0f} s of generated audio, 1 core)")
    for column in ("figure", "value", "aim"):
        table.add_column(column)
    table.add_row("real-time factor, VAD + direction", f"{vad_direction_rtf:.4f}", "≤ 0.01")
    table.add_row("real-time factor, whole hearing sense", f"{figures['hearing_rtf']:.4f}", "≤ 0.3")
    if figures["latency_p50_s"] is not None:
        table.add_row("utterance end → percept, p50", f"{figures['latency_p50_s'] * 1000:.0f} ms",
                      "≤ 300 ms")  # fmt: skip
        table.add_row("utterance end → percept, max", f"{figures['latency_max_s'] * 1000:.0f} ms",
                      "")  # fmt: skip
    table.add_row("  of which the closing block's compute (p50)", f"{analysis_s * 1000:.0f} ms", "")
    Console(width=120).print(table)
    for name in ("direction", "words", "telemetry"):
        result = _run_other(name, args.quick)
        figures[name] = result if result is not None else "not present"
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    return figures


if __name__ == "__main__":
    main()
