"""``prefrontal bench``: benchmarks that drive the runtime; ``ceilings`` is the first.

The command renders what ``prefrontal.bench`` measures; it owns no logic. The benchmark
package (pydantic-ai agents, matplotlib) loads only when a benchmark runs.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Annotated

import typer

from prefrontal.cli.common import console, fail, run_async, say

app = typer.Typer(
    help="Benchmarks: measure the runtime against its alternatives.", rich_markup_mode=None
)


def _domains(text: str) -> tuple[int, ...]:
    try:
        found = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise typer.BadParameter(f"{text!r}: give domain counts like '3,6,10,16'") from None
    if not found or found[0] < 1 or found[-1] > 16:
        raise typer.BadParameter(f"{text!r}: domain counts run from 1 to 16, e.g. '3,6,10,16'")
    return found


@app.command()
def ceilings(
    quick: Annotated[
        bool, typer.Option("--quick", help="7 days at 3 and 16 domains (under a minute).")
    ] = False,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for figures.json, summary.md, PNGs.")
    ] = Path("ceilings-results"),
    days: Annotated[int | None, typer.Option(help="Days of history (default 30).")] = None,
    domains: Annotated[
        str | None, typer.Option(help="Domain counts to sweep (default '3,6,10,16').")
    ] = None,
    seed: Annotated[int, typer.Option(help="Workload seed.")] = 7,
) -> None:
    """Two-tier against a monolith and a flat network: context, attention and cost."""
    from prefrontal.bench.ceilings import FULL, QUICK, Plan, run_ceilings, write_results
    from prefrontal.bench.report import CAVEAT, COUNTING, aims_lines, figures_tables
    from prefrontal.testing import forbid_model_requests

    forbid_model_requests()  # scripted models only: nothing may reach a real provider
    if importlib.util.find_spec("matplotlib") is None:  # say so before minutes of work
        fail(
            "the ceilings benchmark draws its plots with matplotlib, which is not installed; "
            "install the bench extra: pip install -e '.[bench]' (or "
            "pip install 'prefrontal[bench]')."
        )
    base = QUICK if quick else FULL
    plan = Plan(
        seed=seed,
        days=days if days is not None else base.days,
        domains=_domains(domains) if domains is not None else base.domains,
    )
    if plan.days < 1:
        raise typer.BadParameter(f"--days {plan.days}: give at least 1 day")
    say(
        ("The three ceilings", "bold"),
        f": seed {plan.seed}, {plan.days} days, domains "
        f"{', '.join(map(str, plan.domains))}; monolith, flat and two-tier on scripted models.",
    )
    say((f"Counting: {COUNTING}.", "dim"))
    results = run_async(lambda: run_ceilings(plan, progress=lambda line: say((line, "dim"))))
    for table in figures_tables(results):
        console.print(table, width=max(console.width, 110))  # a pipe gets all the columns too
    for line in aims_lines(results):
        style = "green" if line.startswith("met") else "red"
        say((line, style))
    written = write_results(results, out)
    say((CAVEAT, "dim"))
    say(f"Wrote {len(written)} files to {out}/ in {results.seconds:.0f} s.")


__all__ = ["app"]
