"""``status``, ``costs``, ``journal`` and ``replay``: read-only views of the journal."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from prefrontal.cli.common import (
    DEFAULT_CONFIG,
    ConfigOption,
    console,
    event_style,
    fail,
    friendly_errors,
    journal_of,
    load,
    reader_of,
    run_async,
    say,
)
from prefrontal.errors import PrefrontalError
from prefrontal.seam.printable import printable

if TYPE_CHECKING:
    from prefrontal.config import Config
    from prefrontal.journal.base import JournalReads
    from prefrontal.runtime.costs import Axis


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _senses_table(cfg: Config, journal: JournalReads) -> Table | None:
    from prefrontal.runtime.summary import SenseFigures, read_summary

    if not cfg.senses:
        return None
    senses = read_summary(journal).senses
    table = Table(title="Senses (percepts up, never raw signal)", title_justify="left")
    for column in ("sense", "kind", "source", "domains", "percepts", "compression (median)"):
        table.add_column(column)
    for name, sense in cfg.senses.items():
        users = [d for d, spec in cfg.domains.items() if name in spec.senses]
        figures = senses.get(name, SenseFigures())
        ratio = figures.median_ratio
        median = f"{ratio:,.0f}×" if ratio is not None else "-"
        table.add_row(name, sense.kind, printable(sense.source), ", ".join(users) or "-",
                      str(figures.percepts), median)  # fmt: skip
    return table


def _status_tables(cfg: Config, journal: JournalReads) -> tuple[Table, Table, str]:
    from prefrontal.config import EndpointTier, LlmPolicyConfig, ModelWorkerConfig
    from prefrontal.runtime.summary import read_status

    status = read_status(journal, cfg.domains)
    day = status.day

    domains = Table(title="Domains (one orchestrator each)", title_justify="left")
    for column in (
        "domain",
        "policy",
        "workers",
        "decisions",
        "pending",
        "open",
        "context tokens (mean/max)",
        f"spent {day or ''}",
        "budget/day",
    ):
        domains.add_column(column)
    for name, domain in cfg.domains.items():
        policy = domain.policy
        label = f"llm:{policy.tier}" if isinstance(policy, LlmPolicyConfig) else policy
        figures = status.domains[name]
        mean = figures.context_mean
        mean = f"{mean:.0f}/{figures.context_max}" if mean is not None else "-"
        domains.add_row(
            name,
            printable(label.rsplit(":", 1)[-1] if ":" in label else label),
            str(len(domain.workers)),
            str(figures.decisions),
            str(figures.pending),
            str(figures.open),
            mean,
            figures.spent.money,
            f"${domain.budget.usd_per_day:.2f}",
        )
    workers = Table(title="Workers (stateless)", title_justify="left")
    for column in ("worker", "kind", "tier / model", "price", "used by"):
        workers.add_column(column)
    for name, worker in cfg.workers.items():
        users = [d for d, spec in cfg.domains.items() if name in spec.workers]
        if isinstance(worker, ModelWorkerConfig):
            model = cfg.models.get(worker.tier)
            tier = f"{worker.tier} ({model if isinstance(model, str) else 'endpoint'})"
            price = f"≤ ${worker.max_cost_usd:.4f}/commission"
            if isinstance(model, EndpointTier) and model.usd_per_million_tokens is None:
                price = f"unpriced, ≤ {worker.max_tokens:,} tokens/request"
        else:
            tier, price = "-", f"${worker.cost_usd:.4f}/call" if worker.cost_usd else "free"
        workers.add_row(name, worker.kind, tier, price, ", ".join(users) or "-")
    ratio = len(cfg.workers) / len(cfg.domains)
    line = (
        f"{_count(len(cfg.domains), 'orchestrator')}, {_count(len(cfg.workers), 'worker')}: "
        f"{ratio:.2f} workers per orchestrator."
    )
    return domains, workers, line


def status(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Who exists: domains, orchestrators, workers, their ratio, budgets and spend.

    It checks the config file and finds the modules of its rule policies and tools without
    running them; 'run' also imports those, resolves the model tiers (and their keys) and
    builds the senses, and refuses to start on what fails there.
    """
    from prefrontal.references import check_references

    cfg = load(config)
    with friendly_errors():
        check_references(cfg)
    with reader_of(cfg) as reads:
        domains, workers, line = _status_tables(cfg, reads.journal)
        senses = _senses_table(cfg, reads.journal)
    console.print(domains)
    console.print(workers)
    if senses is not None:
        console.print(senses)
    say(line)


def costs(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """What it cost: model calls and priced tools per domain, worker, tier, source, model."""
    cfg = load(config)
    with reader_of(cfg) as reads:
        ledger = reads.costs()
    axes: tuple[Axis, ...] = ("domain", "worker", "tier", "source", "model")
    for axis in axes:
        table = Table(title=f"By {axis}", title_justify="left")
        for column in (axis, "calls", "input tokens", "output tokens", "cost"):
            table.add_column(column)
        for key, totals in ledger.by(axis).items():
            table.add_row(
                key,
                str(totals.requests),
                f"{totals.input_tokens:,}",
                f"{totals.output_tokens:,}",
                totals.money,
            )
        console.print(table)
    total = ledger.total
    say(
        f"Total: {total.money} over {_count(total.requests, 'call')}; "
        f"{total.input_tokens + total.output_tokens:,} tokens."
    )


def show_journal(
    config: ConfigOption = DEFAULT_CONFIG,
    last: Annotated[int, typer.Option(help="How many events, newest last.")] = 50,
    domain: Annotated[str | None, typer.Option(help="Only this domain.")] = None,
    kind: Annotated[list[str] | None, typer.Option(help="Only these kinds.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON record a line.")] = False,
) -> None:
    """The append-only journal, one event a line."""
    from prefrontal.runtime.client import check_kinds
    from prefrontal.seam.render import one_line

    if last < 0:
        fail(f"--last {last}: give how many events to show, 0 or more (e.g. --last 50)")
    cfg = load(config)
    try:
        check_kinds(kind)
    except PrefrontalError as error:
        fail(str(error))
    with reader_of(cfg) as reads:
        events = reads.journal.last(last, kinds=kind, domain=domain) if last else []
    for stored in events:
        if as_json:
            record = {"seq": stored.seq, **stored.event.model_dump(mode="json")}
            typer.echo(json.dumps(record, ensure_ascii=True))
        else:
            where = getattr(stored.event, "domain", None) or "-"
            say(
                (f"#{stored.seq:<5} {stored.event.at:%m-%d %H:%M:%S} ", "dim"),
                f"{where:<8} ",
                (one_line(stored.event), event_style(stored)),
            )


def do_replay(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Rebuild every domain's state from the journal; re-check rule policies' decisions."""
    from prefrontal.runtime.replay import replay

    cfg = load(config)
    with journal_of(cfg) as journal:
        problems = journal.verify()
        report = run_async(lambda: replay(cfg, journal))
    table = Table(title="Replay", title_justify="left")
    for column in ("domain", "decisions", "re-decided", "memory notes", "open", "spent"):
        table.add_column(column)
    for name, summary in report.domains.items():
        table.add_row(
            name,
            str(summary.decisions),
            str(summary.checked),
            str(summary.memory_notes),
            str(summary.open_commissions),
            summary.spent_usd,
        )
    console.print(table)
    for mismatch in report.mismatches:
        say(
            ("mismatch ", "red"),
            f"{mismatch.domain} #{mismatch.cause_seq}: recorded "
            f"{mismatch.recorded}; replayed {mismatch.replayed}",
        )
    for problem in [*problems, *report.unreadable, *report.snapshot_mismatches]:
        say(("journal: ", "red"), problem)
    if not report.ok or problems:
        raise typer.Exit(1)
    checked = sum(s.checked for s in report.domains.values())
    say(f"Replay ok: {checked} rule decisions made again, all identical; journal invariants hold.")
