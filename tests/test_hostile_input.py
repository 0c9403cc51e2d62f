"""Hostile or malformed input: each case is a typed error naming the value and the fix.

One table, one line per case: what is fed in, the error type, and a fragment of its message.
Config cases go through ``load_config`` and ``check_config`` (what ``run`` and ``status``
both build); API cases through ``System.submit``; files through their readers.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest

from prefrontal import (
    ConfigError,
    PrefrontalError,
    RecordError,
    SourceMissingError,
    UsageError,
    load_config,
    open_system,
)
from prefrontal.runtime.assembly import check_config
from prefrontal.testing import MemoryJournal

Act = Callable[[Path], object]

DOMAIN = """
[domains.home]
charter = "the house"
policy = "{module}:rule"
keywords = ["plants"]
"""

RULE = """
from prefrontal import Decision

def rule(state, event):
    return Decision.of()
"""


def config(toml: str, **modules: str) -> Act:
    """Write ``prefrontal.toml`` (and modules) into the folder, load it and build its parts."""

    def act(folder: Path) -> object:
        for name, source in modules.items():
            (folder / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        path = folder / "prefrontal.toml"
        path.write_text(textwrap.dedent(toml), encoding="utf-8")
        loaded = load_config(path)
        check_config(loaded, env={})
        return loaded

    return act


def raw_config(data: bytes) -> Act:
    def act(folder: Path) -> object:
        path = folder / "prefrontal.toml"
        path.write_bytes(data)
        return load_config(path)

    return act


def with_policy(policy: str, source: str | None = None, module: str = "") -> Act:
    toml = DOMAIN.replace('"{module}:rule"', repr(policy).replace("'", '"'))
    return config(toml, **({module: source} if source is not None else {}))


def with_tool(function: str) -> Act:
    toml = (
        f'[workers.w]\nfunction = "{function}"\n'
        + DOMAIN.format(module="hostile_rule")
        + 'workers = ["w"]\n'
    )
    return config(toml, hostile_rule=RULE)


def submit(text: Any) -> Act:
    def act(folder: Path) -> object:
        loaded = config(DOMAIN.format(module="hostile_submit"), hostile_submit=RULE)(folder)

        async def main() -> None:
            async with open_system(loaded, journal=journal) as system:  # type: ignore[arg-type]
                await system.submit(text)

        journal = MemoryJournal()
        try:
            anyio.run(main)
        finally:
            assert journal.last_seq() == 0, "a refused request must not be journaled"
            journal.close()
        return None

    return act


@dataclass(frozen=True)
class Case:
    name: str
    act: Act
    error: type[PrefrontalError]
    says: str


def _directory(folder: Path) -> object:
    (folder / "cfg").mkdir()
    return load_config(folder / "cfg")


def _dev_zero(_: Path) -> object:
    return load_config("/dev/zero")


ONE = DOMAIN.format(module="hostile_one")
CASES = [
    # -- the config file itself
    Case("config is a folder", _directory, ConfigError, "is a folder, not a config file"),
    Case("config is binary", raw_config(b"\xff\xfe\x00bin"), ConfigError, "is not UTF-8"),
    Case("config is /dev/zero", _dev_zero, ConfigError, "larger than 1,048,576 bytes"),
    Case(
        "arrays nested 5,000 deep",
        raw_config(b"x = " + b"[" * 5000 + b"]" * 5000),
        ConfigError,
        "nested too deeply",
    ),
    Case(
        "usd_per_day = inf",
        config(ONE + "budget = { usd_per_day = inf }\n", hostile_one=RULE),
        ConfigError,
        "usd_per_day = inf: Input should be a finite number",
    ),
    Case(
        "context_tokens = 1e30",
        config(ONE + "budget = { context_tokens = 1e30 }\n", hostile_one=RULE),
        ConfigError,
        r"context_tokens = 1e\+30: Unable to parse input string as an integer",
    ),
    Case(
        "context_tokens = 1e15",
        config(ONE + "budget = { context_tokens = 1e15 }\n", hostile_one=RULE),
        ConfigError,
        "context_tokens = 1000000000000000.0: Input should be less than or equal to 2000000",
    ),
    Case(
        "a 10 MB charter",
        raw_config(b'[domains.home]\npolicy = "x:y"\ncharter = "' + b"a" * 10_000_000 + b'"\n'),
        ConfigError,
        "larger than 1,048,576 bytes",
    ),
    Case(
        "a 100 kB charter",
        raw_config(b'[domains.home]\npolicy = "x:y"\ncharter = "' + b"a" * 100_000 + b'"\n'),
        ConfigError,
        r"charter = 'aaaa.*\(100,002 characters\): String should have at most 8000",
    ),
    Case(
        "an unknown model provider",
        config(
            '[models]\ncheap = "nosuch:model"\n[domains.home]\ncharter = "the house"\n'
            'policy = { kind = "llm", tier = "cheap" }\n'
        ),
        ConfigError,
        "nosuch",
    ),
    Case(
        "a routing pattern RE2 refuses",
        config(ONE + 'patterns = ["(a)\\\\1"]\n', hostile_one=RULE),
        ConfigError,
        "not a regular expression RE2 accepts",
    ),
    # -- import paths
    Case(
        "a policy that is a typo",
        with_policy("hostile_one:typo", RULE, "hostile_one"),
        ConfigError,
        "has no 'typo'",
    ),
    Case(
        "a policy module that raises",
        with_policy("hostile_raise:rule", "raise RuntimeError('boom')", "hostile_raise"),
        ConfigError,
        "importing module 'hostile_raise' raised RuntimeError: 'boom'",
    ),
    Case(
        "a policy module with a syntax error",
        with_policy("hostile_syntax:rule", "def rule(:\n", "hostile_syntax"),
        ConfigError,
        "raised SyntaxError",
    ),
    Case(
        "a policy module that calls sys.exit(0)",
        with_policy("hostile_exit:rule", "import sys\nsys.exit(0)\n", "hostile_exit"),
        ConfigError,
        r"called sys.exit\(0\)",
    ),
    Case(
        "a policy path ../../etc/passwd:x",
        with_policy("../../etc/passwd:x"),
        ConfigError,
        "is not an import path",
    ),
    Case(
        "a tool os:system",
        with_tool("os:system"),
        ConfigError,
        "comes from Python's own 'os' module",
    ),
    Case(
        "a tool builtins:eval",
        with_tool("builtins:eval"),
        ConfigError,
        "comes from Python's own 'builtins' module",
    ),
    Case(
        "a policy re-exported from the standard library",
        with_policy("hostile_reexport:system", "from os import system\n", "hostile_reexport"),
        ConfigError,
        "comes from Python's own 'posix' module",
    ),
    # -- journal URLs
    Case(
        "a journal URL outside the config folder",
        config('[journal]\nurl = "sqlite:///../x.db"\n' + ONE, hostile_one=RULE),
        ConfigError,
        "leads outside the config's folder",
    ),
    # -- the Python API
    Case("submit an int", submit(42), RecordError, "request text must be a str; got int"),
    Case("submit a lone surrogate", submit("water \udc80 plants"), RecordError, "lone surrogate"),
    Case("submit a NUL", submit("water\x00plants"), RecordError, "NUL character at index 5"),
]


def _telemetry(text: str | None) -> Act:
    def act(folder: Path) -> object:
        from prefrontal.senses.telemetry.sources import read_csv

        path = folder / "t.csv"
        if text is not None:
            path.write_text(text, encoding="utf-8")
        return list(read_csv(path))

    return act


def _wav_8bit(folder: Path) -> object:
    import numpy as np
    import soundfile

    from prefrontal.senses.sources.wav import WavSource

    tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(48_000) / 48_000)
    path = folder / "tone.wav"
    soundfile.write(str(path), np.stack([tone, tone], axis=1), 48_000, subtype="PCM_U8")
    return WavSource(path, channels=2)


CASES += [
    Case("telemetry file missing", _telemetry(None), SourceMissingError, "t.csv'; expected"),
    Case("telemetry CSV header only", _telemetry("t,channel,value\n"), UsageError, "no readings"),
    Case("WAV 48 kHz 8-bit", _wav_8bit, RecordError, "is 8-bit"),
]


def test_a_5000_character_channel_name_is_flagged_not_fatal(tmp_path: Path) -> None:
    from prefrontal.senses.telemetry.sources import Flagged, Sample, read_csv

    path = tmp_path / "t.csv"
    path.write_text(f"t,channel,value\n0,{'c' * 5000},1\n1,ok,2\n", encoding="utf-8")
    flagged, sample = list(read_csv(path))
    assert isinstance(flagged, Flagged)
    assert "is 5,000 characters; expected at most 64" in flagged.reason
    assert isinstance(sample, Sample)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_hostile_input_gets_a_typed_error(case: Case, tmp_path: Path) -> None:
    with pytest.raises(case.error, match=case.says):
        case.act(tmp_path)


def test_a_journal_in_a_missing_folder_is_refused_and_nothing_created(tmp_path: Path) -> None:
    from prefrontal import open_journal

    with pytest.raises(ConfigError, match="does not exist; create it"):
        open_journal(f"sqlite:///{tmp_path / 'nonexistent' / 'dir' / 'x.db'}")
    assert list(tmp_path.iterdir()) == []


def test_an_absolute_journal_path_elsewhere_is_explicit_and_allowed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "cfg").mkdir()
    act = config(f'[journal]\nurl = "sqlite:///{elsewhere / "x.db"}"\n' + ONE, hostile_one=RULE)
    loaded = act(tmp_path / "cfg")
    assert loaded.journal_url() == f"sqlite:///{elsewhere / 'x.db'}"  # type: ignore[attr-defined]
