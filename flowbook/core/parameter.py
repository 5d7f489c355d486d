"""Parameters: root tasks whose result is a value given to ``flow.run(parameters=...)``."""

from __future__ import annotations

from typing import Any

from flowbook.context import context
from flowbook.core.task import Task
from flowbook.errors import UserTypeError, UserValueError

__all__ = ["Parameter"]

class Parameter(Task):
    """A named input of a flow. Required when it has no default (or a default of None).

    >>> Parameter("x", default=3).run()
    3
    """

    def __init__(self, name: str, default: Any = None, required: bool | None = None, **kw: Any):
        super().__init__(name=name, **kw)
        if self.result is None:  # as in Prefect 1 (a parameter is never checkpointed)
            from flowbook.engine.results import PrefectResult

            self.result = PrefectResult()
        self.default = default
        self.required = default is None if required is None else required

    def __repr__(self) -> str:
        return f"<Parameter: {self.name}>"

    def run(self) -> Any:
        params = context.get("parameters") or {}
        if self.required and self.name not in params:
            raise UserValueError(f"parameter {self.name!r} is required; pass it with "
                             f"flow.run(parameters={{{self.name!r}: ...}})")
        return params.get(self.name, self.default)

    def copy(self, **task_args: Any) -> "Task":
        raise UserTypeError(f"parameter {self.name!r} cannot be copied or called; use it as an "
                        "argument of other tasks")

    def __call__(self, *args: Any, **kwargs: Any) -> "Task":
        return self.copy()
