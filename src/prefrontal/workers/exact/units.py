"""convert: unit conversion with pint's registry (lengths, energy, temperatures...)."""

from __future__ import annotations

import functools
import math
from typing import Any

from pydantic import BaseModel

from prefrontal.errors import RecordError


class Converted(BaseModel):
    value: float
    unit: str
    dimensionality: str


@functools.cache
def _registry() -> Any:
    import pint

    return pint.UnitRegistry()


def convert(value: float, from_unit: str, to_unit: str) -> Converted:
    """``value`` in ``from_unit`` expressed in ``to_unit`` (``'degC'`` → ``'degF'``)."""
    import pint

    if not math.isfinite(value):
        raise RecordError(f"convert: value {value} is not a finite number")
    registry = _registry()
    try:
        quantity = registry.Quantity(value, from_unit).to(to_unit)
    except pint.UndefinedUnitError as error:
        raise RecordError(
            f"convert: unit {error.unit_names!r} is unknown; use a unit name pint knows, e.g. "
            "'meter', 'kWh', 'degC', 'mile / hour'"
        ) from None
    except pint.DimensionalityError as error:
        raise RecordError(
            f"convert: cannot turn {from_unit!r} ({error.dim1}) into {to_unit!r} ({error.dim2}): "
            "they measure different things"
        ) from None
    return Converted(
        value=float(quantity.magnitude),
        unit=str(quantity.units),
        dimensionality=str(quantity.dimensionality),
    )
