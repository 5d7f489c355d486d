"""LocalExecutor: each call runs inside ``submit``, in the loop's thread (the default)."""

from __future__ import annotations

from typing import Any, Callable, Collection

from flowbook.executors.base import Done, Executor

__all__ = ["LocalExecutor"]


class LocalExecutor(Executor):
    """Runs tasks one after another in the kernel's thread (the default)."""

    def submit(self, fn: Callable, *args: Any, name: str = "") -> Done:
        return Done(fn(*args))

    def wait(self, handles: Collection) -> list:
        return list(handles)  # each call ran to its end inside submit()

    def __repr__(self) -> str:
        return "LocalExecutor()"
