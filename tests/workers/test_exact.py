"""Exact workers on known answers, and their bad inputs."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from prefrontal import RecordError
from prefrontal.workers.exact.arithmetic import exact
from prefrontal.workers.exact.linalg import least_squares, solve
from prefrontal.workers.exact.spectrum import spectrum

RATE = 8_000.0


def test_the_spectrum_of_a_pure_tone_peaks_at_its_frequency() -> None:
    t = np.arange(4096) / RATE
    tone = 0.7 * np.sin(2 * np.pi * 440.0 * t) + 0.2 * np.sin(2 * np.pi * 1234.5 * t)
    result = spectrum(tone.tolist(), RATE, peaks=2, bands=[(0.0, 1000.0), (1000.0, 4000.0)])
    first, second = result.peaks
    assert first.frequency_hz == pytest.approx(440.0, abs=0.3)
    assert first.amplitude == pytest.approx(0.7, rel=0.02)
    assert second.frequency_hz == pytest.approx(1234.5, abs=0.3)
    low, high = result.bands
    assert low.share == pytest.approx(0.7**2 / (0.7**2 + 0.2**2), abs=0.01)
    assert low.share + high.share == pytest.approx(1.0, abs=1e-6)
    assert result.resolution_hz == pytest.approx(RATE / 4096)


def test_bad_signals_are_named() -> None:
    with pytest.raises(RecordError, match=r"sample 3 is nan; expected finite numbers"):
        spectrum([0.0, 1.0, 0.0, math.nan, 0.0, 1.0, 0.0, 1.0], RATE)
    with pytest.raises(RecordError, match="rate=0; expected a sample rate in Hz above 0"):
        spectrum([0.0] * 16, 0)
    with pytest.raises(RecordError, match="the limit is 4,000,000"):
        spectrum([0.0] * 4_000_001, RATE)


def test_solve_finds_the_known_solution() -> None:
    a = [[4.0, -2.0, 1.0], [-2.0, 4.0, -2.0], [1.0, -2.0, 4.0]]
    x = [1.0, 2.0, 3.0]
    b = (np.array(a) @ np.array(x)).tolist()
    result = solve(a, b)
    assert result.x == pytest.approx(x, abs=1e-12)
    assert result.warning is None
    assert result.residual_norm < 1e-12


def test_a_singular_matrix_says_so() -> None:
    with pytest.raises(RecordError, match=r"a is singular .* use least_squares"):
        solve([[1.0, 2.0], [2.0, 4.0]], [1.0, 2.0])


def test_a_ragged_matrix_names_the_row() -> None:
    with pytest.raises(RecordError) as error:
        solve([[1.0, 2.0], [3.0, 4.0, 5.0]], [1.0, 2.0])
    assert str(error.value) == (
        "a is ragged: row 1 has 3 entries, row 0 has 2; every row needs the same number of entries"
    )


def test_nan_and_shape_mismatches_are_named() -> None:
    with pytest.raises(RecordError, match=r"a\[1\]\[0\] is nan"):
        solve([[1.0, 0.0], [math.nan, 1.0]], [1.0, 1.0])
    with pytest.raises(RecordError, match="b has 3 entries; a has 2 rows"):
        solve([[1.0, 0.0], [0.0, 1.0]], [1.0, 1.0, 1.0])


def test_an_ill_conditioned_system_warns() -> None:
    hilbert = [[1.0 / (i + j + 1) for j in range(12)] for i in range(12)]
    result = solve(hilbert, [1.0] * 12)
    assert result.warning is not None
    assert "ill-conditioned" in result.warning
    assert result.condition_number > 1e15


def test_least_squares_fits_a_line() -> None:
    xs = [0.0, 1.0, 2.0, 3.0]
    ys = [1.0, 3.0, 5.0, 7.0]
    result = least_squares([[1.0, x] for x in xs], ys)
    assert result.x == pytest.approx([1.0, 2.0], abs=1e-12)


def test_rational_arithmetic_that_floats_get_wrong() -> None:
    assert 0.1 + 0.2 != 0.3
    assert exact("0.1 + 0.2").value == "3/10"
    assert exact("1/3 + 1/6").value == "1/2"
    assert exact("(1/3) * 3 - 1").value == "0"
    big = exact("2**200 + 1")
    assert big.numerator == str(2**200 + 1)
    assert big.is_integer


def test_arithmetic_refuses_anything_but_arithmetic() -> None:
    with pytest.raises(RecordError, match=r"__import__\('os'\)\" is not allowed"):
        exact("__import__('os')")
    with pytest.raises(RecordError, match="division by zero"):
        exact("1/(2-2)")
    with pytest.raises(RecordError, match="exponent 1/2 is not an integer"):
        exact("2**(1/2)")
    with pytest.raises(RecordError, match="beyond ±10000"):
        exact("2**100000")
    with pytest.raises(RecordError, match="is not arithmetic"):
        exact("1 +")


def test_unit_conversion_and_its_errors() -> None:
    from prefrontal.workers.exact.units import convert

    assert convert(100.0, "degC", "degF").value == pytest.approx(212.0)
    assert convert(1.0, "kWh", "MJ").value == pytest.approx(3.6)
    with pytest.raises(RecordError, match=r"cannot turn 'meter' .* into 'second'"):
        convert(1.0, "meter", "second")
    with pytest.raises(RecordError, match=r"unit .*blarg.* is unknown"):
        convert(1.0, "blarg", "meter")


def test_statistics_are_exact() -> None:
    from prefrontal.workers.exact.statistics import describe

    summary = describe([0.1, 0.2, 0.3])
    # the exact mean of the three binary floats, not the 0.2 decimal arithmetic suggests
    assert summary.exact_mean == str((Fraction(0.1) + Fraction(0.2) + Fraction(0.3)) / 3)
    assert summary.exact_mean != "1/5"
    assert summary.median == 0.2
    assert summary.stdev == pytest.approx(0.1)
    with pytest.raises(RecordError, match="value 1 is inf"):
        describe([1.0, math.inf])
