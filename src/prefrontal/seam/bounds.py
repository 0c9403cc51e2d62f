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


def check_payload(
    where: str,
    value: Any,
    limit: int = Bounds.PAYLOAD,
    *,
    fix: str = "send less, or keep the bulk as evidence and send a reference",
) -> Any:
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
