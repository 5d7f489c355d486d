"""``with case(task, value):`` blocks: tasks that run only on a match (as in Prefect 1).

Tasks created inside the block run only when ``task``'s result equals ``value``; otherwise
they are Skipped, and so is what is below them unless it sets ``skip_on_upstream_skip=False``
(``merge`` does). While the block is open, ``context["case"]`` is the block.
"""

from __future__ import annotations

from typing import Any

from flowbook.context import context
from flowbook.core import building
from flowbook.core.parameter import Parameter
from flowbook.core.task import Task
from flowbook.errors import UserTypeError, UserValueError
from flowbook.tasks.control_flow.conditional import CompareValue
from flowbook.tasks.core.constants import Constant

__all__ = ["case"]


class case:
    """``with case(task, value):`` — the tasks created in the block run only on a match."""

    def __init__(self, task: Task, value: Any):
        if isinstance(value, Task):
            raise UserTypeError(f"case({task.name}, {value.name}): `value` cannot be a task; "
                                "give the plain value the result is compared with")
        self.task = task
        self.value = value
        self._tasks: dict = {}  # tasks added inside the block (an ordered set)
        self._flow: Any = None
        self._context: Any = None  # the `with context(case=self)` while the block is open

    def add_task(self, task: Task, flow: Any) -> None:
        """Called by the flow for every task added while this block is open."""
        if isinstance(task, (Parameter, Constant)):
            return  # the roots of a flow: a branch never holds them, as in Prefect 1
        if self._flow is None:
            self._flow = flow
        elif self._flow is not flow:
            raise UserValueError(f"Multiple flows cannot be used with the same case statement: "
                                 f"task {task.name!r} goes to flow {flow.name!r} but the block "
                                 f"builds {self._flow.name!r}; open one case block per flow")
        self._tasks[task] = None

    def __enter__(self) -> "case":
        building.push("case", self)
        self._context = context(case=self)
        self._context.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._context.__exit__(*exc)
        building.pop("case")
        if not self._tasks or exc[0] is not None:
            return
        cond = CompareValue(self.value, name=f"case({self.value})").bind(value=self.task,
                                                                          flow=self._flow)
        for child in list(self._tasks):
            if not any(up in self._tasks for up in self._flow.upstream_tasks(child)):
                child.set_upstream(cond, flow=self._flow)
