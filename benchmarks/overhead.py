"""Overhead of the durable path, against a bare call and a bare anyio task, in one run.

The durable path is everything a commission goes through in a running system: a request is
journaled, routed and decided by a rule policy that commissions K no-op tool workers at once;
each commission is journaled, dispatched, executed and its report journaled and decided
(``Decision.of()``, still journaled), all on a real SQLite file journal in WAL mode. The
worker is ``async def noop(i: int) -> int: return i`` (async, so no thread hop: a plain
``def`` tool goes through a worker thread, which costs more).

Figures, each beside its baseline from the same run (machines are shared and noisy, so the
ratios matter more than the absolute times):

- commissions/s and µs per commission (loaded: many requests in flight), against a bare
  function call and a bare anyio task (``start_soon`` of the async no-op in a task group);
- latency from a commission being journaled to its report being journaled (p50/p99), one
  request at a time (unloaded) and under load, against a bare task's start-to-finish time;
- journal transactions and events per commission;
- journal appends/s with ``synchronous`` NORMAL and FULL (WAL), one event per ``append``
  call and 100 per call.

Run: ``python benchmarks/overhead.py [--commissions N] [--tiny]``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import pstats
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
from rich.console import Console
from rich.table import Table

import prefrontal
from prefrontal import (
    CommissionAction,
    Decision,
    DomainView,
    InboundEvent,
    RequestEvent,
    RoutedEvent,
    Stored,
    open_journal,
    open_system,
    parse_config,
)

TARGET_COMMISSIONS_PER_S = 5_000
TARGET_P50_OVERHEAD_MS = 0.2


async def noop(i: int) -> int:
    """The no-op worker: returns its input."""
    return i


def noop_sync(i: int) -> int:
    return i


def fan_out(state: DomainView, event: InboundEvent) -> Decision:
    """A routed request ``"fan K"`` commissions K no-ops at once; anything else: nothing."""
    if isinstance(event, RoutedEvent):
        count = int(event.text.split()[-1])
        return Decision.of(
            *(CommissionAction(worker="noop", inputs={"i": i}) for i in range(count))
        )
    return Decision.of()


# -- helpers ---------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100), nearest rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def _ms(seconds: float) -> float:
    return seconds * 1000.0


# -- baselines -------------------------------------------------------------------------------


def bare_call(count: int) -> dict[str, float]:
    """A plain call of the synchronous no-op, ``count`` times in a loop."""
    function = noop_sync
    loop = range(count)
    start = time.perf_counter()
    for i in loop:
        function(i)
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    for _ in loop:
        pass
    empty = time.perf_counter() - start
    per_call = max(elapsed - empty, 1e-12) / count
    return {"ns_per_call": per_call * 1e9, "calls_per_s": 1.0 / per_call}


async def bare_await(count: int) -> dict[str, float]:
    """``await noop(i)`` inside a running coroutine: the async call without any scheduling."""
    start = time.perf_counter()
    for i in range(count):
        await noop(i)
    per_call = (time.perf_counter() - start) / count
    return {"ns_per_await": per_call * 1e9, "awaits_per_s": 1.0 / per_call}


async def bare_tasks(count: int, *, batch: int, fan: int, rounds: int) -> dict[str, float]:
    """``start_soon`` of the async no-op in a task group.

    Throughput: ``count`` tasks, ``batch`` per task group (as many as the durable path keeps
    in flight). Latency: ``rounds`` groups of ``fan`` tasks started together, each timed from
    ``start_soon`` to its end (the analogue of a commission's journaled-to-reported time).
    """
    done = 0

    async def task(i: int) -> None:
        nonlocal done
        await noop(i)
        done += 1

    async with anyio.create_task_group() as tg:  # warm-up
        for i in range(batch):
            tg.start_soon(task, i)
    done = 0
    start = time.perf_counter()
    for first in range(0, count, batch):
        async with anyio.create_task_group() as tg:
            for i in range(first, min(first + batch, count)):
                tg.start_soon(task, i)
    elapsed = time.perf_counter() - start
    assert done == count

    latencies: list[float] = []

    async def timed(i: int, begun: float) -> None:
        await noop(i)
        latencies.append(time.perf_counter() - begun)

    for _ in range(rounds):
        async with anyio.create_task_group() as tg:
            for i in range(fan):
                tg.start_soon(timed, i, time.perf_counter())
    return {
        "tasks": count,
        "batch": batch,
        "us_per_task": elapsed / count * 1e6,
        "tasks_per_s": count / elapsed,
        "p50_ms": _ms(percentile(latencies, 50)),
        "p99_ms": _ms(percentile(latencies, 99)),
    }


# -- the durable path ------------------------------------------------------------------------


def _inline() -> dict[str, bool]:
    """The rule decides inline (``[domains.X] inline``), where the checkout run knows it:
    an older one given to ``--baseline`` or ``PYTHONPATH`` does not."""
    from prefrontal.config import DomainConfig

    return {"inline": True} if "inline" in DomainConfig.model_fields else {}


def bench_config(folder: Path, *, fan: int, domains: int, synchronous: str = "NORMAL") -> Any:
    """A config with ``domains`` rule-policy domains, each allowed the ``noop`` tool worker."""
    module = __name__  # "__main__" when run as a script: importable as such
    data = {
        "principal": {"name": "bench"},
        "journal": {"url": f"sqlite:///{folder / 'journal.db'}", "synchronous": synchronous},
        "guards": {"max_commissions_per_event": max(8, fan)},
        "workers": {"noop": {"kind": "tool", "function": f"{module}:noop", "concurrency": 10_000}},
        "domains": {
            f"bench{d}": {
                "charter": "benchmark domain",
                "policy": f"{module}:fan_out",
                "workers": ["noop"],
                **_inline(),
            }
            for d in range(domains)
        },
        "executor": {"concurrency": 10_000},
    }
    return parse_config(data, source="<benchmarks/overhead.py>", base_dir=folder)


async def durable_path(
    folder: Path,
    *,
    requests: int,
    fan: int,
    inflight: int,
    domains: int = 1,
    observe: Callable[[Stored], None] | None = None,
    profiler: cProfile.Profile | None = None,
) -> dict[str, Any]:
    """Drive ``requests`` requests of ``fan`` commissions each through a running system.

    ``inflight`` requests are kept in flight (a sliding window; a request leaves it when its
    last report is journaled); ``inflight=0`` runs one request at a time to idle. A
    ``profiler`` runs over the timed part only (not start-up or shutdown).
    """
    config = bench_config(folder, fan=fan, domains=domains)
    issued: dict[str, float] = {}
    latencies: list[float] = []
    kinds: Counter[str] = Counter()
    left: dict[str, int] = {}
    window = anyio.Semaphore(max(inflight, 1))

    def watch(stored: Stored) -> None:
        now = time.perf_counter()
        event = stored.event
        kinds[event.kind] += 1
        if event.kind == "commission":
            issued[event.commission_id] = now  # type: ignore[union-attr]
        elif event.kind == "report":
            latencies.append(now - issued[event.commission_id])  # type: ignore[union-attr]
            thread = event.thread_id  # type: ignore[union-attr]
            left[thread] -= 1
            if left[thread] == 0 and inflight:
                window.release()

    async with open_system(config) as system, anyio.create_task_group() as guard:
        guard.start_soon(_stall_guard, system, kinds, left)
        system.observe(watch)
        if observe is not None:
            system.observe(observe)
        transactions = system.writer.transactions
        if profiler is not None:
            profiler.enable()
        start = time.perf_counter()
        if inflight:
            async with anyio.create_task_group() as tg:
                for n in range(requests):
                    await window.acquire()
                    left[f"req-{n}"] = fan
                    tg.start_soon(_submit, system, f"fan {fan}", f"bench{n % domains}", f"req-{n}")
        else:
            for n in range(requests):
                left[f"req-{n}"] = fan
                await _submit(system, f"fan {fan}", f"bench{n % domains}", f"req-{n}")
                await system.run_until_idle()
        await system.run_until_idle()
        elapsed = time.perf_counter() - start
        if profiler is not None:
            profiler.disable()
        transactions = system.writer.transactions - transactions
        guard.cancel_scope.cancel()
    commissions = requests * fan
    completed = len(latencies)
    events = sum(kinds.values())
    return {
        "requests": requests,
        "fan": fan,
        "inflight": inflight,
        "domains": domains,
        "commissions": commissions,
        "completed": completed,
        "seconds": elapsed,
        "commissions_per_s": completed / elapsed,
        "us_per_commission": elapsed / max(completed, 1) * 1e6,
        "p50_ms": _ms(percentile(latencies, 50)),
        "p99_ms": _ms(percentile(latencies, 99)),
        "transactions": transactions,
        "transactions_per_commission": transactions / max(completed, 1),
        "events": events,
        "events_per_commission": events / max(completed, 1),
        "kinds": dict(sorted(kinds.items())),
    }


STALL_S = 60.0


async def _stall_guard(system: Any, kinds: Counter[str], left: dict[str, int]) -> None:
    """Fail loudly, with the runtime's state, if nothing is journaled for ``STALL_S``."""
    seen, quiet = -1, 0.0
    while True:
        await anyio.sleep(1.0)
        now = sum(kinds.values())
        quiet = 0.0 if now != seen else quiet + 1.0
        seen = now
        if quiet >= STALL_S:
            unfinished = sorted(r for r, n in left.items() if n)
            mailboxes = {n: len(o.mailbox) for n, o in system.orchestrators.items()}
            raise RuntimeError(
                f"the durable path stalled: nothing journaled for {STALL_S:g} s after {now} "
                f"events {dict(kinds)}; work in flight {system.tracker.count}; unfinished "
                f"requests {len(unfinished)} {unfinished[:5]}; running commissions "
                f"{len(system.executor.running)}; mailboxes {mailboxes}"
            )


async def _submit(system: Any, text: str, domain: str, request_id: str) -> None:
    await system.submit(text, domain=domain, request_id=request_id)


# -- the journal alone -----------------------------------------------------------------------


def journal_appends(folder: Path, synchronous: str, *, single: int, batched: int) -> dict:
    """Appends/s of one small request event per ``append``, and of 100 per ``append``."""
    path = folder / f"appends-{synchronous.lower()}.db"
    journal = open_journal(f"sqlite:///{path}", synchronous=synchronous)  # type: ignore[arg-type]
    now = datetime.now(UTC)
    try:
        journal.append([RequestEvent(request_id="warm-up", text="x", at=now)])
        events = [RequestEvent(request_id=f"s-{n}", text="x", at=now) for n in range(single)]
        start = time.perf_counter()
        for event in events:
            journal.append([event])
        one = time.perf_counter() - start
        events = [RequestEvent(request_id=f"b-{n}", text="x", at=now) for n in range(batched)]
        start = time.perf_counter()
        for offset in range(0, batched, 100):
            journal.append(events[offset : offset + 100])
        hundred = time.perf_counter() - start
    finally:
        journal.close()
    return {
        "synchronous": synchronous,
        "single": single,
        "single_per_s": single / one,
        "single_us": one / single * 1e6,
        "batched": batched,
        "batched_per_s": batched / hundred,
        "batched_us": hundred / batched * 1e6,
    }


# -- the run ---------------------------------------------------------------------------------


SIZES = {
    "default": {"commissions": 20_000, "normal": 5_000, "full": 1_000, "batched": 20_000},
    "tiny": {"commissions": 64, "normal": 50, "full": 20, "batched": 200},
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Overhead of Prefrontal's durable path against a bare call and task."
    )
    parser.add_argument("--commissions", type=int, default=None, help="commissions to run")
    parser.add_argument("--fan", type=int, default=8, help="commissions per request (K)")
    parser.add_argument("--inflight", type=int, default=32, help="requests kept in flight")
    parser.add_argument("--domains", type=int, default=1, help="domains (orchestrators)")
    parser.add_argument("--tiny", action="store_true", help="very small counts, a few seconds")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="also profile the loaded durable path (cProfile) and print the top N hot spots",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.fan <= 20:
        parser.error("--fan must be 1-20 (a thread may make at most 24 decisions)")
    if args.commissions is not None and args.commissions < 1:
        parser.error("--commissions must be at least 1")
    return args


async def run(args: argparse.Namespace) -> dict[str, Any]:
    size = SIZES["tiny" if args.tiny else "default"]
    fan = args.fan
    requests = max(1, (args.commissions or size["commissions"]) // fan)
    unloaded_requests = min(requests, 250)
    loops = 10_000 if args.tiny else 200_000
    figures: dict[str, Any] = {
        "call": bare_call(loops),
        "await": await bare_await(loops),
        "task": await bare_tasks(
            max(requests * fan, 1000),
            batch=max(args.inflight, 1) * fan,
            fan=fan,
            rounds=unloaded_requests,
        ),
    }
    with tempfile.TemporaryDirectory(prefix="prefrontal-bench-") as tmp:
        folder = Path(tmp)
        for name in ("loaded", "unloaded"):
            (folder / name).mkdir()
        figures["loaded"] = await durable_path(
            folder / "loaded", requests=requests, fan=fan, inflight=args.inflight,
            domains=args.domains,
        )  # fmt: skip
        figures["unloaded"] = await durable_path(
            folder / "unloaded", requests=unloaded_requests, fan=fan, inflight=0
        )
        figures["journal"] = {
            sync: journal_appends(folder, sync, single=size[sync.lower()], batched=size["batched"])
            for sync in ("NORMAL", "FULL")
        }
    call, task = figures["call"], figures["task"]
    loaded, unloaded = figures["loaded"], figures["unloaded"]
    normal, full = figures["journal"]["NORMAL"], figures["journal"]["FULL"]
    figures["ratios"] = {
        "durable_vs_task": loaded["us_per_commission"] / task["us_per_task"],
        "durable_vs_call": loaded["us_per_commission"] * 1000 / call["ns_per_call"],
        "p50_overhead_ms": unloaded["p50_ms"] - task["p50_ms"],
        "p50_latency_vs_task": unloaded["p50_ms"] / task["p50_ms"],
        "p50_loaded_overhead_ms": loaded["p50_ms"] - task["p50_ms"],
        "normal_vs_full_single": normal["single_per_s"] / full["single_per_s"],
        "normal_vs_full_batched": normal["batched_per_s"] / full["batched_per_s"],
        "batched_vs_single_normal": normal["batched_per_s"] / normal["single_per_s"],
    }
    figures["targets"] = {
        "commissions_per_s": TARGET_COMMISSIONS_PER_S,
        "commissions_per_s_met": loaded["commissions_per_s"] >= TARGET_COMMISSIONS_PER_S,
        "p50_overhead_ms": TARGET_P50_OVERHEAD_MS,
        "p50_overhead_met": figures["ratios"]["p50_overhead_ms"] < TARGET_P50_OVERHEAD_MS,
    }
    return figures


def report(figures: dict[str, Any], console: Console) -> None:
    call, awaited, task = figures["call"], figures["await"], figures["task"]
    loaded, unloaded, ratios = figures["loaded"], figures["unloaded"], figures["ratios"]
    normal, full = figures["journal"]["NORMAL"], figures["journal"]["FULL"]
    targets = figures["targets"]

    table = Table(title="Prefrontal overhead: the durable path against a bare call and task")
    table.add_column("path")
    for column in ("throughput", "per unit", "p50", "p99", "ratio"):
        table.add_column(column, justify="right")
    table.add_row(
        "bare call", f"{call['calls_per_s']:,.0f} calls/s", f"{call['ns_per_call']:,.0f} ns",
        "", "", "baseline",
    )  # fmt: skip
    table.add_row(
        "bare await", f"{awaited['awaits_per_s']:,.0f} awaits/s",
        f"{awaited['ns_per_await']:,.0f} ns", "", "", "",
    )  # fmt: skip
    table.add_row(
        f"bare anyio task ({loaded['fan']} at once)", f"{task['tasks_per_s']:,.0f} tasks/s",
        f"{task['us_per_task']:,.1f} µs", f"{task['p50_ms']:.3f} ms",
        f"{task['p99_ms']:.3f} ms", "baseline",
    )  # fmt: skip
    table.add_row(
        f"durable, loaded ({loaded['inflight']}×{loaded['fan']} in flight)",
        f"{loaded['commissions_per_s']:,.0f} comm/s", f"{loaded['us_per_commission']:,.1f} µs",
        f"{loaded['p50_ms']:.3f} ms", f"{loaded['p99_ms']:.3f} ms",
        f"{ratios['durable_vs_task']:,.1f}× task",
    )  # fmt: skip
    table.add_row(
        "durable, 1 request at a time", f"{unloaded['commissions_per_s']:,.0f} comm/s",
        f"{unloaded['us_per_commission']:,.1f} µs", f"{unloaded['p50_ms']:.3f} ms",
        f"{unloaded['p99_ms']:.3f} ms", f"p50 {ratios['p50_latency_vs_task']:,.1f}× task",
    )  # fmt: skip
    for fig in (normal, full):
        sync = fig["synchronous"]
        vs_single = "baseline" if fig is full else f"{ratios['normal_vs_full_single']:.2f}× FULL"
        vs_batch = "baseline" if fig is full else f"{ratios['normal_vs_full_batched']:.2f}× FULL"
        table.add_row(
            f"append {sync}, 1 event/call", f"{fig['single_per_s']:,.0f} appends/s",
            f"{fig['single_us']:,.1f} µs", "", "", vs_single,
        )  # fmt: skip
        table.add_row(
            f"append {sync}, 100 events/call", f"{fig['batched_per_s']:,.0f} events/s",
            f"{fig['batched_us']:,.1f} µs", "", "", vs_batch,
        )  # fmt: skip
    console.print(table)

    def verdict(met: bool) -> str:
        return "met" if met else "NOT met"

    lines = [
        f"bare call: {call['ns_per_call']:.0f} ns/call ({call['calls_per_s']:,.0f} calls/s); "
        f"bare await: {awaited['ns_per_await']:.0f} ns/await",
        f"bare task: {task['tasks_per_s']:,.0f} tasks/s ({task['us_per_task']:.2f} µs/task); "
        f"start_soon-to-end latency, {loaded['fan']} at once: p50 {task['p50_ms']:.4f} ms, "
        f"p99 {task['p99_ms']:.4f} ms",
        f"durable path (loaded): {loaded['completed']}/{loaded['commissions']} commissions in "
        f"{loaded['seconds']:.2f} s = {loaded['commissions_per_s']:,.0f} commissions/s "
        f"({loaded['us_per_commission']:.1f} µs each) = {ratios['durable_vs_task']:.1f}× a "
        f"bare task, {ratios['durable_vs_call']:,.0f}× a bare call "
        f"[target ≥ {targets['commissions_per_s']:,}/s: "
        f"{verdict(targets['commissions_per_s_met'])}]",
        f"durable path (loaded) latency, commission journaled → report journaled: p50 "
        f"{loaded['p50_ms']:.3f} ms, p99 {loaded['p99_ms']:.3f} ms (queueing included)",
        f"durable path (one request of {unloaded['fan']} at a time): "
        f"{unloaded['completed']}/{unloaded['commissions']} commissions, latency p50 "
        f"{unloaded['p50_ms']:.3f} ms, p99 {unloaded['p99_ms']:.3f} ms; p50 overhead over a "
        f"bare task {ratios['p50_overhead_ms']:.3f} ms ({ratios['p50_latency_vs_task']:.1f}×) "
        f"[target < {targets['p50_overhead_ms']} ms: {verdict(targets['p50_overhead_met'])}]",
        f"journal transactions (loaded): {loaded['transactions']:,} for "
        f"{loaded['completed']:,} commissions = {loaded['transactions_per_commission']:.3f} "
        f"per commission; events {loaded['events_per_commission']:.2f} per commission "
        f"{loaded['kinds']}",
        f"journal appends, 1 event/call: NORMAL {normal['single_per_s']:,.0f}/s, FULL "
        f"{full['single_per_s']:,.0f}/s, NORMAL/FULL {ratios['normal_vs_full_single']:.2f}×",
        f"journal appends, 100 events/call: NORMAL {normal['batched_per_s']:,.0f} events/s, "
        f"FULL {full['batched_per_s']:,.0f} events/s, NORMAL/FULL "
        f"{ratios['normal_vs_full_batched']:.2f}×; batching gains "
        f"{ratios['batched_vs_single_normal']:.1f}× on NORMAL",
        "note: the no-op worker is async and awaited in place; a plain def tool runs in a "
        "worker thread (anyio.to_thread), one thread hop more per commission.",
    ]
    for line in lines:
        console.print(line, highlight=False, markup=False, soft_wrap=True)


def profile(args: argparse.Namespace, console: Console) -> dict[str, list[tuple[str, float]]]:
    """Profile the loaded durable path once; print and return its top ``args.profile`` spots.

    Two views, as shares of all profiled time: Prefrontal's own functions by cumulative time
    (time in the function and what it calls; nested entries overlap), and own time grouped
    by where it is spent (a library, the standard library, a builtin, or a Prefrontal file).
    """
    size = SIZES["tiny" if args.tiny else "default"]
    requests = max(1, (args.commissions or size["commissions"]) // args.fan // 2)
    profiler = cProfile.Profile()

    async def loaded() -> None:
        with tempfile.TemporaryDirectory(prefix="prefrontal-profile-") as tmp:
            await durable_path(
                Path(tmp), requests=requests, fan=args.fan, inflight=args.inflight,
                domains=args.domains, profiler=profiler,
            )  # fmt: skip

    anyio.run(loaded)
    stats: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in stats.values()) or 1.0
    cumulative: Counter[str] = Counter()
    own: Counter[str] = Counter()
    package = str(Path(prefrontal.__file__).parent) + "/"
    for (file, line, function), (_, _, tottime, cumtime, _) in stats.items():
        if file.startswith(package):
            where = f"prefrontal/{file.removeprefix(package)}"
            cumulative[f"{where}:{line} {function}"] += cumtime
            own[where] += tottime
        elif file == __file__:
            own["[this benchmark]"] += tottime
        elif "site-packages/" in file:
            own[f"[{file.split('site-packages/')[1].split('/')[0]}]"] += tottime
        elif file == "~":
            own[f"[builtin] {function}"] += tottime
        else:
            own[f"[stdlib] {Path(file).name}"] += tottime
    views = {
        "cumulative": [(n, t / total) for n, t in cumulative.most_common(args.profile)],
        "own": [(n, t / total) for n, t in own.most_common(args.profile)],
    }
    commissions = requests * args.fan
    console.print(
        f"cProfile of the loaded durable path ({commissions} commissions, "
        f"{total:.2f} s profiled): Prefrontal functions by cumulative time",
        highlight=False,
    )
    for name, share in views["cumulative"]:
        console.print(f"  {share:6.1%}  {name}", highlight=False, markup=False)
    console.print("own time by where it is spent", highlight=False)
    for name, share in views["own"]:
        console.print(f"  {share:6.1%}  {name}", highlight=False, markup=False)
    return views


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print its figures and return them."""
    args = parse_args(argv)
    console = Console()
    if not console.is_terminal:
        console = Console(width=120)
    figures = anyio.run(run, args)
    report(figures, console)
    if args.profile:
        figures["profile"] = profile(args, console)
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
