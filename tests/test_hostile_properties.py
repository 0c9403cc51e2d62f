"""Randomized hostile input (hypothesis): config TOML and request text, through the CLI's code.

Whatever a config file says, loading it and the CLI's ``status`` and ``run`` on it either work
or end in one ``error:`` line with exit status 2; whatever a request says, ``ask`` (the
client's and the CLI's) journals it or refuses it with a typed error, and the journal then
verifies and replays. No input may take more than ``HANG_S`` on any path: each runs on a
watchdog thread, so a hang fails the test at once instead of stalling the suite.

Examples are drawn from a fixed seed (``derandomize``) with no example database, so CI runs the
same cases every time; raise ``PREFRONTAL_HYPOTHESIS_EXAMPLES`` to search further locally.
"""

from __future__ import annotations

import json
import math
import os
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import anyio
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from prefrontal import PrefrontalError, load_config, open_journal, replay
from prefrontal.cli import app, check_argv
from prefrontal.runtime.assembly import check_config
from prefrontal.runtime.client import open_client

HANG_S = 5.0
EXAMPLES = int(os.environ.get("PREFRONTAL_HYPOTHESIS_EXAMPLES", "25"))
T = TypeVar("T")

# Each input gets HANG_S per path on the watchdog (``within``); an example runs up to three
# paths or checks, so hypothesis's own deadline is three times that.
ci = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=3 * HANG_S),
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def within(seconds: float, act: Callable[[], T]) -> T:
    """Run ``act`` on a watchdog thread; fail the test if it has not returned in ``seconds``."""
    result: list[T] = []
    raised: list[BaseException] = []

    def body() -> None:
        try:
            result.append(act())
        except BaseException as error:  # handed to the test thread below
            raised.append(error)

    worker = threading.Thread(target=body, daemon=True, name="hostile-example")
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        pytest.fail(f"an example hung: no answer within {seconds:g} s")
    if raised:
        raise raised[0]
    return result[0]


def cli(args: list[str]) -> tuple[int, str, str]:
    """Run the CLI in-process as ``main()`` does (argv checked first): (status, out, err)."""
    problem = check_argv(args)
    if problem is not None:
        return 2, "", f"error: {problem}\n"
    result = CliRunner().invoke(app, args, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        shown = "".join(traceback.format_exception(result.exception))
        pytest.fail(f"'prefrontal {args[0]}' raised instead of printing one line:\n{shown}")
    return result.exit_code, result.stdout, result.stderr


def assert_one_error_line_or_success(args: list[str]) -> None:
    code, _out, err = cli(args)
    assert code in (0, 2), (args[0], code, err)
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1, f"'prefrontal {args[0]}' printed {len(lines)} lines:\n{err}"
        assert lines[0].startswith("error: "), lines[0]
        assert "Traceback" not in err


# -- config TOML ---------------------------------------------------------------------------

POLICY = "prefrontal.examples.household.policies:home"
WORKER = "prefrontal.examples.household.workers:weather"

odd_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "\x00", "\x1b[31m", "\u202e", "../../etc/passwd:x", "os:system"]),
    st.builds(
        lambda c, n: c * n, st.sampled_from(["a", "é", "\u200b", "{"]), st.integers(0, 20_000)
    ),
)
odd_number = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e30, -1e30, 10**19, float("inf"), float("nan")]),
)
odd_scalar = st.one_of(odd_text, odd_number, st.booleans())
odd_value: st.SearchStrategy[Any] = st.recursive(
    odd_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(["a", "kind"]), inner)
    ),
    max_leaves=8,
)


def maybe(plausible: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A key's value: usually a plausible one, sometimes anything at all."""
    return st.one_of(plausible, plausible, odd_value)


def table(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={k: maybe(v) for k, v in fields.items()})


configs: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {
        "domains": st.fixed_dictionaries(
            {
                "home": st.fixed_dictionaries(
                    {
                        "charter": maybe(st.just("the house")),
                        "policy": maybe(st.sampled_from([POLICY, "policies:typo", "os:system"])),
                    },
                    optional={
                        "workers": maybe(st.just(["weather"])),
                        "keywords": maybe(st.lists(odd_text, max_size=3)),
                        "patterns": maybe(
                            st.lists(st.sampled_from(["^(a+)+$", "(?=x)", r"(\w)\1", "["]))
                        ),
                        "budget": table({"usd_per_day": odd_number, "context_tokens": odd_number}),
                        "decision_timeout_s": odd_number,
                        "recent_events": odd_number,
                    },
                )
            }
        ),
    },
    optional={
        "principal": table({"name": odd_text, "interruptions_per_day": odd_number}),
        "journal": table(
            {
                "url": st.sampled_from(
                    ["sqlite:///prefrontal.db", "sqlite:///../x.db", "sqlite:////nonexistent/x.db"]
                ),
                "synchronous": st.sampled_from(["NORMAL", "FULL", "bogus"]),
                "snapshot_every": odd_number,
            }
        ),
        "executor": table({"concurrency": odd_number}),
        "router": table({"min_confidence": odd_number, "timeout_s": odd_number}),
        "guards": table({"max_commissions_per_event": odd_number}),
        "workers": st.fixed_dictionaries(
            {
                "weather": table(
                    {
                        "function": st.sampled_from([WORKER, "os:system", "x"]),
                        "timeout_s": odd_number,
                        "run_in": st.sampled_from(["thread", "process", "gpu"]),
                    }
                )
            }
        ),
        "models": st.dictionaries(st.sampled_from(["cheap"]), odd_text, max_size=1),
    },
)


def toml_value(value: Any) -> str:
    """``value`` written as TOML (strings escaped as JSON, which TOML's basic strings read)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_document(data: dict[str, Any]) -> str:
    lines: list[str] = []
    for section, body in data.items():
        if section in ("domains", "workers"):
            for name, fields in body.items():
                lines.append(f"[{section}.{name}]")
                lines.extend(f"{json.dumps(k)} = {toml_value(v)}" for k, v in fields.items())
        else:
            lines.append(f"[{section}]")
            lines.extend(f"{json.dumps(k)} = {toml_value(v)}" for k, v in body.items())
    return "\n".join(lines) + "\n"


BASE = toml_document(
    {
        "journal": {"url": "sqlite:///prefrontal.db"},
        "workers": {"weather": {"function": WORKER}},
        "domains": {"home": {"charter": "the house", "policy": POLICY, "workers": ["weather"]}},
    }
)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """The working base config with a slice cut out and hostile text put in its place."""
    start = draw(st.integers(0, len(BASE)))
    end = draw(st.integers(start, min(len(BASE), start + 30)))
    return BASE[:start] + draw(odd_text) + BASE[end:]


config_texts = st.one_of(configs.map(toml_document), mutated(), st.text(max_size=200))


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> Callable[[], Path]:
    """Fresh sub-folders of one module-wide folder (hypothesis reruns a test's body)."""
    root = tmp_path_factory.mktemp("hostile-configs")
    count = iter(range(1_000_000))
    return lambda: Path(root / f"c{next(count)}").resolve()


@ci
@given(text=config_texts)
def test_any_config_text_is_loaded_or_refused_in_one_line(
    text: str, folders: Callable[[], Path]
) -> None:
    folder = folders()
    folder.mkdir()
    path = folder / "prefrontal.toml"
    path.write_text(text, encoding="utf-8")

    def load_and_build() -> str:
        try:
            check_config(load_config(path), env={})
        except PrefrontalError as error:  # typed: the one line the CLI prints
            return type(error).__name__
        return "loaded"

    event(f"config: {within(HANG_S, load_and_build)}")
    within(HANG_S, lambda: assert_one_error_line_or_success(["status", "-c", str(path)]))
    within(HANG_S, lambda: assert_one_error_line_or_success(["run", "-c", str(path)]))


@ci
@given(data=st.binary(max_size=300))
def test_any_config_bytes_are_refused_in_one_line_or_loaded(
    data: bytes, folders: Callable[[], Path]
) -> None:
    folder = folders()
    folder.mkdir()
    path = folder / "prefrontal.toml"
    path.write_bytes(data)
    within(HANG_S, lambda: assert_one_error_line_or_success(["status", "-c", str(path)]))


# -- request text --------------------------------------------------------------------------

STARTER_MODULES = ("policies", "workers")
surrogate = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
hostile_char = st.one_of(
    st.characters(), surrogate, st.sampled_from(["\x00", "\x1b", "\u202e", "\u200b", "\n"])
)
request_texts = st.one_of(
    st.text(hostile_char, max_size=60),
    st.builds(lambda c, n: c * n, hostile_char, st.integers(7_990, 120_000)),
    st.builds(lambda t: "@notes " + t, st.text(hostile_char, max_size=60)),
    st.builds(lambda t: "count the words of " + t, st.text(hostile_char, max_size=60)),
)


@pytest.fixture(scope="module")
def starter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``prefrontal init``'s starter system: its journal collects every example's request."""
    folder = tmp_path_factory.mktemp("hostile-asks")
    code, _out, err = cli(["init", str(folder)])
    assert code == 0, err
    yield folder / "prefrontal.toml"
    forget_starter_modules()


def forget_starter_modules() -> None:
    """Drop cached ``policies``/``workers`` modules (e.g. ``tests/policies`` as a namespace
    package), so the starter config imports its own, as a fresh CLI process would."""
    for name in STARTER_MODULES:
        sys.modules.pop(name, None)


def _ask(path: Path, text: str) -> str | None:
    """Ask through the CLI's client: the request id, or None when it was refused (typed)."""
    forget_starter_modules()
    config = load_config(path)

    async def main() -> str | None:
        async with open_client(config) as client:
            try:
                return (await client.ask(text)).request_id
            except PrefrontalError:
                return None

    return anyio.run(main)


def _sound(path: Path) -> tuple[int, list[str], bool]:
    forget_starter_modules()
    config = load_config(path)
    journal = open_journal(config.journal_url())
    try:
        replayed = anyio.run(replay, config, journal)
        return journal.last_seq(), journal.verify(), replayed.ok
    finally:
        journal.close()


@ci
@given(text=request_texts)
def test_any_request_text_is_journaled_or_refused_and_the_journal_verifies(
    text: str, starter: Path
) -> None:
    before, _, _ = _sound(starter)
    request_id = within(HANG_S, lambda: _ask(starter, text))
    last, problems, replayed_ok = _sound(starter)
    assert problems == []
    assert replayed_ok
    event("ask: refused" if request_id is None else "ask: journaled")
    if request_id is None:
        assert last == before, "a refused request left events in the journal"
    else:
        journal = open_journal(load_config(starter).journal_url())
        try:
            assert journal.find(request_id, "request") is not None
        finally:
            journal.close()
    forget_starter_modules()
    within(HANG_S, lambda: assert_one_error_line_or_success(["ask", text, "-c", str(starter)]))
    assert _sound(starter)[1:] == ([], True)
