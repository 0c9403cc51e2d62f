"""What a config names in code: rule policies and tool functions, found and imported.

``load_object`` imports ``module:attribute`` (the config's folder first, Python's standard
library refused); ``check_references`` finds every such module without importing it.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from typing import Any

from prefrontal.config import Config, ToolWorkerConfig, shown
from prefrontal.errors import ConfigError

_IMPORT_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def load_object(spec: str, *, where: str, config: Config, code: bool = True) -> Any:
    """Import ``module:attribute``; the config's folder is searched first.

    With ``code`` (policies and tools), the object must come from the user's own modules or
    Prefrontal's, not from Python's standard library or built-ins (``os:system`` is refused).
    Whatever importing the module raises, ``SystemExit`` included, becomes a ``ConfigError``.
    """
    if not _IMPORT_PATH.match(spec):
        raise ConfigError(
            f"{config.source}: {where} = {shown(spec)} is not an import path; use "
            "'module:function' with Python names, e.g. 'rules:home' for home() in rules.py "
            f"beside {config.source}."
        )
    module_name, _, attribute = spec.partition(":")
    if code:
        _refuse_stdlib(module_name, spec, where, config)
    folder = str(config.base_dir)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    module = _import(module_name, spec, where, config)
    found: Any = module
    try:
        for part in attribute.split("."):
            found = getattr(found, part)
    except AttributeError:
        names = sorted(n for n in vars(module) if not n.startswith("_"))
        raise ConfigError(
            f"{config.source}: {where} = {spec!r}: module {module_name!r} has no "
            f"{attribute!r}; it has {names[:20]}."
        ) from None
    if code:
        _refuse_stdlib(str(getattr(found, "__module__", None) or module_name), spec, where, config)
    return found


def _import(module_name: str, spec: str, where: str, config: Config) -> Any:
    try:
        return importlib.import_module(module_name)
    except ImportError as error:
        raise ConfigError(
            f"{config.source}: {where} = {spec!r}: module {module_name!r} cannot be imported "
            f"({error}). Put {module_name.replace('.', '/')}.py beside {config.source} or fix "
            "the import path."
        ) from error
    except SystemExit as stop:
        raise ConfigError(
            f"{config.source}: {where} = {spec!r}: importing module {module_name!r} called "
            f"sys.exit({stop.code!r}); a module that Prefrontal imports must not exit. Move "
            "that call under 'if __name__ == \"__main__\":'."
        ) from None
    except Exception as error:  # SyntaxError, or whatever the module's top level raised
        detail = shown(str(error))
        raise ConfigError(
            f"{config.source}: {where} = {spec!r}: importing module {module_name!r} raised "
            f"{type(error).__name__}: {detail}. Fix the module so it imports cleanly."
        ) from None


def _refuse_stdlib(module: str, spec: str, where: str, config: Config) -> None:
    root = module.split(".")[0]
    if root in sys.stdlib_module_names or root in sys.builtin_module_names:
        raise ConfigError(
            f"{config.source}: {where} = {spec!r} comes from Python's own {root!r} module; "
            "a policy or tool must be defined in your own module (beside the config) or in "
            "Prefrontal, so that what it can do is what you wrote. Wrap the call in a "
            "typed function of your own."
        )


def check_references(config: Config) -> None:
    """Find the module of every rule policy and tool function, without importing any.

    The cheap part of what ``run`` checks, for ``status``: a typo in a module name, a module
    of Python's own, or a missing file is refused with the message ``run`` gives. ``run``
    also imports those modules (and checks the function is there), resolves the model tiers
    and builds the senses.
    """
    named = [
        (worker.function, f"[workers.{name}] function")
        for name, worker in config.workers.items()
        if isinstance(worker, ToolWorkerConfig)
    ]
    named += [
        (domain.policy, f"[domains.{name}] policy")
        for name, domain in config.domains.items()
        if isinstance(domain.policy, str)
    ]
    folder = str(config.base_dir)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    for spec, where in named:
        module_name = spec.partition(":")[0]
        _refuse_stdlib(module_name, spec, where, config)
        try:
            found = importlib.util.find_spec(module_name)
        except Exception as error:  # a parent package that does not import
            found, problem = None, f"{type(error).__name__}: {shown(str(error))}"
        else:
            problem = "no such module"
        if found is None:
            raise ConfigError(
                f"{config.source}: {where} = {spec!r}: module {module_name!r} cannot be "
                f"imported ({problem}). Put {module_name.replace('.', '/')}.py beside "
                f"{config.source} or fix the import path."
            )
