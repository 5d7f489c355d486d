"""Which flow, and which ``case`` block, the functional API is building in this thread."""

from __future__ import annotations

import inspect
import threading
from typing import Any

from flowbook.context import context
from flowbook.core import unused
from flowbook.errors import UserTypeError

__all__ = ["active_flow", "active_case", "push", "pop", "enter_flow", "leave_flow",
           "note_task", "check_keys"]

_local = threading.local()


def _stack(kind: str) -> list:
    stack = getattr(_local, kind, None)
    if stack is None:
        stack = []
        setattr(_local, kind, stack)
    return stack


def push(kind: str, value: Any) -> None:
    """Enter a ``with Flow(...)`` (kind "flow") or a ``with case(...)`` (kind "case") block."""
    _stack(kind).append(value)


def pop(kind: str) -> Any:
    """Leave the innermost block of ``kind``; returns what its ``push`` gave."""
    return _stack(kind).pop()


def active_flow() -> Any:
    stack = _stack("flow")
    return stack[-1] if stack else None


def active_case() -> Any:
    stack = _stack("case")
    return stack[-1] if stack else None


def enter_flow(flow: Any) -> None:
    """Begin ``with flow:`` (``Flow.__enter__``)."""
    # As in Prefect 1: context.flow is the flow being built, and what the block sets
    # in the context ends with it; the block notes the tasks made in it (core/unused.py).
    push("flow_context", context.enter(flow=flow, **{
        unused.TRACKER: unused.new_tracker(flow)}))
    push("flow", flow)


def leave_flow(flow: Any, failed: bool) -> None:
    """End ``with flow:`` (``Flow.__exit__``); unless the block ``failed``, warn of the tasks
    made in it and not added to ``flow``."""
    tracker = context.get(unused.TRACKER)
    pop("flow")
    context.leave(pop("flow_context"))
    if not failed:  # after an error, the error is what the user needs to see
        unused.warn_unused(flow, tracker)


def note_task(flow: Any, task: Any) -> None:
    """Tell the ``case`` block and the resource block open in this thread, if any, that
    ``task`` was just added to ``flow`` in them."""
    case = active_case()
    if case is not None:
        case.add_task(task, flow)
    resource = context.get("resource")  # a `with resource_manager(...)` block
    if resource is not None:
        resource.add_task(task, flow)


def check_keys(task: Any, key: str, edges: Any) -> None:
    """Raise UserTypeError when ``task.run`` takes no argument ``key`` (with the keys of
    ``edges``, the task's other keyed edges)."""
    keys = dict.fromkeys([*(e.key for e in edges if e.key is not None), key])
    try:
        inspect.signature(task.run).bind_partial(**keys)
    except TypeError as exc:
        raise UserTypeError(f"task {task.name!r} cannot take argument {key!r} ({exc}); its "
                            f"run() takes {inspect.signature(task.run)}") from None
