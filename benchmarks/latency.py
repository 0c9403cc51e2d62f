"""Where a voice percept's latency goes: from the utterance's true end to the percept.

Hears ``--scenes`` scenes of ``benchmarks/rooms.py`` (``--seed``, names ``held``) with the
whole sense and splits each voice percept's latency into: the voice detector seeing the
end (the true end to its first quiet window: Silero's lag and the room's tail), the
hangover (that window to the segment's close), the rest of the block the close fell in,
and the compute of the direction and of the word decodes after the close (CPU time of the
threads that ran them, so the figure does not depend on how busy the machine is).
``--live S`` hears the words while the voice speaks, from S seconds into it
(``HearingSense.live_after_s``): only a finalisation is left after the close; what they
cost while the voice went on is printed apart (not latency while the sense keeps up with
the audio). Prints medians in ms.

Usage: python benchmarks/latency.py [--seed 7] [--scenes 12] [--cache DIR] [--live S]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
import numpy as np

from prefrontal.senses.base import Observation
from prefrontal.senses.hearing import sense as hearing
from prefrontal.senses.hearing import vad
from prefrontal.senses.hearing.vad import Segment
from prefrontal.testing import load_script


def _rooms() -> ModuleType:
    return load_script(Path(__file__).with_name("rooms.py"))


class _Probe:
    """Wraps the sense's steps to time them; one record per voice percept."""

    def __init__(self) -> None:
        self.now: dict[str, float] = {}
        self.records: list[dict[str, float]] = []

    def timed(self, fn: Callable[..., Any], key: str) -> Callable[..., Any]:
        def run(*args: Any, **options: Any) -> Any:
            begun = time.thread_time()
            try:
                return fn(*args, **options)
            finally:
                self.now[key] = self.now.get(key, 0.0) + time.thread_time() - begun

        return run

    def install(self) -> Callable[[], None]:
        step, voice = vad.VoiceActivity._step, hearing.HearingSense._voice  # pyright: ignore[reportPrivateUsage]
        direction, words = hearing.HearingSense._direction, hearing.HearingSense._words  # pyright: ignore[reportPrivateUsage]
        begin, feed = hearing.HearingSense._begin_live, hearing.HearingSense._feed_live  # pyright: ignore[reportPrivateUsage]
        finish = hearing.HearingSense._finish_live  # pyright: ignore[reportPrivateUsage]

        probe = self

        def closing(detector: vad.VoiceActivity, probability: float) -> Segment | None:
            segment = step(detector, probability)
            if segment is not None:
                probe.now["close_s"] = detector._t + detector.window / detector.rate  # pyright: ignore[reportPrivateUsage]
            return segment

        async def voicing(
            sense: hearing.HearingSense, segment: Segment, rate: int, heard: Any = None
        ) -> Observation:
            observation = await voice(sense, segment, rate, heard)
            source = sense._source  # pyright: ignore[reportPrivateUsage]
            probe.records.append({
                "end_s": segment.end_s - sense.vad.pad_s,
                "close_s": probe.now.pop("close_s", float("nan")),
                "read_s": source.position_s if source is not None else float("nan"),
                "direction_s": probe.now.pop("direction", 0.0),
                "words_s": probe.now.pop("words", 0.0),
                "live_s": probe.now.pop("live", 0.0),
            })  # fmt: skip
            return observation

        vad.VoiceActivity._step = closing  # type: ignore[method-assign]
        hearing.HearingSense._voice = voicing  # type: ignore[method-assign]
        hearing.HearingSense._direction = self.timed(direction, "direction")  # type: ignore[method-assign]
        hearing.HearingSense._words = self.timed(words, "words")  # type: ignore[method-assign]
        hearing.HearingSense._finish_live = self.timed(finish, "words")  # type: ignore[method-assign]
        hearing.HearingSense._begin_live = self.timed(begin, "live")  # type: ignore[method-assign]
        hearing.HearingSense._feed_live = self.timed(feed, "live")  # type: ignore[method-assign]

        def undo() -> None:
            vad.VoiceActivity._step = step  # type: ignore[method-assign]
            hearing.HearingSense._voice = voice  # type: ignore[method-assign]
            hearing.HearingSense._direction = direction  # type: ignore[method-assign]
            hearing.HearingSense._words = words  # type: ignore[method-assign]
            hearing.HearingSense._finish_live = finish  # type: ignore[method-assign]
            hearing.HearingSense._begin_live = begin  # type: ignore[method-assign]
            hearing.HearingSense._feed_live = feed  # type: ignore[method-assign]

        return undo


def split(
    seed: int, scenes: int, folder: Path, live_after_s: float | None = None
) -> dict[str, float]:
    """Median milliseconds of each part, over every voice percept matched to an utterance."""
    rooms = _rooms()
    spotter = rooms.Recorded()
    spotter.spot(np.zeros(rooms.RATE, np.float32), rooms.RATE, [rooms.NAMES["held"][0]])
    probe = _Probe()
    undo = probe.install()
    rows: list[dict[str, float]] = []
    try:
        for index in range(scenes):
            scene = rooms.make_scene(seed, index, rooms.NAMES["held"], folder)
            probe.records = []
            anyio.run(partial(rooms._hear, live_after_s=live_after_s), scene, spotter)
            ends = [e.end_s for e in scene.events if e.kind == "speech"]
            for record in probe.records:
                true_end = min(ends, key=lambda end: abs(end - record["end_s"]))
                if abs(true_end - record["end_s"]) < 1.0:
                    rows.append({**record, "true_end_s": true_end})
    finally:
        undo()
    parts = {
        "the voice detector sees the end": [r["end_s"] - r["true_end_s"] for r in rows],
        "hangover": [r["close_s"] - r["end_s"] for r in rows],
        "rest of the block": [r["read_s"] - r["close_s"] for r in rows],
        "direction (CPU)": [r["direction_s"] for r in rows],
        "word decodes (CPU)": [r["words_s"] for r in rows],
        "total": [r["read_s"] + r["direction_s"] + r["words_s"] - r["true_end_s"] for r in rows],
    }
    out = {k: 1000 * statistics.median(v) for k, v in parts.items() if v}
    live = [r["live_s"] for r in rows]
    out["voices heard live"] = float(sum(1 for v in live if v > 0))
    out["words heard live, during the voice (CPU)"] = 1000 * statistics.median(live or [0.0])
    out["voices"] = float(len(rows))
    return out


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scenes", type=int, default=12)
    parser.add_argument("--cache", type=Path, help="folder for rendered scenes (kept)")
    parser.add_argument("--live", type=float, help="hear the words from this far into a voice")
    args = parser.parse_args(argv)
    folder = args.cache or Path(tempfile.mkdtemp(prefix="latency-"))
    folder.mkdir(parents=True, exist_ok=True)
    found = split(args.seed, args.scenes, folder, args.live)
    print(f"seed {args.seed}, {args.scenes} scenes, {found['voices']:.0f} voices; median ms:")
    for part, ms in found.items():
        if part == "voices heard live":
            print(f"  ({ms:.0f} of the voices heard live; median CPU while they went on:)")
        elif part != "voices":
            print(f"  {part:34s} {ms if abs(ms) >= 0.5 else 0.0:6.0f}")  # no "-0"
    return found


if __name__ == "__main__":
    main()
