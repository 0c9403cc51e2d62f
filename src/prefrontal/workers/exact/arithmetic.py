"""exact: rational arithmetic and big integers, without floating point and without eval.

The expression is parsed with Python's ``ast`` and only numbers, + - * / // % ** and
parentheses are allowed; every intermediate value is a ``Fraction``. Decimals like ``0.1``
are read exactly (1/10), so ``0.1 + 0.2`` is exactly ``3/10``.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from fractions import Fraction

from pydantic import BaseModel

from prefrontal.errors import RecordError

MAX_LENGTH = 2_000
MAX_EXPONENT = 10_000
MAX_DIGITS = 100_000

_BINARY: dict[type[ast.operator], Callable[[Fraction, Fraction], Fraction]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: lambda a, b: Fraction(a // b),
    ast.Mod: operator.mod,
}


class Exact(BaseModel):
    value: str
    numerator: str
    denominator: str
    is_integer: bool
    approximate: float


def exact(expression: str) -> Exact:
    """The exact value of an arithmetic expression, e.g. ``'1/3 + 1/6'`` is ``'1/2'``."""
    if len(expression) > MAX_LENGTH:
        raise RecordError(f"expression is {len(expression)} characters; the limit is {MAX_LENGTH}")
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as error:
        raise RecordError(f"expression {expression!r} is not arithmetic: {error.msg}") from None
    value = _value(tree.body, expression)
    return Exact(
        value=str(value),
        numerator=str(value.numerator),
        denominator=str(value.denominator),
        is_integer=value.denominator == 1,
        approximate=float(value),
    )


def literal(node: ast.expr, source: str) -> Fraction | None:
    """A number written in the source, read exactly (``0.1`` is 1/10); None if not a number."""
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        text = ast.get_source_segment(source, node) or repr(node.value)
        return Fraction(text.replace("_", ""))
    return None


def _value(node: ast.expr, source: str) -> Fraction:
    number = literal(node, source)
    if number is not None:
        return number
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _value(node.operand, source)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        left, right = _value(node.left, source), _value(node.right, source)
        if isinstance(node.op, ast.Pow):
            return _power(left, right)
        apply = _BINARY.get(type(node.op))
        if apply is None:
            raise RecordError(
                f"operator {type(node.op).__name__} is not allowed; use + - * / // % **"
            )
        if right == 0 and isinstance(node.op, ast.Div | ast.FloorDiv | ast.Mod):
            raise RecordError(f"division by zero in {ast.get_source_segment(source, node)!r}")
        return _bounded(apply(left, right))
    fragment = ast.get_source_segment(source, node)
    raise RecordError(
        f"{fragment!r} is not allowed; expected numbers, + - * / // % ** and parentheses"
    )


def _power(base: Fraction, exponent: Fraction) -> Fraction:
    if exponent.denominator != 1:
        raise RecordError(
            f"exponent {exponent} is not an integer: the result would not be rational"
        )
    if abs(exponent) > MAX_EXPONENT:
        raise RecordError(f"exponent {exponent} is beyond ±{MAX_EXPONENT}")
    if base == 0 and exponent < 0:
        raise RecordError("0 to a negative power is a division by zero")
    return _bounded(base ** int(exponent))


def _bounded(value: Fraction) -> Fraction:
    digits = max(value.numerator.bit_length(), value.denominator.bit_length()) * 0.302
    if digits > MAX_DIGITS:
        raise RecordError(f"a result has about {digits:,.0f} digits; the limit is {MAX_DIGITS:,}")
    return value
