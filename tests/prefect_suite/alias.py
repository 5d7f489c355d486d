"""The import alias: ``prefect`` and ``prefect.X`` load flowbook's modules, nothing more.

Prefect 1.4.1's own tests import ``prefect``; installing this finder makes each of those imports
load the flowbook module of the same path (``prefect.core.flow`` is ``flowbook.core.flow``),
or the module named in ``RENAMES`` where flowbook keeps the thing elsewhere. The alias has no
behaviour of its own: an attribute flowbook lacks is an AttributeError, a module it lacks a
ModuleNotFoundError, exactly what user code with the import swapped would meet.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

__all__ = ["RENAMES", "install", "uninstall", "real_name"]

# Prefect module -> the flowbook module that holds the same public names.
RENAMES: dict = {"prefect.utilities.context": "flowbook.context"}


def real_name(name: str) -> str:
    """The flowbook module that ``prefect`` module ``name`` stands for."""
    for alias, real in RENAMES.items():
        if name == alias or name.startswith(alias + "."):
            return real + name[len(alias):]
    return "flowbook" + name[len("prefect"):]


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name != "prefect" and not name.startswith("prefect."):
            return None
        real = real_name(name)
        try:
            found = importlib.util.find_spec(real)
        except ModuleNotFoundError:
            found = None
        if found is None:
            return None  # the import fails as ModuleNotFoundError: flowbook has no such module
        spec = importlib.util.spec_from_loader(name, self, origin=real,
                                               is_package=found.submodule_search_locations
                                               is not None)
        return spec

    def create_module(self, spec):
        module = importlib.import_module(spec.origin)
        self._kept = (module.__spec__, getattr(module, "__loader__", None))
        return module

    def exec_module(self, module):
        # The import system stamped the alias's spec on flowbook's module: give it back its own.
        module.__spec__, module.__loader__ = self._kept


_FINDER = _Alias()


def install() -> None:
    """Make ``import prefect...`` load flowbook's modules in this process."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def uninstall() -> None:
    """Undo ``install`` and forget the aliased module names."""
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name in [n for n in sys.modules if n == "prefect" or n.startswith("prefect.")]:
        del sys.modules[name]
