"""The code worker's sandbox against a plain subprocess running the same program, in one run.

For each program (``pass``: interpreter start-up alone; ``numpy``: importing numpy and
scipy.fft and taking one FFT, the typical precise task) it times N runs of:

- plain: ``python -I -B main.py`` in a scratch folder with the same environment variables
  (one BLAS thread), no sandbox: the baseline;
- sandbox: the same program through ``Bubblewrap.run`` (namespaces, uid drop, caps, seccomp);
- worker: the whole code worker (a scripted model writes the program, the sandbox runs it,
  the JSON result is parsed), for the ``numpy`` program only.

Figures: start-up latency p50/p90 (ms), sequential runs per second, runs per second with
two at a time (this machine has two cores), and the sandbox/plain ratio of each. The aim
is a sandbox start-up under 0.3 s.

Run: ``python benchmarks/precise.py [--runs N] [--quick] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio

from prefrontal.sandbox import Bubblewrap, SandboxLimits
from prefrontal.sandbox.bubblewrap import ENVIRONMENT, scratch_dir
from prefrontal.testing import ScriptedModel
from prefrontal.workers import CommissionContext
from prefrontal.workers.code import INSTRUCTIONS, CodeWorker, Program
from prefrontal.workers.llm import LlmWorker

PROGRAMS = {
    "pass": "pass",
    "numpy": (
        "import json, numpy, scipy.fft\n"
        "x = numpy.sin(numpy.arange(4096) * 0.1)\n"
        "print(json.dumps(float(numpy.abs(scipy.fft.rfft(x)).argmax())))"
    ),
}


def plain_run(program: str) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        with scratch_dir() as scratch:
            (scratch / "main.py").write_text(program)
            env = {**ENVIRONMENT, "HOME": str(scratch)}  # the same variables as inside
            done = await anyio.run_process(
                [sys.executable, "-I", "-B", "main.py"], cwd=scratch, env=env, check=False
            )
            assert done.returncode == 0, done.stderr

    return run


def sandbox_run(sandbox: Bubblewrap, program: str) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        with scratch_dir() as scratch:
            result = await sandbox.run(program, limits=SandboxLimits(), scratch=scratch)
            assert result.ok, result.stderr

    return run


def worker_run(sandbox: Bubblewrap, program: str) -> Callable[[], Awaitable[None]]:
    model = ScriptedModel([{"code": program}])
    writer = LlmWorker(
        "compute", model, tier="cheap", instructions=INSTRUCTIONS, output_type=Program
    )
    worker = CodeWorker("compute", writer, sandbox, limits=SandboxLimits(), repairs=0)

    async def run() -> None:
        context = CommissionContext(idempotency_key="bench", worker="compute", attempt=1)
        result = await worker.run({"task": "fft peak", "inputs": [1, 2]}, context)
        assert result.output["value"] == 65.0

    return run


async def measure(run: Callable[[], Awaitable[None]], runs: int) -> dict[str, float]:
    await run()  # warm the page cache
    times: list[float] = []
    for _ in range(runs):
        begun = time.perf_counter()
        await run()
        times.append(time.perf_counter() - begun)
    begun = time.perf_counter()
    async with anyio.create_task_group() as group:
        for _ in range(2):
            group.start_soon(_repeat, run, runs // 2)
    paired = time.perf_counter() - begun
    times.sort()
    return {
        "p50_ms": 1000 * statistics.median(times),
        "p90_ms": 1000 * times[int(0.9 * (len(times) - 1))],
        "runs_per_s": len(times) / sum(times),
        "runs_per_s_two_at_a_time": 2 * (runs // 2) / paired,
    }


async def _repeat(run: Callable[[], Awaitable[None]], n: int) -> None:
    for _ in range(n):
        await run()


async def bench(runs: int) -> dict[str, Any]:
    sandbox = Bubblewrap()
    sandbox.check()
    figures: dict[str, Any] = {"runs": runs, "privileged": sandbox.privileged}
    for name, program in PROGRAMS.items():
        plain = await measure(plain_run(program), runs)
        boxed = await measure(sandbox_run(sandbox, program), runs)
        figures[name] = {
            "plain": plain,
            "sandbox": boxed,
            "ratio_p50": boxed["p50_ms"] / plain["p50_ms"],
            "sandbox_overhead_ms": boxed["p50_ms"] - plain["p50_ms"],
        }
    figures["numpy"]["worker"] = await measure(worker_run(sandbox, PROGRAMS["numpy"]), runs)
    return figures


def show(figures: dict[str, Any]) -> None:
    print(f"code worker sandbox vs plain subprocess, {figures['runs']} runs each")
    head = f"{'program':8} {'how':8} {'p50 ms':>8} {'p90 ms':>8} {'runs/s':>8} {'2-wide/s':>9}"
    print(head)
    for name in PROGRAMS:
        for how in ("plain", "sandbox", "worker"):
            row = figures[name].get(how)
            if row is None:
                continue
            print(
                f"{name:8} {how:8} {row['p50_ms']:8.1f} {row['p90_ms']:8.1f} "
                f"{row['runs_per_s']:8.1f} {row['runs_per_s_two_at_a_time']:9.1f}"
            )
        print(
            f"{name:8} sandbox/plain p50 ratio {figures[name]['ratio_p50']:.2f}, "
            f"overhead {figures[name]['sandbox_overhead_ms']:.1f} ms"
        )
    start = figures["pass"]["sandbox"]["p50_ms"]
    verdict = "met" if start < 300 else "missed"
    print(f"sandbox start-up p50 {start:.1f} ms (aim < 300 ms: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="4 runs each")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    figures = anyio.run(bench, 4 if args.quick else max(2, args.runs))
    show(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
