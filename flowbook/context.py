"""``flowbook.context``: what a running task knows of its run (like ``prefect.context``).

The engine sets it around every call into user code (a task body, a trigger, a state handler):
``task_name``, ``task_full_name``, ``task_run_count``, ``task_loop_count``, ``task_loop_result``,
``map_index``, ``resume``, ``parameters``, ``flow_name``. It is per thread. Read it with
``context.get("task_run_count")``, ``context.task_run_count`` or ``context["task_run_count"]``.

>>> with context(answer=42):
...     context.answer, context.get("missing", "default")
(42, 'default')
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Iterator

__all__ = ["Context", "context"]


class Context(threading.local):
    """A per-thread mapping with attribute access; ``with context(key=value):`` sets values."""

    def __init__(self) -> None:
        self.__dict__["_values"] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)

    def __getattr__(self, key: str) -> Any:
        try:
            return self.__dict__["_values"][key]
        except KeyError:
            raise AttributeError(
                f"context has no value {key!r}; use context.get({key!r})") from None

    def __setattr__(self, key: str, value: Any) -> None:
        self._values[key] = value

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def to_dict(self) -> dict:
        return dict(self._values)

    @contextmanager
    def __call__(self, values: dict | None = None, **more: Any) -> Iterator["Context"]:
        saved = self._values
        self.__dict__["_values"] = {**saved, **(values or {}), **more}
        try:
            yield self
        finally:
            self.__dict__["_values"] = saved

    def _replace(self, values: dict) -> dict:
        """Swap in ``values`` wholesale, returning the previous mapping (the engine's fast path)."""
        saved = self._values
        self.__dict__["_values"] = values
        return saved

    def __repr__(self) -> str:
        return f"<Context: {sorted(self._values)}>"

    def __reduce__(self) -> str:
        # A task body sent to another process (a Dask worker) refers to that process's own
        # context, which the engine fills in there; pickle the singleton by name.
        return "context"


context = Context()
