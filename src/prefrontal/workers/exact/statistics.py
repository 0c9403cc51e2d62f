"""describe: exact summary statistics of numbers (computed with rationals, then rounded once)."""

from __future__ import annotations

import math
import statistics
from fractions import Fraction

from pydantic import BaseModel

from prefrontal.errors import RecordError

MAX_VALUES = 1_000_000


class Summary(BaseModel):
    count: int
    mean: float
    median: float
    stdev: float | None
    minimum: float
    maximum: float
    exact_mean: str


def describe(values: list[float]) -> Summary:
    """Count, mean (also as an exact fraction), median, sample standard deviation, range."""
    if not values:
        raise RecordError("describe: no values; send at least one number")
    if len(values) > MAX_VALUES:
        raise RecordError(f"describe: {len(values):,} values; the limit is {MAX_VALUES:,}")
    for index, value in enumerate(values):
        if not math.isfinite(value):
            raise RecordError(f"describe: value {index} is {value}; expected finite numbers")
    exact = [Fraction(v) for v in values]
    mean = sum(exact, Fraction(0)) / len(exact)
    stdev = None
    if len(exact) > 1:
        variance = sum(((v - mean) ** 2 for v in exact), Fraction(0)) / (len(exact) - 1)
        stdev = math.sqrt(variance)
    return Summary(
        count=len(values),
        mean=float(mean),
        median=float(statistics.median(exact)),
        stdev=stdev,
        minimum=min(values),
        maximum=max(values),
        exact_mean=str(mean),
    )
