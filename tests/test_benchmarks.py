"""The overhead benchmark runs end to end on a tiny input and reports every figure.

Speed is not asserted (machines are shared and noisy); only that the figures are there,
positive, and that every commission requested completed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from prefrontal.sandbox import Bubblewrap

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "overhead.py"


def test_overhead_benchmark_runs_tiny(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--tiny", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    assert "commissions/s" in run.stdout
    assert "NORMAL/FULL" in run.stdout
    figures = json.loads(out.read_text())

    assert figures["call"]["calls_per_s"] > 0
    assert figures["await"]["awaits_per_s"] > 0
    assert figures["task"]["tasks_per_s"] > 0
    assert 0 < figures["task"]["p50_ms"] <= figures["task"]["p99_ms"]
    for phase in ("loaded", "unloaded"):
        durable = figures[phase]
        assert durable["commissions"] > 0
        assert durable["completed"] == durable["commissions"]
        assert durable["commissions_per_s"] > 0
        assert 0 < durable["p50_ms"] <= durable["p99_ms"]
        assert durable["transactions"] > 0
        assert durable["events_per_commission"] > 0
        assert durable["kinds"]["commission"] == durable["kinds"]["report"]
    for sync in ("NORMAL", "FULL"):
        appends = figures["journal"][sync]
        assert appends["single_per_s"] > 0
        assert appends["batched_per_s"] > 0
    assert figures["ratios"]["durable_vs_task"] > 0
    assert figures["ratios"]["normal_vs_full_single"] > 0


def test_senses_benchmark_runs_quick(tmp_path: Path) -> None:
    out = tmp_path / "senses.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "senses.py"), "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    figures = json.loads(out.read_text())
    assert 0 < figures["vad_direction_rtf"] < figures["hearing_rtf"]
    assert figures["utterances"] > 0
    assert 0 < figures["latency_p50_s"] <= figures["latency_max_s"]
    assert isinstance(figures["direction"], dict)


def test_precise_benchmark_runs_quick(tmp_path: Path, sandbox: Bubblewrap) -> None:
    out = tmp_path / "precise.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "precise.py"), "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    assert "sandbox start-up p50" in run.stdout
    figures = json.loads(out.read_text())
    for program in ("pass", "numpy"):
        for how in ("plain", "sandbox"):
            row = figures[program][how]
            assert 0 < row["p50_ms"] <= row["p90_ms"]
            assert row["runs_per_s"] > 0
        assert figures[program]["ratio_p50"] > 0
    assert figures["numpy"]["worker"]["p50_ms"] > 0
