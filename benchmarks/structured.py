"""Structured output on a real local model: the valid rate of each mode per N tries.

For each structured output mode (named tool choice, JSON-schema response format, JSON object
plus schema in the prompt, prompted), N single calls (no output retries) ask for a small
worker output (``Tag``) and for an orchestrator's ``Decision``, through the same
``ModelCaller`` that the LLM worker and the LLM policy use. It prints, per mode and output,
the valid count, the time per call (median, max) against the tier's limit, and tokens per
call, and the valid rate as a ratio of the server's default mode, measured in the same run.

Run against a server already up, or let it start the cached local stack::

    python benchmarks/structured.py --url http://127.0.0.1:8080/v1 [--tries 20] [--json F]
    python benchmarks/structured.py --serve [--tries 20]   # scripts/local-model.sh serve
"""

from __future__ import annotations

import argparse
import ctypes
import json
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import anyio
from pydantic import BaseModel
from pydantic_ai.models import Model

from prefrontal.config import EndpointTier, KnownServer, StructuredMode
from prefrontal.models import MODES, SERVER_DEFAULTS, resolve_tier
from prefrontal.models.run import ModelCaller, ModelRun
from prefrontal.seam.actions import Decision

ROOT = Path(__file__).resolve().parent.parent

TAG_PROMPT = '{"note": "the tomato plants need water before the heat this afternoon"}'
TAG_INSTRUCTIONS = "Tag the principal's note: its topic, and whether it is urgent."
DECISION_INSTRUCTIONS = (
    "You are the orchestrator of one domain. You act only through the decision's actions: "
    "commission a worker, reply or escalate to the principal, remember, hand off, schedule "
    "or wait."
)
DECISION_PROMPT = """Domain: home. Principal: you.
Charter: the house and the garden.
Budget today: $0.0000 spent of $1.00; 0 commissions open.
Workers you may commission:
- tag (llm): tags a note with its topic; inputs {note: string}

Current event: request r-1: 'please water the tomatoes'"""


class Tag(BaseModel):
    topic: Literal["garden", "kitchen", "money"]
    urgent: bool


def _model(url: str, server: KnownServer, mode: StructuredMode, timeout_s: float) -> Model:
    tier = EndpointTier(
        base_url=url, model="smollm2", server=server, structured=mode, timeout_s=timeout_s
    )
    return resolve_tier("local", tier, source="benchmark", env={})


async def _tries(
    model: Model, output: type[Any], prompt: str, instructions: str, tries: int, max_tokens: int
) -> dict[str, Any]:
    caller = ModelCaller(model, tier="local", output_type=output, output_retries=0)
    valid = acting = 0  # acting: a valid Decision with at least one action ({} is valid too)
    seconds: list[float] = []
    tokens: list[int] = []
    failures: dict[str, int] = {}
    examples: list[dict[str, Any]] = []  # the first few failures, to see why (untrusted text)
    for _ in range(tries):
        begun = time.perf_counter()
        outcome = await caller.run(prompt, instructions=instructions, max_tokens=max_tokens)
        seconds.append(time.perf_counter() - begun)
        tokens.append(sum(u.tokens for u in outcome.usage))
        if isinstance(outcome, ModelRun):
            valid += 1
            acting += isinstance(outcome.output, Decision) and bool(outcome.output.actions)
        else:
            failures[outcome.kind] = failures.get(outcome.kind, 0) + 1
            if len(examples) < 3:
                examples.append({"message": outcome.message, "evidence": outcome.evidence})
    return {
        "valid": valid,
        "acting": acting,
        "tries": tries,
        "median_s": statistics.median(seconds),
        "max_s": max(seconds),
        "limit_s": caller.limit_s,
        "within_limit": all(s <= caller.limit_s for s in seconds),
        "tokens_per_call": statistics.mean(tokens),
        "failures": failures,
        "examples": examples,
    }


async def measure(
    url: str,
    server: KnownServer,
    tries: int,
    timeout_s: float,
    max_tokens: int,
    modes: tuple[StructuredMode, ...] = MODES,
) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for mode in modes:
        model = _model(url, server, mode, timeout_s)
        figures[mode] = {
            "worker": await _tries(model, Tag, TAG_PROMPT, TAG_INSTRUCTIONS, tries, max_tokens),
            "decision": await _tries(
                model, Decision, DECISION_PROMPT, DECISION_INSTRUCTIONS, tries, max_tokens
            ),
        }
        _print_mode(mode, figures[mode])
    return figures


def _print_mode(mode: str, row: dict[str, Any]) -> None:
    for output in ("worker", "decision"):
        f = row[output]
        acting = f" ({f['acting']} with actions)" if output == "decision" else ""
        print(
            f"{mode:12} {output:8} valid {f['valid']:2}/{f['tries']}{acting}  "
            f"median {f['median_s']:5.1f} s  max {f['max_s']:5.1f} s (limit {f['limit_s']:g} s, "
            f"{'all within' if f['within_limit'] else 'OVER'})  "
            f"{f['tokens_per_call']:6.0f} tokens/call  failures {f['failures']}",
            flush=True,
        )


def _ratios(figures: dict[str, Any], baseline: str) -> None:
    print(f"\nvalid rate relative to the server's default mode ({baseline}):")
    for output in ("worker", "decision"):
        base = figures[baseline][output]["valid"]
        cells = []
        for mode in figures:
            valid = figures[mode][output]["valid"]
            cells.append(f"{mode} {valid / base:.2f}x" if base else f"{mode} {valid} vs 0")
        print(f"  {output:8} " + "  ".join(cells))


def die_with_parent() -> None:
    """In the server's process: be killed when the benchmark dies, even by SIGKILL."""
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@contextmanager
def serving() -> Generator[str]:
    """Start ``scripts/local-model.sh serve`` on a free port; stop it by its process id."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    script = ROOT / "scripts" / "local-model.sh"
    process = subprocess.Popen(
        [str(script), "serve", str(port)], stderr=subprocess.DEVNULL, preexec_fn=die_with_parent
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{url}/models", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None:
                    sys.exit(f"the server did not start; run {script} build first")
                time.sleep(0.5)
        yield url
    finally:
        # A server still generating for a request the benchmark gave up on may not stop
        # gracefully in time: then it is killed (by its process id, as it was started).
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="Structured output on a real local model.")
    parser.add_argument("--url", help="base URL of a running OpenAI-compatible server")
    parser.add_argument("--serve", action="store_true", help="start the cached local stack")
    parser.add_argument("--server", default="llama.cpp", choices=sorted(SERVER_DEFAULTS))
    parser.add_argument("--tries", type=int, default=20)
    parser.add_argument("--timeout-s", type=float, default=120.0)
    parser.add_argument("--max-tokens", type=int, default=200)
    parser.add_argument("--mode", action="append", choices=MODES, help="only these modes")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    if not args.url and not args.serve:
        parser.error("give --url of a running server, or --serve")
    server: KnownServer = args.server
    modes: tuple[StructuredMode, ...] = tuple(args.mode or MODES)

    def run(url: str) -> dict[str, Any]:
        return anyio.run(measure, url, server, args.tries, args.timeout_s, args.max_tokens, modes)

    if args.url:
        figures = run(args.url)
    else:
        with serving() as url:
            figures = run(url)
    baseline = SERVER_DEFAULTS[server]
    _ratios(figures, baseline if baseline in figures else next(iter(figures)))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
