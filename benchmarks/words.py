"""Name spotting and voice activity on flite speech: recall, false alarms, cost.

For each condition (clean, 20 dB, 10 dB white noise) and each spotter: the fraction of
utterances containing the name in which it was spotted, and false alarms per hour of other
speech; the spotter's real-time factor. The spotters: the sense's keyword search
(``KeywordSpotter``: every pronunciation source; the clip and the clip Wiener-filtered
against the noise learnt from a second before the voice, as the sense hears one
microphone) and, as the baseline in the same run, PocketSphinx's full recognition
(``PocketSphinxSpotter``) on the raw clip. The names: "alex" (in the dictionary) and,
with ``--names``, others (e.g. ones it lacks). Voice activity: F1 of speech frames on a
scene of utterances, tones, knocks and silence, and the fraction of non-speech sounds
called speech. Needs flite (apt-get install flite).

Usage: python benchmarks/words.py [--quick] [--names alex,keira] [--utterances N]
       [--spotters keywords,full] [--json PATH]
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

from prefrontal.senses.hearing.frontend import NoiseFloor, views
from prefrontal.senses.hearing.keywords import KeywordSpotter
from prefrontal.senses.hearing.vad import VoiceActivity
from prefrontal.senses.hearing.words import PocketSphinxSpotter
from prefrontal.senses.sources import speech
from prefrontal.senses.sources.scene import beep, knock

RATE = 16_000


def _heard(spotter: str, clip: np.ndarray, snr: float | None, seed: int) -> list[np.ndarray]:
    """What a spotter hears of ``clip``: the keyword spotter, the views the sense has of one
    microphone (the clip, and it filtered against a second of the same noise before it);
    full recognition, the raw clip."""
    if spotter == "full" or snr is None:
        return [speech.noisy(clip, snr, seed=seed) if snr is not None else clip]
    noisy = speech.noisy(np.concatenate([np.zeros(RATE, np.float32), clip]), snr, seed=seed)
    floor = NoiseFloor()
    floor.learn(noisy[:RATE])
    mono = noisy[RATE:, None]
    return [v.astype(np.float32) for v in views(mono, None, RATE, floor.power)]


def _spotting(
    kind: str, voices: tuple[str, ...], snr: float | None, name: str, count: int
) -> dict[str, float]:
    spotter = KeywordSpotter() if kind == "keywords" else PocketSphinxSpotter()
    hits = total = false = 0
    other_s = cpu = audio_s = 0.0
    for v_index, voice in enumerate(voices):
        for label, texts in (("name", speech.WITH_NAME), ("other", speech.WITHOUT_NAME)):
            for index, text in enumerate(texts[:count]):
                clip = speech.say(text.replace("Alex", name.capitalize()), voice)
                heard = _heard(kind, clip, snr, index + 10 * v_index)
                begun = time.process_time()
                if isinstance(spotter, KeywordSpotter):
                    found = bool(spotter.spot_views(heard, RATE, [name]))
                else:
                    found = bool(spotter.spot(heard[0], RATE, [name]))
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


def _row(table: Table, key: tuple[str, str, str], result: dict[str, float]) -> None:
    name, kind, condition = key
    spotter = "keyword search" if kind == "keywords" else "full recognition"
    table.add_row(name, spotter, condition, f"{result['recall']:.2f} of {result['utterances']}",
                  f"{result['false_per_hour']:.0f} ({result['false_alarms']} in "
                  f"{result['other_speech_s']:.0f} s)", f"{result['rtf']:.3f}")  # fmt: skip


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two voices instead of five")
    parser.add_argument("--names", default="alex", help="names to spot, comma-separated")
    parser.add_argument("--utterances", type=int, default=8, help="per voice, with and without")
    parser.add_argument("--spotters", default="keywords,full", help="keywords, full or both")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not speech.available():
        print(speech.MISSING)
        return {"skipped": speech.MISSING}
    voices = speech.VOICES[:2] if args.quick else speech.VOICES
    figures: dict[str, Any] = {"vad": _vad(voices)}
    table = Table(title=f"Spotting the name in flite speech, voices {voices}")
    for column in ("name", "spotter", "condition", "recall", "false alarms / h of other speech",
                   "RTF"):  # fmt: skip
        table.add_column(column)
    for name in args.names.split(","):
        for kind in args.spotters.split(","):
            for condition, snr in (("clean", None), ("20 dB", 20.0), ("10 dB", 10.0)):
                result = _spotting(kind, voices, snr, name, args.utterances)
                figures[f"{name} {kind} {condition}"] = result
                _row(table, (name, kind, condition), result)
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
