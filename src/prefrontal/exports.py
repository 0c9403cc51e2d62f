"""Lazy exports: a package names its public parts and imports each on first use.

``import prefrontal`` then costs what the ground floor costs, so ``prefrontal --help`` and
the reading commands never pay for SQLAlchemy, pydantic-ai or the senses they do not use.
Each package also imports the same names under ``TYPE_CHECKING``, so type checkers and
editors see them as ordinary imports.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, where: Mapping[str, tuple[str, ...]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``, whose names live in ``where``.

    ``where`` maps a module to the names it defines; a name is imported from its module the
    first time it is read, and kept in the package's namespace from then on.
    """
    home = {name: module for module, names in where.items() for name in names}
    namespace = vars(importlib.import_module(package))

    def __getattr__(name: str) -> Any:
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *home})

    return __getattr__, __dir__
