"""symbolic: simplify an expression or solve an equation with SymPy, without eval.

SymPy's own parser evaluates Python, so it never sees the text: the expression is parsed
with Python's ``ast``, only numbers, names, + - * / ** and a short list of functions are
allowed, and the SymPy expression is built from the tree here. Decimals are read exactly
(``0.1`` is 1/10).
"""

from __future__ import annotations

import ast
from typing import Any

import sympy
from pydantic import BaseModel

from prefrontal.errors import RecordError
from prefrontal.workers.exact.arithmetic import literal

MAX_LENGTH = 1_000
MAX_EXPONENT = 1_000
FUNCTIONS: dict[str, Any] = {
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "asin": sympy.asin,
    "acos": sympy.acos,
    "atan": sympy.atan,
    "sinh": sympy.sinh,
    "cosh": sympy.cosh,
    "tanh": sympy.tanh,
    "exp": sympy.exp,
    "log": sympy.log,
    "sqrt": sympy.sqrt,
    "abs": sympy.Abs,
    "factorial": sympy.factorial,
}
CONSTANTS: dict[str, Any] = {"pi": sympy.pi, "E": sympy.E, "I": sympy.I, "oo": sympy.oo}


class Simplified(BaseModel):
    expression: str
    simplified: str
    latex: str
    symbols: list[str]
    is_number: bool
    approximate: float | None


class Solutions(BaseModel):
    equation: str
    variable: str
    solutions: list[str]
    approximate: list[float | None]


def simplify(expression: str) -> Simplified:
    """The simplest exact form of an expression, e.g. ``'sin(x)**2 + cos(x)**2'`` is ``'1'``."""
    value = parse(expression)
    result = sympy.simplify(value)
    return Simplified(
        expression=expression,
        simplified=str(result),
        latex=sympy.latex(result),
        symbols=sorted(str(s) for s in result.free_symbols),
        is_number=bool(result.is_number),
        approximate=_approximate(result),
    )


def solve(equation: str, variable: str = "x") -> Solutions:
    """Exact solutions of ``left = right`` (or ``expression``, meaning ``= 0``) for a variable."""
    left, _, right = equation.partition("=")
    if "=" in right:
        raise RecordError(f"equation {equation!r} has more than one '='; write 'left = right'")
    if not variable.isidentifier():
        raise RecordError(f"variable {variable!r} is not a name; use e.g. 'x'")
    difference = parse(left) - (parse(right) if right.strip() else 0)
    symbol = sympy.Symbol(variable)
    if symbol not in difference.free_symbols:
        raise RecordError(
            f"{variable!r} does not appear in {equation!r}; name the variable to solve for"
        )
    found = sympy.solve(difference, symbol)
    return Solutions(
        equation=equation,
        variable=variable,
        solutions=[str(s) for s in found],
        approximate=[_approximate(s) for s in found],
    )


def parse(expression: str) -> Any:
    """A SymPy expression built from Python's syntax tree; nothing is evaluated as code."""
    if len(expression) > MAX_LENGTH:
        raise RecordError(f"expression is {len(expression)} characters; the limit is {MAX_LENGTH}")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        raise RecordError(f"expression {expression!r} does not parse: {error.msg}") from None
    return _build(tree.body, expression.strip())


def _build(node: ast.expr, source: str) -> Any:
    number = literal(node, source)
    if number is not None:
        return sympy.Rational(number.numerator, number.denominator)
    if isinstance(node, ast.Name):
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        if node.id in FUNCTIONS or len(node.id) > 16:
            raise RecordError(f"{node.id!r} cannot be a variable; use a short name like 'x'")
        return sympy.Symbol(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _build(node.operand, source)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div):
        left, right = _build(node.left, source), _build(node.right, source)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if right == 0:
            raise RecordError(f"division by zero in {ast.get_source_segment(source, node)!r}")
        return left / right
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        base, exponent = _build(node.left, source), _build(node.right, source)
        if exponent.is_number and abs(exponent) > MAX_EXPONENT:
            raise RecordError(f"exponent {exponent} is beyond ±{MAX_EXPONENT}")
        return base**exponent
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in FUNCTIONS
        and len(node.args) == 1
        and not node.keywords
    ):
        return FUNCTIONS[node.func.id](_build(node.args[0], source))
    fragment = ast.get_source_segment(source, node)
    raise RecordError(
        f"{fragment!r} is not allowed; expected numbers, names, + - * / **, parentheses and "
        f"the functions {sorted(FUNCTIONS)}"
    )


def _approximate(value: Any) -> float | None:
    if not value.is_number:
        return None
    number = complex(sympy.N(value))
    return number.real if number.imag == 0 else None
