"""Shared fixtures: no real model request can leave a test; configs are built in tmp dirs."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from prefrontal import Config, load_config
from prefrontal.errors import SandboxUnavailableError
from prefrontal.sandbox import Bubblewrap
from prefrontal.testing import forbid_model_requests

forbid_model_requests()


@pytest.fixture
def write_config(tmp_path: Path) -> Iterator[Callable[..., Config]]:
    """Write ``prefrontal.toml`` (and optional Python modules) into tmp_path and load it.

    ``modules`` maps a module name to its source; the config's folder is importable, so
    ``policy = "mymod:rule"`` works. Module names must be unique per test (they are imported
    into ``sys.modules``); they are forgotten again after the test.
    """
    written: list[str] = []

    def write(toml: str, **modules: str) -> Config:
        for name, source in modules.items():
            written.append(name)
            (tmp_path / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        path = tmp_path / "prefrontal.toml"
        path.write_text(textwrap.dedent(toml), encoding="utf-8")
        return load_config(path)

    yield write
    for name in written:
        sys.modules.pop(name, None)
    if str(tmp_path) in sys.path:
        sys.path.remove(str(tmp_path))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def sandbox() -> Bubblewrap:
    """The real bubblewrap sandbox; CI must have it (``./check`` installs it), else skip."""
    try:
        found = Bubblewrap()
        found.check()
    except SandboxUnavailableError as error:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the sandbox tests: {error}")
        pytest.skip(str(error))
    return found


pytest_plugins = ["support.pg_server"]
