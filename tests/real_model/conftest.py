"""Real-model tests: start the local llama.cpp server once per session, or skip saying why."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from local_stack import find_stack, llama_server
from pydantic_ai.models import override_allow_model_requests


@pytest.fixture(scope="session")
def local_url() -> Iterator[str]:
    stack = find_stack()
    if isinstance(stack, str):
        pytest.skip(stack)
    with llama_server(stack) as url:
        yield url


@pytest.fixture(autouse=True)
def local_requests() -> Iterator[None]:
    """These tests do reach a model: the one on 127.0.0.1 (conftest forbids any other use)."""
    with override_allow_model_requests(True):
        yield
