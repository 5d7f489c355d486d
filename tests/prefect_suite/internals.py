"""Placeholders for Prefect 1's internal modules that the suite's files import at module level.

A file such as ``core/test_flow.py`` imports ``prefect.run_configs`` (Cloud agents) at its top;
flowbook has no such thing, and without a module of that name the file's other tests could not
even be collected. Each placeholder module here answers any attribute with an ``Internal``
object that raises ``PrefectInternal`` as soon as a test uses it (a call gives another), so
the tests that do are failures listed in ``not_applicable.txt``, and the others run. Nothing
here stands in for flowbook: it only covers modules flowbook deliberately does not have.
"""
from __future__ import annotations

import sys
import types

__all__ = ["MODULES", "PrefectInternal", "install"]

# Prefect module -> what it is, for the error a test using it meets.
MODULES = {
    "prefect.run_configs": "Cloud/Server agents' run configurations",
    "prefect.configuration": "Prefect's configuration loader",
    "prefect.utilities.configuration": "Prefect's configuration file and its overrides",
    "prefect.utilities.serialization": "Prefect's Marshmallow serializers for its API",
    "prefect.serialization": "Prefect's Marshmallow schemas for its API",
    "prefect.serialization.state": "Prefect's Marshmallow schemas for its API",
    "prefect.serialization.schedule": "Prefect's Marshmallow schemas for its API",
    "prefect.config": "Prefect's configuration object (flowbook has no prefect.config)",
    "prefect.tasks.secrets": "Prefect Cloud secrets",
    "prefect.engine.flow_runner": "Prefect's FlowRunner class (flowbook runs flows in its loop)",
    "prefect.engine.task_runner": "Prefect's TaskRunner class (flowbook's task runs are steps)",
    "prefect.engine.cloud": "Prefect Cloud runners",
    "prefect.client": "Prefect's API client",
    "prefect.storage": "flow storage for Cloud/Server",
    "prefect.backend": "Prefect's API backend",
    "prefect.environments": "Cloud execution environments",
}


class PrefectInternal(Exception):
    """A test used a Prefect 1 internal that flowbook deliberately does not have."""


class Internal:
    """Any name of a placeholder module: using it in any way raises ``PrefectInternal``."""

    def __init__(self, name: str, what: str):
        self._name, self._what = name, what

    def _refuse(self, *args, **kwargs):
        raise PrefectInternal(f"{self._name} is part of {self._what}, a Prefect internal")

    # Using the object refuses; calling it gives another placeholder, so that a call in a
    # class body or a parametrize list (`prefect.storage.Local()`) fails its test, not the file.
    __enter__ = __iter__ = __bool__ = __len__ = __getitem__ = __contains__ = __eq__ = _refuse
    __hash__ = object.__hash__

    def __call__(self, *args, **kwargs):
        return Internal(f"{self._name}()", self._what)

    def __repr__(self):
        return f"<Prefect internal {self._name}>"

    def __getattr__(self, attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return Internal(f"{self._name}.{attr}", self._what)

    def __mro_entries__(self, bases):  # a test's `class X(Internal)` fails when used, not when read
        return (_Refusing,)


class _Refusing:
    def __init__(self, *args, **kwargs):
        raise PrefectInternal(f"{type(self).__name__} derives from a Prefect internal")


class _Placeholder(types.ModuleType):
    def __getattr__(self, attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return Internal(f"{self.__name__}.{attr}", MODULES[self.__name__])


def install() -> None:
    """Put a placeholder module in ``sys.modules`` for each name of ``MODULES``, reachable as
    an attribute of its parent too (``prefect.storage.Local()`` after ``import prefect``).

    Only the suite's own test process calls this: there the parent is flowbook's module
    under its Prefect name, and the attribute is what a test of that internal reaches."""
    import importlib

    for name in MODULES:
        placeholder = sys.modules[name] = _Placeholder(name)
        parent, _, child = name.rpartition(".")
        owner = importlib.import_module(parent)
        if not hasattr(owner, child):
            setattr(owner, child, placeholder)
