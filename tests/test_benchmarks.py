"""The overhead benchmark runs end to end on a tiny input and reports every figure.

Speed is not asserted (machines are shared and noisy); only that the figures are there,
positive, and that every commission requested completed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from prefrontal.sandbox import Bubblewrap
from prefrontal.testing import load_script

ROOT = Path(__file__).resolve().parent.parent


def run_benchmark(name: str, folder: Path, *args: str, timeout: int = 300) -> tuple[str, Any]:
    """Run ``benchmarks/NAME.py`` with ``args``; its printed text and its JSON figures."""
    out = folder / f"{name}.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / f"{name}.py"), *args, "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    return run.stdout, json.loads(out.read_text())


def test_overhead_benchmark_runs_tiny(tmp_path: Path) -> None:
    printed, figures = run_benchmark("overhead", tmp_path, "--tiny")
    assert "commissions/s" in printed
    assert "NORMAL/FULL" in printed

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
    _, figures = run_benchmark("senses", tmp_path, "--quick", timeout=600)
    assert 0 < figures["vad_direction_rtf"] < figures["hearing_rtf"]
    assert figures["utterances"] > 0
    assert 0 < figures["latency_p50_s"] <= figures["latency_max_s"]
    assert isinstance(figures["direction"], dict)


def test_precise_benchmark_runs_quick(tmp_path: Path, sandbox: Bubblewrap) -> None:
    printed, figures = run_benchmark("precise", tmp_path, "--quick")
    assert "sandbox start-up p50" in printed
    for program in ("pass", "numpy"):
        for how in ("plain", "sandbox"):
            row = figures[program][how]
            assert 0 < row["p50_ms"] <= row["p90_ms"]
            assert row["runs_per_s"] > 0
        assert figures[program]["ratio_p50"] > 0
    assert figures["numpy"]["worker"]["p50_ms"] > 0


def test_startup_benchmark_runs_tiny(tmp_path: Path) -> None:
    printed, figures = run_benchmark("startup", tmp_path, "--tiny", "--repeats", "1")
    assert "start from snapshot" in printed
    assert "÷ --help" in printed
    assert [r["events"] for r in figures] == [2_000, 8_000]
    for result in figures:
        assert result["first_start"]["start_s"] > 0
        assert result["start"]["cpu_s"] > 0
        assert result["start"]["poll_ms"] > 0
        commands = {"python -c pass", "--help", "status", "costs", "inbox", "journal --last 20"}
        assert set(result["commands"]) == commands
        assert all(len(c["cpu_runs_s"]) == 1 for c in result["commands"].values())


def test_injection_benchmark_runs_tiny(tmp_path: Path) -> None:
    printed, figures = run_benchmark("injection", tmp_path, "--tiny", "--control")
    assert "single-context baseline" in printed
    assert set(figures) == {"prefrontal", "prefrontal, sealing off", "single-context baseline"}
    assert sum(o["canary_bytes"] for o in figures["prefrontal"]) == 0
    assert sum(o["canary_bytes"] for o in figures["prefrontal, sealing off"]) > 0
    assert all(o["unplanned"] == 1 for o in figures["single-context baseline"])


def test_peers_benchmark_runs_tiny(tmp_path: Path) -> None:
    only = "prefrontal,sqlite-request,sqlite-row"
    printed, figures = run_benchmark("peers", tmp_path, "--tiny", "--only", only)
    assert "ratios are to Prefrontal" in printed
    assert set(figures["peers"]) == set(only.split(","))
    assert figures["peers"]["prefrontal"]["one_ratio"] == 1.0
    for peer in figures["peers"].values():
        assert peer["one"] > 0
        assert peer["many"] > 0
        assert len(peer["rounds"]) == 1
    # The floors insert exactly the rows one Prefrontal request journals (no started row).
    assert figures["peers"]["sqlite-request"]["rounds"][0]["rows"] == 7


def test_memory_benchmark_runs_tiny(tmp_path: Path) -> None:
    printed, figures = run_benchmark("memory", tmp_path, "--tiny")
    assert "RSS last / first round" in printed
    rounds = figures["rounds"]
    assert [r["round"] for r in rounds] == [1, 2, 3]
    assert [r["events"] for r in rounds] == [210, 420, 630]  # 7 rows per request (no started)
    assert all(r["rss_mib"] > 0 for r in rounds)
    assert figures["last_over_first"] > 0
    assert figures["traced_growth"] == []  # traced only when asked


def test_memory_benchmark_traces_what_grew_between_rounds(tmp_path: Path) -> None:
    printed, figures = run_benchmark("memory", tmp_path, "--tiny", "--trace")
    # Snapshots after rounds 1, 2 and 3: two diffs, each naming where allocations grew.
    assert len(figures["traced_growth"]) == 2
    assert figures["traced_growth"][0]  # caches still fill after the first round
    assert "live allocations that grew most since round 2" in printed
    assert all(" KiB (" in line and ".py:" in line for line in figures["traced_growth"][1])


def test_ask_benchmark_runs_tiny(tmp_path: Path) -> None:
    printed, figures = run_benchmark("ask", tmp_path, "--tiny")
    assert "ask answered by a running driver" in printed
    assert figures["asks"] == 2
    # Every ask comes back with its reply: the check that the thread is quiet reads one
    # snapshot of the journal (read piecemeal, a report committed between two reads was missed).
    assert figures["queued_answered"] == 2
    assert figures["queued_cli_answered"] == 2
    assert 0 < figures["queued_client_s"] <= figures["queued_client_max_s"]
    assert figures["driving_client_s"] > 0


def test_a_script_loaded_by_path_is_one_module_and_a_broken_one_is_not_kept(
    tmp_path: Path,
) -> None:
    (tmp_path / "helper.py").write_text("COUNT = [0]\nCOUNT[0] += 1\n")
    first = load_script(tmp_path / "helper.py", "bench_test_helper")
    again = load_script(tmp_path / "helper.py", "bench_test_helper")
    assert first is again
    assert first.COUNT == [1]  # ran once: every loader shares it
    (tmp_path / "broken.py").write_text("raise RuntimeError('half-built')\n")
    with pytest.raises(RuntimeError, match="half-built"):
        load_script(tmp_path / "broken.py", "bench_test_broken")
    assert "bench_test_broken" not in sys.modules
    with pytest.raises(FileNotFoundError):
        load_script(tmp_path / "absent.txt", "bench_test_absent")
    del sys.modules["bench_test_helper"]
