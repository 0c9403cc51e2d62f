"""The figures as a rich table, the aims measured against them, and a markdown summary."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.table import Table

from prefrontal.bench.figures import Figures
from prefrontal.bench.results import NAMES, Results

COUNTING = (
    "tokens are counted from each model request actually sent (instructions, messages and "
    "tool schemas) as UTF-8 bytes / 4, rounded up, the runtime's own context measure; "
    "outputs the same way"
)

CAVEAT = (
    "It measures structure, not answer quality: every model is scripted with fixed, valid "
    "outputs, so the figures compare what each topology sends to which tier, how often it "
    "interrupts the principal and what that costs at list prices. It does not show that any "
    "topology answers well, nor the effect of prompt caching, latency or real models' retries."
)

_HEADERS = (
    "topology",
    "domains",
    "decisions",
    "ctx mean",
    "ctx p95",
    "ctx max",
    "interrupts/day",
    "max/agent-day",
    "digest/day",
    "USD/day",
    "capable Mtok/day",
    "cheap Mtok/day",
    "agents",
    "workers",
    "workers/agent",
)
# Short headers for the terminal, where width is scarce (the markdown keeps the long ones).
_SHORT = (
    "topology",
    "dom",
    "decis.",
    "mean",
    "p95",
    "max",
    "intr/day",
    "max/agent",
    "digest",
    "USD/day",
    "capable M/day",
    "cheap M/day",
    "agents",
    "workers",
    "w/agent",
)
# The terminal shows two narrower tables: context and attention, then cost and tiers.
_ATTENTION = range(0, 9)
_COST = (0, 1, *range(9, 15))


def _row(f: Figures) -> tuple[str, ...]:
    return (
        f.topology,
        str(f.domains),
        f"{f.decisions:,}",
        f"{f.context_mean:,.0f}",
        f"{f.context_p95:,}",
        f"{f.context_max:,}",
        f"{f.interruptions_per_day:.1f}",
        str(f.max_interruptions_per_agent_day),
        f"{f.digest_per_day:.1f}",
        f"{f.cost_per_day:.2f}",
        f"{f.tokens_by_tier.get('capable', 0) / f.days / 1e6:.3f}",
        f"{f.tokens_by_tier.get('cheap', 0) / f.days / 1e6:.3f}",
        str(f.agents),
        str(f.workers),
        f"{f.ratio:.0f}",
    )


def _ordered(results: Results) -> list[Figures]:
    order = list(NAMES)
    return sorted(results.figures, key=lambda f: (f.domains, order.index(f.topology)))


def figures_tables(results: Results) -> list[Table]:
    """The figures as two terminal tables: context and attention, then cost and tiers."""
    plan = results.plan
    titles = (
        f"Context per decision (tokens), interruptions per day: {plan.days} days, seed {plan.seed}",
        f"Cost (genai-prices), tokens per tier (millions a day): capable {results.capable}, "
        f"cheap {results.cheap}",
    )
    ordered = _ordered(results)
    tables: list[Table] = []
    for title, columns in zip(titles, (_ATTENTION, _COST), strict=True):
        table = Table(title=title)
        for index in columns:
            table.add_column(_SHORT[index], justify="left" if index == 0 else "right", no_wrap=True)
        for position, f in enumerate(ordered):
            row = _row(f)
            last = position + 1 == len(ordered) or ordered[position + 1].domains != f.domains
            table.add_row(*(row[i] for i in columns), end_section=last)
        tables.append(table)
    return tables


@dataclass(frozen=True, slots=True, kw_only=True)
class Aim:
    aim: str
    measured: str
    met: bool | None  # None: this run cannot tell (one domain count only)


def aims(results: Results) -> list[Aim]:
    """The issue's aims, each with what this run measured."""
    base, top = results.plan.base, max(results.plan.domains)
    two, mono = results.of("two-tier", base), results.of("monolith", base)
    share = two.cost_per_day / mono.cost_per_day if mono.cost_per_day else 0.0
    flat_share = two.cost_per_day / results.of("flat", base).cost_per_day
    found = [
        Aim(
            aim=f"two-tier cost ≤ 25% of the monolith's at {base} domains",
            measured=(
                f"{share:.0%} (${two.cost_per_day:.2f} against ${mono.cost_per_day:.2f} a day); "
                f"{flat_share:.0%} of the flat network's"
            ),
            met=share <= 0.25,
        )
    ]
    if top > base:
        two_top, mono_top = results.of("two-tier", top), results.of("monolith", top)
        growth = two_top.context_mean / two.context_mean - 1
        mono_growth = mono_top.context_mean / mono.context_mean - 1
        found.append(
            Aim(
                aim=f"two-tier context per decision flat (within 20%) from {base} to {top} "
                "domains while the monolith's grows",
                measured=(
                    f"two-tier {two.context_mean:,.0f} → {two_top.context_mean:,.0f} tokens "
                    f"({growth:+.0%}); monolith {mono.context_mean:,.0f} → "
                    f"{mono_top.context_mean:,.0f} ({mono_growth:+.0%})"
                ),
                met=abs(growth) <= 0.2 and mono_growth > 0.2,
            )
        )
    runs = results.series("two-tier")
    worst = max(f.max_interruptions_per_agent_day for f in runs)
    worst_normal = max(f.max_normal_interruptions_per_agent_day for f in runs)
    per_orchestrator = max(f.interruptions_per_day / f.agents for f in runs)
    found.append(
        Aim(
            aim="at most one interruption per orchestrator per day, the rest in the digest",
            measured=(
                f"on average {per_orchestrator:.2f} per orchestrator per day at most; the "
                f"busiest orchestrator-day had {worst} ({worst_normal} not urgent: urgent items "
                "always interrupt); digest "
                + ", ".join(f"{f.digest_per_day:.1f}/day at {f.domains}" for f in runs)
            ),
            met=worst <= 1,
        )
    )
    return found


def _verdict(aim: Aim) -> str:
    return {True: "met", False: "MISSED", None: "not measured"}[aim.met]


def aims_lines(results: Results) -> list[str]:
    return [f"{_verdict(a)}: {a.aim}: {a.measured}" for a in aims(results)]


def _breakdown(results: Results) -> list[str]:
    lines: list[str] = []
    for f in results.series("two-tier"):
        overhead = f.context_mean - f.rendered_context_mean
        lines.append(
            f"- {f.domains} domains: {f.decisions / f.tasks:.2f} orchestrator decisions per "
            f"task (one on arrival, one when the reports it waits for are all in); each "
            f"prompt {f.context_mean:,.0f} tokens, "
            f"of which the rendered domain context {f.rendered_context_mean:,.0f} and the "
            f"fixed action guide and Decision schema {overhead:,.0f}; "
            f"{f.worker_runs / f.tasks:.2f} worker runs per task, the largest reader prompt "
            f"{f.worker_prompt_max:,} tokens."
        )
    return lines


def summary_markdown(results: Results, plots: list[Path]) -> str:
    plan = results.plan
    lines = [
        "# The three ceilings, measured",
        "",
        f"Seed {plan.seed}, {plan.days} days, domains {', '.join(map(str, plan.domains))}; "
        f"capable tier `{results.capable}`, cheap tier `{results.cheap}` (genai-prices); "
        f"run took {results.seconds:.0f} s.",
        "",
        f"Counting: {COUNTING}.",
        "",
        "| " + " | ".join(_HEADERS) + " |",
        "|" + "|".join("---" if h == "topology" else "---:" for h in _HEADERS) + "|",
        *("| " + " | ".join(_row(f)) + " |" for f in _ordered(results)),
        "",
        "Context is per capable-tier decision (orchestrator decision, monolith step, peer "
        "turn). Agents are the capable-tier decision makers; workers the distinct workers "
        "that reported (cheap-tier LLM workers and plain-code tools).",
        "",
        "## Aims",
        "",
        *(f"- **{_verdict(a)}**: {a.aim}: {a.measured}." for a in aims(results)),
        "",
        "## Where two-tier's tokens go",
        "",
        *_breakdown(results),
        "",
        "## Plots",
        "",
        *(f"- ![{p.stem}]({p.name})" for p in plots),
        "",
        "## What this does and does not show",
        "",
        CAVEAT,
        "",
    ]
    return "\n".join(lines)
