"""The payload bound: a cheap walk settles small plain values, and never lets one too big by."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prefrontal.errors import PayloadTooLargeError
from prefrontal.seam.bounds import check_payload, payload_size

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats()
    | st.text(),  # any code point: astral ones are 12 bytes of JSON each
    lambda inner: (
        st.lists(inner, max_size=6)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=8), inner, max_size=6)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_a_payload_passes_exactly_when_its_json_fits(value: Any) -> None:
    size = payload_size(value)
    assert check_payload("x", value, size) is value
    with pytest.raises(PayloadTooLargeError, match=f"is {size:,} bytes of JSON"):
        check_payload("x", value, size - 1)


def test_values_the_walk_does_not_bound_are_measured() -> None:
    deep: Any = "x" * 50
    for _ in range(6):
        deep = [deep]
    wide = list(range(200))
    astral = "\U0001f600" * 100  # 1,202 bytes as JSON: 12 per character
    for value in (deep, wide, {1: "a"}, astral, {"k": astral}):
        size = payload_size(value)
        assert check_payload("x", value, size) is value
        with pytest.raises(PayloadTooLargeError):
            check_payload("x", value, size - 1)
