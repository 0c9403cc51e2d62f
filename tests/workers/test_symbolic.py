"""Symbolic simplification and solving with SymPy, built from a syntax tree, never eval."""

from __future__ import annotations

import pytest

from prefrontal.errors import RecordError
from prefrontal.workers.exact.symbolic import simplify, solve


def test_an_identity_simplifies_to_one() -> None:
    result = simplify("sin(x)**2 + cos(x)**2")
    assert result.simplified == "1"
    assert result.is_number
    assert result.approximate == 1.0


def test_decimals_are_read_exactly() -> None:
    result = simplify("0.1 + 0.2 - 3/10")
    assert result.simplified == "0"
    assert simplify("(x**2 - 1)/(x - 1)").simplified == "x + 1"
    assert simplify("sqrt(8)").simplified == "2*sqrt(2)"
    assert simplify("sqrt(8)").latex == "2 \\sqrt{2}"


def test_an_equation_has_exact_solutions() -> None:
    found = solve("x**2 - 2 = 0")
    assert sorted(found.solutions) == ["-sqrt(2)", "sqrt(2)"]
    assert sorted(a for a in found.approximate if a is not None) == pytest.approx(
        [-(2**0.5), 2**0.5]
    )
    assert solve("2*y + 1 = 7", variable="y").solutions == ["3"]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("__import__('os').system('true')", "__import__"),
        ("x.__class__", "x.__class__"),
        ("[1, 2]", "[1, 2]"),
        ("lambda: 1", "lambda"),
        ("sin(x, y)", "sin(x, y)"),
        ("1/0", "division by zero"),
        ("x**100000", "exponent"),
        ("sin + 1", "'sin' cannot be a variable"),
    ],
)
def test_anything_but_mathematics_is_refused(text: str, named: str) -> None:
    with pytest.raises(RecordError, match=r"not allowed|division|exponent|cannot be") as caught:
        simplify(text)
    assert named in str(caught.value)


def test_bad_equations_name_the_problem() -> None:
    with pytest.raises(RecordError, match="more than one '='"):
        solve("x = 1 = 2")
    with pytest.raises(RecordError, match="'z' does not appear"):
        solve("x + 1 = 2", variable="z")
    with pytest.raises(RecordError, match="characters; the limit"):
        simplify("x+" * 600 + "1")
