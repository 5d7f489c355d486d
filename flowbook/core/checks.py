"""What a flow refuses: the checks behind ``Flow.add_task``, ``add_edge``,
``set_reference_tasks`` and ``validate``, each raising a user error that names the way out.

>>> from flowbook import Flow, Task
>>> a = Task("a")
>>> new_edge(Flow("f"), a, a, None, False, ())
Traceback (most recent call last):
...
flowbook.errors.UserValueError: task 'a' cannot be its own upstream task in flow 'f'
"""

from __future__ import annotations

import os
from typing import Any, Iterable

from flowbook.context import context
from flowbook.core import building
from flowbook.core.edge import EdgeAnnotation
from flowbook.core.parameter import Parameter
from flowbook.core.task import Task
from flowbook.errors import UserTypeError, UserValueError

__all__ = ["is_task", "unique_parameter", "edge_options", "new_edge", "reference_tasks",
           "result_dir", "validate"]


def is_task(flow: Any, task: Any) -> None:
    """``flow.add_task`` takes a Task."""
    if not isinstance(task, Task):
        raise UserTypeError(f"flow {flow.name!r}: add_task takes a Task, not "
                            f"{type(task).__name__}; wrap a function with @task first")


def unique_parameter(flow: Any, task: Any, slugs: Any) -> None:
    """A parameter's name is not another parameter's of ``flow``; else its slug, just
    given in ``slugs``, is taken back and the error raised."""
    if not isinstance(task, Parameter):
        return
    for other in flow.tasks:
        if isinstance(other, Parameter) and other.name == task.name:
            slugs.remove(task)
            raise UserValueError(f"flow {flow.name!r} already has a parameter named "
                                 f"{task.name!r}; use that one or pick another name")


def edge_options(upstream: Any, downstream: Any, mapped: bool, flattened: bool) -> tuple:
    """``(upstream, mapped, flattened)`` for ``flow.add_edge``, an ``EdgeAnnotation``
    (``unmapped(x)``, ``flatten(x)``) unwrapped; raises for an edge no flow may have."""
    if isinstance(upstream, EdgeAnnotation):
        mapped = upstream.annotations.get("mapped", mapped)
        flattened = upstream.annotations.get("flattened", flattened)
        upstream = upstream.value
    if mapped and context.get("mapped"):  # apply_map maps every edge itself
        raise UserValueError("Cannot set `mapped=True` when running from inside a mapped "
                             "context (apply_map); call the task plainly, apply_map maps it")
    if isinstance(downstream, Parameter):
        raise UserValueError(f"parameter {downstream.name!r} cannot have upstream tasks: "
                             "Parameters must be root tasks and can not have upstream "
                             "dependencies")
    return upstream, mapped, flattened


def new_edge(flow: Any, upstream: Task, downstream: Task, key: str | None,
             validate: bool | None, edges_to: Iterable) -> None:
    """An edge ``upstream -> downstream`` (feeding argument ``key``) may join ``flow``,
    where ``edges_to`` are the edges already into ``downstream``; ``validate`` also checks
    ``key`` against the task's signature."""
    if upstream is downstream:
        raise UserValueError(f"task {downstream.name!r} cannot be its own upstream task "
                             f"in flow {flow.name!r}")
    if key is not None and any(e.key == key for e in edges_to):
        raise UserValueError(f"argument {key!r} of task {downstream.name!r} is already "
                             f"set in flow {flow.name!r} (it has already been assigned); call "
                             "the task again (a copy) to pass new arguments")
    if validate and key is not None:
        building.check_keys(downstream, key, edges_to)


def reference_tasks(flow: Any, tasks: Iterable) -> None:
    """``tasks`` are all in ``flow``, as reference tasks must be."""
    for t in tasks:
        if t not in flow.tasks:
            name = getattr(t, "name", t)
            raise UserValueError(f"reference task {name!r} is not in flow {flow.name!r}: "
                                 "reference tasks must be part of the flow; add it with "
                                 f"flow.add_task({name}) first")


def result_dir(flow: Any, folder: Any) -> None:
    """``folder``, to be ``flow.result_dir``, is None or a folder path."""
    if folder is not None and not isinstance(folder, (str, os.PathLike)):
        raise UserTypeError(f"flow {flow.name!r}: result_dir must be a folder path (str or "
                            f"pathlib.Path), not {type(folder).__name__}")


def validate(flow: Any) -> None:
    """``flow.validate()``: no cycle, edges and reference tasks in the flow, a result_dir
    for tasks that ask for checkpoints."""
    if any(e.upstream_task not in flow.tasks or e.downstream_task not in flow.tasks
           for e in flow.edges):
        raise UserValueError(f"flow {flow.name!r}: some edges refer to tasks not contained "
                             "in this flow; add tasks with flow.add_task, not flow.tasks")
    flow.sorted_tasks()
    if any(t not in flow.tasks for t in flow.chosen_reference_tasks()):
        raise UserValueError(f"flow {flow.name!r}: some reference tasks are not contained "
                             "in this flow; set them again with flow.set_reference_tasks")
    if flow.result_dir is None and flow.result is None:
        for t in flow.tasks:
            if t.checkpoint is True and t.result is None:
                raise UserValueError(f"task {t.name!r} has checkpoint=True, but flow "
                                     f"{flow.name!r} has no result_dir to keep it in; use "
                                     f"Flow({flow.name!r}, result_dir='checkpoints')")
