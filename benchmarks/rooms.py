"""Hearing in simulated rooms: seeded scenes with ground truth, the whole sense, a score.

Scenes (all drawn from ``--seed``): a shoebox room (3.5-8 × 3-6 × 2.4-3.2 m, RT60 0 or 0.15-0.5 s,
pyroomacoustics image sources), a 0.18 m two-microphone pair at a random place and heading,
utterances by flite's voices (half of them with the principal's name, drawn per scene from a
name set) and knocks, beeps and door sounds from 1-2.5 m at azimuths -80..80°, white sensor
noise at 0-30 dB SNR (against the reverberant speech at the microphones). Each scene runs
through the whole ``HearingSense`` (one core where the system allows), listening for the
scene's name; then a false-alarm pass runs the sense's word spotter on reverberant, noisy
utterances without the name, for every name of the set, to count false alarms per hour.

The scorer matches percepts to ground truth by time overlap and prints, per kind (speech,
knock, beep, door): recall and precision; over matched percepts: side accuracy, azimuth
error median / RMS / max and the share of outliers (> 15°); name recall (overall and at SNR
≥ 10 dB) and false alarms per hour of speech without the name; the expected calibration
error (ECE, 10 bins) of the percepts' confidence against being right (kind, side and, for
speech, the name claim); latency from an utterance's true end to its percept (the audio read
past the end plus the compute of the block that emitted it); the real-time factor.

Name sets: ``tune`` (the names the sense was tuned on) and ``held`` (never tuned on).

Usage: python benchmarks/rooms.py [--seed N] [--scenes N] [--names tune|held] [--quick]
       [--json PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import tempfile
import time
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.table import Table

from prefrontal.senses.base import Observation
from prefrontal.senses.hearing.direction import accumulate_tdoa, claim_holds, side
from prefrontal.senses.hearing.frontend import NoiseFloor, views
from prefrontal.senses.hearing.keywords import THRESHOLD, KeywordSpotter, Threshold
from prefrontal.senses.hearing.sense import HearingSense
from prefrontal.senses.hearing.words import WordHit
from prefrontal.senses.sources import speech, wav
from prefrontal.senses.sources.scene import beep, door, knock, write

Array = npt.NDArray[np.float64]
RATE = 16_000
SPACING_M = 0.18
C = 343.0
OUTLIER_DEG = 15.0
NAMES = {
    # names PocketSphinx's dictionary lacks are marked *: their pronunciations are derived
    "tune": ("alex", "maria", "oliver", "priya*", "anika*", "rohan", "noor*", "freya"),
    "held": ("sofia", "kenji", "tariq", "ingrid", "zainab*", "marisol*", "keira*", "jonas"),
}
WITH_NAME = (
    "{n}, dinner is ready.",
    "Hey {n}, can you come here?",
    "{n}, the taxi is outside.",
    "Good morning {n}.",
    "{n}, your phone is ringing.",
    "Is that you, {n}?",
    "{n}, we need to leave now.",
    "Thank you {n}, that was lovely.",
    "Excuse me {n}, have you seen my keys?",
    "{n}, please come to the kitchen.",
)
WITHOUT_NAME = (
    *speech.WITHOUT_NAME,
    "Where did I put the remote control?",
    "The shop closes at nine tonight.",
    "Can you hear the birds outside?",
    "Dinner will be ready in ten minutes.",
)
SOUNDS = ("knock", "beep", "door")
UNKNOWN = "unknown"  # the side of a percept that claims none
KINDS = ("speech", *SOUNDS)
SCENE_S = 24.0


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened in a scene, as the scorer knows it."""

    kind: str
    start_s: float
    end_s: float
    azimuth_deg: float
    text: str = ""
    has_name: bool = False
    voice: str = ""


@dataclass(frozen=True, slots=True)
class Scene:
    seed: int
    index: int
    name: str
    rt60_s: float
    snr_db: float
    events: tuple[Event, ...]
    path: Path
    duration_s: float = SCENE_S


@dataclass(slots=True)
class Heard:
    """One percept and when it came, for scoring."""

    kind: str
    start_s: float
    end_s: float
    azimuth_deg: float | None
    side: str
    confidence: float
    names_name: bool
    latency_s: float  # from the percept's own end
    emitted_s: float  # scene time at which it came: audio read plus the block's compute
    rendering: str
    fields: dict[str, Any] = field(default_factory=dict)
    name_sources: tuple[str, ...] = ()  # the pronunciation's sources, when the name was heard


@dataclass(slots=True)
class Run:
    scene: Scene
    heard: list[Heard]
    cpu_s: float


@dataclass(slots=True)
class Tally:
    runs: list[Run] = field(default_factory=list)
    false_alarms: int = 0
    other_speech_s: float = 0.0
    false_alarm_sources: list[tuple[str, ...]] = field(default_factory=list)


class Recorded(KeywordSpotter):
    """The sense's keyword spotter, keeping the hits of its last call (to tell which
    pronunciation source fired)."""

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self.last: list[WordHit] = []

    def spot_views(self, views: Sequence[Any], rate: int, words: Sequence[str]) -> list[WordHit]:
        self.last = super().spot_views(views, rate, words)
        return self.last

    def finish_views(self) -> list[WordHit]:
        self.last = super().finish_views()
        return self.last


# -- scenes ----------------------------------------------------------------------------------


def _clip(kind: str, rng: np.random.Generator, name: str) -> tuple[Array, str, bool, str]:
    """The dry clip of one event, its text, whether it says the name, and its voice."""
    if kind == "speech":
        voice = speech.VOICES[int(rng.integers(len(speech.VOICES)))]
        with_name = bool(rng.random() < 0.5)
        texts = WITH_NAME if with_name else WITHOUT_NAME
        text = texts[int(rng.integers(len(texts)))].format(n=name.capitalize())
        return speech.say(text, voice).astype(np.float64), text, with_name, voice
    seed = int(rng.integers(1 << 30))
    if kind == "knock":
        return knock(RATE, seed, raps=int(rng.integers(2, 5))), "", False, ""
    if kind == "beep":
        freq = float(rng.uniform(500, 2500))
        return beep(RATE, freq, float(rng.uniform(0.15, 0.5))), "", False, ""
    return door(RATE, seed), "", False, ""


def _active(samples: Array) -> tuple[int, int]:
    loud = np.flatnonzero(np.abs(samples) > 0.02 * float(np.max(np.abs(samples))))
    return int(loud[0]), int(loud[-1]) + 1


def _geometry(rng: np.random.Generator, dims: Array) -> tuple[Array, Array, Array]:
    """The pair's centre, its heading (unit, horizontal) and its right-hand unit vector."""
    centre = np.array([rng.uniform(1.0, dims[0] - 1.0), rng.uniform(1.0, dims[1] - 1.0),
                       rng.uniform(1.2, 1.6)])  # fmt: skip
    angle = rng.uniform(0, 2 * np.pi)
    heading = np.array([math.cos(angle), math.sin(angle), 0.0])
    right = np.array([math.sin(angle), -math.cos(angle), 0.0])
    return centre, heading, right


def _place(
    rng: np.random.Generator, dims: Array, centre: Array, heading: Array, right: Array
) -> tuple[Array, float]:
    for _ in range(200):
        azimuth = float(rng.uniform(-80, 80))
        distance = float(rng.uniform(1.0, 2.5))
        a = math.radians(azimuth)
        where = centre + distance * (math.cos(a) * heading + math.sin(a) * right)
        where[2] = rng.uniform(1.1, 1.8)
        if all(0.3 < where[i] < dims[i] - 0.3 for i in range(2)):
            # What a pair can tell: the angle off the plane between its microphones (a
            # source above, below or behind at that angle sounds the same).
            away = where - centre
            lateral = float(np.dot(away, right) / np.linalg.norm(away))
            return where, math.degrees(math.asin(lateral))
    raise RuntimeError("no place for a source in this room")


def make_scene(
    seed: int,
    index: int,
    names: Sequence[str],
    folder: Path,
    seconds: float = SCENE_S,
    images: list[Array] | None = None,
) -> Scene:
    """Scene ``index`` of ``seed``: drawn, simulated, written to ``folder`` (cached there).
    Given ``images``, it is filled with each event's noiseless stereo image at the
    microphones (whole scene length, at the written scale), for diagnosis."""
    import pyroomacoustics as pra

    rng = np.random.default_rng([seed, index])
    name = names[int(rng.integers(len(names)))].rstrip("*")
    dims = np.array([rng.uniform(3.5, 8.0), rng.uniform(3.0, 6.0), rng.uniform(2.4, 3.2)])
    # Anechoic one time in five, else 0.15-0.5 s (a shorter RT60 needs walls that absorb
    # more than everything: Sabine's formula has no answer for it in rooms this large).
    rt60 = 0.0 if rng.random() < 0.2 else float(rng.uniform(0.15, 0.5))
    snr_db = float(rng.uniform(0.0, 30.0))
    centre, heading, right = _geometry(rng, dims)
    placed: list[tuple[Array, Array, Event]] = []
    t = float(rng.uniform(0.3, 1.0))
    while True:
        kind = "speech" if rng.random() < 0.6 else SOUNDS[int(rng.integers(len(SOUNDS)))]
        samples, text, has_name, voice = _clip(kind, rng, name)
        if t + len(samples) / RATE > seconds - 1.5:
            break
        where, azimuth = _place(rng, dims, centre, heading, right)
        lo, hi = _active(samples)
        event = Event(kind, t + lo / RATE, t + hi / RATE, azimuth, text, has_name, voice)
        placed.append((samples, where, event))
        t += len(samples) / RATE + float(rng.uniform(0.8, 2.0))
    path = folder / f"room-{seed}-{index}-{seconds:g}.wav"
    events = tuple(e for _, _, e in placed)
    scene = Scene(seed, index, name, rt60, snr_db, events, path, seconds)
    if path.exists() and images is None:
        return scene
    if rt60 == 0:
        room = pra.AnechoicRoom(fs=RATE)
    else:
        absorption, order = pra.inverse_sabine(rt60, dims.tolist())
        room = pra.ShoeBox(dims.tolist(), fs=RATE, materials=pra.Material(absorption),
                           max_order=order)  # fmt: skip
    mics = np.stack([centre - right * SPACING_M / 2, centre + right * SPACING_M / 2], axis=1)
    room.add_microphone_array(mics)
    for _, where, _ in placed:
        room.add_source(where.tolist())
    room.compute_rir()
    length = round(seconds * RATE)
    stereo = np.zeros((length, 2))
    speech_power: list[float] = []
    from scipy.signal import fftconvolve

    for k, (samples, _, event) in enumerate(placed):
        at = round((event.start_s * RATE) - _active(samples)[0])
        for m in range(2):
            image = fftconvolve(samples, np.asarray(room.rir[m][k]))[: length - at]
            stereo[at : at + len(image), m] += image
            if event.kind == "speech":
                lo, hi = _active(samples)
                speech_power.append(float(np.mean(image[lo:hi] ** 2)))
    power = float(np.mean(speech_power)) if speech_power else float(np.mean(stereo**2))
    noise = rng.normal(0.0, math.sqrt(power / 10 ** (snr_db / 10)), stereo.shape)
    stereo += noise
    scale = 0.9 / float(np.max(np.abs(stereo)))
    stereo *= scale
    write(path, stereo.astype(np.float32), RATE)
    if images is not None:
        images.extend(_images(placed, room.rir, length, scale))
    return scene


def _images(
    placed: Sequence[tuple[Array, Array, Event]], rir: Any, length: int, scale: float
) -> Iterator[Array]:
    from scipy.signal import fftconvolve

    for k, (samples, _, event) in enumerate(placed):
        at = round((event.start_s * RATE) - _active(samples)[0])
        image = np.zeros((length, 2))
        for m in range(2):
            part = fftconvolve(samples, np.asarray(rir[m][k]))[: length - at]
            image[at : at + len(part), m] = part * scale
        yield image


# -- hearing them ----------------------------------------------------------------------------


@contextmanager
def _block_clock() -> Generator[dict[str, float]]:
    """Record when each block was read, so an emitted percept knows its block's compute."""
    clock = {"read": time.perf_counter()}
    original = wav.WavSource.blocks

    def blocks(self: wav.WavSource, block_s: float) -> Iterator[wav.Block]:
        for block in original(self, block_s):
            clock["read"] = time.perf_counter()
            yield block

    wav.WavSource.blocks = blocks  # type: ignore[method-assign]
    try:
        yield clock
    finally:
        wav.WavSource.blocks = original  # type: ignore[method-assign]


async def _hear(scene: Scene, spotter: Recorded, live_after_s: float | None = None) -> Run:
    try:
        spotter.check([scene.name])
        listen_for: tuple[str, ...] = (scene.name,)
    except ValueError:  # a spotter that cannot listen for this name hears no name at all
        listen_for = ()
    sense = HearingSense("ears", scene.path, listen_for=listen_for, principal=scene.name,
                         spacing_m=SPACING_M, spotter=spotter,
                         live_after_s=live_after_s)  # fmt: skip
    heard: list[Heard] = []
    with _block_clock() as clock:

        async def emit(observation: Observation) -> None:
            source = sense._source  # how far the sense has read
            position = source.position_s if source is not None else 0.0
            heard.append(_heard(observation, position, time.perf_counter() - clock["read"]))
            if observation.name == "speech":
                said = [h.sources for h in spotter.last if h.word == scene.name]
                heard[-1].name_sources = said[0] if said else ()
                spotter.last = []

        begun = time.process_time()
        await sense.run(emit)
        cpu = time.process_time() - begun
    return Run(scene, heard, cpu)


def _heard(observation: Observation, position_s: float, compute_s: float) -> Heard:
    fields = observation.fields
    kind = "speech" if observation.name == "speech" else str(fields.get("kind", "sound"))
    azimuth = fields.get("azimuth_deg")
    return Heard(
        kind=kind,
        start_s=observation.span[0],
        end_s=observation.span[1],
        azimuth_deg=None if azimuth is None else float(azimuth),
        side=str(fields.get("side", "front")),
        confidence=float(observation.confidence),
        names_name="your name" in observation.rendering,
        latency_s=position_s - observation.span[1] + compute_s,
        emitted_s=position_s + compute_s,
        rendering=observation.rendering,
        fields=dict(fields),
    )


def false_alarm_pass(
    names: Sequence[str], seed: int, count: int, spotter: KeywordSpotter
) -> tuple[int, float, list[tuple[str, ...]]]:
    """False alarms of the word spotter, over ``count`` reverberant noisy utterances without
    the name per name, on the pair, heard through the sense's views (``frontend.views``: its
    noise floor learnt from a second of the same noise before the voice); returns (false
    alarms, seconds of speech, the sources of the pronunciations that fired)."""
    rng = np.random.default_rng([seed, 99])
    alarms, seconds = 0, 0.0
    sources: list[tuple[str, ...]] = []
    for raw in names:
        name = raw.rstrip("*")
        for _ in range(count):
            text = WITHOUT_NAME[int(rng.integers(len(WITHOUT_NAME)))]
            voice = speech.VOICES[int(rng.integers(len(speech.VOICES)))]
            pair = _in_a_room(speech.say(text, voice).astype(np.float64), rng)
            snr_db = float(rng.uniform(10.0, 30.0))
            lead = np.concatenate([np.zeros((RATE, 2)), pair])
            noisy = np.stack([speech.noisy(lead[:, m], snr_db, seed=int(rng.integers(1 << 30)))
                              for m in range(2)], axis=1)  # fmt: skip
            floor = NoiseFloor()
            floor.learn(noisy[:RATE].mean(axis=1))
            pair = noisy[RATE:]
            seconds += len(pair) / RATE
            frames = [(pair[i : i + 1600, 0], pair[i : i + 1600, 1])
                      for i in range(0, len(pair) - 1600 + 1, 800)]  # fmt: skip
            tdoa = accumulate_tdoa(frames, RATE, max_tau_s=1.1 * SPACING_M / C)
            heard = views(pair, tdoa.tau_s if tdoa else None, RATE, floor.power)
            with contextlib.suppress(ValueError):  # a name it cannot listen for: no alarm
                hits = spotter.spot_views([v.astype(np.float32) for v in heard], RATE, [name])
                alarms += bool(hits)
                sources += [h.sources for h in hits[:1]]
    return alarms, seconds, sources


def _in_a_room(clip: Array, rng: np.random.Generator) -> Array:
    """``clip`` at a 0.18 m pair from 1-2.5 m, anechoic one time in five, else RT60 0.15-0.5 s."""
    import pyroomacoustics as pra
    from scipy.signal import fftconvolve

    rt60 = 0.0 if rng.random() < 0.2 else float(rng.uniform(0.15, 0.5))
    dims = [5.0, 4.0, 2.8]
    if rt60 > 0:
        absorption, order = pra.inverse_sabine(rt60, dims)
        room = pra.ShoeBox(dims, fs=RATE, materials=pra.Material(absorption),
                           max_order=min(order, 20))  # fmt: skip
    else:
        room = pra.AnechoicRoom(fs=RATE)
    room.add_source([3.5 - rng.uniform(1.0, 2.5), 1.5 + rng.uniform(-1.0, 1.0), 1.5])
    room.add_microphone_array(np.array([[3.5, 3.5], [1.5 - SPACING_M / 2, 1.5 + SPACING_M / 2],
                                        [1.4, 1.4]]))  # fmt: skip
    room.compute_rir()
    images = [fftconvolve(clip, np.asarray(room.rir[m][0])) for m in range(2)]
    length = min(len(i) for i in images)
    return np.stack([i[:length] for i in images], axis=1)


# -- scoring ---------------------------------------------------------------------------------


def _overlaps(heard: Heard, event: Event, slack_s: float = 0.2) -> bool:
    return heard.start_s < event.end_s + slack_s and event.start_s - slack_s < heard.end_s


def _match(run: Run) -> tuple[dict[int, int], dict[int, int]]:
    """Percept index → event index and back, by largest overlap, kind-agnostic."""
    percept_to_event: dict[int, int] = {}
    for p, h in enumerate(run.heard):
        best, best_overlap = None, -1.0
        for e, ev in enumerate(run.scene.events):
            if _overlaps(h, ev):
                overlap = min(h.end_s, ev.end_s) - max(h.start_s, ev.start_s)
                if overlap > best_overlap:
                    best, best_overlap = e, overlap
        if best is not None:
            percept_to_event[p] = best
    event_to_percept: dict[int, int] = {}
    for p, e in percept_to_event.items():
        if e not in event_to_percept or (
            run.heard[p].kind == run.scene.events[e].kind
            and run.heard[event_to_percept[e]].kind != run.scene.events[e].kind
        ):
            event_to_percept[e] = p
    return percept_to_event, event_to_percept


def _right(h: Heard, ev: Event | None) -> bool:
    if ev is None or h.kind != ev.kind:
        return False
    if h.side != UNKNOWN and not claim_holds(h.side, side(ev.azimuth_deg)):  # none claimed
        return False
    return h.kind != "speech" or h.names_name == ev.has_name


def ece(confidences: Sequence[float], right: Sequence[bool], bins: int = 10) -> float:
    """Expected calibration error: the confidence-weighted gap between confidence and the
    share right, over equal-width bins."""
    if not confidences:
        return float("nan")
    conf = np.asarray(confidences)
    hit = np.asarray(right, dtype=float)
    which = np.minimum((conf * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            total += inside.sum() / len(conf) * abs(conf[inside].mean() - hit[inside].mean())
    return float(total)


def ece_by_chance(confidences: Sequence[float], draws: int = 400) -> tuple[float, float]:
    """The ECE a perfectly calibrated sense would show with these confidences on so few
    percepts (each right with exactly its confidence): mean and standard deviation over
    seeded draws. A measured ECE is only meaningful above it."""
    if not confidences:
        return float("nan"), float("nan")
    rng = np.random.default_rng(0)
    conf = np.asarray(confidences)
    found = [ece(list(conf), list(rng.random(len(conf)) < conf)) for _ in range(draws)]
    return float(np.mean(found)), float(np.std(found))


def score(tally: Tally) -> dict[str, Any]:
    found = dict.fromkeys(KINDS, 0)
    total = dict.fromkeys(KINDS, 0)
    claimed = dict.fromkeys(KINDS, 0)
    correct = dict.fromkeys(KINDS, 0)
    sides: list[bool] = []
    hedges: list[bool] = []  # percepts near the front/side boundary that claim both
    unclaimed = 0
    errors: list[float] = []
    names = {"all": [0, 0], "snr>=10": [0, 0]}
    fired: dict[str, int] = {}  # the first source of the pronunciation that heard the name
    also_flite = 0  # of those, heard by a pronunciation flite also gives
    scene_alarms = 0
    confidences: list[float] = []
    rights: list[bool] = []
    latencies: list[float] = []
    own_latencies: list[float] = []
    cut = 0  # utterances heard as more than one voice percept
    audio_s = cpu_s = 0.0
    for run in tally.runs:
        audio_s += run.scene.duration_s
        cpu_s += run.cpu_s
        p2e, e2p = _match(run)
        voiced = [e for p, e in p2e.items() if run.heard[p].kind == "speech"]
        cut += sum(voiced.count(e) > 1 for e in set(voiced))
        for e, ev in enumerate(run.scene.events):
            total[ev.kind] += 1
            p = e2p.get(e)
            hit = p is not None and run.heard[p].kind == ev.kind
            found[ev.kind] += hit
            if ev.has_name:
                named = hit and p is not None and run.heard[p].names_name
                for key in ("all", "snr>=10") if run.scene.snr_db >= 10 else ("all",):
                    names[key][0] += named
                    names[key][1] += 1
                said = run.heard[p].name_sources if named and p is not None else ()
                if said:
                    fired[said[0]] = fired.get(said[0], 0) + 1
                    also_flite += "flite" in said
        for p, h in enumerate(run.heard):
            ev = run.scene.events[p2e[p]] if p in p2e else None
            claimed[h.kind] = claimed.get(h.kind, 0) + 1
            same = ev is not None and ev.kind == h.kind
            correct[h.kind] = correct.get(h.kind, 0) + same
            if ev is not None and same and h.side == UNKNOWN:
                unclaimed += 1
            elif ev is not None and same:
                holds = claim_holds(h.side, side(ev.azimuth_deg))
                (hedges if h.side.startswith("front-") else sides).append(holds)
                if h.azimuth_deg is not None:
                    errors.append(abs(h.azimuth_deg - ev.azimuth_deg))
                if h.kind == "speech":
                    latencies.append(h.emitted_s - ev.end_s)
                    own_latencies.append(h.latency_s)
            if h.names_name and (ev is None or not ev.has_name):
                scene_alarms += 1
            confidences.append(h.confidence)
            rights.append(_right(h, ev))
    err = np.asarray(errors) if errors else np.zeros(1)
    other_s = tally.other_speech_s
    return {
        "scenes": len(tally.runs),
        "per_kind": {k: _rates(found[k], total[k], correct[k], claimed[k]) for k in KINDS},
        "utterances_cut": cut,
        "other_percepts": {k: v for k, v in claimed.items() if k not in KINDS},
        "side_accuracy": float(np.mean(sides)) if sides else None,
        "sides_unclaimed": unclaimed,
        "sides_hedged": len(hedges),
        "hedges_right": float(np.mean(hedges)) if hedges else None,
        "side_accuracy_hedges_wrong": float(np.mean(sides + [False] * len(hedges)))
        if sides
        else None,
        "azimuth_median_deg": float(np.median(err)),
        "azimuth_rms_deg": float(np.sqrt(np.mean(err**2))),
        "azimuth_max_deg": float(np.max(err)),
        "outlier_share": float(np.mean(err > OUTLIER_DEG)),
        "name_recall": names["all"][0] / max(names["all"][1], 1),
        "name_recall_snr10": names["snr>=10"][0] / max(names["snr>=10"][1], 1),
        "name_utterances": names["all"][1],
        "name_utterances_snr10": names["snr>=10"][1],
        "scene_name_false_alarms": scene_alarms,
        "name_sources": dict(sorted(fired.items(), key=lambda kv: -kv[1])),
        "name_heard_by_flite_reading": also_flite,
        "false_alarm_sources": [list(s) for s in tally.false_alarm_sources],
        "false_alarms": tally.false_alarms,
        "false_alarm_speech_s": other_s,
        "false_alarms_per_hour": tally.false_alarms / other_s * 3600 if other_s else None,
        "ece": ece(confidences, rights),
        "ece_by_chance": ece_by_chance(confidences),
        "percepts": len(confidences),
        "share_right": float(np.mean(rights)) if rights else None,
        "latency_p50_s": float(np.median(latencies)) if latencies else None,
        "latency_p90_s": float(np.percentile(latencies, 90)) if latencies else None,
        "latency_max_s": float(np.max(latencies)) if latencies else None,
        "latency_own_p50_s": float(np.median(own_latencies)) if own_latencies else None,
        "rtf": cpu_s / audio_s if audio_s else None,
    }


def _rates(found: int, total: int, correct: int, claimed: int) -> dict[str, Any]:
    return {"recall": found / total if total else None,
            "precision": correct / claimed if claimed else None,
            "events": total, "percepts": claimed}  # fmt: skip


def _fmt(value: Any, spec: str = ".2f") -> str:
    return "—" if value is None else format(value, spec)


def show(figures: dict[str, Any], title: str) -> None:
    table = Table(title=title)
    for column in ("figure", "value", "aim"):
        table.add_column(column)
    for kind, row in figures["per_kind"].items():
        table.add_row(f"{kind}: recall / precision",
                      f"{_fmt(row['recall'])} / {_fmt(row['precision'])} "
                      f"({row['events']} events, {row['percepts']} percepts)",
                      "≥ 0.95" if kind == "speech" else "≥ 0.9")  # fmt: skip
    table.add_row("utterances heard as two percepts or more (cut at a pause)",
                  str(figures["utterances_cut"]), "")  # fmt: skip
    table.add_row("side accuracy (of percepts that claim one side)",
                  f"{_fmt(figures['side_accuracy'])}; no side claimed: "
                  f"{figures['sides_unclaimed']} (tones a pair cannot place)",
                  "≥ 0.95")  # fmt: skip
    table.add_row("hedged near the front/side boundary (front or a side)",
                  f"{figures['sides_hedged']}, right {_fmt(figures['hedges_right'])}; side "
                  f"accuracy counting every hedge wrong: "
                  f"{_fmt(figures['side_accuracy_hedges_wrong'])}", "")  # fmt: skip
    table.add_row("azimuth error median / RMS / max",
                  f"{figures['azimuth_median_deg']:.1f}° / {figures['azimuth_rms_deg']:.1f}° / "
                  f"{figures['azimuth_max_deg']:.1f}°", "")  # fmt: skip
    table.add_row(f"outliers (> {OUTLIER_DEG:g}°)", f"{figures['outlier_share']:.1%}", "")
    table.add_row("name recall, SNR ≥ 10 dB",
                  f"{figures['name_recall_snr10']:.2f} of {figures['name_utterances_snr10']}",
                  "≥ 0.8")  # fmt: skip
    table.add_row(
        "name recall, all SNRs (0-30 dB)",
        f"{figures['name_recall']:.2f} of {figures['name_utterances']}",
        "",
    )
    sources = ", ".join(f"{k} {v}" for k, v in figures["name_sources"].items()) or "—"
    table.add_row("name heard by pronunciation from (first source)",
                  f"{sources}; flite's reading among its sources: "
                  f"{figures['name_heard_by_flite_reading']}", "")  # fmt: skip
    table.add_row("name false alarms / h of speech without it",
                  f"{_fmt(figures['false_alarms_per_hour'], '.1f')} ({figures['false_alarms']} "
                  f"in {figures['false_alarm_speech_s'] / 60:.0f} min); in scenes: "
                  f"{figures['scene_name_false_alarms']}", "≤ 1")  # fmt: skip
    chance_mean, chance_sd = figures["ece_by_chance"]
    table.add_row("ECE of confidence (10 bins)",
                  f"{figures['ece']:.3f} ({figures['percepts']} percepts, "
                  f"{_fmt(figures['share_right'])} right; a calibrated sense would show "
                  f"{chance_mean:.3f} ± {chance_sd:.3f} on so few)", "≤ 0.05")  # fmt: skip
    table.add_row("utterance's true end → percept p50 / p90 / max",
                  " / ".join(_fmt(figures[f"latency_{q}_s"]) for q in ("p50", "p90", "max"))
                  + f" s (from the percept's own end: p50 {_fmt(figures['latency_own_p50_s'])} s)",
                  "≤ 0.3 s")  # fmt: skip
    table.add_row("real-time factor, whole sense, 1 core", _fmt(figures["rtf"], ".3f"), "≤ 0.3")
    Console(width=130).print(table)


def _pin_one_core() -> set[int] | None:
    if not hasattr(os, "sched_setaffinity"):
        return None
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    return before


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seed", type=int, default=1, help="draws every scene (default 1)")
    parser.add_argument("--scenes", type=int, default=12)
    parser.add_argument("--names", choices=sorted(NAMES), default="held")
    parser.add_argument("--false-alarm-utterances", type=int, default=25,
                        help="utterances without the name, per name, for false alarms")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="one short scene, two utterances")
    parser.add_argument("--name-threshold", type=float, default=THRESHOLD.base,
                        help="the keyword search's threshold in nats (to tune it)")  # fmt: skip
    parser.add_argument("--cache", type=Path, help="folder for rendered scenes (kept)")
    parser.add_argument("--live", type=float,
                        help="hear words from this far into a voice (live_after_s)")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--verbose", action="store_true", help="print every percept")
    parser.add_argument("--dump", type=Path, help="write every percept, scored, as JSON lines")
    args = parser.parse_args(argv)
    if not speech.available():
        print(speech.MISSING)
        return {"skipped": speech.MISSING}
    scenes = 1 if args.quick else args.scenes
    seconds = 10.0 if args.quick else SCENE_S
    per_name = 2 if args.quick else args.false_alarm_utterances
    names = NAMES[args.names]
    folder = args.cache or Path(tempfile.mkdtemp(prefix="rooms-"))
    folder.mkdir(parents=True, exist_ok=True)
    spotter = Recorded(
        Threshold(args.name_threshold, THRESHOLD.per_phone, variant=THRESHOLD.variant)
    )
    # Load the recogniser's models before the clock runs: a one-time cost, not a rate.
    spotter.spot(np.zeros(RATE, np.float32), RATE, [names[0].rstrip("*")])
    tally = Tally()
    before = _pin_one_core()
    try:
        for index in range(scenes):
            scene = make_scene(args.seed, index, names, folder, seconds)
            run = anyio.run(partial(_hear, live_after_s=args.live), scene, spotter)
            tally.runs.append(run)
            print(f"scene {index}: {len(run.heard)} percepts, {run.cpu_s:.1f} s CPU", flush=True)
            if args.verbose:
                _print_run(run)
        fa_names = names[:1] if args.quick else names
        tally.false_alarms, tally.other_speech_s, tally.false_alarm_sources = false_alarm_pass(
            fa_names, args.seed, per_name, spotter
        )
    finally:
        if before is not None:
            os.sched_setaffinity(0, before)
    figures = score(tally)
    figures["seed"], figures["names"] = args.seed, args.names
    show(figures, f"Hearing in simulated rooms: seed {args.seed}, {scenes} scenes of "
                  f"{seconds:g} s, names '{args.names}'")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    if args.dump:
        args.dump.write_text("".join(json.dumps(row, default=str) + "\n" for row in _rows(tally)))
    return figures


def _rows(tally: Tally) -> Iterator[dict[str, Any]]:
    """Every percept with its scene's conditions and whether it was right (for calibration)."""
    for run in tally.runs:
        p2e, _ = _match(run)
        for p, h in enumerate(run.heard):
            ev = run.scene.events[p2e[p]] if p in p2e else None
            yield {"kind": h.kind, "confidence": h.confidence, "fields": h.fields,
                   "seed": run.scene.seed, "scene": run.scene.index,
                   "names_name": h.names_name, "right": _right(h, ev),
                   "truth": None if ev is None else ev.kind, "has_name": bool(ev and ev.has_name),
                   "truth_azimuth_deg": None if ev is None else round(ev.azimuth_deg, 1),
                   "rt60_s": run.scene.rt60_s, "snr_db": run.scene.snr_db}  # fmt: skip


def _print_run(run: Run) -> None:
    s = run.scene
    print(f"scene {s.index}: name {s.name}, RT60 {s.rt60_s:.2f} s, SNR {s.snr_db:.0f} dB")
    for ev in s.events:
        print(f"  truth {ev.kind:6} {ev.start_s:6.2f}-{ev.end_s:6.2f} az {ev.azimuth_deg:6.1f} "
              f"{'NAME ' if ev.has_name else ''}{ev.text}")  # fmt: skip
    for h in run.heard:
        print(f"  heard {h.kind:6} {h.start_s:6.2f}-{h.end_s:6.2f} az "
              f"{h.azimuth_deg or 0.0:6.1f} c {h.confidence:.2f} "
              f"lat {h.latency_s:.2f} {h.rendering}")  # fmt: skip


if __name__ == "__main__":
    main()
