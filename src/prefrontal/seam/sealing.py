"""Sealing: an inbound event as an orchestrator may see it, tainted values as handles.

``seal(event, seq)`` is pure and deterministic: the same journaled event at the same
sequence number seals the same way live, on replay and after a restart, so contexts and
decisions repeat. A handle's reference is ``#SEQ.PATH`` into the journaled event, which is
how the executor and the inbox resolve it (``prefrontal.runtime.handles``).

Sealed: a report's tainted output paths (all strings, when it carries no provenance), an
untrusted error message, free-text evidence lines; a percept's tainted fields and rendering.
Not sealed: what Prefrontal or an orchestrator wrote (requests, routing, hand-offs, timers,
approvals), since an orchestrator only ever writes closed values and handles.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from prefrontal.seam.events import InboundEvent, Report, ReportError
from prefrontal.seam.percept import Percept
from prefrontal.seam.taint import Handle, is_evidence_ref, tainted_paths

_SEALING: ContextVar[bool] = ContextVar("prefrontal_sealing", default=True)


@contextmanager
def sealing(on: bool) -> Generator[None]:
    """Switch sealing off (``on=False``) for what runs inside: the injection suite's negative
    control, which must then fail. Tasks started inside keep the setting."""
    token = _SEALING.set(on)
    try:
        yield
    finally:
        _SEALING.reset(token)


def make_handle(ref: str, value: Any, origin: str) -> Handle:
    if isinstance(value, str):
        return Handle(ref, shape="text", size=len(value), origin=origin)
    shape = "list" if isinstance(value, list | tuple) else "object"
    size = len(json.dumps(value, separators=(",", ":"), default=str).encode())
    return Handle(ref, shape=shape, size=size, origin=origin)


def _replace(value: Any, path: str, tainted: frozenset[str], seq: int, origin: str) -> Any:
    if path in tainted:
        return make_handle(f"#{seq}.{path}", value, origin)
    if isinstance(value, dict):
        return {k: _replace(v, f"{path}.{k}", tainted, seq, origin) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_replace(v, f"{path}.{i}", tainted, seq, origin) for i, v in enumerate(value)]
    return value


def _seal_report(event: Report, seq: int) -> Report:
    origin = event.provenance.origin if event.provenance else f"worker {event.worker!r}"
    if event.provenance is not None:
        paths = event.provenance.tainted
    else:
        paths = tuple(tainted_paths(event.output, None, "output", keys_closed=True))
    error = event.error
    if not paths and not event.evidence and (error is None or error.trusted):
        return event  # nothing tainted (a trusted tool's answer): no copy to make
    update: dict[str, Any] = {
        "output": _replace(event.output, "output", frozenset(paths), seq, origin),
        "evidence": tuple(
            line if is_evidence_ref(line) else make_handle(f"#{seq}.evidence.{i}", line, origin)
            for i, line in enumerate(event.evidence)
        ),
    }
    if error is not None and not error.trusted:
        message = make_handle(f"#{seq}.error.message", error.message, origin)
        update["error"] = ReportError(
            code=error.code, message=message, retryable=error.retryable, trusted=False
        )
    return event.model_copy(update=update)


def _seal_percept(event: Percept, seq: int) -> Percept:
    origin = event.provenance.origin if event.provenance else f"sense {event.sense!r}"
    if event.provenance is not None:
        paths = frozenset(event.provenance.tainted)
    else:
        found = tainted_paths(dict(event.fields), None, "fields", keys_closed=True)
        paths = frozenset([*found, "rendering"])
    fields = _replace(dict(event.fields), "fields", paths, seq, origin)
    rendering: str = event.rendering
    if "rendering" in paths:
        rendering = make_handle(f"#{seq}.rendering", event.rendering, origin)
    return event.model_copy(update={"fields": fields, "rendering": rendering})


def seal(event: InboundEvent, seq: int) -> InboundEvent:
    """``event`` with every tainted value replaced by a handle into journal entry ``seq``."""
    if not _SEALING.get():
        return event
    if isinstance(event, Report):
        return _seal_report(event, seq)
    if isinstance(event, Percept):
        return _seal_percept(event, seq)
    return event
