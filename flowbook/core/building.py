"""Which flow, and which ``case`` block, the functional API is building in this thread."""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["active_flow", "active_case", "push", "pop"]

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
