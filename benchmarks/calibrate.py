"""Fit the hearing sense's confidence table on scored percepts of ``benchmarks/rooms.py``.

One command refits it (after anything that changes what the sense measures)::

    python benchmarks/calibrate.py --seeds 1-6 --scenes 24 --write

(about 11 minutes on two busy cores, one process per core: ``--jobs``; ``--cache DIR``
keeps the rendered scenes for the next refit).

It hears ``--scenes`` scenes of each tuning seed (names ``tune``; never the held-out seeds 7
and 8) with the whole sense, scores every percept as right or wrong, fits the two steps of
``prefrontal.senses.hearing.calibrate`` (a logistic score per group by Newton's method with
a small ridge, then an isotonic step map per percept kind whose steps hold at least
``MIN_STEP`` percepts), prints the expected calibration error (ECE, 10 bins) as shipped, as
refitted, and leaving each seed out in turn (fitted on the others: the honest figure), and
with ``--write`` writes ``calibration.json``. ``--rows`` refits from percepts written
earlier by ``--dump`` (or by ``rooms.py --dump``) without hearing the scenes again.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from prefrontal.senses.hearing import calibrate
from prefrontal.testing import load_script

Array = npt.NDArray[np.float64]
# Chosen by leaving each tuning seed out (seeds 1-6, 24 scenes each, 1149 percepts): pooled
# ECE / mean per seed (a seed's 190 percepts alone show about 0.05 by chance): ridge 1 and
# steps of 25: 0.016 / 0.063; ridge 10, steps of 100: 0.020 / 0.054; no step map:
# 0.027-0.041 / 0.056-0.069.
RIDGE = 10.0
MIN_STEP = 100  # percepts per step of a kind's map: fewer and a step's share is noise
TABLE = Path(calibrate.__file__).with_name("calibration.json")
HELD_OUT = {7, 8}


def features(row: dict[str, Any]) -> tuple[str, tuple[float, ...]]:
    fields = row["fields"]
    if row["kind"] == "speech":
        return "speech", calibrate.speech_features(
            float(fields.get("probability", 0.0)), float(fields.get("direction_confidence", 0.0)),
            fields.get("azimuth_deg"), bool(row["names_name"]),
            float(fields.get("snr_db", 40.0)), bool(fields.get("continues", False)),
            str(fields.get("side", "")).startswith("front-"),
        )  # fmt: skip
    return "sound", calibrate.sound_features(
        float(fields.get("direction_confidence", 0.0)), fields.get("azimuth_deg"), row["kind"],
        fields.get("side") != "unknown", str(fields.get("side", "")).startswith("front-"),
    )  # fmt: skip


def fit_logistic(x: Array, y: Array) -> Array:
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


def fit_steps(scores: Sequence[float], right: Sequence[bool]) -> dict[str, list[float]]:
    """Isotonic regression (pool adjacent violators) of ``right`` on ``scores``, its blocks
    merged until each holds ``MIN_STEP`` percepts; a block's chance is its share right
    with one right and one wrong added (so no step claims 0 or 1 from a few dozen)."""
    order = np.argsort(scores)
    s, y = np.asarray(scores)[order], np.asarray(right, dtype=float)[order]
    blocks: list[list[float]] = []  # [sum right, count, highest score]
    for score, hit in zip(s, y, strict=True):
        blocks.append([hit, 1.0, float(score)])
        while len(blocks) > 1 and (
            blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]
            or blocks[-2][1] < MIN_STEP
        ):
            last = blocks.pop()
            blocks[-1] = [blocks[-1][0] + last[0], blocks[-1][1] + last[1], last[2]]
    if len(blocks) > 1 and blocks[-1][1] < MIN_STEP:
        last = blocks.pop()
        blocks[-1] = [blocks[-1][0] + last[0], blocks[-1][1] + last[1], last[2]]
    shares = np.maximum.accumulate([(b[0] + 1) / (b[1] + 2) for b in blocks])  # stays monotone
    chances = [round(float(c), 3) for c in shares]
    # Steps meet halfway between the highest score of one block and the next's lowest.
    upper = [b[2] for b in blocks]
    return {"upper": [round(u, 4) for u in upper[:-1]] + [1.0], "chance": chances}


def fit(rows: Sequence[dict[str, Any]]) -> calibrate.Calibration:
    weights: dict[str, list[float]] = {}
    for group in ("speech", "sound"):
        picked = [(features(r)[1], r["right"]) for r in rows if features(r)[0] == group]
        if picked:
            x = np.array([f for f, _ in picked])
            y = np.array([float(r) for _, r in picked])
            weights[group] = [round(float(v), 3) for v in fit_logistic(x, y)]
    maps: dict[str, dict[str, list[float]]] = {}
    kinds = {r["kind"] for r in rows}
    for kind in sorted(kinds | {"sound"}):
        mine = [r for r in rows if r["kind"] == kind or (kind == "sound" and r["kind"] != "speech")]
        if len(mine) >= MIN_STEP:
            group = "speech" if kind == "speech" else "sound"
            raw = [calibrate.score(weights[group], features(r)[1]) for r in mine]
            steps = fit_steps(raw, [bool(r["right"]) for r in mine])
            # One step tells every percept of the kind the same; the group's map reads
            # the score (whose kind indicators already set the kinds apart).
            if len(steps["chance"]) > 1 or kind in ("speech", "sound"):
                maps[kind] = steps
    return calibrate.Calibration.from_json({"weights": weights, "maps": maps})


def ece(conf: Sequence[float], right: Sequence[bool], bins: int = 10) -> float:
    c, r = np.asarray(conf), np.asarray(right, dtype=float)
    which = np.minimum((c * bins).astype(int), bins - 1)
    return float(sum((which == b).mean() * abs(c[which == b].mean() - r[which == b].mean())
                     for b in range(bins) if (which == b).any()))  # fmt: skip


def judged(table: calibrate.Calibration, rows: Sequence[dict[str, Any]]) -> float:
    return ece([table.chance(r["kind"], features(r)[1]) for r in rows], [r["right"] for r in rows])


def _rooms() -> ModuleType:
    return load_script(Path(__file__).with_name("rooms.py"))


def hear(seeds: Sequence[int], scenes: int, folder: Path, jobs: int = 1) -> list[dict[str, Any]]:
    """Every percept of ``scenes`` scenes of each seed (names ``tune``), scored; ``jobs``
    seeds at a time, each in its own process."""
    if jobs <= 1 or len(seeds) == 1:
        return [row for seed in seeds for row in _hear_seed(seed, scenes, folder)]
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    rows: list[dict[str, Any]] = []
    with ProcessPoolExecutor(min(jobs, len(seeds)), mp_context=get_context("spawn")) as pool:
        for found in pool.map(_hear_seed, seeds, [scenes] * len(seeds), [folder] * len(seeds)):
            rows.extend(found)
    return rows


def _hear_seed(seed: int, scenes: int, folder: Path) -> list[dict[str, Any]]:
    import anyio

    rooms = _rooms()
    spotter = rooms.Recorded()  # the sense's spotter, as rooms.py hears scenes with it
    tally = rooms.Tally()
    for index in range(scenes):
        scene = rooms.make_scene(seed, index, rooms.NAMES["tune"], folder)
        tally.runs.append(anyio.run(rooms._hear, scene, spotter))
    rows = list(rooms._rows(tally))
    print(f"seed {seed}: {len(tally.runs)} scenes, {len(rows)} percepts", flush=True)
    return rows


def _seeds(text: str) -> list[int]:
    lo, _, hi = text.partition("-")
    seeds = list(range(int(lo), int(hi or lo) + 1))
    if HELD_OUT & set(seeds):
        raise SystemExit(f"seeds {sorted(HELD_OUT)} are held out for reporting; tune on others")
    return seeds


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seeds", default="1-6", help="tuning seeds, e.g. 1-6 (not 7, 8)")
    parser.add_argument("--scenes", type=int, default=12, help="scenes per seed")
    parser.add_argument("--rows", type=Path, nargs="*", default=[],
                        help="refit from these percept dumps, not new scenes")  # fmt: skip
    parser.add_argument("--cache", type=Path, help="folder for rendered scenes (kept)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="seeds heard at once, one process each (default: all)")  # fmt: skip
    parser.add_argument("--dump", type=Path, help="write the scored percepts here")
    parser.add_argument("--write", action="store_true", help=f"write {TABLE.name}")
    parser.add_argument("--judge", type=Path, nargs="*", default=[],
                        help="only judge these dumps' confidences, pooled")  # fmt: skip
    args = parser.parse_args(argv)
    if args.judge:
        return judge(args.judge)
    if args.rows:
        rows = [json.loads(line) for p in args.rows for line in p.read_text().splitlines() if line]
    else:
        folder = args.cache or Path(tempfile.mkdtemp(prefix="calibrate-"))
        folder.mkdir(parents=True, exist_ok=True)
        rows = hear(_seeds(args.seeds), args.scenes, folder, args.jobs)
    if args.dump:
        args.dump.write_text("".join(json.dumps(r, default=str) + "\n" for r in rows))
    table = fit(rows)
    right = [bool(r["right"]) for r in rows]
    out: dict[str, Any] = {
        "percepts": len(rows),
        "share_right": float(np.mean(right)),
        "ece_shipped": ece([float(r["confidence"]) for r in rows], right),
        "ece_refit": judged(table, rows),
    }
    seeds = sorted({r.get("seed") for r in rows if r.get("seed") is not None})
    if len(seeds) > 1:  # each seed judged by a table fitted on the others
        chances: list[float] = []
        truth: list[bool] = []
        for seed in seeds:
            others = fit([r for r in rows if r.get("seed") != seed])
            mine = [r for r in rows if r.get("seed") == seed]
            chances += [others.chance(r["kind"], features(r)[1]) for r in mine]
            truth += [bool(r["right"]) for r in mine]
        out["ece_leave_one_seed_out"] = ece(chances, truth)
    print(f"{out['percepts']} percepts ({out['share_right']:.2f} right); ECE as shipped "
          f"{out['ece_shipped']:.3f}, refitted {out['ece_refit']:.3f}, each seed left out "
          f"{out.get('ece_leave_one_seed_out', float('nan')):.3f}")  # fmt: skip
    for kind, step in table.maps.items():
        print(f"  {kind}: {list(zip(step.upper, step.chance, strict=True))}")
    if args.write:
        TABLE.write_text(json.dumps(_table(table, args, len(rows)), indent=1) + "\n")
        print(f"wrote {TABLE}")
    return out


def judge(paths: Sequence[Path]) -> dict[str, Any]:
    """The ECE of the confidences the sense gave (no fitting), pooled over ``paths``, beside
    what a perfectly calibrated sense would show on as many percepts."""
    rows = [json.loads(line) for p in paths for line in p.read_text().splitlines() if line]
    confidences = [float(r["confidence"]) for r in rows]
    found = ece(confidences, [bool(r["right"]) for r in rows])
    by_chance, spread = _rooms().ece_by_chance(confidences)
    low, high = bootstrap(rows)
    print(f"{len(rows)} percepts: ECE {found:.3f} (90% of scene resamples: {low:.3f}-{high:.3f}); "
          f"a calibrated sense would show {by_chance:.3f} ± {spread:.3f} on as many")  # fmt: skip
    return {"percepts": len(rows), "ece": found, "ece_by_chance": (by_chance, spread),
            "ece_interval": (low, high)}  # fmt: skip


def bootstrap(rows: Sequence[dict[str, Any]], draws: int = 400) -> tuple[float, float]:
    """The 5th and 95th percentiles of the ECE over resamples of whole scenes (percepts of
    one scene share its room and noise, so they are not independent draws)."""
    scenes: dict[tuple[Any, Any], list[dict[str, Any]]] = {}
    for r in rows:
        scenes.setdefault((r.get("seed"), r.get("scene", id(r))), []).append(r)
    groups = list(scenes.values())
    rng = np.random.default_rng(0)
    found: list[float] = []
    for _ in range(draws):
        picked = [r for i in rng.integers(len(groups), size=len(groups)) for r in groups[i]]
        found.append(ece([float(r["confidence"]) for r in picked], [r["right"] for r in picked]))
    return float(np.percentile(found, 5)), float(np.percentile(found, 95))


def _table(table: calibrate.Calibration, args: argparse.Namespace, count: int) -> dict[str, Any]:
    again = " (refitted from their dumped percepts)" if args.rows else ""
    return {
        "fitted_on": f"benchmarks/calibrate.py --seeds {args.seeds} --scenes {args.scenes}"
        f"{again}: {count} percepts, names 'tune'",
        "weights": {k: list(v) for k, v in table.weights.items()},
        "maps": {
            k: {"upper": list(m.upper), "chance": list(m.chance)} for k, m in table.maps.items()
        },
    }


if __name__ == "__main__":
    main()
