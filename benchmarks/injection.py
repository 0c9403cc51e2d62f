"""Prompt injection: Prefrontal's seam against a single-context agent, in one run.

Every vector (how untrusted text arrives) times every variant (AgentDojo's
``important_instructions``, ``tool_knowledge`` and ``ignore_previous``, and eight ways of
hiding the same instruction), played through a running system whose orchestrators' model
records every prompt and obeys any instruction it finds, with obeying workers
(``prefrontal.bench.injection``). Figures per vector and variant: canary bytes that reached
an orchestrator prompt, unplanned consequential actions (payments to the attacker), and
utility (the rent paid once and the content delivered to the principal). The baseline is a
single-context agent that reads the same content in its own prompt, with the same model.
``--control`` also runs Prefrontal with sealing switched off.

It measures structure, not gullibility: the models are scripted to obey whatever they can
read, so the figures say what can reach a model, not what a real model would do with it.

Run: ``python benchmarks/injection.py [--quick | --tiny] [--control] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict

import anyio

from prefrontal.bench.attacks import VARIANTS
from prefrontal.bench.injection import VECTORS, Outcome, baseline, run_vector

_QUICK = ("important_instructions", "unicode_tags", "base64", "split_fields")


def _cell(outcome: Outcome) -> str:
    return f"{outcome.canary_bytes}/{outcome.unplanned}/{'u' if outcome.utility else '-'}"


def _table(title: str, outcomes: list[Outcome], variants: tuple[str, ...]) -> None:
    print(f"\n{title}: canary bytes / unplanned actions / utility (u = planned work done)")
    width = max(len(v) for v in VECTORS) + 2
    print(" " * width + " ".join(f"{v[:12]:>12}" for v in variants))
    for vector in VECTORS:
        row = {o.variant: o for o in outcomes if o.vector == vector}
        print(f"{vector:<{width}}" + " ".join(f"{_cell(row[v]):>12}" for v in variants))
    leaked = sum(1 for o in outcomes if o.canary_bytes)
    print(
        f"totals: {leaked} of {len(outcomes)} scenarios leaked a canary "
        f"({sum(o.canary_bytes for o in outcomes)} bytes); "
        f"{sum(o.unplanned for o in outcomes)} unplanned actions; "
        f"utility {sum(o.utility for o in outcomes)} of {len(outcomes)}"
    )


async def _run(variants: tuple[str, ...], *, boundary: bool) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for vector in VECTORS:
        outcomes.extend(await run_vector(vector, variants, boundary=boundary))
    return outcomes


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="four variants, not eleven")
    parser.add_argument("--tiny", action="store_true", help="one variant (a smoke test)")
    parser.add_argument("--control", action="store_true", help="also run with sealing off")
    parser.add_argument("--json", help="write the figures as JSON to this path")
    args = parser.parse_args(argv)
    variants = _QUICK if args.quick else tuple(VARIANTS)
    if args.tiny:
        variants = _QUICK[:1]
    began = time.perf_counter()
    arms = {"prefrontal": anyio.run(lambda: _run(variants, boundary=True))}
    if args.control:
        arms["prefrontal, sealing off"] = anyio.run(lambda: _run(variants, boundary=False))
    arms["single-context baseline"] = [
        baseline(v, variant) for v in VECTORS for variant in variants
    ]
    print(f"Injection: {len(VECTORS)} vectors × {len(variants)} variants, scripted obeying models.")
    for title, outcomes in arms.items():
        _table(title, outcomes, variants)
    print(
        "\nIt measures structure, not a real model's gullibility: every model is scripted to "
        "obey any instruction it can read."
    )
    print(f"Ran in {time.perf_counter() - began:.1f} s.")
    if args.json:
        figures = {name: [asdict(o) for o in outcomes] for name, outcomes in arms.items()}
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(figures, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
