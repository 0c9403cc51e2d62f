"""Start-up and read-command cost against journal size: a year of journal should not weigh.

For each size (10k, 100k, 1M events by default) it generates a journal quickly (the rows a
request makes: request, routed, decision, commission, started, report, decision, inbox
reply; one transaction per 10k rows, no snapshot, as a journal written before snapshots
existed), then measures, in one run:

- the first start: no snapshot, so it folds the whole journal (this is what every start
  cost before snapshots), then stores one;
- a start from that snapshot (open, recover, stop), its wall time and CPU time;
- ``System.poll()`` (median of 200), which reads the range of seq after the last poll;
- ``status``, ``costs``, ``inbox`` and ``journal --last 20`` as the CLI runs them, each in
  its own process, ``--repeats`` times (CPU time user + sys of the process, median), beside
  ``prefrontal --help`` and an empty ``python -c pass`` measured the same way in the same run,
  so the share of the interpreter, of the CLI's imports and of the journal shows (with
  Python's bytecode cache on, as an installed package has it, after one run not measured,
  even where ``PYTHONDONTWRITEBYTECODE`` is set: compiling the sources is not start-up);

and prints the curve with each figure's ratio to the smallest size's, then each command's
CPU against ``--help`` and ``python -c pass`` at the smallest size.

Run: ``python benchmarks/startup.py [--sizes 10000,100000,1000000] [--repeats 5] [--tiny]
[--before OTHER/src] [--json F]``; ``--before`` runs the commands on another checkout's code
too (``git archive REV src | tar -x -C OTHER``), interleaved with this one's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
from rich.console import Console
from rich.table import Table

from prefrontal import (
    CommissionAction,
    ReplyAction,
    Report,
    RoutedEvent,
    load_config,
    open_system,
)
from prefrontal.journal import open_journal
from prefrontal.seam import (
    Commission,
    CommissionStarted,
    DecisionEvent,
    InboxItem,
    RequestEvent,
    WorkerLimits,
)
from prefrontal.seam.codec import encode_event
from prefrontal.testing import load_script

ROWS_PER_REQUEST = 8
BATCH = 10_000
START = datetime(2026, 1, 1, 7, 0, tzinfo=UTC)
ECHO_FLOW = load_script(Path(__file__).with_name("echo_flow.py"))
COMMANDS = (("status",), ("costs",), ("inbox",), ("journal", "--last", "20"))


# -- generating a journal ------------------------------------------------------------------

_R, _C1, _C2 = "rq0000000000", 111111111, 222222222


def _templates() -> list[tuple[str, str | None, str]]:
    """(kind, domain, body) of one request's rows, with placeholder ids to substitute."""
    request = RequestEvent(request_id=_R, text="@home warm the study", at=START)
    routed = RoutedEvent(request=request, domain="home", method="address", reason="@", at=START)
    cid = f"home-{_C1}-0"
    common: dict[str, Any] = {"thread_id": _R, "source": "request", "at": START}
    events = [
        request,
        routed,
        DecisionEvent(
            domain="home",
            cause_seq=_C1,
            policy="startup_rules:policy",
            actions=(CommissionAction(worker="echo", inputs={"text": "warm the study"}),),
            context_tokens=180,
            **common,
        ),
        Commission(
            commission_id=cid,
            domain="home",
            worker="echo",
            inputs={"text": "warm the study"},
            limits=WorkerLimits(),
            cause_seq=_C1,
            **common,
        ),
        CommissionStarted(commission_id=cid, domain="home", attempt=1, at=START),
        Report(
            commission_id=cid,
            domain="home",
            worker="echo",
            status="ok",
            output={"text": "warm the study", "key": cid},
            **common,
        ),
        DecisionEvent(
            domain="home",
            cause_seq=_C2,
            policy="startup_rules:policy",
            actions=(ReplyAction(text="done"),),
            context_tokens=190,
            **common,
        ),
        InboxItem(item_id=f"i-home-{_C2}-0", domain="home", item="reply", text="done", **common),
    ]
    return [(e.kind, getattr(e, "domain", None), encode_event(e)) for e in events]


def _rows(templates: list[tuple[str, str | None, str]], n: int) -> list[tuple[Any, ...]]:
    first = n * ROWS_PER_REQUEST + 1
    rid = f"rq{n:010d}"
    routed_seq, report_seq = first + 1, first + 5
    at = (START + timedelta(seconds=n * 30)).isoformat()
    cid = f"home-{routed_seq}-0"
    item = f"i-home-{report_seq}-0"
    refs = [rid, rid, None, cid, cid, cid, None, item]
    causes = [None, None, routed_seq, routed_seq, None, None, report_seq, None]
    keys = [
        f"request:{rid}",
        f"routed:{rid}",
        f"decision:home:{routed_seq}",
        f"commission:{cid}",
        f"started:{cid}:1",
        f"report:{cid}",
        f"decision:home:{report_seq}",
        f"inbox:{item}",
    ]
    stamp = START.isoformat().replace("+00:00", "Z")
    rows: list[tuple[Any, ...]] = []
    for index, (kind, domain, body) in enumerate(templates):
        text = (
            body.replace(_R, rid)
            .replace(str(_C1), str(routed_seq))
            .replace(str(_C2), str(report_seq))
            .replace(stamp, at.replace("+00:00", "Z"))
        )
        rows.append((at, kind, domain, refs[index], causes[index], keys[index], text))
    return rows


def generate(folder: Path, events: int) -> Path:
    """A journal of about ``events`` rows (whole requests) and its config in ``folder``."""
    config = ECHO_FLOW.write(folder, "startup_rules")
    open_journal(f"sqlite:///{folder / 'journal.db'}").close()
    templates = _templates()
    requests = max(events // ROWS_PER_REQUEST, 1)
    insert = "INSERT INTO events (at, kind, domain, ref, cause, key, body) VALUES (?,?,?,?,?,?,?)"
    with closing(sqlite3.connect(folder / "journal.db")) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        rows: list[tuple[Any, ...]] = []
        for n in range(requests):
            rows += _rows(templates, n)
            if len(rows) >= BATCH or n == requests - 1:
                conn.executemany(insert, rows)
                conn.commit()
                rows = []
    return config


# -- measuring -----------------------------------------------------------------------------


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _start(config_path: Path) -> dict[str, float]:
    config = load_config(config_path)
    begun, cpu = time.perf_counter(), _cpu()
    async with open_system(config) as system:
        opened = time.perf_counter() - begun
        polls: list[float] = []
        for _ in range(200):
            t = time.perf_counter()
            system.poll()
            polls.append(time.perf_counter() - t)
    return {
        "start_s": opened,
        "start_stop_s": time.perf_counter() - begun,
        "cpu_s": _cpu() - cpu,
        "poll_ms": statistics.median(polls) * 1000,
    }


BASELINES = ("python -c pass", "--help")


def _argv(config: Path, name: str) -> list[str]:
    if name == "python -c pass":
        return [sys.executable, "-c", "pass"]
    argv = [str(Path(sys.executable).parent / "prefrontal"), *name.split()]
    return argv if name == "--help" else [*argv, "-c", str(config)]


def _commands(
    config: Path, names: list[str], repeats: int, before: Path | None
) -> dict[str, dict[str, Any]]:
    """CPU (user + sys) and wall seconds of each command in a process of its own: medians.

    With ``before`` (the ``src`` folder of another checkout), each is also run on that code,
    interleaved with this one's, and reported as ``NAME (before)``.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    sources = {"": env}
    if before is not None:
        sources[" (before)"] = {**env, "PYTHONPATH": str(before.resolve())}
    cpus: dict[str, list[float]] = {}
    walls: dict[str, list[float]] = {}
    for name in names:
        for tag, source in sources.items():  # one run not measured: caches
            subprocess.run(_argv(config, name), capture_output=True, cwd=config.parent, env=source)
            cpus[name + tag], walls[name + tag] = [], []
    for _ in range(repeats):
        for name in names:
            for tag, source in sources.items():
                before_run = resource.getrusage(resource.RUSAGE_CHILDREN)
                begun = time.perf_counter()
                run = subprocess.run(
                    _argv(config, name),
                    capture_output=True,
                    text=True,
                    cwd=config.parent,
                    env=source,
                )
                walls[name + tag].append(time.perf_counter() - begun)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                if run.returncode != 0:
                    raise SystemExit(f"{name}{tag} failed: {run.stderr[-2000:]}")
                used = after.ru_utime - before_run.ru_utime + after.ru_stime - before_run.ru_stime
                cpus[name + tag].append(used)
    return {
        key: {
            "wall_s": statistics.median(walls[key]),
            "cpu_s": statistics.median(runs),
            "cpu_runs_s": runs,
        }
        for key, runs in cpus.items()
    }


def measure(
    folder: Path, events: int, repeats: int = 5, before: Path | None = None
) -> dict[str, Any]:
    begun = time.perf_counter()
    config = generate(folder, events)
    generated = time.perf_counter() - begun
    first = anyio.run(_start, config)  # folds everything, stores a snapshot
    again = anyio.run(_start, config)  # from the snapshot
    names = [*BASELINES, *(" ".join(args) for args in COMMANDS)]
    commands = _commands(config, names, repeats, before)
    with closing(sqlite3.connect(folder / "journal.db")) as conn:
        (rows,) = conn.execute("SELECT count(*) FROM events").fetchone()
    return {
        "events": rows,
        "generate_s": generated,
        "first_start": first,
        "start": again,
        "commands": commands,
    }


def _command_cpu(name: str) -> Callable[[dict[str, Any]], float]:
    return lambda result: float(result["commands"][name]["cpu_s"])


def _table(results: list[dict[str, Any]]) -> Table:
    table = Table(title="Start-up and reads against journal size", title_justify="left")
    base = results[0]
    table.add_column("figure")
    for result in results:
        table.add_column(f"{result['events']:,} events", justify="right")
    table.add_column("last/first", justify="right")

    def row(name: str, pick: Callable[[dict[str, Any]], float], unit: str) -> None:
        values = [pick(r) for r in results]
        ratio = values[-1] / pick(base) if pick(base) else float("nan")
        table.add_row(name, *(f"{v:.3f} {unit}" for v in values), f"{ratio:.2f}×")

    row("first start, no snapshot (full fold)", lambda r: r["first_start"]["start_s"], "s")
    row("start from snapshot (wall)", lambda r: r["start"]["start_s"], "s")
    row("start + stop from snapshot (CPU)", lambda r: r["start"]["cpu_s"], "s")
    row("poll (median)", lambda r: r["start"]["poll_ms"], "ms")
    for name in (*BASELINES, *(" ".join(c) for c in COMMANDS)):
        shown = name if name.startswith("python") else f"prefrontal {name}"
        row(f"{shown} (CPU, median)", _command_cpu(name), "s")
    return table


def _against_baselines(result: dict[str, Any]) -> Table:
    """Each command's CPU against ``--help`` and an empty interpreter, at one size."""
    commands = result["commands"]
    table = Table(
        title=f"Commands at {result['events']:,} events (CPU s, user + sys, median of "
        f"{len(commands['--help']['cpu_runs_s'])})",
        title_justify="left",
    )
    for column in ("command", "CPU", "÷ --help", "− --help", "− python -c pass"):
        table.add_column(column, justify="left" if column == "command" else "right")
    for name, figures in commands.items():
        tag = " (before)" if name.endswith(" (before)") else ""
        empty = commands[f"python -c pass{tag}"]["cpu_s"]
        helped = commands[f"--help{tag}"]["cpu_s"]
        cpu = figures["cpu_s"]
        table.add_row(
            name,
            f"{cpu:.3f}",
            f"{cpu / helped:.2f}×" if helped else "-",
            f"{cpu - helped:+.3f}",
            f"{cpu - empty:+.3f}",
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description="Start-up and read-command cost by journal size.")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--tiny", action="store_true", help="2,000 and 8,000 events")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each command (median)")
    parser.add_argument(
        "--before",
        type=Path,
        help="the src folder of another checkout: run the commands on it too, interleaved",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    sizes = [2_000, 8_000] if args.tiny else [int(s) for s in args.sizes.split(",")]
    console = Console()
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        anyio.run(_start, generate(Path(tmp) / "warm-up", 800))  # imports, caches: not measured
        for size in sizes:
            results.append(measure(Path(tmp) / str(size), size, args.repeats, args.before))
            console.print(f"measured {results[-1]['events']:,} events")
    console.print(_table(results))
    console.print(_against_baselines(results[0]))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
