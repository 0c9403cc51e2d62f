"""Upcasters: lift a row written in an older journal format to today's seam records.

``UPCASTERS[n]`` takes the JSON body of a row in format ``n - 1`` to format ``n``. A change
to a seam record that old rows cannot satisfy (a renamed field, a new required field, a
changed meaning) bumps ``FORMAT`` in ``schema.py`` and adds one function here; the golden
journals under ``tests/journal/golden`` prove every older format still opens, folds and
replays identically. Rows already in today's format are decoded directly, with no cost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Body = dict[str, Any]
Upcaster = Callable[[Body], Body]


def _v2_from_v1(body: Body) -> Body:
    # Format 2 changed the tables, not the records: a version-1 body is a version-2 body.
    return body


UPCASTERS: dict[int, Upcaster] = {2: _v2_from_v1}


def upcast(body: Body, written_in: int, target: int) -> Body:
    """``body`` as format ``target`` writes it, from the format ``written_in``."""
    for version in range(written_in + 1, target + 1):
        body = UPCASTERS[version](body)
    return body
