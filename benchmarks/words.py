"""Word spotting and voice activity on flite speech: recall, false alarms, cost.

For each condition (clean, 20 dB, 10 dB white noise): the fraction of utterances containing
"alex" in which PocketSphinx (full recognition) spotted it, and false alarms per hour of
other speech; the spotter's real-time factor. Voice activity: F1 of speech frames on a
scene of utterances, tones, knocks and silence, and the fraction of non-speech sounds called
speech. Needs flite (apt-get install flite).

Usage: python benchmarks/words.py [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from prefrontal.senses.hearing.vad import VoiceActivity
from prefrontal.senses.hearing.words import PocketSphinxSpotter
from prefrontal.senses.sources import speech
from prefrontal.senses.sources.scene import beep, knock

RATE = 16_000


def _spotting(voices: tuple[str, ...], snr: float | None) -> dict[str, float]:
    spotter = PocketSphinxSpotter()
    hits = total = false = 0
    other_s = cpu = audio_s = 0.0
    for v_index, voice in enumerate(voices):
        for label, texts in (("name", speech.WITH_NAME), ("other", speech.WITHOUT_NAME)):
            for index, text in enumerate(texts):
                clip = speech.say(text, voice)
                if snr is not None:
                    clip = speech.noisy(clip, snr, seed=index + 10 * v_index)
                begun = time.process_time()
                found = bool(spotter.spot(clip, RATE, ["alex"]))
                cpu += time.process_time() - begun
                audio_s += len(clip) / RATE
                if label == "name":
                    total += 1
                    hits += found
                else:
                    false += found
                    other_s += len(clip) / RATE
    return {"recall": hits / total, "utterances": total, "false_alarms": false,
            "false_per_hour": false / other_s * 3600, "other_speech_s": other_s,
            "rtf": cpu / audio_s}  # fmt: skip


def _vad(voices: tuple[str, ...]) -> dict[str, float]:
    parts: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    sounds: list[np.ndarray] = []
    for index, text in enumerate(speech.WITHOUT_NAME[: 2 * len(voices)]):
        clip = speech.say(text, voices[index % len(voices)])
        voiced = np.abs(clip) > 0.02
        parts += [clip, np.zeros(RATE // 2, np.float32)]
        labels += [np.convolve(voiced, np.ones(800), "same") > 0, np.zeros(RATE // 2, bool)]
        sounds += [np.zeros(len(clip), bool), np.zeros(RATE // 2, bool)]
    for noise in (beep(RATE), knock(RATE), beep(RATE, 440.0, 1.0)):
        parts += [noise.astype(np.float32), np.zeros(RATE // 2, np.float32)]
        labels += [np.zeros(len(noise), bool), np.zeros(RATE // 2, bool)]
        sounds += [np.ones(len(noise), bool), np.zeros(RATE // 2, bool)]
    audio = speech.noisy(np.concatenate(parts), 25.0)
    truth = np.concatenate(labels)
    tones_and_knocks = np.concatenate(sounds)
    vad = VoiceActivity(RATE)
    begun = time.process_time()
    segments = []
    for i in range(0, len(audio), 1600):
        segments += vad.push(audio[i : i + 1600])
    segments += vad.flush()
    cpu = time.process_time() - begun
    said = np.zeros(len(audio), bool)
    for s in segments:
        said[round(s.start_s * RATE) : round(s.end_s * RATE)] = True
    tp = float(np.sum(said & truth))
    precision = tp / max(float(np.sum(said)), 1.0)
    recall = tp / max(float(np.sum(truth)), 1.0)
    return {"f1": 2 * precision * recall / max(precision + recall, 1e-9),
            "sounds_called_speech": float(np.mean(said[tones_and_knocks])),
            "rtf": cpu / (len(audio) / RATE)}  # fmt: skip


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two voices instead of five")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not speech.available():
        print(speech.MISSING)
        return {"skipped": speech.MISSING}
    voices = speech.VOICES[:2] if args.quick else speech.VOICES
    figures: dict[str, Any] = {"vad": _vad(voices)}
    table = Table(title=f"Word spotting 'alex' (PocketSphinx, full recognition), voices {voices}")
    for column in ("condition", "recall", "false alarms / h of other speech", "RTF"):
        table.add_column(column)
    for name, snr in (("clean", None), ("20 dB", 20.0), ("10 dB", 10.0)):
        result = _spotting(voices, snr)
        figures[name] = result
        table.add_row(name, f"{result['recall']:.2f} of {result['utterances']}",
                      f"{result['false_per_hour']:.0f} ({result['false_alarms']} in "
                      f"{result['other_speech_s']:.0f} s)", f"{result['rtf']:.3f}")  # fmt: skip
    console = Console(width=120)
    console.print(table)
    vad = figures["vad"]
    console.print(
        f"Voice activity (Silero): F1 {vad['f1']:.3f}; tones and knocks called speech "
        f"{vad['sounds_called_speech']:.1%}; RTF {vad['rtf']:.4f}"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
