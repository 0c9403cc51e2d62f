"""``prefrontal demo``: the household example's scripted day, end to end, on the embedded default.

It writes the example's config into a folder, runs a day of requests, answers and timers on a
manual clock through the same runtime as ``prefrontal run``, prints the transcript, and leaves
a journal that ``status``, ``costs``, ``journal`` and ``replay`` read with ``-c``.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from prefrontal.cli.common import Transcript, fail, journal_of, load, run_async, say

if TYPE_CHECKING:
    from prefrontal.config import Config
    from prefrontal.examples.household.day import Step


def write_example(folder: Path) -> Path:
    """Copy the household config into ``folder`` (a fresh journal goes beside it)."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("household.db*"):
        stale.unlink()
    source = resources.files("prefrontal.examples.household") / "prefrontal.toml"
    target = folder / "prefrontal.toml"
    target.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    return target


def _printer(principal: str) -> Callable[[Step, str], None]:
    def show(step: Step, item: str) -> None:
        if step.ask:
            say("\n", (f"{step.at} {principal}: ", "bold"), step.ask)
        elif step.approve or step.deny:
            verdict = "approves" if step.approve else "denies"
            say("\n", (f"{step.at} {principal} {verdict} ", "bold"), item)
        elif step.route:
            say("\n", (f"{step.at} {principal} routes ", "bold"), f"{item} → {step.route}")

    return show


def demo(
    folder: Annotated[
        Path, typer.Option("--dir", help="Where to write the example and its journal.")
    ] = Path("prefrontal-demo"),
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run the household example's scripted day (home, health, money) end to end."""
    from prefrontal.clock import ManualClock
    from prefrontal.examples.household import day
    from prefrontal.runtime.system import open_system

    try:
        config_path = write_example(folder)
    except OSError as error:
        fail(
            f"--dir {str(folder)!r}: cannot write the example there ({error.strerror}); "
            "choose a folder you can write, e.g. --dir prefrontal-demo"
        )
    cfg = load(config_path)
    clock = ManualClock(day.START)
    say(
        ("Prefrontal demo", "bold"),
        f": {len(cfg.domains)} domains ({', '.join(cfg.domains)}), {len(cfg.workers)} "
        "workers, rule policies, no model and no key. Journal: "
        f"{cfg.journal_url().removeprefix('sqlite:///')}",
    )

    async def main() -> None:
        async with open_system(cfg, clock=clock) as system:
            system.observe(Transcript(clock, verbose=verbose))
            await day.run_day(system, clock, _printer(cfg.principal.name))

    run_async(main)
    _summary(cfg, config_path)


def _summary(cfg: Config, config_path: Path) -> None:
    from prefrontal.runtime.costs import cost_ledger
    from prefrontal.runtime.inbox import inbox_entries
    from prefrontal.runtime.replay import replay

    with journal_of(cfg) as journal:
        entries = inbox_entries(journal)
        ledger = cost_ledger(journal)
        report = run_async(lambda: replay(cfg, journal))
        events = journal.last_seq()
    interrupts = sum(1 for e in entries if e.item.delivery == "interrupt")
    digest = len(entries) - interrupts
    pending = sum(1 for e in entries if e.pending)
    checked = sum(s.checked for s in report.domains.values())
    say("\n", ("Day's end", "bold"))
    say(
        f"Journal: {events} events. Inbox: {len(entries)} items, {interrupts} "
        f"interruptions (budget {cfg.principal.interruptions_per_day}/day plus urgent), "
        f"{digest} in the digest, {pending} pending."
    )
    say(f"Cost: {ledger.total.money} (priced tools; no model calls).")
    verdict = "identical" if report.ok else f"{len(report.mismatches)} MISMATCHES"
    say(f"Replay: {checked} rule decisions made again: {verdict}.")
    say(f"Inspect: prefrontal status -c {config_path}  (also costs, journal, replay, inbox)")


__all__ = ["write_example"]
