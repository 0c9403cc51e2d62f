"""Direction of a sound from a two-microphone pair: TDOA error against baselines and the CRB.

A head-sized pair (0.18 m) at 16 kHz hears a synthetic speech-like utterance (voiced
syllables: harmonics of a 110-180 Hz gliding pitch up to 3 kHz; fricative bursts at
2.5-7 kHz; pauses) from
azimuths -75..75° in steps of 15°. Two families of conditions:

- anechoic, white noise at 20, 10 and 0 dB SNR (per 100 ms window, independent per
  channel), far field, fractional delays made by frequency-domain shifts: each estimator
  sees one 100 ms window at a time (windows with speech in them);
- a simulated 6×5×3 m room (pyroomacoustics image sources, RT60 0.3 s), the head at a
  random place and heading, the talker 1.5 m away, sensor noise at 20 dB SNR: each
  estimator sees one whole utterance, and then, for contrast, each 100 ms window of it.

Estimators: ours (``prefrontal.senses.hearing.direction``: maximum-likelihood GCC on a
window; onset- and SCOT-weighted spectra accumulated over 32 ms windows for an utterance,
with the other weightings beside it), and baselines: a level-only view (interaural level
difference of 20 ms frames, mapped to a delay by a line fitted on a separate calibration
set: all a frame-level loudness view can offer), integer-lag cross-correlation, and
pyroomacoustics' DOA estimators with the same two microphones (SRP-PHAT, MUSIC,
NormMUSIC; TOPS, CSSM, WAVES and FRIDA in the room only, being slow or needing more
microphones).

Figures per condition: ITD error (µs RMS), azimuth error (° RMS), the Cramér-Rao bound of
the ITD (Knapp & Carter, from each window's own clean spectrum against the noise; in the
room it counts the sensor noise only, not the reverberation) and each estimator's ratio to
it, and the real-time factor on one core (process pinned to one CPU where the system
allows; seconds of compute per second of audio).

Run: ``python benchmarks/direction.py [--quick] [--json PATH] [--seed N]``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pyroomacoustics as pra
from rich.console import Console
from rich.table import Table

from prefrontal.senses.hearing.direction import (
    Weighting,
    accumulate_tdoa,
    azimuth_deg,
    crlb_tdoa_s,
    estimate_tdoa,
)

Array = npt.NDArray[np.float64]
RATE = 16_000
SPACING_M = 0.18
C = float(cast(float, pra.constants.get("c")))  # 343 m/s, as the simulation uses
MAX_TAU_S = SPACING_M / C
WINDOW_S = 0.1
LEVEL_FRAME_S = 0.02
ROOM_DIMS = (6.0, 5.0, 3.0)
RT60_S = 0.3
ROOM_SNR_DB = 20.0
TALKER_DISTANCE_M = 1.5
AZIMUTHS = tuple(range(-75, 76, 15))
SNRS_DB = (20.0, 10.0, 0.0)
PRA_FAST = ("SRP", "MUSIC", "NormMUSIC")
PRA_ROOM = (*PRA_FAST, "TOPS", "CSSM", "WAVES", "FRIDA")
PRA_NFFT = 256
PRA_GRID = np.linspace(0.0, np.pi, 721)  # 0.25°, the front half-plane
# The speech band. Of five ranges tried (100-1000 Hz up to 200-7000 Hz) none was best for
# every pyroomacoustics estimator; this one was best or near it for SRP and NormMUSIC.
PRA_BAND = [200.0, 7000.0]
UTTERANCE_WINDOW_S = 0.032
OURS = "ours (ML, per window)"
OURS_UTTERANCE = "ours (SCOT, accumulated)"
ROOM_UTTERANCE = f"room RT60 {RT60_S:g} s, {ROOM_SNR_DB:g} dB, utterance"
ROOM_WINDOWS = f"room RT60 {RT60_S:g} s, {ROOM_SNR_DB:g} dB, 100 ms"

# Aims from the issue.
AIM_ITD_US = 2.0
AIM_CRB_RATIO = 1.5
AIM_ANECHOIC_DEG = 3.0
AIM_ROOM_DEG = 5.0


# -- signals ---------------------------------------------------------------------------------


def voiced(rng: np.random.Generator, n: int, f0: float) -> Array:
    """Harmonics of a gliding pitch near f0, up to 3 kHz, with a falling, formant-ish tilt."""
    t = np.arange(n) / RATE
    pitch = f0 * (1 + 0.15 * np.sin(2 * np.pi * rng.uniform(1, 3) * t + rng.uniform(0, 6)))
    phase = 2 * np.pi * np.cumsum(pitch) / RATE
    out = np.zeros(n)
    for h in range(1, int(3000 / (f0 * 0.85)) + 1):
        formants = 1 + 1.5 * np.exp(-(((h * f0 - 700) / 300) ** 2))
        amplitude = np.where(h * pitch < 3000, formants / h, 0.0)
        out += amplitude * np.cos(h * phase + rng.uniform(0, 2 * np.pi))
    return out


def band_noise(rng: np.random.Generator, n: int, lo: float, hi: float) -> Array:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    spectrum[(freqs < lo) | (freqs > hi)] = 0
    return np.fft.irfft(spectrum, n)


def utterance(rng: np.random.Generator, seconds: float) -> Array:
    """Syllables of 120-250 ms (some opened by a fricative), with 30-120 ms pauses."""
    n = int(seconds * RATE)
    out = np.zeros(n)
    i = int(0.05 * RATE)
    while i < n - int(0.15 * RATE):
        if rng.random() < 0.4:
            m = int(rng.uniform(0.04, 0.09) * RATE)
            out[i : i + m] += 0.3 * band_noise(rng, m, 2500, 7000) * np.hanning(m)
            i += m
        m = min(int(rng.uniform(0.12, 0.25) * RATE), n - i)
        syllable = voiced(rng, m, rng.uniform(110, 180)) * np.sqrt(np.hanning(m))
        out[i : i + m] += syllable / np.sqrt(np.mean(syllable**2)) * rng.uniform(0.5, 1.0)
        i += m + int(rng.uniform(0.03, 0.12) * RATE)
    return out


def delayed(signal: Array, tau_s: float) -> tuple[Array, Array]:
    """(left, right) with the right lagging the left by tau_s: ``right(t) = left(t - tau)``."""
    spectrum = np.fft.rfft(signal)
    shift = np.exp(1j * np.pi * np.fft.rfftfreq(len(signal), 1 / RATE) * tau_s)
    n = len(signal)
    return np.fft.irfft(spectrum * shift, n), np.fft.irfft(spectrum / shift, n)


def tau_of(azimuth: float) -> float:
    return -SPACING_M * math.sin(math.radians(azimuth)) / C


# -- cases -----------------------------------------------------------------------------------


@dataclass
class Case:
    """One thing to localise: noisy channels, their clean left, the noise, the truth."""

    left: Array
    right: Array
    clean: Array
    noise_var: float
    tau_s: float
    azimuth: float


def anechoic_cases(rng: np.random.Generator, snr_db: float, utterances: int) -> list[Case]:
    n = int(WINDOW_S * RATE)
    cases: list[Case] = []
    for azimuth in AZIMUTHS:
        for _ in range(utterances):
            tau = tau_of(azimuth) + rng.uniform(-10e-6, 10e-6)
            left, right = delayed(utterance(rng, 1.2), tau)
            level = np.mean(left**2)
            for start in range(0, len(left) - n + 1, n):
                window = slice(start, start + n)
                power = float(np.mean(left[window] ** 2))
                if power < 0.25 * level:
                    continue  # mostly silence: nothing to localise
                noise_var = power / 10 ** (snr_db / 10)
                noise = rng.standard_normal((2, n)) * math.sqrt(noise_var)
                cases.append(
                    Case(
                        left[window] + noise[0],
                        right[window] + noise[1],
                        left[window],
                        noise_var,
                        tau,
                        azimuth_deg(tau, SPACING_M, C),
                    )
                )
    return cases


def room_case(rng: np.random.Generator, azimuth: float, seconds: float) -> Case:
    absorption, max_order = pra.inverse_sabine(RT60_S, list(ROOM_DIMS))
    room = pra.ShoeBox(
        list(ROOM_DIMS), fs=RATE, materials=pra.Material(absorption), max_order=max_order
    )
    head = np.array([rng.uniform(1.8, 4.2), rng.uniform(1.8, 3.2), 1.5])
    heading = rng.uniform(0, 2 * np.pi)
    ahead = np.array([np.cos(heading), np.sin(heading), 0.0])
    rightward = np.array([np.sin(heading), -np.cos(heading), 0.0])
    mics = np.stack([head - rightward * SPACING_M / 2, head + rightward * SPACING_M / 2])
    theta = math.radians(azimuth)
    source = head + TALKER_DISTANCE_M * (math.cos(theta) * ahead + math.sin(theta) * rightward)
    source[:2] = np.clip(source[:2], 0.3, np.array(ROOM_DIMS[:2]) - 0.3)
    signal = utterance(rng, seconds)
    room.add_source(source.tolist(), signal=signal)
    room.add_microphone_array(mics.T)
    room.simulate()
    assert room.mic_array is not None
    clean = room.mic_array.signals[:, : len(signal) + int(0.1 * RATE)]
    noise_var = float(np.mean(clean**2)) / 10 ** (ROOM_SNR_DB / 10)
    noisy = clean + rng.standard_normal(clean.shape) * math.sqrt(noise_var)
    distances = np.linalg.norm(mics - source, axis=1)
    toward = source - head
    true_azimuth = math.degrees(math.asin(np.dot(toward, rightward) / np.linalg.norm(toward)))
    tau = float(distances[1] - distances[0]) / C
    return Case(noisy[0], noisy[1], clean[0], noise_var, tau, true_azimuth)


# -- the Cramér-Rao bound --------------------------------------------------------------------


def crb_s(clean: Array, noise_var: float) -> float:
    """Knapp & Carter's bound for this signal's own spectrum in white noise of noise_var.

    ``var >= 1 / (2 Σ_k ω_k² s_k² / (1 + 2 s_k))``, s_k the bin's signal-to-noise ratio
    (the clean periodogram over the noise power per bin); for a flat spectrum it is
    ``crlb_tdoa_s``.
    """
    n = len(clean)
    snr = np.abs(np.fft.rfft(clean)) ** 2 / (n * noise_var)
    omega = 2 * np.pi * np.fft.rfftfreq(n, 1 / RATE)
    return 1 / math.sqrt(2 * float(np.sum((omega**2 * snr**2 / (1 + 2 * snr))[1:])))


# -- baselines -------------------------------------------------------------------------------


def level_difference_db(left: Array, right: Array) -> float:
    """Mean interaural level difference of the 20 ms frames, in dB: all a level view sees."""
    n = int(LEVEL_FRAME_S * RATE)
    frames = len(left) // n
    level_left = np.mean(left[: frames * n].reshape(frames, n) ** 2, axis=1)
    level_right = np.mean(right[: frames * n].reshape(frames, n) ** 2, axis=1)
    return float(np.mean(10 * np.log10((level_left + 1e-20) / (level_right + 1e-20))))


@dataclass
class LevelOnly:
    """tau = intercept + slope · ILD, the line fitted to calibration cases."""

    intercept: float = 0.0
    slope: float = 0.0

    def fit(self, cases: list[Case]) -> LevelOnly:
        ild = np.array([level_difference_db(c.left, c.right) for c in cases])
        taus = np.array([c.tau_s for c in cases])
        self.slope, self.intercept = (float(v) for v in np.polyfit(ild, taus, 1))
        return self

    def __call__(self, left: Array, right: Array) -> float:
        return self.intercept + self.slope * level_difference_db(left, right)


def integer_lag(left: Array, right: Array) -> float:
    """Plain cross-correlation, untapered, unweighted, the best whole-sample lag."""
    max_lag = math.ceil(MAX_TAU_S * RATE)
    nfft = len(left) + max_lag + 1
    corr = np.fft.irfft(np.fft.rfft(right, nfft) * np.conj(np.fft.rfft(left, nfft)), nfft)
    lags = np.arange(-max_lag, max_lag + 1)
    return float(lags[int(np.argmax(corr[lags]))]) / RATE


def pra_estimator(name: str) -> Callable[[Array, Array], float]:
    """A pyroomacoustics DOA estimator on the same pair, its azimuth turned into a delay."""
    mics = np.array([[-SPACING_M / 2, SPACING_M / 2], [0.0, 0.0]])
    window = np.hanning(PRA_NFFT)

    def estimate(left: Array, right: Array) -> float:
        starts = range(0, len(left) - PRA_NFFT + 1, PRA_NFFT // 2)
        stft = np.stack(
            [
                np.fft.rfft(np.stack([ch[s : s + PRA_NFFT] * window for s in starts]), axis=1).T
                for ch in (left, right)
            ]
        )
        doa = pra.doa.algorithms[name](mics, RATE, PRA_NFFT, c=C, num_src=1, azimuth=PRA_GRID)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            doa.locate_sources(stft, freq_range=PRA_BAND)
        assert doa.azimuth_recon is not None
        phi = float(doa.azimuth_recon[0])
        # pra's azimuth runs from the array axis (+x, the right microphone's side).
        theta = 90.0 - math.degrees(math.acos(math.cos(phi)))
        return tau_of(theta)

    return estimate


def frames_of(left: Array, right: Array, seconds: float) -> list[tuple[Array, Array]]:
    """Windows of ``seconds``, half overlapping."""
    n = int(seconds * RATE)
    return [(left[i : i + n], right[i : i + n]) for i in range(0, len(left) - n + 1, n // 2)]


# -- measuring -------------------------------------------------------------------------------


@dataclass
class Tally:
    """Errors and compute time of one estimator in one condition."""

    itd_errors: list[float] = field(default_factory=list)
    azimuth_errors: list[float] = field(default_factory=list)
    seconds: float = 0.0
    audio_s: float = 0.0
    failure: str | None = None

    def figures(self, crb: float) -> dict[str, Any]:
        if self.failure is not None:
            return {"failed": self.failure}
        itd = math.sqrt(float(np.mean(np.square(self.itd_errors))))
        return {
            "itd_us_rms": itd * 1e6,
            "azimuth_deg_rms": math.sqrt(float(np.mean(np.square(self.azimuth_errors)))),
            "ratio_to_crb": itd / crb,
            "real_time_factor": self.seconds / self.audio_s,
            "estimates": len(self.itd_errors),
        }


def measure(tally: Tally, estimator: Callable[[Array, Array], float], case: Case) -> None:
    if tally.failure is not None:
        return
    start = time.perf_counter()
    try:
        tau = estimator(case.left, case.right)
    except Exception as error:  # a baseline that cannot run on two microphones
        tally.failure = f"{type(error).__name__} {error}".strip()[:60]
        return
    tally.seconds += time.perf_counter() - start
    tally.audio_s += len(case.left) / RATE
    tally.itd_errors.append(tau - case.tau_s)
    tally.azimuth_errors.append(azimuth_deg(tau, SPACING_M, C) - case.azimuth)


def ours_window(weighting: Weighting) -> Callable[[Array, Array], float]:
    def estimate(left: Array, right: Array) -> float:
        return estimate_tdoa(left, right, RATE, max_tau_s=MAX_TAU_S, weighting=weighting).tau_s

    return estimate


def ours_accumulated(
    weighting: Weighting, *, onsets: bool = True
) -> Callable[[Array, Array], float]:
    def estimate(left: Array, right: Array) -> float:
        frames = frames_of(left, right, UTTERANCE_WINDOW_S)
        return accumulate_tdoa(
            frames, RATE, max_tau_s=MAX_TAU_S, weighting=weighting, onsets=onsets
        ).tau_s

    return estimate


def run_condition(
    cases: list[Case], estimators: dict[str, Callable[[Array, Array], float]]
) -> dict[str, Any]:
    tallies = {name: Tally() for name in estimators}
    for case in cases:
        for name, estimator in estimators.items():
            measure(tallies[name], estimator, case)
    bounds = np.array([crb_s(c.clean, c.noise_var) for c in cases])
    crb = math.sqrt(float(np.mean(bounds**2)))
    # The bound in degrees: the delay's bound through the slope of asin at each case's angle.
    cosines = np.array([math.cos(math.radians(c.azimuth)) for c in cases])
    crb_deg = np.degrees(C * bounds / (SPACING_M * np.maximum(cosines, 0.05)))
    return {
        "cases": len(cases),
        "crb_us": crb * 1e6,
        "crb_azimuth_deg": math.sqrt(float(np.mean(crb_deg**2))),
        "estimators": {name: t.figures(crb) for name, t in tallies.items()},
    }


def windows_of(case: Case) -> list[Case]:
    """The 100 ms windows of a room recording that have speech in them, as cases."""
    n = int(WINDOW_S * RATE)
    level = float(np.mean(case.clean**2))
    return [
        Case(case.left[w], case.right[w], case.clean[w], case.noise_var, case.tau_s, case.azimuth)
        for w in (slice(i, i + n) for i in range(0, len(case.left) - n + 1, n))
        if float(np.mean(case.clean[w] ** 2)) >= 0.25 * level
    ]


def anechoic(args: argparse.Namespace, rng: np.random.Generator) -> dict[str, Any]:
    """The three anechoic conditions: one 100 ms window at a time."""
    conditions: dict[str, Any] = {}
    level_only = LevelOnly().fit(anechoic_cases(np.random.default_rng(args.seed + 1), 20.0, 1))
    for snr_db in SNRS_DB:
        cases = anechoic_cases(rng, snr_db, 1 if args.quick else 3)
        if args.quick:
            cases = cases[:: max(1, len(cases) // 24)]
        conditions[f"anechoic, {snr_db:g} dB, 100 ms"] = run_condition(
            cases,
            {
                OURS: ours_window("ml"),
                "ours (PHAT, per window)": ours_window("phat"),
                "level only (20 ms frames)": level_only,
                "integer-lag cross-correlation": integer_lag,
                **{f"pyroomacoustics {name}": pra_estimator(name) for name in PRA_FAST},
            },
        )
    return conditions


def reverberant(args: argparse.Namespace, rng: np.random.Generator) -> dict[str, Any]:
    """The room: whole utterances, then their 100 ms windows."""
    azimuths = AZIMUTHS[::5] if args.quick else AZIMUTHS
    seconds = 0.6 if args.quick else 1.2
    room = [room_case(rng, az, seconds) for az in azimuths for _ in range(1 if args.quick else 2)]
    calibration_rng = np.random.default_rng(args.seed + 2)
    calibration = [room_case(calibration_rng, az, seconds) for az in azimuths]
    utterances = run_condition(
        room,
        {
            OURS_UTTERANCE: ours_accumulated("scot"),
            "ours (SCOT, accumulated, no onset weighting)": ours_accumulated("scot", onsets=False),
            "ours (ML, accumulated)": ours_accumulated("ml"),
            "ours (PHAT, accumulated)": ours_accumulated("phat"),
            "level only (20 ms frames)": LevelOnly().fit(calibration),
            "integer-lag cross-correlation": integer_lag,
            **{
                f"pyroomacoustics {name}": pra_estimator(name)
                for name in (PRA_FAST if args.quick else PRA_ROOM)
            },
        },
    )
    windows = run_condition(
        [w for case in room for w in windows_of(case)],
        {
            OURS: ours_window("ml"),
            "ours (PHAT, per window)": ours_window("phat"),
            "level only (20 ms frames)": LevelOnly().fit(
                [w for case in calibration for w in windows_of(case)]
            ),
            "integer-lag cross-correlation": integer_lag,
            **{f"pyroomacoustics {name}": pra_estimator(name) for name in PRA_FAST},
        },
    )
    return {ROOM_UTTERANCE: utterances, ROOM_WINDOWS: windows}


def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = np.random.default_rng(args.seed)
    with one_core():
        conditions = {**anechoic(args, rng), **reverberant(args, rng)}
    return {
        "conditions": conditions,
        "crlb_white_us": crlb_tdoa_s(20.0, RATE, WINDOW_S, (0.0, RATE / 2)) * 1e6,
        "aims": aims(conditions),
        "quick": args.quick,
        "seed": args.seed,
    }


def aims(conditions: dict[str, Any]) -> dict[str, Any]:
    """The issue's aims, each with the figure reached and whether it holds."""
    result: dict[str, Any] = {}
    anechoic_20 = conditions["anechoic, 20 dB, 100 ms"]["estimators"][OURS]
    result["itd_us_at_20_db"] = {
        "aim": AIM_ITD_US,
        "reached": anechoic_20["itd_us_rms"],
        "met": anechoic_20["itd_us_rms"] <= AIM_ITD_US,
    }
    result["crb_ratio_at_20_db"] = {
        "aim": AIM_CRB_RATIO,
        "reached": anechoic_20["ratio_to_crb"],
        "met": anechoic_20["ratio_to_crb"] <= AIM_CRB_RATIO,
    }
    for name, condition in conditions.items():
        if name == ROOM_WINDOWS:
            continue  # no aim: one window in a room is known to mislead (see the table)
        ours = condition["estimators"].get(OURS_UTTERANCE) or condition["estimators"][OURS]
        aim = AIM_ROOM_DEG if name == ROOM_UTTERANCE else AIM_ANECHOIC_DEG
        result[f"azimuth_deg: {name}"] = {
            "aim": aim,
            "reached": ours["azimuth_deg_rms"],
            "met": ours["azimuth_deg_rms"] <= aim,
        }
    return result


# -- output ----------------------------------------------------------------------------------


def report(figures: dict[str, Any], console: Console) -> None:
    table = Table(title="Direction from a 0.18 m pair at 16 kHz: TDOA error, CRB and cost")
    for column in ("condition", "estimator", "ITD µs RMS", "azimuth ° RMS", "× CRB", "RTF"):
        table.add_column(
            column, justify="left" if column in ("condition", "estimator") else "right"
        )
    for name, condition in figures["conditions"].items():
        label = f"{name} ({condition['cases']})"
        table.add_row(
            label,
            "Cramér-Rao bound" + (" (sensor noise only)" if name.startswith("room") else ""),
            f"{condition['crb_us']:.2f}",
            f"{condition['crb_azimuth_deg']:.2f}",
            "1.00",
            "",
        )
        for estimator, row in condition["estimators"].items():
            if "failed" in row:
                table.add_row("", f"{estimator}: {row['failed']}", "failed", "", "", "")
                continue
            table.add_row(
                "",
                estimator,
                f"{row['itd_us_rms']:.2f}",
                f"{row['azimuth_deg_rms']:.2f}",
                f"{row['ratio_to_crb']:.2f}",
                f"{row['real_time_factor']:.4f}",
            )
        table.add_section()
    console.print(table)
    console.print(
        f"white-signal bound crlb_tdoa_s(20 dB, 16 kHz, 100 ms, 0-8 kHz): "
        f"{figures['crlb_white_us']:.3f} µs (speech packs its power low, so its bound is higher)",
        highlight=False,
    )
    for aim, row in figures["aims"].items():
        mark = "met" if row["met"] else "NOT met"
        console.print(
            f"aim {aim}: {row['reached']:.2f} against {row['aim']:g}: {mark}", highlight=False
        )


@contextmanager
def one_core() -> Generator[None, None, None]:
    """Measure on one core: pin this process to one CPU it may use, then let it go."""
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(allowed)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, allowed)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a small run, a few seconds")
    parser.add_argument("--seed", type=int, default=2024, help="seed of every generator")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print its table and return the figures."""
    args = parse_args(argv)
    console = Console()
    if not console.is_terminal:
        console = Console(width=140)
    figures = run(args)
    report(figures, console)
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
