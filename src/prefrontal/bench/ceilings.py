"""Run the comparison: every topology on the same workload, for each number of domains.

``run_ceilings`` plays one seeded workload per domain count through the monolith, the flat
network and two-tier, and folds each run's journal into its ``Figures``. ``write_results``
writes ``figures.json``, ``summary.md`` and the PNG plots into a results folder. The CLI
(``prefrontal bench ceilings``) and ``benchmarks/ceilings.py`` both call these.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from prefrontal.bench.figures import Figures, figures_of
from prefrontal.bench.flat import run_flat
from prefrontal.bench.monolith import run_monolith
from prefrontal.bench.results import FULL, QUICK, Plan, Results
from prefrontal.bench.twotier import run_twotier
from prefrontal.bench.workload import Workload, generate
from prefrontal.journal.base import Journal
from prefrontal.seam.sealing import sealing

__all__ = ["FULL", "QUICK", "TOPOLOGIES", "Plan", "Results", "run_ceilings", "write_results"]

Topology = Callable[[Workload], Awaitable[Journal]]

TOPOLOGIES: dict[str, Topology] = {
    "monolith": run_monolith,
    "flat": run_flat,
    "two-tier": run_twotier,
}


async def run_ceilings(
    plan: Plan = FULL, *, progress: Callable[[str], None] | None = None
) -> Results:
    """Run every topology for every domain count of ``plan``; figures from the journals."""
    started = time.perf_counter()
    found: list[Figures] = []
    for domains in plan.domains:
        workload = generate(seed=plan.seed, domains=domains, days=plan.days)
        for name, run in TOPOLOGIES.items():
            began = time.perf_counter()
            # The monolith and the flat network have no seam: they read worker text as is.
            with sealing(name == "two-tier"):
                journal = await run(workload)
            try:
                found.append(figures_of(journal, topology=name, domains=domains, days=plan.days))
            finally:
                journal.close()
            if progress is not None:
                progress(
                    f"{name:>8} × {domains:2d} domains, {plan.days} days: "
                    f"{len(workload.tasks)} tasks in {time.perf_counter() - began:.1f} s"
                )
    return Results(plan=plan, figures=tuple(found), seconds=time.perf_counter() - started)


def write_results(results: Results, folder: Path) -> list[Path]:
    """Write figures.json, summary.md and the plots; returns the paths written."""
    from prefrontal.bench.plots import write_plots
    from prefrontal.bench.report import summary_markdown

    folder.mkdir(parents=True, exist_ok=True)
    data = {
        "plan": {
            "seed": results.plan.seed,
            "days": results.plan.days,
            "domains": list(results.plan.domains),
        },
        "tiers": {"capable": results.capable, "cheap": results.cheap},
        "counting": "input tokens = UTF-8 bytes / 4 of instructions, messages and tool schemas",
        "seconds": round(results.seconds, 1),
        "figures": [f.to_json() for f in results.figures],
    }
    figures_json = folder / "figures.json"
    figures_json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    plots = write_plots(results, folder)
    summary = folder / "summary.md"
    summary.write_text(summary_markdown(results, plots), encoding="utf-8")
    return [figures_json, summary, *plots]
