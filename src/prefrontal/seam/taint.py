"""Taint at the seam: provenance per field, and handles in place of tainted free text.

A value is *tainted* when it derives from untrusted input: free text a worker returns (a
model's summary, a tool's answer from outside), a percept's free-text field, or error text
quoting the world. Decided by type and source, never by looking at the text:

- closed (readable by an orchestrator): bools, null, bounded numbers (also as decimal
  strings), strings from a closed set the worker's output schema declares (Literals, enums,
  field names), ISO dates and times, and ids Prefrontal minted (the commission's id,
  evidence references);
- tainted: every other string, a mapping whose keys are not closed, unless the source is
  declared trusted (``[workers.NAME] trusted = true``) and took no tainted input.

``Provenance`` records, on a report or percept, which paths are tainted and where they came
from; the journal keeps it, so a replayed system seals the same fields. ``seal`` gives the
orchestrator its view of an inbound event: every tainted value replaced by a ``Handle``, an
opaque, typed reference (``⟦#12.output.summary: text, 812 chars, from worker 'reader',
untrusted⟧``) that a policy can pass on (a commission's inputs, a reply) but not read.
Invariant: a sealed event holds no tainted text, whatever its worker returned.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, NoReturn

from pydantic import BaseModel, ConfigDict

from prefrontal.errors import TaintError

OPEN, CLOSE = "⟦", "⟧"
TOKEN = re.compile(r"⟦(#\d+(?:\.[A-Za-z0-9_-]+)*)(?::[^⟦⟧]{0,200})?⟧")
_DATE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?"
    r"|\d{2}:\d{2}(?::\d{2})?"
    r"|-?\d{1,15}(?:\.\d{1,6})?"  # a decimal amount sent as a string: a bounded number
)
_EVIDENCE_REF = re.compile(r"[a-z][a-z0-9_-]{0,31}-[0-9a-f]{12}")
_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
_NUMBER_CHARS = 24


class Provenance(BaseModel):
    """Where a report's output or a percept's fields came from, and which paths are tainted.

    ``tainted`` holds dotted paths into the record (``output.summary``, ``output.facts.2``,
    ``fields.channel``, ``rendering``); a path taints everything under it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    origin: str
    tainted: tuple[str, ...] = ()


class Handle(str):
    """Tainted free text as an orchestrator sees it: an opaque, typed reference.

    It *is* its token string, so it survives f-strings, JSON and the journal unchanged: put
    it in a commission's inputs (the executor gives the worker the real value) or in a reply
    (the inbox shows the principal the text, marked as from outside). Reading it (``.text``,
    ``in``, slicing, ``lower``, ``split``...) raises ``TaintError``.
    """

    ref: str
    shape: str
    size: int
    origin: str

    def __new__(cls, ref: str, *, shape: str, size: int, origin: str) -> Handle:
        unit = "chars" if shape == "text" else "bytes of JSON"
        token = f"{OPEN}{ref}: {shape}, {size} {unit}, from {origin}, untrusted{CLOSE}"
        made = super().__new__(cls, token)
        made.ref, made.shape, made.size, made.origin = ref, shape, size, origin
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return (str, (str(self),))

    def _refuse(self, *_: Any, **__: Any) -> NoReturn:
        raise TaintError(
            f"a policy tried to read handle {self.ref} ({self.shape} from {self.origin}): "
            "tainted text cannot be read by an orchestrator. Pass the handle on instead: put "
            "it in a commission's inputs or in a reply's text."
        )

    @property
    def text(self) -> NoReturn:
        self._refuse()

    __contains__ = __getitem__ = __iter__ = _refuse  # type: ignore[assignment]
    lower = upper = casefold = strip = split = splitlines = _refuse  # type: ignore[assignment]
    startswith = endswith = find = index = count = replace = partition = _refuse  # type: ignore[assignment]


def handle_refs(value: Any) -> Iterator[tuple[str, str]]:
    """Every handle token in ``value`` (walked through lists and mappings): (path, token)."""
    yield from _tokens(value, "")


def _tokens(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        for match in TOKEN.finditer(str(value)):
            yield path, match.group(0)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _tokens(item, _join(path, str(key)))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _tokens(item, _join(path, str(index)))


def _join(path: str, part: str) -> str:
    return f"{path}.{part}" if path else part


# -- deciding what is tainted ---------------------------------------------------------------


def vocabulary(schema: dict[str, Any]) -> frozenset[str]:
    """The closed strings of an output schema: enum and const values, and property names."""
    found: set[str] = set()
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, item in node.items():
                if key == "enum" and isinstance(item, list):
                    found.update(v for v in item if isinstance(v, str))
                elif key == "const" and isinstance(item, str):
                    found.add(item)
                elif key == "properties" and isinstance(item, dict):
                    found.update(str(k) for k in item)
                stack.append(item)
        elif isinstance(node, list):
            stack.extend(node)
    return frozenset(found)


def is_evidence_ref(text: str) -> bool:
    """An evidence store's reference (``ears-0123456789ab``): minted by Prefrontal."""
    return bool(_EVIDENCE_REF.fullmatch(text))


def tainted_paths(
    value: Any, closed: frozenset[str] | None, path: str, *, keys_closed: bool = False
) -> list[str]:
    """The paths of ``value`` that hold tainted data, by type; ``path`` names ``value``.

    ``closed`` is the set of closed strings (``None``: none at all); with ``keys_closed``,
    mapping keys count as closed (a record's own field names, when no schema says more).
    """
    vocab = closed or frozenset()
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [] if len(repr(value)) <= _NUMBER_CHARS else [path]
    if isinstance(value, str):
        return [] if value in vocab or _DATE.fullmatch(value) else [path]
    if isinstance(value, dict):
        keys = [str(k) for k in value]
        if not all(_KEY.fullmatch(k) and (keys_closed or k in vocab) for k in keys):
            return [path]
        return [
            p
            for key, item in value.items()
            for p in tainted_paths(item, closed, _join(path, key), keys_closed=keys_closed)
        ]
    if isinstance(value, list | tuple):
        return [
            p
            for index, item in enumerate(value)
            for p in tainted_paths(item, closed, _join(path, str(index)), keys_closed=keys_closed)
        ]
    return [path]


def output_provenance(
    output: Any,
    *,
    schema: dict[str, Any],
    origin: str,
    trusted: bool,
    minted: frozenset[str] = frozenset(),
) -> Provenance:
    """The provenance of a worker's validated output: which paths are tainted, by type.

    ``minted`` holds ids Prefrontal made for this commission (its id, evidence it kept).
    """
    if trusted:
        return Provenance(origin=origin)
    closed = vocabulary(schema) | minted
    return Provenance(origin=origin, tainted=tuple(tainted_paths(output, closed, "output")))
