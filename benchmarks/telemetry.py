"""Telemetry detection against a naive fixed threshold, on generated telemetry, in one run.

Every channel is generated at 10 Hz by ``prefrontal.senses.telemetry.sources.generate``
(correlated noise of standard deviation σ = 0.5, a slow benign wander of the same size, half
the quiet channels with a daily cycle) with known events: level shifts of 2, 3, 5 and 10 σ,
drifts of 5 σ over 10 min and 10 σ over 20 min, spikes of 6, 8, 12 and 20 σ (one sample).
Both detectors see the same samples. Figures:

- change delay (mean and max seconds from the first changed sample to the first ``change``
  finding, missed = none within 5 min of a shift or 10 min after a drift ends), per kind;
- spike recall (an ``anomaly`` finding at the spike's sample), per magnitude;
- false alarms per channel-hour: findings on quiet channels, and findings on event channels
  outside any event's window;
- throughput: samples per second through ``TelemetryDetector.update`` on one core
  (generation not counted).

The naive baseline is a fixed threshold on the raw stream: mean and standard deviation of
the first 5 min, an alarm when a sample leaves mean ± kσ (k = 4 and 6), re-armed after 10 s
back inside; an alarm right after an event counts for it as the detector's findings do, so
its delays and recall are flattered by its false alarms: read them beside its alarm rate.

Run: ``python benchmarks/telemetry.py [--quick] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from prefrontal.senses.telemetry.detect import Finding, TelemetryDetector
from prefrontal.senses.telemetry.sources import (
    ChannelSpec,
    Drift,
    LevelShift,
    Sample,
    Spike,
    TelemetryEvent,
    generate,
)

RATE_HZ = 10.0
NOISE = 0.5
SHIFTS = (2.0, 3.0, 5.0, 10.0)  # σ
DRIFTS = ((5.0, 600.0), (10.0, 1_200.0))  # (σ, seconds)
SPIKES = (6.0, 8.0, 12.0, 20.0)  # σ
SHIFT_HORIZON_S = 300.0
DRIFT_HORIZON_S = 600.0
CALIBRATION_S = 300.0
REARM_S = 10.0


def scenario(hours: float, reps: int, quiet: int, spikes: int, seed: int) -> list[Any]:
    """(channel spec, events) per channel; events sit after the warm-up, signs alternate."""
    rng = np.random.default_rng(seed)
    duration = hours * 3_600.0
    plan: list[tuple[ChannelSpec, list[TelemetryEvent]]] = []
    for i in range(quiet):
        plan.append((ChannelSpec(name=f"quiet{i}", daily=5.0 if i % 2 else 0.0), []))
    for size in SHIFTS:
        for r in range(reps):
            name, t = f"shift{size:g}σ_{r}", float(rng.uniform(0.3, 0.6) * duration)
            event = LevelShift(channel=name, t=t, magnitude=(-1) ** r * size * NOISE)
            plan.append((ChannelSpec(name=name), [event]))
    for size, length in DRIFTS:
        for r in range(reps):
            name, t = f"drift{size:g}σ_{r}", float(rng.uniform(0.2, 0.3) * duration)
            magnitude = (-1) ** r * size * NOISE
            drift = Drift(channel=name, t=t, magnitude=magnitude, duration_s=length)
            plan.append((ChannelSpec(name=name), [drift]))
    for size in SPIKES:
        name = f"spike{size:g}σ"
        times = np.linspace(CALIBRATION_S, duration - 60.0, spikes)
        events: list[TelemetryEvent] = [
            Spike(
                channel=name, t=float(t) + float(rng.uniform(0, 1)), magnitude=sign * size * NOISE
            )
            for t, sign in zip(times, np.resize([1.0, -1.0], spikes), strict=True)
        ]
        plan.append((ChannelSpec(name=name), events))
    return plan


def naive(samples: Sequence[Sample], k: float) -> list[Finding]:
    """A fixed threshold on the raw stream, calibrated on the first minutes.

    One alarm per excursion; an excursion ends after ``REARM_S`` back inside the band (an
    alarm deadband, so a value hovering at the threshold is not counted again and again).
    """
    start = samples[0].t
    calibration = np.array([s.value for s in samples if s.t - start < CALIBRATION_S])
    mean, sd = float(calibration.mean()), float(calibration.std())
    out: list[Finding] = []
    last_outside = -math.inf
    for s in samples:
        if abs(s.value - mean) <= k * sd or s.t - start < CALIBRATION_S:
            continue
        if s.t - last_outside > REARM_S:
            out.append(Finding(kind="anomaly", channel=s.channel, t=s.t, since=s.t, value=s.value,
                               baseline=mean, confidence=1.0, detail=""))  # fmt: skip
        last_outside = s.t
    return out


def score(
    results: dict[str, tuple[list[TelemetryEvent], list[Finding]]],
    hours: float,
    change_kinds: frozenset[str],
) -> dict[str, Any]:
    """Delays, recall and false alarms of one detector's findings.

    A shift or drift counts as detected by the first finding of ``change_kinds`` in its
    window (the naive threshold cannot tell a spike from a change: any alarm counts for it).
    """
    delays: dict[str, list[float]] = {}
    missed: dict[str, int] = {}
    caught: dict[str, list[int]] = {}
    quiet_alarms = stray_alarms = quiet_channels = event_channels = 0
    for events, findings in results.values():
        findings = [f for f in findings if f.kind != "flagged"]
        if not events:
            quiet_channels += 1
            quiet_alarms += len(findings)
            continue
        event_channels += 1
        used: set[int] = set()
        for event in events:
            if isinstance(event, Spike):
                hits = [i for i, f in enumerate(findings) if abs(f.since - event.t) < 1e-6]
                caught.setdefault(f"{abs(event.magnitude) / NOISE:g}σ", []).append(bool(hits))
                used.update(hits)
                continue
            end = event.t + (
                SHIFT_HORIZON_S
                if isinstance(event, LevelShift)
                else event.duration_s + DRIFT_HORIZON_S
            )
            window = [i for i, f in enumerate(findings) if event.t <= f.t <= end]
            key = f"{event.kind} {abs(event.magnitude) / NOISE:g}σ"
            if isinstance(event, Drift):
                key += f"/{event.duration_s / 60:g}min"
            first = [findings[i].t for i in window if findings[i].kind in change_kinds]
            if first:
                delays.setdefault(key, []).append(first[0] - event.t)
            else:
                missed[key] = missed.get(key, 0) + 1
                delays.setdefault(key, [])
            used.update(window)
        stray_alarms += len(findings) - len(used)
    return {
        "changes": {
            key: {
                "detected": len(values),
                "missed": missed.get(key, 0),
                "mean_delay_s": round(float(np.mean(values)), 1) if values else None,
                "max_delay_s": round(float(np.max(values)), 1) if values else None,
            }
            for key, values in delays.items()
        },
        "spike_recall": {key: round(sum(v) / len(v), 3) for key, v in caught.items()},
        "false_alarms_per_hour_quiet": round(quiet_alarms / (quiet_channels * hours), 4),
        "false_alarms_per_hour_event_channels": round(stray_alarms / (event_channels * hours), 4),
        "quiet_channel_hours": quiet_channels * hours,
    }


def run(hours: float, reps: int, quiet: int, spikes: int, seed: int) -> dict[str, Any]:
    """Generate every channel, run both detectors on it, and score them."""
    plan = scenario(hours, reps, quiet, spikes, seed)
    detector = TelemetryDetector()
    ours: dict[str, tuple[list[TelemetryEvent], list[Finding]]] = {}
    baselines: dict[float, dict[str, tuple[list[TelemetryEvent], list[Finding]]]] = {
        4.0: {},
        6.0: {},
    }
    elapsed = naive_elapsed = 0.0
    count = 0
    for index, (spec, events) in enumerate(plan):
        generated = generate([spec], RATE_HZ, hours * 3_600.0, seed + index, events)
        samples = generated.samples
        count += len(samples)
        update = detector.update
        start = time.perf_counter()
        found = [f for s in samples for f in update(s)]
        elapsed += time.perf_counter() - start
        ours[spec.name] = (list(generated.events), found)
        for k, table in baselines.items():
            start = time.perf_counter()
            table[spec.name] = (list(generated.events), naive(samples, k))
            naive_elapsed += time.perf_counter() - start
    figures: dict[str, Any] = {
        "setup": {"rate_hz": RATE_HZ, "hours": hours, "channels": len(plan), "samples": count},
        "detector": score(ours, hours, frozenset({"change"})),
    }
    for k, table in baselines.items():
        figures[f"naive_{k:g}sigma"] = score(table, hours, frozenset({"anomaly"}))
    figures["detector"]["samples_per_s"] = round(count / elapsed)
    figures["naive_samples_per_s"] = round(2 * count / naive_elapsed)
    return figures


def render(figures: dict[str, Any]) -> str:
    """The figures as a plain-text table, the detector beside each naive threshold."""
    names = ["detector", "naive_4sigma", "naive_6sigma"]
    setup = figures["setup"]
    lines = [
        f"telemetry: {setup['channels']} channels x {setup['hours']:g} h at "
        f"{setup['rate_hz']:g} Hz = {setup['samples']:,} samples",
        f"{'figure':<34}" + "".join(f"{n:>24}" for n in names),
    ]
    for key in figures["detector"]["changes"]:
        cells = []
        for name in names:
            c = figures[name]["changes"][key]
            delay = "-" if c["mean_delay_s"] is None else f"{c['mean_delay_s']}/{c['max_delay_s']}"
            cells.append(f"{delay} s ({c['missed']} missed)")
        lines.append(f"{'delay mean/max ' + key:<34}" + "".join(f"{c:>24}" for c in cells))
    for key in figures["detector"]["spike_recall"]:
        cells = [f"{figures[n]['spike_recall'][key]:.2f}" for n in names]
        lines.append(f"{'spike recall ' + key:<34}" + "".join(f"{c:>24}" for c in cells))
    for key, label in (
        ("false_alarms_per_hour_quiet", "false alarms/h, quiet channels"),
        ("false_alarms_per_hour_event_channels", "false alarms/h, event channels"),
    ):
        cells = [f"{figures[n][key]:g}" for n in names]
        lines.append(f"{label:<34}" + "".join(f"{c:>24}" for c in cells))
    lines.append(
        f"{'throughput, samples/s (one core)':<34}{figures['detector']['samples_per_s']:>24,}"
        f"{figures['naive_samples_per_s']:>24,}{'':>24}"
    )
    hours = figures["detector"]["quiet_channel_hours"]
    lines.append(
        f"(quiet channels: {hours:g} channel-hours; with no alarm, the 95% upper bound on "
        f"the rate is {3.0 / hours:.3g}/h)"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print its figures and return them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 h of telemetry, fewer channels")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.quick:
        figures = run(hours=1.0, reps=2, quiet=4, spikes=10, seed=args.seed)
    else:
        figures = run(hours=4.0, reps=4, quiet=8, spikes=30, seed=args.seed)
    print(render(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
