"""How long ``ask`` takes when a running driver answers it, against asking with no driver.

A ``prefrontal run --follow`` process drives a journal (one rule-policy domain that
commissions a tool and replies with its output). Then, in one run:

- **queued, client**: ``open_client`` + ``Client.ask`` in this process (imports already
  paid): the request is queued in the journal, the driver picks it up, routes, decides, runs
  the tool, replies, and the call returns (it counts the asks that came back with the reply);
- **queued, CLI**: ``prefrontal ask`` as a command (its imports included, with Python's
  bytecode cache on as an installed package has it, even where ``PYTHONDONTWRITEBYTECODE``
  is set), wall and CPU time;
- **driving, client** (the baseline): the same ask with no driver running, so the client
  brings the system up itself.

Each figure is the median of ``--asks`` asks.

Run: ``python benchmarks/ask.py [--asks N] [--poll S] [--tiny] [--json F]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

from prefrontal import load_config
from prefrontal.runtime.client import open_client
from prefrontal.testing import load_script

ECHO_FLOW = load_script(Path(__file__).with_name("echo_flow.py"))
CLI = Path(sys.executable).parent / "prefrontal"


def setup(folder: Path) -> Path:
    return ECHO_FLOW.write(folder, "ask_rules")


async def client_asks(config: Path, asks: int) -> tuple[list[float], int]:
    """Wall seconds of each ``open_client`` + ``ask``, and how many came with their reply."""
    cfg = load_config(config)
    times: list[float] = []
    answered = 0
    for n in range(asks):
        start = time.perf_counter()
        async with open_client(cfg) as client:
            submitted = await client.ask(f"@home warm room {n}")
        times.append(time.perf_counter() - start)
        answered += any(e.item.text.startswith("done") for e in submitted.answers)
    return times, answered


def cli_asks(config: Path, asks: int) -> tuple[list[float], list[float], int]:
    """Wall and CPU seconds of each ``prefrontal ask``, and how many printed the reply."""
    walls: list[float] = []
    cpus: list[float] = []
    answered = 0
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for n in range(asks):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(
            [str(CLI), "ask", f"@home open window {n}", "-c", str(config)],
            cwd=config.parent,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env=env,
        )
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if done.returncode != 0:
            raise RuntimeError(f"prefrontal ask {n} failed: {done.stdout}{done.stderr[-2000:]}")
        answered += "done" in done.stdout
    return walls, cpus, answered


def start_driver(config: Path, poll: float) -> subprocess.Popen[bytes]:
    """``prefrontal run --follow``, once it holds the lock and polls (its transcript goes to
    a file: a pipe nobody reads would fill and stall it)."""
    log = config.parent / "driver.log"
    with log.open("wb") as out:
        driver = subprocess.Popen(
            [str(CLI), "run", "--follow", "--poll", str(poll), "-c", str(config)],
            cwd=config.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 120
    while "Driving" not in log.read_text():
        if driver.poll() is not None or time.monotonic() > deadline:
            driver.kill()
            raise RuntimeError(f"the driver did not start: {log.read_text()[-2000:]}")
        time.sleep(0.05)
    return driver


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="prefrontal-ask-") as tmp:
        config = setup(Path(tmp))
        driving, _ = anyio.run(client_asks, config, args.asks)
        driver = start_driver(config, args.poll)
        try:
            queued, answered = anyio.run(client_asks, config, args.asks)
            cli_wall, cli_cpu, cli_answered = cli_asks(config, args.asks)
        finally:
            driver.terminate()
            driver.wait(timeout=30)
    figures = {
        "asks": args.asks,
        "driver_poll_s": args.poll,
        "queued_answered": answered,
        "queued_cli_answered": cli_answered,
        "queued_client_s": statistics.median(queued),
        "queued_client_max_s": max(queued),
        "queued_cli_s": statistics.median(cli_wall),
        "queued_cli_cpu_s": statistics.median(cli_cpu),
        "driving_client_s": statistics.median(driving),
    }
    figures["queued_vs_driving"] = figures["queued_client_s"] / figures["driving_client_s"]
    return figures


def report(figures: dict[str, Any]) -> None:
    lines = [
        f"ask answered by a running driver (poll {figures['driver_poll_s']:g} s), median of "
        f"{figures['asks']}: client {figures['queued_client_s'] * 1000:.0f} ms (max "
        f"{figures['queued_client_max_s'] * 1000:.0f} ms), {figures['queued_answered']} of "
        f"{figures['asks']} returned with the reply; 'prefrontal ask' "
        f"{figures['queued_cli_s'] * 1000:.0f} ms wall, {figures['queued_cli_cpu_s']:.2f} CPU-s, "
        f"{figures['queued_cli_answered']} of {figures['asks']} printed the reply",
        f"baseline, ask driving the system itself: client "
        f"{figures['driving_client_s'] * 1000:.0f} ms; queued / driving "
        f"{figures['queued_vs_driving']:.2f}×",
    ]
    for line in lines:
        print(line)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description="ask latency with and without a driver")
    parser.add_argument("--asks", type=int, default=10, help="asks per figure")
    parser.add_argument("--poll", type=float, default=0.1, help="the driver's --poll seconds")
    parser.add_argument("--tiny", action="store_true", help="two asks each")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.tiny:
        args.asks = 2
    figures = run(args)
    report(figures)
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
