"""solve and least_squares: linear algebra with a conditioning warning."""

from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel

from prefrontal.errors import RecordError

MAX_SIZE = 2_000
ILL_CONDITIONED = 1e10


class Solution(BaseModel):
    x: list[float]
    condition_number: float
    residual_norm: float
    warning: str | None = None


def _matrix(a: list[list[float]], name: str = "a") -> np.ndarray:
    if not a or not a[0]:
        raise RecordError(f"{name} is empty; expected a matrix as a list of rows")
    width = len(a[0])
    for index, row in enumerate(a):
        if len(row) != width:
            raise RecordError(
                f"{name} is ragged: row {index} has {len(row)} entries, row 0 has {width}; "
                "every row needs the same number of entries"
            )
    if len(a) > MAX_SIZE or width > MAX_SIZE:
        raise RecordError(f"{name} is {len(a)}×{width}; the limit is {MAX_SIZE}×{MAX_SIZE}")
    m = np.asarray(a, dtype=np.float64)
    bad = np.argwhere(~np.isfinite(m))
    if bad.size:
        row, column = (int(v) for v in bad[0])
        raise RecordError(
            f"{name}[{row}][{column}] is {float(m[row, column])}; expected a finite number"
        )
    return m


def _vector(b: list[float], rows: int) -> np.ndarray:
    v = np.asarray(b, dtype=np.float64)
    if v.shape != (rows,):
        raise RecordError(f"b has {len(b)} entries; a has {rows} rows: they must match")
    if not np.all(np.isfinite(v)):
        raise RecordError(f"b[{int(np.flatnonzero(~np.isfinite(v))[0])}] is not a finite number")
    return v


def _warning(condition: float) -> str | None:
    if math.isinf(condition) or condition > ILL_CONDITIONED:
        return (f"the matrix is ill-conditioned (condition number {condition:.3g}); expect to "
                f"lose about {math.log10(condition):.0f} digits of the answer")  # fmt: skip
    return None


def solve(a: list[list[float]], b: list[float]) -> Solution:
    """x with a·x = b for a square, non-singular a."""
    m = _matrix(a)
    if m.shape[0] != m.shape[1]:
        raise RecordError(
            f"a is {m.shape[0]}×{m.shape[1]}; solve needs a square matrix: use least_squares"
        )
    v = _vector(b, m.shape[0])
    try:
        x = np.linalg.solve(m, v)
    except np.linalg.LinAlgError:
        raise RecordError(
            "a is singular (its rows are linearly dependent): no unique solution; use "
            "least_squares for the best fit"
        ) from None
    condition = float(np.linalg.cond(m))
    residual = float(np.linalg.norm(m @ x - v))
    return Solution(x=x.tolist(), condition_number=condition, residual_norm=residual,
                    warning=_warning(condition))  # fmt: skip


def least_squares(a: list[list[float]], b: list[float]) -> Solution:
    """x minimising |a·x - b| (any shape of a)."""
    m = _matrix(a)
    v = _vector(b, m.shape[0])
    x, _, rank, singular = np.linalg.lstsq(m, v, rcond=None)
    condition = float(singular[0] / singular[-1]) if singular[-1] > 0 else math.inf
    warning = _warning(condition)
    if rank < m.shape[1]:
        warning = f"a has rank {rank} < {m.shape[1]} columns: the minimum-norm x is returned"
    residual = float(np.linalg.norm(m @ x - v))
    return Solution(x=x.tolist(), condition_number=condition, residual_norm=residual,
                    warning=warning)  # fmt: skip
