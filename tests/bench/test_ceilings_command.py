"""``prefrontal bench ceilings`` and ``benchmarks/ceilings.py`` run end to end on a tiny input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from prefrontal.cli import app

ROOT = Path(__file__).resolve().parents[2]


def test_the_command_prints_the_comparison_and_writes_results(tmp_path: Path) -> None:
    out = tmp_path / "results"
    result = CliRunner().invoke(
        app, ["bench", "ceilings", "--days", "1", "--domains", "1,2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    for words in ("monolith", "flat", "two-tier", "claude-sonnet-4-6", "claude-haiku-4-5"):
        assert words in result.output
    assert "two-tier cost ≤ 25% of the monolith's at 1 domains" in result.output
    data = json.loads((out / "figures.json").read_text())
    assert data["tiers"] == {
        "capable": "anthropic:claude-sonnet-4-6",
        "cheap": "anthropic:claude-haiku-4-5",
    }
    assert {(f["topology"], f["domains"]) for f in data["figures"]} == {
        (t, d) for t in ("monolith", "flat", "two-tier") for d in (1, 2)
    }
    for name in ("context", "interruptions", "cost", "tokens"):
        assert (out / f"ceilings-{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = (out / "summary.md").read_text()
    assert "## What this does and does not show" in summary
    assert "![ceilings-cost](ceilings-cost.png)" in summary


def test_bad_domain_counts_name_the_fix() -> None:
    result = CliRunner().invoke(app, ["bench", "ceilings", "--domains", "3,40"])
    assert result.exit_code == 2
    assert "domain counts run from 1 to 16" in result.output


def test_the_benchmark_script_runs_the_same_command(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "ceilings.py"), "--days", "1",
         "--domains", "1", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Wrote 6 files" in run.stdout
