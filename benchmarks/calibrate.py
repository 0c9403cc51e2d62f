"""Fit the hearing sense's confidence map on scored percepts from ``benchmarks/rooms.py``.

Reads the percepts that ``rooms.py --dump`` wrote (tuning seeds only), fits a logistic map
of each kind's features (``prefrontal.senses.hearing.calibrate``) to whether the percept
was right by Newton's method with a small ridge, and prints the weights to ship and the
expected calibration error before and after, on the fitted rows and on any ``--held`` rows.

Usage: python benchmarks/calibrate.py TUNE.jsonl [TUNE2.jsonl ...] [--held HELD.jsonl]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from prefrontal.senses.hearing import calibrate

RIDGE = 1.0  # leave-one-out ECE on tuning percepts: 0.01: 0.19, 0.1: 0.16, 1: 0.13, 10: 0.23


def features(row: dict[str, Any]) -> tuple[str, tuple[float, ...]]:
    fields = row["fields"]
    if row["kind"] == "speech":
        return "speech", calibrate.speech_features(
            float(fields.get("probability", 0.0)), float(fields.get("direction_confidence", 0.0)),
            fields.get("azimuth_deg"), bool(row["names_name"]),
            float(fields.get("snr_db", 40.0)),
        )  # fmt: skip
    direction = float(fields.get("direction_confidence", 2 * row["confidence"] - 1))
    return "sound", calibrate.sound_features(direction, fields.get("azimuth_deg"), row["kind"])


def fit(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    w = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-(x @ w)))
        grad = x.T @ (p - y) + RIDGE * w
        hess = x.T @ (x * (p * (1 - p))[:, None]) + RIDGE * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return w


def ece(conf: list[float], right: list[bool], bins: int = 10) -> float:
    c, r = np.asarray(conf), np.asarray(right, dtype=float)
    which = np.minimum((c * bins).astype(int), bins - 1)
    return float(sum((which == b).mean() * abs(c[which == b].mean() - r[which == b].mean())
                     for b in range(bins) if (which == b).any()))  # fmt: skip


def _read(paths: list[Path]) -> list[dict[str, Any]]:
    return [json.loads(line) for p in paths for line in p.read_text().splitlines() if line]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("tune", type=Path, nargs="+")
    parser.add_argument("--held", type=Path, nargs="*", default=[])
    args = parser.parse_args(argv)
    rows = _read(args.tune)
    weights: dict[str, list[float]] = {}
    for group in ("speech", "sound"):
        picked = [(features(r)[1], r["right"]) for r in rows if features(r)[0] == group]
        if not picked:
            continue
        x = np.array([f for f, _ in picked])
        y = np.array([float(r) for _, r in picked])
        weights[group] = [round(float(v), 3) for v in fit(x, y)]
        print(f"{group.upper()}_WEIGHTS = {tuple(weights[group])}  # {len(picked)} percepts")
    out: dict[str, Any] = {"weights": weights}
    for name, data in (("tune", rows), ("held", _read(args.held))):
        if not data:
            continue
        after = [calibrate.chance(weights[features(r)[0]], features(r)[1]) for r in data]
        right = [bool(r["right"]) for r in data]
        out[name] = {"before": ece([r["confidence"] for r in data], right),
                     "after": ece(after, right), "percepts": len(data)}  # fmt: skip
        print(f"ECE on {name}: {out[name]['before']:.3f} as landed, {out[name]['after']:.3f} "
              f"calibrated ({len(data)} percepts)")  # fmt: skip
    return out


if __name__ == "__main__":
    main()
