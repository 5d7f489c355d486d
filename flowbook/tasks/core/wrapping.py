"""``as_task``: how a value that is not a task becomes one (a constant or a collection task)."""

from __future__ import annotations

from typing import Any

from flowbook.core.edge import EdgeAnnotation
from flowbook.core.task import Task
from flowbook.tasks.core.collections import Dict, List, Set, Tuple
from flowbook.tasks.core.constants import Constant

__all__ = ["as_task"]

_GATHERERS = {list: List, tuple: Tuple, set: Set}


def _is_constant(value: Any) -> bool:
    if isinstance(value, (Task, EdgeAnnotation)):
        return False
    if isinstance(value, (list, tuple, set)):
        return all(_is_constant(v) for v in value)
    if isinstance(value, dict):
        return all(_is_constant(v) for v in value.values())
    return True


def as_task(value: Any, flow: Any = None) -> Task:
    """``value`` as a task: tasks as they are (an annotated one unwrapped: ``unmapped(t)`` is
    ``t``), other values a ``Constant``, collections holding tasks a collection task bound in
    ``flow`` (default: the flow being built)."""
    if isinstance(value, EdgeAnnotation):
        return as_task(value.value, flow)
    if isinstance(value, Task):
        return value
    if _is_constant(value):
        new: Task = Constant(value)
    elif isinstance(value, dict):
        new = Dict().bind(keys=list(value), values=List().bind(*value.values(), flow=flow),
                          flow=flow)
    else:
        new = _GATHERERS.get(type(value), List)().bind(*value, flow=flow)
    new.auto_generated = True
    return new
