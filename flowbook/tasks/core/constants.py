"""``Constant``: a task whose result is a value fixed when the flow is built (as in Prefect 1)."""

from __future__ import annotations

from typing import Any

from flowbook.core.task import Task

__all__ = ["Constant"]


class Constant(Task):
    """A task returning ``value``; named for the value when its repr is short.

    >>> Constant(3).name, Constant("a long string").name
    ('3', 'Constant[str]')
    """

    def __init__(self, value: Any, name: str | None = None, **kw: Any):
        self.value = value
        if name is None:
            name = repr(value)
            if len(name) > 8:
                name = f"Constant[{type(value).__name__}]"
        super().__init__(name=name, **kw)

    def run(self) -> Any:
        return self.value
