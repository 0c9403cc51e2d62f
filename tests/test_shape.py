"""Meta-tests that keep the shape honest: the public API, docstrings, layering, sizes, errors.

Imports are read with ``ast`` (relative imports resolved, imports inside functions included),
never by searching the text.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pickle
import types
from pathlib import Path

import pytest

import prefrontal
import prefrontal.errors

PACKAGE = Path(prefrontal.__file__).parent
MAX_LINES = 600


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported(name: str, path: Path | None = None) -> set[str]:
    """Every module ``name`` imports, as absolute dotted names."""
    path = path or MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from prefrontal import runtime` imports prefrontal.runtime
            found.update(f"{base}.{alias.name}" for alias in node.names)
            found.add(base)
    return found


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(f"{package}.")


def modules_in(*packages: str) -> list[str]:
    return [m for m in MODULES if any(within(m, p) for p in packages)]


# -- the public API --------------------------------------------------------------------------


def test_all_names_are_importable_from_prefrontal() -> None:
    assert len(prefrontal.__all__) == len(set(prefrontal.__all__)), "duplicates in __all__"
    assert prefrontal.__all__ == sorted(prefrontal.__all__)
    namespace: dict[str, object] = {}
    exec("from prefrontal import *", namespace)
    missing = [n for n in prefrontal.__all__ if n not in namespace]
    assert missing == []
    for name in prefrontal.__all__:
        assert getattr(prefrontal, name) is namespace[name]


def test_all_lists_every_public_name_of_the_package() -> None:
    # Classes and functions of prefrontal's own that the package binds or imports on first
    # use; helpers it imports for itself (TYPE_CHECKING, lazy_exports) and its subpackages
    # are not API.
    public = {
        name
        for name in dir(prefrontal)
        if not name.startswith("_")
        and name != "lazy_exports"
        and not isinstance(value := getattr(prefrontal, name), types.ModuleType)
        and within(getattr(value, "__module__", None) or "", "prefrontal")
    }
    assert len(public) > 40
    assert sorted(public - set(prefrontal.__all__)) == []


def test_every_error_is_exported_from_prefrontal() -> None:
    assert sorted(set(prefrontal.errors.__all__) - set(prefrontal.__all__)) == []


# -- docstrings ------------------------------------------------------------------------------


def test_every_public_module_and_package_has_a_docstring() -> None:
    public = [
        name
        for name, path in MODULES.items()
        if path.name == "__init__.py" or not any(p.startswith("_") for p in name.split("."))
    ]
    assert "prefrontal" in public
    assert "prefrontal.cli" in public
    undocumented = [
        name
        for name in public
        if not (
            ast.get_docstring(ast.parse(MODULES[name].read_text(encoding="utf-8"))) or ""
        ).strip()
    ]
    assert undocumented == []


def test_every_package_init_has_a_docstring() -> None:
    packages = [p for p in PACKAGE.rglob("*") if p.is_dir() and p.name != "__pycache__"]
    assert len(packages) >= 8
    missing_init = [str(p) for p in packages if not (p / "__init__.py").is_file()]
    assert missing_init == []
    for folder in [PACKAGE, *packages]:
        module = importlib.import_module(module_name(folder / "__init__.py"))
        assert (module.__doc__ or "").strip(), f"{module.__name__} has no docstring"


# -- layering --------------------------------------------------------------------------------


def test_the_import_parser_sees_what_it_should() -> None:
    # A guard for the guards below: the parser resolves imports this package really makes.
    assert "prefrontal.runtime.assembly" in imported("prefrontal.runtime.replay")
    assert "prefrontal.runtime.system" in imported("prefrontal")
    assert "prefrontal.seam.events" in imported("prefrontal.journal.base")


# The house, bottom up (DESIGN.md "Layers"). A module may import its own package and any
# package of a lower floor; the tiers, on one floor, never import each other. Above the
# runtime sit the applications (the public facade, the fakes for tests, the household
# example, the ceilings benchmark), which may use each other; the interfaces on top run them.
FLOORS: dict[str, int] = {
    "prefrontal.errors": 0,
    "prefrontal.clock": 0,
    "prefrontal.offload": 0,
    "prefrontal.exports": 0,
    "prefrontal.seam": 1,
    "prefrontal.journal": 2,
    "prefrontal.models": 2,
    "prefrontal.config": 2,
    "prefrontal.sandbox": 3,
    "prefrontal.references": 3,
    "prefrontal.policies": 4,
    "prefrontal.workers": 4,
    "prefrontal.senses": 4,
    "prefrontal.runtime": 5,
    "prefrontal": 6,
    "prefrontal.testing": 6,
    "prefrontal.bench": 6,
    "prefrontal.examples": 6,
    "prefrontal.cli": 7,
    "prefrontal.http": 7,
}
TIERS = ("prefrontal.policies", "prefrontal.workers", "prefrontal.senses")
# Packages on one floor that may import each other, in this direction only: the storage
# floor's model tiers are read from config.
SIDEWAYS = {("prefrontal.models", "prefrontal.config")}


def floor_of(module: str) -> str:
    return max((p for p in FLOORS if within(module, p)), key=len)


def upward_imports(module: str, path: Path | None = None) -> list[str]:
    home = floor_of(module)
    bad = []
    for target in imported(module, path):
        if not within(target, "prefrontal"):
            continue
        there = floor_of(target)
        if there == home or (home, there) in SIDEWAYS:
            continue
        if FLOORS[there] > FLOORS[home] or (
            FLOORS[there] == FLOORS[home] and FLOORS[home] < FLOORS["prefrontal.testing"]
        ):
            bad.append(target)
    return sorted(bad)


def test_every_module_has_a_floor() -> None:
    assert all(floor_of(m) for m in MODULES)
    assert floor_of("prefrontal.senses.hearing.drill") == "prefrontal.senses"
    assert floor_of("prefrontal") == "prefrontal"


def test_the_layer_check_catches_upward_and_sideways_arrows(tmp_path: Path) -> None:
    # A guard for the guard: the arrows this test was written against, lazy ones included.
    module = tmp_path / "factory.py"
    module.write_text(
        "from prefrontal.seam.work import Worker\n"
        "def build():\n"
        "    from prefrontal.examples.household.scene import scene_path\n"
        "    from ..workers.base import CommissionContext\n"
        "    from prefrontal.runtime import System\n"
    )
    assert upward_imports("prefrontal.senses.factory", module) == [
        "prefrontal.examples.household.scene",
        "prefrontal.examples.household.scene.scene_path",
        "prefrontal.runtime",
        "prefrontal.runtime.System",
        "prefrontal.workers.base",
        "prefrontal.workers.base.CommissionContext",
    ]


@pytest.mark.parametrize("package", sorted(FLOORS))
def test_imports_only_point_down(package: str) -> None:
    modules = [m for m in MODULES if floor_of(m) == package]
    offenders = {m: upward_imports(m) for m in modules}
    assert {m: bad for m, bad in offenders.items() if bad} == {}


def test_the_seam_imports_only_the_ground_floor_and_itself_from_prefrontal() -> None:
    allowed = ("prefrontal.errors", "prefrontal.exports", "prefrontal.seam")
    offenders = {
        m: sorted(
            i
            for i in imported(m)
            if within(i, "prefrontal") and not any(within(i, a) for a in allowed)
        )
        for m in modules_in("prefrontal.seam")
    }
    assert {m: bad for m, bad in offenders.items() if bad} == {}


def test_tiers_never_import_each_other() -> None:
    offenders = {
        m: sorted(i for i in imported(m) for other in TIERS if other != tier and within(i, other))
        for tier in TIERS
        for m in modules_in(tier)
    }
    assert {m: bad for m, bad in offenders.items() if bad} == {}


def test_nothing_below_the_applications_imports_the_fakes_for_tests() -> None:
    below = [m for m in MODULES if FLOORS[floor_of(m)] < FLOORS["prefrontal.testing"]]
    offenders = {
        m: sorted(i for i in imported(m) if within(i, "prefrontal.testing")) for m in below
    }
    assert {m: bad for m, bad in offenders.items() if bad} == {}


# -- size ------------------------------------------------------------------------------------


def test_every_module_is_under_the_size_limit() -> None:
    sizes = {
        name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in MODULES.items()
    }
    assert len(sizes) > 30
    offenders = {name: lines for name, lines in sizes.items() if lines >= MAX_LINES}
    assert offenders == {}, f"modules of {MAX_LINES} lines or more: {offenders}"


# -- errors ----------------------------------------------------------------------------------

ERRORS = sorted(
    (
        cls
        for _, cls in inspect.getmembers(prefrontal.errors, inspect.isclass)
        if issubclass(cls, BaseException) and cls.__module__ == prefrontal.errors.__name__
    ),
    key=lambda cls: cls.__name__,
)


def test_the_error_tree_is_found() -> None:
    assert len(ERRORS) >= 15
    assert sorted(prefrontal.errors.__all__) == [cls.__name__ for cls in ERRORS]


@pytest.mark.parametrize("cls", ERRORS, ids=lambda cls: cls.__name__)
def test_every_error_is_a_prefrontal_error_named_error(cls: type[BaseException]) -> None:
    assert issubclass(cls, prefrontal.PrefrontalError)
    assert cls.__name__.endswith("Error")
    assert (cls.__doc__ or "").strip(), f"{cls.__name__} has no docstring"


@pytest.mark.parametrize("cls", ERRORS, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("retryable", [None, True, False])
def test_every_error_pickles_with_its_message_and_retryable_flag(
    cls: type[prefrontal.PrefrontalError], retryable: bool | None
) -> None:
    message = f"{cls.__name__}: 'fft' is not declared; declared workers: ['solve']"
    error = cls(message, retryable=retryable)
    expected = cls.retryable if retryable is None else retryable
    assert error.retryable is expected
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is cls
    assert str(back) == message
    assert back.message == message
    assert back.args == (message,)
    assert back.retryable is expected
