"""Conditional branches: ``case`` blocks and ``merge`` (as in Prefect 1).

Tasks created inside ``with case(cond, value):`` run only when ``cond``'s result equals
``value``; otherwise they are Skipped. ``merge(a, b)`` joins branches: it returns the first
result that is not None.
"""

from __future__ import annotations

from typing import Any

from flowbook import triggers
from flowbook.core import building
from flowbook.core.task import Task
from flowbook.engine import signals
from flowbook.errors import UserTypeError, UserValueError

__all__ = ["case", "merge", "CompareValue", "Merge"]


class CompareValue(Task):
    """Skips (and so skips what depends on it) unless its input equals ``value``."""

    def __init__(self, value: Any, **kw: Any):
        kw.setdefault("name", f'CompareValue: "{value}"')
        super().__init__(**kw)
        self.value = value

    def run(self, value: Any) -> None:
        if value != self.value:
            raise signals.SKIP(f"branch not taken: {value!r} is not {self.value!r}")


class Merge(Task):
    """Returns the first non-None input; runs unless every branch was skipped."""

    def __init__(self, **kw: Any):
        if kw.setdefault("skip_on_upstream_skip", False):
            raise UserValueError("a Merge task needs skip_on_upstream_skip=False")
        kw.setdefault("trigger", triggers.not_all_skipped)
        super().__init__(**kw)

    def run(self, **branches: Any) -> Any:
        return next((v for _, v in sorted(branches.items()) if v is not None), None)


class case:
    """``with case(task, value):`` — the tasks created in the block run only on a match."""

    def __init__(self, task: Task, value: Any):
        if isinstance(value, Task):
            raise UserTypeError("case(task, value): value must be a plain value, not a task")
        self.task = task
        self.value = value
        self._tasks: dict = {}  # tasks added inside the block (an ordered set)
        self._flow: Any = None

    def add_task(self, task: Task, flow: Any) -> None:
        """Called by the flow for every task added while this block is open."""
        if self._flow is None:
            self._flow = flow
        elif self._flow is not flow:
            raise UserValueError("one case block cannot add tasks to two flows")
        self._tasks[task] = None

    def __enter__(self) -> "case":
        building.push("case", self)
        return self

    def __exit__(self, *exc: Any) -> None:
        building.pop("case")
        if not self._tasks or exc[0] is not None:
            return
        cond = CompareValue(self.value, name=f"case({self.value})").bind(value=self.task,
                                                                          flow=self._flow)
        for child in list(self._tasks):
            if not any(up in self._tasks for up in self._flow.upstream_tasks(child)):
                child.set_upstream(cond, flow=self._flow)


def merge(*tasks: Task, flow: Any = None, mapped: bool = False, **task_options: Any) -> Task:
    """A task returning the first non-None result among ``tasks`` (the branch that ran)."""
    return Merge(**task_options).bind(**{f"task{i + 1}": t for i, t in enumerate(tasks)},
                                      flow=flow, mapped=mapped)
