"""The senses' figures in one run: the hearing sense end to end, then direction, words and
telemetry (each of those also runs on its own: benchmarks/direction.py, words.py,
telemetry.py).

Hearing end to end, on generated scenes (voices at known azimuths, knocks, silence):
- real-time factor on one core of voice activity plus direction, and of the whole sense
  (with word spotting and sound events), compute time over audio time;
- latency from the end of an utterance to its percept: the audio the sense had to read past
  the end before the voice detector closed the segment, plus the analysis time (direction,
  words) of that segment.

Usage: python benchmarks/senses.py [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
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
from prefrontal.senses.sources.scene import Placed, knock, render, voiced, write

HERE = Path(__file__).parent
RATE = 16_000


def _pin_one_core() -> set[int] | None:
    if not hasattr(os, "sched_setaffinity"):
        return None
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    return before


def _scene(seconds: float, seed: int) -> tuple[Path, list[float]]:
    rng = np.random.default_rng(seed)
    items: list[Placed] = []
    t = 0.5
    while t < seconds - 3:
        if rng.random() < 0.75:
            items.append(
                Placed(
                    "speech",
                    t,
                    float(rng.uniform(-75, 75)),
                    voiced(RATE, float(rng.uniform(0.8, 2.0)), seed=int(t)),
                )
            )
        else:
            items.append(Placed("knock", t, float(rng.uniform(-75, 75)), knock(RATE, int(t))))
        t += float(rng.uniform(2.5, 4.0))
    stereo, truths = render(items, rate=RATE, duration_s=seconds, snr_db=25.0, seed=seed)
    path = Path(tempfile.mkdtemp()) / "scene.wav"
    write(path, stereo, RATE)
    return path, [tr.end_s for tr in truths if tr.label == "speech"]


async def _hear(path: Path, *, words: bool) -> dict[str, Any]:
    sense = HearingSense("ears", path, listen_for=("alex",) if words else (), principal="Alex")
    latencies: list[float] = []
    spoken: list[Observation] = []
    analysis = {"t": time.process_time()}

    async def emit(observation: Observation) -> None:
        source = sense._source
        assert source is not None
        if observation.name == "speech":
            spoken.append(observation)
            latencies.append(source.position_s - observation.span[1])
        analysis["t"] = time.process_time()

    begun = time.process_time()
    await sense.run(emit)
    cpu = time.process_time() - begun
    return {"cpu_s": cpu, "stream_lag_s": latencies, "speech": len(spoken)}


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


def _segment_analysis_s(path: Path) -> float:
    """CPU seconds to analyse one utterance (direction and words), measured per segment."""
    sense = HearingSense("ears", path, listen_for=("alex",), principal="Alex")
    times: list[float] = []

    async def run() -> None:
        original = sense._voice

        async def timed(segment: Any, rate: int) -> Observation:
            begun = time.perf_counter()
            observation = await original(segment, rate)
            times.append(time.perf_counter() - begun)
            return observation

        sense._voice = timed  # type: ignore[method-assign]

        async def emit(_: Observation) -> None:
            return None

        await sense.run(emit)

    anyio.run(run)
    return float(np.median(times)) if times else 0.0


def _run_other(name: str, quick: bool) -> dict[str, Any] | None:
    path = HERE / f"{name}.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.main(["--quick"] if quick else [])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short scenes, quick sub-benchmarks")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    seconds = 30.0 if args.quick else 120.0
    before = _pin_one_core()
    try:
        path, _ = _scene(seconds, seed=11)
        vad_direction_rtf = _vad_and_direction(path)
        whole = anyio.run(lambda: _hear(path, words=True))
        analysis_s = _segment_analysis_s(path)
    finally:
        if before is not None:
            os.sched_setaffinity(0, before)
    lags = np.array(whole["stream_lag_s"])
    latency = lags + analysis_s
    figures: dict[str, Any] = {
        "audio_s": seconds,
        "vad_direction_rtf": vad_direction_rtf,
        "hearing_rtf": whole["cpu_s"] / seconds,
        "utterances": whole["speech"],
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
    table.add_row("  of which analysis per utterance (p50)", f"{analysis_s * 1000:.0f} ms", "")
    Console(width=120).print(table)
    for name in ("direction", "words", "telemetry"):
        result = _run_other(name, args.quick)
        figures[name] = result if result is not None else "not present"
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    return figures


if __name__ == "__main__":
    main()
