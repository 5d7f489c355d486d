"""Executors run the calls the scheduling loop submits; they decide nothing themselves.

An executor has ``submit(fn, *args) -> handle`` and ``wait(handles) -> done handles`` (at least
one when any are given). ``LocalExecutor`` runs each call at once in the calling thread.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

__all__ = ["LocalExecutor"]


class _Done:
    """The handle of a call that has already finished."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


class LocalExecutor:
    """Runs tasks one after another in the kernel's thread (the default)."""

    def submit(self, fn: Callable, *args: Any) -> _Done:
        return _Done(fn(*args))

    def wait(self, handles: Iterable) -> list:
        return list(handles)

    def __repr__(self) -> str:
        return "LocalExecutor()"
