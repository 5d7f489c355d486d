"""The frozen plan of a flow: what a run reads of the flow's graph, compiled once per run.

A ``Plan`` is made from a ``Flow`` when a run starts (and when it is resumed or retried) and
never changes afterwards, like graphlib's sorter after ``prepare()``. The scheduling loop and
the widget read the plan, never the Flow's private fields, so editing the flow while a run
goes on cannot pull edges from under the run: the next run gets a new plan.

>>> from flowbook import Flow, task, unmapped
>>> @task
... def load():
...     return [1, 2]
>>> @task
... def add(x, y):
...     return x + y
>>> with Flow("etl") as flow:
...     total = add.map(load(), y=unmapped(10))
>>> plan = compile_plan(flow)
>>> [plan.names[t] for t in plan.order], plan.mapped == {total}
(['load', 'add'], True)
>>> [(e.key, plan.constants[e].result) for e in plan.inputs[total] if e in plan.constants]
[('y', 10)]
"""

from __future__ import annotations

import graphlib
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Any, Mapping

from flowbook.core.edge import Edge
from flowbook.core.naming import unique_names
from flowbook.engine.state import Success
from flowbook.errors import UserValueError

__all__ = ["Plan", "compile_plan", "FlowCycleError"]


class FlowCycleError(UserValueError):
    """The flow's edges form a cycle; ``cycle`` lists the tasks around it."""

    def __init__(self, flow_name: str, cycle: list):
        self.cycle = cycle
        names = " -> ".join(t.name for t in cycle)
        super().__init__(f"Cycle found: flow {flow_name!r} has a cycle: {names}; remove one of "
                         "these edges (flows must be acyclic)")


@dataclass(frozen=True, eq=False)
class Plan:
    """A flow's graph as one run sees it. Every mapping is read-only; tuples keep order."""

    flow_name: str  # the flow's name when the plan was made
    tasks: tuple  # every task, in the order they were added to the flow
    order: tuple  # every task, each after its upstream tasks (graphlib's static order)
    edges: tuple  # every Edge between two tasks, in the order they were added
    edges_to: Mapping  # Task -> (Edge from another task into it, ...)
    edges_from: Mapping  # Task -> (Edge out of it to another task, ...)
    constants_of: Mapping  # Task -> ((constant Edge, its Success state), ...) of its arguments
    mapped: frozenset  # tasks with at least one mapped edge into them
    terminal: frozenset  # tasks no other task waits for
    reference: frozenset  # tasks whose states decide the flow's state

    def __contains__(self, task: Any) -> bool:
        return task in self.edges_to

    @cached_property
    def names(self) -> Mapping:
        """Task -> its unique name in the flow (``load``, ``load-2``, ...)."""
        return MappingProxyType(unique_names(self))

    @cached_property
    def constants(self) -> Mapping:
        """Every constant Edge -> its Success state, whose result is the argument's value."""
        return MappingProxyType({e: st for pairs in self.constants_of.values()
                                 for e, st in pairs})

    @cached_property
    def inputs(self) -> Mapping:
        """Task -> its edges from other tasks, then one Edge per constant argument."""
        return MappingProxyType({t: self.edges_to[t] + tuple(e for e, _ in self.constants_of[t])
                                 for t in self.tasks})

    def require(self, task: Any) -> None:
        """Raise UserValueError naming ``task`` and the flow when it is not in the plan."""
        if task not in self.edges_to:
            raise not_in_flow(task, self.flow_name)


def not_in_flow(task: Any, flow_name: str, detail: str = "") -> UserValueError:
    """The error for ``task`` missing from flow ``flow_name``, with how to add it."""
    name = getattr(task, "name", repr(task))
    return UserValueError(f"task {name!r} is not in flow {flow_name!r}{detail}; add it with "
                          f"flow.add_task({name}) or call it inside `with Flow(...)`")


def compile_plan(flow: Any) -> Plan:
    """The plan of ``flow`` as it is now; raises FlowCycleError naming a cycle."""
    # Imported here: flowbook.tasks builds on flowbook.core, which must load without it.
    from flowbook.tasks.core.constants import Constant

    # The Flow's own edge indexes, frozen and shared: no copy per task (a run of a new flow
    # makes its plan), and the flow copies them before it next changes.
    edges_to, edges_from = flow._frozen_edges()
    tasks = tuple(edges_to)  # the flow's index: every task once, in the order added
    constants_of = _NoConstants()  # only the tasks given constants: () for the others
    for t, values in flow.constants.items():
        constants_of[t] = tuple(
            (Edge(Constant(value), t, key), Success("Constant argument.", result=value))
            for key, value in values.items())
    terminal = frozenset(t for t, out in edges_from.items() if not out)
    order = _order(flow.name, edges_to)
    return Plan(
        flow_name=flow.name, tasks=tasks, order=tasks if order == tasks else order,
        edges=tuple(flow.edges), edges_to=MappingProxyType(edges_to),
        edges_from=MappingProxyType(edges_from), constants_of=MappingProxyType(constants_of),
        mapped=frozenset(flow._mapped), terminal=terminal,
        reference=_reference(flow, tasks, terminal))


def _reference(flow: Any, tasks: tuple, terminal: frozenset) -> frozenset:
    """The flow's reference tasks: its terminal tasks themselves (the same frozenset) when
    none were chosen and no resource is cleaned up, as ``flow.reference_tasks()`` says."""
    from flowbook.tasks.core.resource_manager import ResourceCleanupTask

    if flow.chosen_reference_tasks() or any(isinstance(t, ResourceCleanupTask) for t in tasks):
        return frozenset(flow.reference_tasks())
    return terminal


class _NoConstants(dict):
    """Task -> its constant arguments, holding only tasks that have some (a run of 100,000
    tasks without any keeps no entry for them); any other task has none: ``()``."""

    def __missing__(self, task: Any) -> tuple:
        return ()


def _order(flow_name: str, edges_to: dict) -> tuple:
    """Every task after its upstream tasks: the order they were added when that already is
    one (the functional API adds a task after its arguments), else graphlib's static order."""
    seen: set = set()
    for t, edges in edges_to.items():
        for e in edges:
            if e.upstream_task not in seen:
                break
        else:
            seen.add(t)
            continue
        break
    else:
        return tuple(edges_to)
    graph = {t: [e.upstream_task for e in edges] for t, edges in edges_to.items()}
    try:
        return tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        raise FlowCycleError(flow_name, list(reversed(exc.args[1]))) from None
