"""A driver's memory over a sustained load: it should stay flat as the journal grows.

One system (rule-policy domain, a durable no-op tool, a reply per request, on a SQLite
journal) takes ``--rounds`` rounds of ``--requests`` requests, 16 in flight. After each
round it prints the process's resident set size (RSS, from ``/proc/self/statm``, after a
garbage collection), the journal's size in events, and the growth over the first round.
The first round is the baseline (imports, caches and pools are warm by its end); what a
leak would show is RSS rising round after round with the journal.

With ``--trace`` it also takes a ``tracemalloc`` snapshot after each round (from the end of
the first on) and prints the source lines whose live allocations grew most since the
previous round: what a leak would be made of. Tracing slows the run several times over and
adds its own memory, so the RSS figures of a traced run are not comparable.

Run: ``python benchmarks/memory.py [--rounds 5] [--requests N] [--tiny] [--trace] [--json F]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import anyio

from prefrontal import (
    CommissionAction,
    Decision,
    DomainView,
    InboundEvent,
    InboxItem,
    ReplyAction,
    Report,
    RoutedEvent,
    Stored,
    open_system,
    parse_config,
)

INFLIGHT = 16
PAGE = os.sysconf("SC_PAGE_SIZE")


async def noop(i: int) -> int:
    return i


def flow(state: DomainView, event: InboundEvent) -> Decision:
    """Commission the no-op on a request; reply on its report."""
    if isinstance(event, RoutedEvent):
        return Decision.of(CommissionAction(worker="noop", inputs={"i": len(event.text)}))
    if isinstance(event, Report):
        return Decision.of(ReplyAction(text=f"done: {event.output}"))
    return Decision.of()


def rss_mib() -> float:
    """This process's resident set size in MiB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE / 2**20


def config(folder: Path) -> Any:
    module = __name__  # "__main__" when run as a script: importable as such
    data = {
        "principal": {"name": "bench"},
        "journal": {"url": f"sqlite:///{folder / 'journal.db'}"},
        "workers": {"noop": {"kind": "tool", "function": f"{module}:noop", "concurrency": 100}},
        "domains": {
            "bench": {
                "charter": "memory",
                "policy": f"{module}:flow",
                "workers": ["noop"],
                "inline": True,
            }
        },
    }
    return parse_config(data, source="<benchmarks/memory.py>", base_dir=folder)


class Tracer:
    """Diffs ``tracemalloc`` snapshots round after round (``--trace``); inert otherwise."""

    def __init__(self, enabled: bool, top: int = 12) -> None:
        self.enabled = enabled
        self.top = top
        self.previous: tracemalloc.Snapshot | None = None
        self.growth: list[list[str]] = []

    def after_round(self, number: int) -> None:
        if not self.enabled:
            return
        if not tracemalloc.is_tracing():
            tracemalloc.start(12)
        snapshot = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__)]
        )
        if self.previous is not None:
            stats = snapshot.compare_to(self.previous, "traceback")
            lines = [_grown(stat) for stat in stats[: self.top] if stat.size_diff > 0]
            self.growth.append(lines)
            print(f"round {number}: live allocations that grew most since round {number - 1}:")
            for line in lines:
                print(f"  {line}")
        self.previous = snapshot


def _grown(stat: tracemalloc.StatisticDiff) -> str:
    """One grown allocation site: its size change, count change and innermost frames."""
    innermost = list(stat.traceback)[::-1][:10]  # a traceback lists the oldest frame first
    frames = [f"{Path(f.filename).name}:{f.lineno}" for f in innermost]
    return f"{stat.size_diff / 1024:+.1f} KiB ({stat.count_diff:+d} blocks) at {' < '.join(frames)}"


async def sustained(
    folder: Path, rounds: int, requests: int, tracer: Tracer | None = None
) -> list[dict[str, float]]:
    tracer = tracer or Tracer(False)
    replied: dict[str, anyio.Event] = {}

    def watch(stored: Stored) -> None:
        event = stored.event
        if isinstance(event, InboxItem) and event.thread_id in replied:
            replied.pop(event.thread_id).set()

    figures: list[dict[str, float]] = []
    async with open_system(config(folder), stop_on_signals=False) as system:
        system.observe(watch)
        gate = anyio.Semaphore(INFLIGHT)

        async def ask(n: int) -> None:
            try:
                request_id = f"req-{n}"
                replied[request_id] = done = anyio.Event()
                await system.submit("run the tool", domain="bench", request_id=request_id)
                await done.wait()
            finally:
                gate.release()

        for number in range(rounds):
            start = time.perf_counter()
            async with anyio.create_task_group() as tg:
                for n in range(number * requests, (number + 1) * requests):
                    await gate.acquire()
                    tg.start_soon(ask, n)
            await system.run_until_idle()
            elapsed = time.perf_counter() - start
            gc.collect()
            figures.append(
                {
                    "round": number + 1,
                    "rss_mib": rss_mib(),
                    "events": system.journal.last_seq(),
                    "requests_per_s": requests / elapsed,
                }
            )
            tracer.after_round(number + 1)
    return figures


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description="A driver's RSS over a sustained load.")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of load")
    parser.add_argument("--requests", type=int, default=2000, help="requests per round")
    parser.add_argument("--tiny", action="store_true", help="3 rounds of 30 requests")
    parser.add_argument(
        "--trace", action="store_true", help="diff tracemalloc snapshots between rounds"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.tiny:
        args.rounds, args.requests = 3, 30
    if args.rounds < 2 or args.requests < 1:
        parser.error("--rounds must be at least 2 and --requests at least 1")
    before = rss_mib()
    with tempfile.TemporaryDirectory(prefix="prefrontal-memory-") as tmp:
        tracer = Tracer(args.trace)
        rounds = anyio.run(sustained, Path(tmp), args.rounds, args.requests, tracer)
    first, last = rounds[0], rounds[-1]
    figures = {
        "requests_per_round": args.requests,
        "inflight": INFLIGHT,
        "rss_before_mib": before,
        "rounds": rounds,
        "last_over_first": last["rss_mib"] / first["rss_mib"],
        "growth_mib": last["rss_mib"] - first["rss_mib"],
        "growth_per_1k_events_kib": (last["rss_mib"] - first["rss_mib"])
        * 1024
        / max((last["events"] - first["events"]) / 1000, 1e-9),
        "traced_growth": tracer.growth,
    }
    print(f"RSS before the system started: {before:.1f} MiB")
    for row in rounds:
        print(
            f"round {row['round']}: RSS {row['rss_mib']:.1f} MiB, journal {row['events']:,} "
            f"events, {row['requests_per_s']:,.0f} requests/s"
        )
    print(
        f"RSS last / first round: {figures['last_over_first']:.3f}× "
        f"({figures['growth_mib']:+.1f} MiB over {last['events'] - first['events']:,} events, "
        f"{figures['growth_per_1k_events_kib']:+.1f} KiB per 1,000 events)"
    )
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
