"""Conditional branches: ``ifelse``, ``switch`` and ``merge`` (as in Prefect 1).

``switch(cond, {value: task, ...})`` runs the task whose value equals ``cond``'s result and
skips the others (and what is below them); ``ifelse(cond, if_true, if_false)`` is a switch on
``bool(cond)``. ``merge(a, b, ...)`` joins the branches again: it returns the first result
that is not None, and is Skipped only when every branch was.
"""

from __future__ import annotations

from typing import Any

from flowbook import triggers
from flowbook.core import building
from flowbook.core.task import Task
from flowbook.engine import signals
from flowbook.errors import UserValueError

__all__ = ["CompareValue", "Merge", "AsBool", "switch", "ifelse", "merge"]


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


class AsBool(Task):
    """``bool(x)``: the condition of an ``ifelse`` (named ``as_bool`` there, as in Prefect 1)."""

    def run(self, x: Any) -> bool:
        return bool(x)


def switch(condition: Task, cases: dict, mapped: bool = False, flow: Any = None) -> None:
    """Run ``cases[r]`` where ``r`` is ``condition``'s result; skip the other cases' tasks.

    Each case's task gets a ``CompareValue`` upstream of it. A case given as a list of tasks
    puts the ``List`` gathering them in the branch, not the tasks themselves.
    """
    from flowbook.tasks.core import as_task

    flow = flow or building.active_flow()
    if flow is None:
        raise UserValueError("switch(...) was called outside a flow: call it inside "
                             "`with Flow(...):`, or pass flow=...")
    for value, task in cases.items():
        task = as_task(task, flow)
        match = CompareValue(value, tags=["switch"]).bind(value=condition, mapped=mapped,
                                                         flow=flow)
        task.set_dependencies(flow=flow, upstream_tasks=[match], mapped=mapped)


def ifelse(condition: Task, true_task: Any, false_task: Any, mapped: bool = False,
           flow: Any = None) -> None:
    """Run ``true_task`` if ``condition``'s result is truthy, else ``false_task`` (either may
    be None); the task not taken is Skipped."""
    cases = {value: t for value, t in ((True, true_task), (False, false_task)) if t is not None}
    if cases:
        as_bool = AsBool(name="as_bool").bind(condition, mapped=mapped, flow=flow)
        switch(as_bool, cases, mapped=mapped, flow=flow)


def merge(*tasks: Task, flow: Any = None, mapped: bool = False, **task_options: Any) -> Task:
    """A task returning the first non-None result among ``tasks`` (the branch that ran)."""
    return Merge(**task_options).bind(**{f"task{i + 1}": t for i, t in enumerate(tasks)},
                                      flow=flow, mapped=mapped)
