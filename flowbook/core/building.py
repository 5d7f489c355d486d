"""Which flow, and which ``case`` block, the functional API is building in this thread."""

from __future__ import annotations

import inspect
import threading
from typing import Any

from flowbook.errors import UserTypeError

__all__ = ["active_flow", "active_case", "push", "pop", "check_keys"]

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


def check_keys(task: Any, key: str, edges: Any) -> None:
    """Raise UserTypeError when ``task.run`` takes no argument ``key`` (with the keys of
    ``edges``, the task's other keyed edges)."""
    keys = dict.fromkeys([*(e.key for e in edges if e.key is not None), key])
    try:
        inspect.signature(task.run).bind_partial(**keys)
    except TypeError as exc:
        raise UserTypeError(f"task {task.name!r} cannot take argument {key!r} ({exc}); its "
                            f"run() takes {inspect.signature(task.run)}") from None
