"""Size bounds at the seam.

Every free-form field that crosses the seam has a bound. A value over its bound raises
``PayloadTooLargeError`` naming the field, the size, the limit and the fix. Nothing is cut.
"""

from __future__ import annotations

import json
from typing import Any, Final

from prefrontal.errors import PayloadTooLargeError


class Bounds:
    """The seam's limits, in characters (text) and bytes of JSON (payloads)."""

    TEXT: Final = 8_000
    NOTE: Final = 1_000
    PAYLOAD: Final = 64 * 1024
    CONSTRAINTS: Final = 32
    ACTIONS: Final = 64
    EVIDENCE: Final = 32


def check_text(where: str, value: str, limit: int = Bounds.TEXT) -> str:
    if len(value) > limit:
        raise PayloadTooLargeError(
            f"{where} is {len(value):,} characters; the limit is {limit:,}. "
            "Send a shorter text, or keep the long content as evidence and send a reference."
        )
    return value


def payload_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), default=str).encode())


_SCALAR_BYTES = 32
"""At most what ``null``, a bool or a float takes as JSON (``-2.2250738585072014e-308``)."""
_WALKED = 64
"""Containers with more items than this (or nested deeper) are measured, not bounded."""


def _upper_bound(value: Any, depth: int = 0) -> int:
    """At least ``payload_size(value)``, from a walk of plain JSON values; -1 for anything
    else. A character takes at most 12 bytes (an astral one escaped as two ``\\uXXXX``)."""
    kind = type(value)
    if kind is str:
        return 12 * len(value) + 2
    if kind is int:
        return value.bit_length() // 3 + 3  # log10(2) < 1/3: digits, a sign, spare
    if value is None or kind is bool or kind is float:
        return _SCALAR_BYTES
    if depth >= 4 or not (kind is dict or kind is list or kind is tuple):
        return -1
    if len(value) > _WALKED:
        return -1
    total = 2
    if kind is dict:
        for key, item in value.items():
            inner = _upper_bound(item, depth + 1)
            if type(key) is not str or inner < 0:
                return -1
            total += 12 * len(key) + 4 + inner
        return total
    for item in value:
        inner = _upper_bound(item, depth + 1)
        if inner < 0:
            return -1
        total += inner + 1
    return total


def check_payload(
    where: str,
    value: Any,
    limit: int = Bounds.PAYLOAD,
    *,
    fix: str = "send less, or keep the bulk as evidence and send a reference",
) -> Any:
    # Most payloads are small plain values: a bound from a walk settles them without
    # dumping them to JSON (each record was measured again at every model it passed).
    if 0 <= _upper_bound(value) <= limit:
        return value
    size = payload_size(value)
    if size > limit:
        raise PayloadTooLargeError(
            f"{where} is {size:,} bytes of JSON; the limit is {limit:,}: {fix}."
        )
    return value


def check_count(where: str, items: list[Any] | tuple[Any, ...], limit: int) -> None:
    if len(items) > limit:
        raise PayloadTooLargeError(
            f"{where} has {len(items)} items; the limit is {limit}. Send fewer items."
        )
