"""PNG plots of the figures: each against the number of domains and against history.

Drawn on matplotlib ``Figure`` objects, which render PNGs with the Agg canvas: no pyplot, no
global backend, no display needed. Each plot has two panels: on the
left the figure for every domain count of the run, on the right the same figure day by day
through the month for the base domain count, as history grows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from prefrontal.bench.figures import Figures
from prefrontal.bench.results import NAMES, Results

COLOURS = {"monolith": "#c0392b", "flat": "#e67e22", "two-tier": "#2471a3"}


def _panels(
    results: Results,
    title: str,
    ylabel: str,
    by_domains: Callable[[Figures], float],
    by_day: Callable[[Figures], Sequence[float]],
    *,
    log: bool = False,
    extra: Callable[[Figures], float] | None = None,
    extra_label: str = "",
) -> Figure:
    figure = Figure(figsize=(10, 3.8), layout="constrained")
    left, right = figure.subplots(1, 2)
    base = results.plan.base
    for name in NAMES:
        series = results.series(name)
        xs = [f.domains for f in series]
        colour = COLOURS[name]
        left.plot(xs, [by_domains(f) for f in series], "o-", color=colour, label=name)
        if extra is not None:
            left.plot(
                xs,
                [extra(f) for f in series],
                "o--",
                color=colour,
                alpha=0.6,
                label=f"{name} {extra_label}",
            )
        days = by_day(results.of(name, base))
        right.plot(range(1, len(days) + 1), days, "-", color=colour, label=name)
    left.set_xlabel("domains")
    left.set_xticks(list(results.plan.domains))
    right.set_xlabel(f"day of the month ({base} domains)")
    right.xaxis.set_major_locator(MaxNLocator(integer=True))
    for axis in (left, right):
        axis.set_ylabel(ylabel)
        axis.grid(True, alpha=0.3)
        if log:
            axis.set_yscale("log")
        else:
            axis.set_ylim(bottom=0)
    left.legend(fontsize=8)
    figure.suptitle(title)
    return figure


def _tokens(results: Results) -> Figure:
    figure = Figure(figsize=(10, 3.8), layout="constrained")
    axis = figure.subplots()
    names = list(NAMES)
    width = 0.8 / len(names)
    for position, domains in enumerate(results.plan.domains):
        for index, name in enumerate(names):
            f = results.of(name, domains)
            x = position + (index - (len(names) - 1) / 2) * width
            capable = f.tokens_by_tier.get("capable", 0) / f.days / 1e6
            cheap = f.tokens_by_tier.get("cheap", 0) / f.days / 1e6
            axis.bar(
                x,
                capable,
                width,
                color=COLOURS[name],
                label=f"{name}: capable" if position == 0 else None,
            )
            axis.bar(
                x,
                cheap,
                width,
                bottom=capable,
                color=COLOURS[name],
                alpha=0.35,
                hatch="//",
                label=f"{name}: cheap" if position == 0 and cheap else None,
            )
    axis.set_xticks(
        range(len(results.plan.domains)), [f"{d} domains" for d in results.plan.domains]
    )
    axis.set_ylabel("million tokens per day")
    axis.set_ylim(0, axis.get_ylim()[1] * 1.08)
    axis.grid(True, axis="y", alpha=0.3)
    axis.legend(fontsize=8)
    axis.set_title(f"Tokens handled on each tier ({results.capable} / {results.cheap})")
    return figure


def write_plots(results: Results, folder: Path) -> list[Path]:
    """Write the PNGs into ``folder``; returns their paths."""
    drawn = {
        "context": _panels(
            results,
            "Context per decision (input tokens of each capable-tier call; mean, dashed p95)",
            "tokens",
            lambda f: f.context_mean,
            lambda f: f.context_by_day,
            extra=lambda f: float(f.context_p95),
            extra_label="p95",
        ),
        "interruptions": _panels(
            results,
            "Principal interruptions per day (the rest of two-tier's inbox goes to the digest)",
            "interruptions per day",
            lambda f: f.interruptions_per_day,
            lambda f: [float(n) for n in f.interruptions_by_day],
        ),
        "cost": _panels(
            results,
            f"Cost per day, genai-prices ({results.capable} capable, {results.cheap} cheap)",
            "USD per day",
            lambda f: f.cost_per_day,
            lambda f: f.cost_by_day,
        ),
        "tokens": _tokens(results),
    }
    paths: list[Path] = []
    for name, figure in drawn.items():
        path = folder / f"ceilings-{name}.png"
        figure.savefig(path, dpi=110)
        paths.append(path)
    return paths
