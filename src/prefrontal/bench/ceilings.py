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
from dataclasses import dataclass
from pathlib import Path

from prefrontal.bench.figures import Figures, figures_of
from prefrontal.bench.flat import run_flat
from prefrontal.bench.monolith import run_monolith
from prefrontal.bench.parts import CAPABLE, CHEAP
from prefrontal.bench.twotier import run_twotier
from prefrontal.bench.workload import Workload, generate
from prefrontal.journal.base import Journal

Topology = Callable[[Workload], Awaitable[Journal]]

TOPOLOGIES: dict[str, Topology] = {
    "monolith": run_monolith,
    "flat": run_flat,
    "two-tier": run_twotier,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What to run: the seed, the days of history, and the domain counts to sweep."""

    seed: int = 7
    days: int = 30
    domains: tuple[int, ...] = (3, 6, 10, 16)

    @property
    def base(self) -> int:
        """The domain count the history figures are drawn for (the issue's default, 3)."""
        return min(self.domains)


FULL = Plan()
QUICK = Plan(days=7, domains=(3, 16))


@dataclass(frozen=True, slots=True, kw_only=True)
class Results:
    plan: Plan
    figures: tuple[Figures, ...]
    seconds: float
    capable: str = CAPABLE
    cheap: str = CHEAP

    def of(self, topology: str, domains: int) -> Figures:
        return next(f for f in self.figures if f.topology == topology and f.domains == domains)

    def series(self, topology: str) -> list[Figures]:
        return sorted((f for f in self.figures if f.topology == topology), key=lambda f: f.domains)


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
