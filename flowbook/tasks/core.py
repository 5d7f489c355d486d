"""Constants and collections: how non-task arguments become part of a flow (as in Prefect 1).

A plain value passed to a task is stored as a constant of that task; a list, tuple, set or
dict that contains tasks becomes a ``List``/``Tuple``/``Set``/``Dict`` task gathering them.
"""

from __future__ import annotations

from typing import Any

from flowbook.core.edge import EdgeAnnotation
from flowbook.core.task import GetItem, Task

__all__ = ["Constant", "GetItem", "List", "Tuple", "Set", "Dict", "as_task"]


class Constant(Task):
    """A task whose result is a fixed value (used for mapped constant arguments)."""

    def __init__(self, value: Any, name: str | None = None, **kw: Any):
        self.value = value
        if name is None:
            name = repr(value)
            if len(name) > 8:
                name = f"Constant[{type(value).__name__}]"
        super().__init__(name=name, **kw)

    def run(self) -> Any:
        return self.value


class List(Task):
    """Gathers its inputs into a list."""

    def run(self, **items: Any) -> list:
        return [items[f"arg_{i}"] for i in range(len(items))]


class Tuple(Task):
    """Gathers its inputs into a tuple."""

    def run(self, **items: Any) -> tuple:
        return tuple(items[f"arg_{i}"] for i in range(len(items)))


class Set(Task):
    """Gathers its inputs into a set."""

    def run(self, **items: Any) -> set:
        return set(items.values())


class Dict(Task):
    """Builds a dict from its ``keys`` and ``values`` inputs."""

    def run(self, keys: list, values: list) -> dict:
        return dict(zip(keys, values))


def _is_constant(value: Any) -> bool:
    if isinstance(value, (Task, EdgeAnnotation)):
        return False
    if isinstance(value, (list, tuple, set)):
        return all(_is_constant(v) for v in value)
    if isinstance(value, dict):
        return all(_is_constant(v) for v in value.values())
    return True


def as_task(value: Any, flow: Any) -> Task:
    """``value`` as a task of ``flow``: tasks as they are, constants and collections wrapped."""
    if isinstance(value, Task):
        return value
    if _is_constant(value):
        new: Task = Constant(value)
    elif isinstance(value, dict):
        new = Dict().bind(keys=list(value), values=List().bind(
            **{f"arg_{i}": v for i, v in enumerate(value.values())}, flow=flow), flow=flow)
    else:
        gather = {list: List, tuple: Tuple, set: Set}[type(value)] if type(value) in (
            list, tuple, set) else List
        new = gather().bind(**{f"arg_{i}": v for i, v in enumerate(value)}, flow=flow)
    new.auto_generated = True
    return new
