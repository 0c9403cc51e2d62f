"""Prefrontal against its peers on one durable flow, side by side in one run.

The flow, the same for every peer: decide, run a durable no-op tool, decide again, reply.
Each peer does it its own way, with its state on a SQLite file in WAL mode with
``synchronous=NORMAL`` (Prefrontal's default):

- **Prefrontal**: a request to a rule-policy domain that commissions an async no-op tool
  worker, and on its report replies (request, routed, decision, commission, started, report,
  decision, inbox item journaled); a request ends when its reply is journaled.
- **sqlite3 floors**: the rows one Prefrontal request journals, inserted with the standard
  library's ``sqlite3`` into a table of the journal's schema: all in one commit per request,
  and one commit per row. What the disk and SQLite allow, with no runtime around them.
- **LangGraph** with ``SqliteSaver`` (four nodes: decide, tool, decide, reply), checkpointed
  with ``durability="sync"`` (each step durable before the next, as Prefrontal journals
  before it dispatches); and with ``AsyncSqliteSaver`` when ``aiosqlite`` is there.
- **DBOS** on SQLite: a workflow of four steps.
- **Ray**: the tool as a bare remote task (not durable: nothing is stored), decisions in the
  driver; inside ``unshare -n`` when run as root, since Ray listens on every interface.

Two loads: one request at a time, and 16 in flight (a sliding window). Each peer runs in a
process of its own, round by round (rounds interleave the peers, so drift on a shared
machine spreads over all of them); the figure is the median of the rounds, and the ratio is
to Prefrontal's median. It installs nothing: a peer whose package cannot be imported is
listed as skipped (``pip install langgraph langgraph-checkpoint-sqlite dbos ray`` to add them).

``--baseline SRC`` adds Prefrontal from another checkout's ``src`` folder (say, main's) as the
peer ``prefrontal-baseline``, measured in the same rounds: a before/after in one run.

Run: ``python benchmarks/peers.py [--requests N] [--rounds 3] [--only NAME,...] [--tiny]
[--baseline SRC]``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypedDict

INFLIGHT = 16
WARM_UP = 5


class Peer(TypedDict):
    modules: tuple[str, ...]
    packages: tuple[str, ...]
    isolate: bool  # run inside ``unshare -n`` when root (it listens on every interface)
    note: str


PEERS: dict[str, Peer] = {
    "prefrontal": {
        "modules": ("prefrontal",),
        "packages": ("prefrontal",),
        "isolate": False,
        "note": "7-8 rows journaled per request (started only if a commit sees it running)",
    },
    "prefrontal-baseline": {
        "modules": ("prefrontal",),
        "packages": ("prefrontal",),
        "isolate": False,
        "note": "--baseline: Prefrontal from another checkout",
    },
    "sqlite-request": {
        "modules": (),
        "packages": (),
        "isolate": False,
        "note": "floor: the same 8 rows, 1 commit per request",
    },
    "sqlite-row": {
        "modules": (),
        "packages": (),
        "isolate": False,
        "note": "floor: the same 8 rows, 1 commit per row",
    },
    "langgraph": {
        "modules": ("langgraph", "langgraph.checkpoint.sqlite"),
        "packages": ("langgraph", "langgraph-checkpoint-sqlite"),
        "isolate": False,
        "note": "SqliteSaver, durability=sync",
    },
    "langgraph-async": {
        "modules": ("langgraph", "langgraph.checkpoint.sqlite.aio", "aiosqlite"),
        "packages": ("langgraph", "langgraph-checkpoint-sqlite", "aiosqlite"),
        "isolate": False,
        "note": "AsyncSqliteSaver, durability=sync",
    },
    "dbos": {
        "modules": ("dbos",),
        "packages": ("dbos",),
        "isolate": True,
        "note": "workflow of 4 steps, SQLite WAL",
    },
    "ray": {
        "modules": ("ray",),
        "packages": ("ray",),
        "isolate": True,
        "note": "bare remote task, not durable",
    },
}


def available(name: str) -> bool:
    try:
        return all(importlib.util.find_spec(m) is not None for m in PEERS[name]["modules"])
    except ModuleNotFoundError:
        return False


def versions(name: str) -> str:
    found: list[str] = []
    for package in PEERS[name]["packages"]:
        try:
            found.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            found.append(f"{package} ?")
    if name.startswith("sqlite"):
        found.append(f"SQLite {sqlite3.sqlite_version}")
    return ", ".join(found)


def wal(connection: sqlite3.Connection) -> None:
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")


# -- the flow's pieces, the same for every peer -------------------------------------------


def decide_first(text: str) -> dict[str, int]:
    """The first decision: run the tool on the request."""
    return {"i": len(text)}


def noop_tool(i: int) -> int:
    return i


def decide_reply(output: int) -> str:
    """The second decision: reply with the tool's output."""
    return f"done: {output}"


async def run_window(count: int, inflight: int, one: Callable[[int], Any]) -> None:
    """Run ``one(n)`` for ``n`` in ``range(count)``, ``inflight`` at a time (sliding)."""
    if inflight <= 1:
        for n in range(count):
            await one(n)
        return
    gate = asyncio.Semaphore(inflight)

    async def slot(n: int) -> None:
        async with gate:
            await one(n)

    await asyncio.gather(*(slot(n) for n in range(count)))


def run_threads(count: int, inflight: int, one: Callable[[int], Any]) -> None:
    """Run ``one(n)`` for ``n`` in ``range(count)`` on ``inflight`` threads."""
    if inflight <= 1:
        for n in range(count):
            one(n)
        return
    with ThreadPoolExecutor(inflight) as pool:
        list(pool.map(one, range(count)))


def timed(run: Callable[[int, int], None], requests: int) -> float:
    """Requests/s of ``run(first, count)`` over ``requests`` after a warm-up."""
    run(0, WARM_UP)
    start = time.perf_counter()
    run(WARM_UP, requests)
    return requests / (time.perf_counter() - start)


# -- Prefrontal ---------------------------------------------------------------------------


async def noop(i: int) -> int:
    """The durable no-op tool worker."""
    return i


def flow_policy(state: Any, event: Any) -> Any:
    """Decide: commission the no-op on a request; reply on its report."""
    from prefrontal import CommissionAction, Decision, ReplyAction, Report, RoutedEvent

    if isinstance(event, RoutedEvent):
        return Decision.of(CommissionAction(worker="noop", inputs=decide_first(event.text)))
    if isinstance(event, Report):
        return Decision.of(ReplyAction(text=decide_reply(int(event.output))))  # type: ignore[arg-type]
    return Decision.of()


def _inline() -> dict[str, bool]:
    """The rule decides inline (``[domains.X] inline``), where the checkout run knows it:
    an older one given to ``--baseline`` or ``PYTHONPATH`` does not."""
    from prefrontal.config import DomainConfig

    return {"inline": True} if "inline" in DomainConfig.model_fields else {}


def prefrontal_config(folder: Path) -> Any:
    from prefrontal import parse_config

    module = __name__  # "__main__" when run as a script: importable as such
    data = {
        "principal": {"name": "bench"},
        "journal": {"url": f"sqlite:///{folder / 'journal.db'}"},
        "workers": {"noop": {"kind": "tool", "function": f"{module}:noop", "concurrency": 1000}},
        "domains": {
            "bench": {
                "charter": "peers",
                "policy": f"{module}:flow_policy",
                "workers": ["noop"],
                **_inline(),
            }
        },
        "executor": {"concurrency": 1000},
    }
    return parse_config(data, source="<benchmarks/peers.py>", base_dir=folder)


async def prefrontal_rates(folder: Path, requests: int) -> dict[str, float]:
    rates: dict[str, float] = {}
    for mode, inflight in (("one", 1), ("many", INFLIGHT)):
        (folder / mode).mkdir()
        rate, cpu_ms, commits = await prefrontal_rate(folder / mode, requests, inflight)
        rates[mode], rates[f"{mode}_cpu_ms"], rates[f"{mode}_commits"] = rate, cpu_ms, commits
    return rates


async def prefrontal_rate(folder: Path, requests: int, inflight: int) -> tuple[float, float, float]:
    """Requests/s, each ending when its reply is journaled, ``inflight`` at a time; the
    process's CPU milliseconds per request (a steadier figure on a shared machine); and the
    journal's commits per request."""
    import anyio

    from prefrontal import InboxItem, Stored, open_system

    replied: dict[str, anyio.Event] = {}

    def watch(stored: Stored) -> None:
        event = stored.event
        if isinstance(event, InboxItem) and event.thread_id in replied:
            replied[event.thread_id].set()

    async with open_system(prefrontal_config(folder), stop_on_signals=False) as system:
        system.observe(watch)

        async def ask(n: int) -> None:
            request_id = f"req-{n}"
            replied[request_id] = anyio.Event()
            await system.submit("run the tool", domain="bench", request_id=request_id)
            await replied[request_id].wait()

        async def batch(first: int, count: int) -> None:
            async with anyio.create_task_group() as tg:
                gate = anyio.Semaphore(inflight)
                for n in range(first, first + count):
                    await gate.acquire()
                    tg.start_soon(_released, gate, ask, n)

        await batch(0, WARM_UP)
        start, cpu = time.perf_counter(), time.process_time()
        transactions = system.writer.transactions
        await batch(WARM_UP, requests)
        cpu_ms = (time.process_time() - cpu) / requests * 1000
        commits = (system.writer.transactions - transactions) / requests
        return requests / (time.perf_counter() - start), cpu_ms, commits


async def _released(gate: Any, ask: Callable[[int], Any], n: int) -> None:
    try:
        await ask(n)
    finally:
        gate.release()


def journal_rows(folder: Path) -> list[tuple[Any, ...]]:
    """The rows one Prefrontal request journals, read from a journal it wrote."""
    import anyio

    async def one() -> None:
        from prefrontal import open_system

        async with open_system(prefrontal_config(folder), stop_on_signals=False) as system:
            await system.submit("run the tool", domain="bench", request_id="req-0")
            await system.run_until_idle()

    anyio.run(one)
    with sqlite3.connect(folder / "journal.db") as db:
        rows = db.execute(
            "SELECT at, kind, domain, ref, cause, key, body FROM events ORDER BY seq"
        ).fetchall()
    db.close()
    return rows


# -- the sqlite3 floors -------------------------------------------------------------------


def sqlite_rates(folder: Path, requests: int, *, per_row: bool) -> dict[str, float]:
    """The same rows on raw sqlite3 (a writer has no use for more in flight: one figure)."""
    rows = journal_rows(folder / "rows")
    path = folder / "floor.db"
    shutil.copy(folder / "rows" / "journal.db", path)
    db = sqlite3.connect(path, isolation_level=None)
    wal(db)
    insert = "INSERT OR IGNORE INTO events (at, kind, domain, ref, cause, key, body) VALUES "
    insert += "(?, ?, ?, ?, ?, ?, ?)"

    def run(first: int, count: int) -> None:
        for n in range(first, first + count):
            fresh = [(*row[:5], f"{row[5]}#{n}" if row[5] else None, row[6]) for row in rows]
            if per_row:
                for row in fresh:
                    db.execute("BEGIN IMMEDIATE")
                    db.execute(insert, row)
                    db.execute("COMMIT")
            else:
                db.execute("BEGIN IMMEDIATE")
                for row in fresh:
                    db.execute(insert, row)
                db.execute("COMMIT")

    rate = timed(run, requests)
    db.close()
    return {"one": rate, "many": rate, "rows": len(rows)}


# -- LangGraph ----------------------------------------------------------------------------


def langgraph_graph() -> Any:
    from langgraph.graph import END, START, StateGraph

    class Flow(TypedDict, total=False):
        text: str
        i: int
        output: int
        reply: str

    graph = StateGraph(Flow)
    graph.add_node("decide", lambda s: decide_first(s["text"]))
    graph.add_node("tool", lambda s: {"output": noop_tool(s["i"])})
    graph.add_node("decide_again", lambda s: {"reply": decide_reply(s["output"])})
    graph.add_node("reply", lambda s: {"reply": s["reply"]})
    graph.add_edge(START, "decide")
    graph.add_edge("decide", "tool")
    graph.add_edge("tool", "decide_again")
    graph.add_edge("decide_again", "reply")
    graph.add_edge("reply", END)
    return graph


def langgraph_rates(folder: Path, requests: int) -> dict[str, float]:
    from langgraph.checkpoint.sqlite import SqliteSaver

    rates: dict[str, float] = {}
    for mode, inflight in (("one", 1), ("many", INFLIGHT)):
        db = sqlite3.connect(folder / f"{mode}.db", check_same_thread=False)
        wal(db)
        app = langgraph_graph().compile(checkpointer=SqliteSaver(db))

        def run(first: int, count: int, inflight: int = inflight, app: Any = app) -> None:
            run_threads(count, inflight, lambda k: _invoke(app, first + k))

        rates[mode] = timed(run, requests)
        db.close()
    return rates


def _invoke(app: Any, n: int) -> None:
    config = {"configurable": {"thread_id": f"req-{n}"}}
    result = app.invoke({"text": "run the tool"}, config, durability="sync")
    _check(result["reply"])


def langgraph_async_rates(folder: Path, requests: int) -> dict[str, float]:
    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    async def measure(mode: str, inflight: int) -> float:
        async with aiosqlite.connect(folder / f"{mode}.db") as db:
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA synchronous=NORMAL")
            app = langgraph_graph().compile(checkpointer=AsyncSqliteSaver(db))

            async def one(n: int) -> None:
                config = {"configurable": {"thread_id": f"req-{n}"}}
                result = await app.ainvoke({"text": "run the tool"}, config, durability="sync")
                assert result["reply"].startswith("done")

            async def batch(first: int, count: int) -> None:
                await run_window(count, inflight, lambda k: one(first + k))

            await batch(0, WARM_UP)
            start = time.perf_counter()
            await batch(WARM_UP, requests)
            return requests / (time.perf_counter() - start)

    return {mode: asyncio.run(measure(mode, n)) for mode, n in (("one", 1), ("many", INFLIGHT))}


# -- DBOS ---------------------------------------------------------------------------------


def dbos_rates(folder: Path, requests: int) -> dict[str, float]:
    import sqlalchemy as sa
    from dbos import DBOS

    # WAL with synchronous=NORMAL, as every other peer here (DBOS leaves SQLite's defaults).
    path = folder / "dbos.sqlite"
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA journal_mode=WAL")
    sa.event.listen(sa.Engine, "connect", lambda conn, _: conn.execute("PRAGMA synchronous=NORMAL"))
    DBOS(
        config={
            "name": "peers",
            "system_database_url": f"sqlite:///{path}",
            "run_admin_server": False,
            "log_level": "WARNING",
        }
    )

    @DBOS.step()
    def decide(text: str) -> int:
        return decide_first(text)["i"]

    @DBOS.step()
    def tool(i: int) -> int:
        return noop_tool(i)

    @DBOS.step()
    def decide_again(output: int) -> str:
        return decide_reply(output)

    @DBOS.step()
    def reply(text: str) -> str:
        return text

    @DBOS.workflow()
    def flow(text: str) -> str:
        return reply(decide_again(tool(decide(text))))

    DBOS.launch()
    rates: dict[str, float] = {}
    try:
        for mode, inflight in (("one", 1), ("many", INFLIGHT)):

            def run(first: int, count: int, inflight: int = inflight) -> None:
                run_threads(count, inflight, lambda _: _check(flow("run the tool")))

            rates[mode] = timed(run, requests)
    finally:
        DBOS.destroy()
    return rates


def _check(reply: str) -> None:
    assert reply.startswith("done"), reply


# -- Ray ----------------------------------------------------------------------------------


def ray_rates(folder: Path, requests: int) -> dict[str, float]:
    import ray

    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        logging_level="ERROR",
        _temp_dir=str(folder),
    )
    tool = ray.remote(noop_tool)

    async def measure(inflight: int) -> float:
        async def one(n: int) -> None:
            output = await tool.remote(decide_first("run the tool")["i"])
            _check(decide_reply(output))

        async def batch(first: int, count: int) -> None:
            await run_window(count, inflight, lambda k: one(first + k))

        await batch(0, WARM_UP)
        start = time.perf_counter()
        await batch(WARM_UP, requests)
        return requests / (time.perf_counter() - start)

    try:
        return {mode: asyncio.run(measure(n)) for mode, n in (("one", 1), ("many", INFLIGHT))}
    finally:
        ray.shutdown()


# -- one peer in its own process ----------------------------------------------------------


def measure_peer(name: str, requests: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix=f"prefrontal-peers-{name}-") as tmp:
        folder = Path(tmp)
        if name == "prefrontal":
            import anyio

            return anyio.run(prefrontal_rates, folder, requests)
        if name in ("sqlite-request", "sqlite-row"):
            (folder / "rows").mkdir()
            return sqlite_rates(folder, requests, per_row=name == "sqlite-row")
        if name == "langgraph":
            return langgraph_rates(folder, requests)
        if name == "langgraph-async":
            return langgraph_async_rates(folder, requests)
        if name == "dbos":
            return dbos_rates(folder, requests)
        if name == "ray":
            return ray_rates(folder, requests)
    raise ValueError(f"unknown peer {name!r}; peers: {sorted(PEERS)}")


def in_process(
    name: str, requests: int, timeout: float, baseline: Path | None = None
) -> dict[str, float]:
    """Measure ``name`` in a fresh process (in a loopback-only namespace where it must);
    ``prefrontal-baseline`` is Prefrontal imported from ``baseline`` instead."""
    env = dict(os.environ)
    if name == "prefrontal-baseline":
        assert baseline is not None
        env["PYTHONPATH"] = os.pathsep.join([str(baseline), env.get("PYTHONPATH", "")])
        name = "prefrontal"
    with tempfile.TemporaryDirectory(prefix="prefrontal-peers-") as tmp:
        out = Path(tmp) / "rates.json"
        command = [sys.executable, __file__, "--peer", name, "--requests", str(requests)]
        command += ["--json", str(out)]
        if PEERS[name]["isolate"] and os.geteuid() == 0 and shutil.which("unshare"):
            command = ["unshare", "-n", "sh", "-c", 'ip link set lo up 2>/dev/null; exec "$@"', "-"]
            command += [sys.executable, __file__, "--peer", name, "--requests", str(requests)]
            command += ["--json", str(out)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
        if done.returncode != 0:
            raise RuntimeError(f"peer {name} failed: {done.stderr[-2000:]}")
        return json.loads(out.read_text())


# -- the run ------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Prefrontal against its peers on one flow.")
    parser.add_argument("--requests", type=int, default=None, help="requests per round and load")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (the figure is the median)")
    parser.add_argument("--only", default=None, help="comma-separated peers to run")
    parser.add_argument("--tiny", action="store_true", help="a few requests, one round")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--baseline", type=Path, default=None, help="another checkout's src, run as a peer too"
    )
    parser.add_argument("--peer", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.tiny:
        args.requests = args.requests or 8
        args.rounds = 1
    args.requests = args.requests or 300
    if args.requests < 1 or args.rounds < 1:
        parser.error("--requests and --rounds must be at least 1")
    return args


def run(args: argparse.Namespace) -> dict[str, Any]:
    wanted = (
        [p for p in PEERS if p != "prefrontal-baseline"]
        if args.only is None
        else args.only.split(",")
    )
    if args.baseline is not None and "prefrontal-baseline" not in wanted:
        wanted.insert(1, "prefrontal-baseline")
    if "prefrontal-baseline" in wanted and args.baseline is None:
        raise SystemExit("peer prefrontal-baseline needs --baseline SRC (another checkout's src)")
    unknown = sorted(set(wanted) - set(PEERS))
    if unknown:
        raise SystemExit(f"unknown peer(s) {unknown}; peers: {', '.join(PEERS)}")
    present = [p for p in wanted if available(p)]
    rounds: dict[str, list[dict[str, float]]] = {p: [] for p in present}
    timeout = 60 + args.requests * 2.0
    for _ in range(args.rounds):
        for name in present:
            rounds[name].append(in_process(name, args.requests, timeout, args.baseline))
    figures: dict[str, Any] = {
        "requests": args.requests,
        "rounds": args.rounds,
        "inflight": INFLIGHT,
        "machine": {"cpus": os.cpu_count(), "load": os.getloadavg()[0]},
        "peers": {},
        "skipped": [p for p in wanted if p not in present],
    }
    for name in present:
        figures["peers"][name] = {
            "version": f"src {args.baseline}" if name == "prefrontal-baseline" else versions(name),
            "note": PEERS[name]["note"],
            **{mode: statistics.median(r[mode] for r in rounds[name]) for mode in ("one", "many")},
            "rounds": rounds[name],
        }
    base = figures["peers"].get("prefrontal")
    for peer in figures["peers"].values():
        for mode in ("one", "many"):
            peer[f"{mode}_ratio"] = peer[mode] / base[mode] if base else None
    return figures


def report(figures: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=140)
    table = Table(
        title=f"One durable flow (decide, no-op tool, decide, reply): requests/s, median of "
        f"{figures['rounds']} round(s) of {figures['requests']} requests"
    )
    for column in ("peer", "1 at a time", "ratio", f"{INFLIGHT} in flight", "ratio", "versions"):
        table.add_column(column, justify="left" if column in ("peer", "versions") else "right")

    def ratio(value: float | None) -> str:
        return "" if value is None else f"{value:.2f}×"

    for name, peer in figures["peers"].items():
        table.add_row(
            f"{name} ({peer['note']})",
            f"{peer['one']:,.0f}",
            ratio(peer["one_ratio"]),
            f"{peer['many']:,.0f}",
            ratio(peer["many_ratio"]),
            peer["version"],
        )
    console.print(table)
    console.print("ratios are to Prefrontal (above 1: faster than Prefrontal)", highlight=False)
    for ours in ("prefrontal", "prefrontal-baseline"):
        base = figures["peers"].get(ours)
        if base:
            rounds = base["rounds"]
            cpu = [statistics.median(r[f"{m}_cpu_ms"] for r in rounds) for m in ("one", "many")]
            commits = [
                statistics.median(r[f"{m}_commits"] for r in rounds) for m in ("one", "many")
            ]
            console.print(
                f"{ours}: CPU per request {cpu[0]:.2f} ms one at a time, {cpu[1]:.2f} ms "
                f"{INFLIGHT} in flight; commits per request {commits[0]:.2f} / {commits[1]:.2f}",
                highlight=False,
            )
        for name in ("langgraph", "langgraph-async", "dbos"):
            peer = figures["peers"].get(name)
            if base and peer:
                console.print(
                    f"{ours} / {name}: {base['one'] / peer['one']:.2f}× one at a time, "
                    f"{base['many'] / peer['many']:.2f}× {INFLIGHT} in flight",
                    highlight=False,
                )
    for name in figures["skipped"]:
        console.print(f"skipped {name}: not importable ({PEERS[name]['note']})", highlight=False)
    console.print(
        f"machine: {figures['machine']['cpus']} CPUs, load {figures['machine']['load']:.2f}",
        highlight=False,
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.peer is not None:
        rates = measure_peer(args.peer, args.requests)
        if args.json is not None:
            args.json.write_text(json.dumps(rates))
        return rates
    figures = run(args)
    report(figures)
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
