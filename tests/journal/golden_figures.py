"""What a golden journal must still give: its fold, its replay, its inbox and its costs.

As a script it writes those figures for a golden journal, with whichever Prefrontal is
importable (run it once, with the build that wrote the journal)::

    python tests/journal/golden_figures.py tests/journal/golden/format1

The figures go to ``expected.json`` beside the journal. ``test_golden.py`` computes them
again with today's build, on a copy, and compares.
"""

from __future__ import annotations

import json
import shutil
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio

from prefrontal import load_config, open_journal, replay
from prefrontal.config import tiers_in_use
from prefrontal.runtime.assembly import build_policy, build_roster, build_workers
from prefrontal.runtime.costs import cost_ledger
from prefrontal.runtime.inbox import inbox_entries
from prefrontal.runtime.orchestrator import Orchestrator
from prefrontal.seam.events import DecisionEvent


def _fold(config: Any, journal: Any) -> dict[str, Any]:
    """Each domain's state folded from every decision, as the runtime folds it."""
    from pydantic_ai.models.test import TestModel

    states: dict[str, Any] = {}
    workers = build_workers(config, {tier: TestModel() for tier, _ in tiers_in_use(config)})
    for name in config.domains:
        orchestrator = Orchestrator(
            name,
            config=config,
            policy=build_policy(config, name, {"_": TestModel()}),
            roster=build_roster(config, workers, name),
            clock=None,  # type: ignore[arg-type]  # folding never reads the clock
        )
        state = orchestrator.state
        for stored in journal.read(kinds=["decision"], domain=name):
            decision = stored.event
            assert isinstance(decision, DecisionEvent)
            cause = journal.read(after=decision.cause_seq - 1, limit=1)[0].event
            state.apply(decision.cause_seq, cause, decision)
        states[name] = {
            "decisions": state.decisions,
            "memory": state.memory,
            "compacted": state.compacted,
            "recent": [line for _, line in state.recent],
            "open": sorted(state.open),
            "spent": {day: str(amount) for day, amount in sorted(state.spent.items())},
            "reserved": str(state.reserved()),
        }
    return states


async def figures(folder: Path) -> dict[str, Any]:
    """The figures of the golden journal in ``folder`` (read from a copy; it stays as is)."""
    work = folder.parent / f"{folder.name}-copy"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(folder, work)
    config = load_config(work / "prefrontal.toml")
    journal = open_journal(config.journal_url())
    try:
        report = await replay(config, journal)
        ledger = cost_ledger(journal)
        return {
            "events": journal.last_seq(),
            "kinds": sorted({s.event.kind for s in journal.read()}),
            "states": _fold(config, journal),
            "replay": {
                "ok": report.ok,
                "domains": {
                    name: [d.decisions, d.checked, d.memory_notes, d.open_commissions, d.spent_usd]
                    for name, d in sorted(report.domains.items())
                },
            },
            "inbox": [
                [e.seq, e.item.item_id, e.item.item, e.item.delivery, e.pending]
                for e in inbox_entries(journal)
            ],
            "costs": {
                name: [t.requests, str(t.cost_usd.quantize(Decimal("0.0001"))), t.unpriced]
                for name, t in ledger.by("domain").items()
            },
        }
    finally:
        journal.close()
        shutil.rmtree(work, ignore_errors=True)


def main(folder: Path) -> None:
    found = anyio.run(figures, folder)
    (folder / "expected.json").write_text(json.dumps(found, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
