"""Editing a built flow as a whole: ``Flow.replace`` (one task for another),
``Flow.update`` (merge another flow in) and ``Flow.copy``. They go through the Flow's own
``add_*`` and ``remove_*`` methods, so its indexes, slugs and plan stay right; ``copy``
then takes the original's slugs and reference choice as they are.

>>> from flowbook import Flow, Task
>>> a, b, c = Task("a"), Task("b"), Task("c")
>>> flow = Flow("f")
>>> edge = flow.add_edge(a, b)
>>> flow.replace(a, c)
>>> [(e.upstream_task.name, e.downstream_task.name) for e in flow.edges]
[('c', 'b')]
"""

from __future__ import annotations

from typing import Any

from flowbook.core import building
from flowbook.errors import UserValueError

__all__ = ["replace", "update", "copy"]


def replace(flow: Any, old: Any, new: Any, validate: bool = True) -> None:
    """Put ``new`` (made a task with ``as_task``) in ``flow`` where ``old`` is: every edge of
    ``old`` moves to ``new``, and so does ``old``'s place among chosen reference tasks."""
    from flowbook.tasks.core import as_task

    if old not in flow.tasks:
        raise UserValueError(f"Task {old!r} was not found in Flow {flow!r}; replace a task "
                             "of this flow (see flow.tasks)")
    new = as_task(new, flow=flow)
    edges = [*flow.edges_to(old), *flow.edges_from(old)]
    chosen = flow.chosen_reference_tasks()
    flow.remove_task(old)
    flow.add_task(new)
    for edge in edges:
        up = new if edge.upstream_task is old else edge.upstream_task
        down = new if edge.downstream_task is old else edge.downstream_task
        flow.add_edge(up, down, key=edge.key, mapped=edge.mapped, flattened=edge.flattened,
                      validate=False)
    if chosen:
        flow.set_reference_tasks([new if t is old else t for t in chosen])
    if validate:
        flow.validate()


def update(flow: Any, other: Any, merge_parameters: bool = False, validate: bool | None = None,
           merge_reference_tasks: bool = False) -> None:
    """Add ``other``'s tasks, edges and constants to ``flow``; with ``merge_parameters``,
    ``flow``'s parameters named as one of ``other``'s are replaced by it (and the result is
    validated); with ``merge_reference_tasks``, ``other``'s reference tasks join ``flow``'s."""
    from flowbook.tasks.core import Constant

    if merge_parameters:
        validate = True
        theirs = {p.name: p for p in other.parameters()}
        for mine in list(flow.parameters()):
            if mine.name in theirs:
                replace(flow, mine, theirs[mine.name])
    for task in other.tasks:
        flow.add_task(task)
    for edge in other.edges:
        if edge not in flow.edges:
            flow.add_edge(edge.upstream_task, edge.downstream_task, key=edge.key,
                          mapped=edge.mapped, flattened=edge.flattened, validate=validate)
    if merge_reference_tasks:
        flow.set_reference_tasks(flow.reference_tasks() | other.reference_tasks())
    for task, values in other.constants.items():
        for key, value in values.items():
            flow.add_edge(Constant(value), task, key=key)


def copy(flow: Any) -> Any:
    """A new Flow with ``flow``'s name, options, tasks, edges, constants, slugs and chosen
    reference tasks, and no runs."""
    from flowbook.core.flow import Flow

    new = Flow(flow.name, state_handlers=flow.state_handlers, result_dir=flow.result_dir,
               schedule=flow.schedule, result=flow.result)
    # The tasks join with the slugs they have: numbering them afresh could give one a slug
    # another was given after a removal (refused), and would be thrown away.
    new._slugs = flow._slugs.copy()
    for t in flow.tasks:
        new.tasks.add(t)
        building.note_task(new, t)
    for e in flow.edges:
        new.add_edge(e.upstream_task, e.downstream_task, e.key, e.mapped, e.flattened)
    new.constants = {t: dict(c) for t, c in flow.constants.items()}
    new._reference_tasks = dict(flow._reference_tasks)
    new.terminal_state_handler = flow.terminal_state_handler
    new._version += 1
    return new
