"""``apply_map``: map a whole function of tasks over sequences, as Prefect 1's
``prefect.utilities.tasks.apply_map`` does; each task it builds runs once per element.

>>> from flowbook import Flow, task
>>> @task
... def inc(x):
...     return x + 1
>>> with Flow("nested") as flow:
...     twice = apply_map(lambda x: inc(inc(x)), [1, 2, 3])
>>> flow.run().result[twice].result
[3, 4, 5]

The function is called once, with placeholder tasks for its arguments, in a scratch flow;
the tasks it builds are then copied into the flow with every edge mapped, except the edges
from arguments wrapped in ``unmapped``. A task of the function that does not depend on every
argument gets a state-only edge from those it misses, so that it too is mapped to the right
length and waits for them.
"""

from __future__ import annotations

import inspect
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from typing import Any, Callable, Iterator

from flowbook.context import context
from flowbook.core import building, unused
from flowbook.core.edge import EdgeAnnotation, unmapped
from flowbook.core.task import Task
from flowbook.errors import UserTypeError, UserValueError

__all__ = ["apply_map"]


class _Argument(Task):
    """Stands, in the scratch flow, for one argument of the mapped function."""

    def run(self) -> None:  # never runs: replaced by the argument itself when copied
        raise RuntimeError("an apply_map placeholder ran; this is a bug of flowbook")


@dataclass(frozen=True, slots=True)
class _Input:
    task: Task  # the argument as a task of the real flow
    mapped: bool  # False for an argument wrapped in unmapped
    flattened: bool  # True for an argument wrapped in flatten
    constant: bool  # an unmapped Constant: its value is inlined, no edge


def apply_map(func: Callable, *args: Any, flow: Any = None, **kwargs: Any) -> Any:
    """Map ``func`` (which builds tasks) over ``args``/``kwargs``; what ``func`` returns, its
    tasks now mapped. ``func`` may take a ``flow`` argument: it gets the flow to build in."""
    flow = flow or building.active_flow()
    if flow is None:
        raise UserValueError("apply_map: couldn't infer a flow in the current context; call "
                             "it inside `with Flow(...):` or pass flow=...")
    for value in chain(args, kwargs.values()):
        if not isinstance(value, (Task, EdgeAnnotation)) and not hasattr(value, "__getitem__"):
            raise UserTypeError(f"apply_map: cannot map over non-sequence object of type "
                                f"`{type(value).__name__}`; pass a list or a task, or wrap "
                                "it in unmapped(...)")
    from flowbook.core.flow import Flow

    scratch = Flow(f"apply_map({getattr(func, '__name__', 'func')})")
    inputs: dict = {}
    with _building(scratch):
        with unused.untracked():  # placeholders, and constants whose values get inlined
            placed_args = [_place(a, flow, scratch, inputs) for a in args]
            placed_kwargs = {k: _place(v, flow, scratch, inputs) for k, v in kwargs.items()}
        if "flow" in _parameters(func):
            placed_kwargs["flow"] = scratch
        result = func(*placed_args, **placed_kwargs)
    _copy(scratch, flow, inputs)
    return result


def _parameters(func: Callable) -> set:
    try:
        return set(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        return set()


def _place(value: Any, flow: Any, scratch: Any, inputs: dict) -> Task:
    """What ``func`` gets for ``value``: a placeholder in ``scratch``, noting how its edges
    will be made; a collection holding tasks is gathered in ``scratch``, once per element."""
    from flowbook.tasks.core import Constant, as_task

    is_mapped = not isinstance(value, unmapped)
    flags = value.annotations if isinstance(value, EdgeAnnotation) else {}
    task = as_task(value, flow=scratch if is_mapped else flow)
    if task in scratch.tasks:
        return task
    placeholder = _Argument(name=task.name)
    inputs[placeholder] = _Input(task, is_mapped, flags.get("flattened", False),
                                 isinstance(task, Constant) and not is_mapped)
    scratch.add_task(placeholder)
    return placeholder


@contextmanager
def _building(scratch: Any) -> Iterator[None]:
    """``scratch`` is the flow being built, outside any case or resource block, and with
    ``mapped`` set so that a nested map is refused."""
    building.push("case", None)
    try:
        with scratch, context(mapped=True, resource=None):
            yield
    finally:
        building.pop("case")


def _copy(scratch: Any, flow: Any, inputs: dict) -> None:
    """Put the tasks ``scratch`` holds into ``flow``, their edges mapped as they should be."""
    from flowbook.tasks.core import Constant

    extra = _missing_inputs(scratch, [p for p, i in inputs.items() if not i.constant])
    built = [t for t in scratch.sorted_tasks() if t not in inputs]
    for task in built:
        flow.add_task(task)
    for edge in [*scratch.edges, *extra]:
        source = inputs.get(edge.upstream_task)
        if source is None:
            flow.add_edge(edge.upstream_task, edge.downstream_task, key=edge.key,
                          mapped=True, flattened=edge.flattened)
        elif not (source.constant and edge.key is None):
            flow.add_edge(source.task, edge.downstream_task, key=edge.key,
                          mapped=source.mapped, flattened=source.flattened)
    with unused.untracked():
        for task in built:
            for key, value in scratch.constants.get(task, {}).items():
                flow.add_edge(Constant(value), task, key=key)


def _missing_inputs(scratch: Any, counted: list) -> list:
    """State-only edges giving each built task every counted input among its ancestors."""
    from flowbook.core.edge import Edge

    reached: dict = {p: {p} for p in counted}
    extra = []
    for task in scratch.sorted_tasks():
        if isinstance(task, _Argument):
            continue
        above = set().union(*(reached.get(up, set()) for up in scratch.upstream_tasks(task)))
        for placeholder in counted:
            if placeholder not in above:
                extra.append(Edge(placeholder, task))
        reached[task] = above | set(counted)
    return extra
