"""The Flow's edge indexes: ``flow.tasks`` (a ``TaskIndex``) keeps each task with the edges
into it (``flow._edges_to``, the same dict) and out of it (``flow._edges_from``), in the order
added; ``flow._mapped`` the tasks with a mapped edge into them. One dict both lists the tasks
and indexes the edges into them: the flow keeps no other per-task container (issue 16).

An entry is a tuple: ``()`` (one for every task without edges there) or the edges, a new
tuple per edge added; past ``_TUPLE_MOST`` edges (a task with a great many inputs) a list,
which an edge joins in place. An edge first both into its task and out of the other (each
link of a chain) puts one 1-tuple in both: a chain's task holds 48 bytes of tuples where its
two lists were 176.

The latest plan shares the two dicts, their lists frozen into tuples (``freeze``): no copy
per task when a run makes its plan. The next change copies them first (``own``), a change
of ``flow.tasks`` itself too. Only ``Flow`` calls the functions; everything else reads the
plan or the Flow's public methods.
"""

from __future__ import annotations

from typing import Any, Iterable

from flowbook.core.ordered_set import OrderedSet
from flowbook.errors import UserValueError

__all__ = ["TaskIndex", "own", "freeze", "add_edge", "remove_task", "remove_edge", "below"]


class TaskIndex(OrderedSet):
    """``flow.tasks``: a set of tasks iterating in the order added (an ``OrderedSet``), whose
    dict maps each task to the edges into it; ``_out`` maps it to the edges out of it. A task
    added or taken out here (``flow.tasks.add(t)``) is added or taken out of both."""

    __slots__ = ("_out", "_shared")

    def __init__(self, members: Iterable = ()):
        self._members: dict = {}  # Task -> (Edge into it, ...)
        self._out: dict = {}  # Task -> (Edge out of it, ...)
        self._shared = False  # the latest plan holds both dicts
        for member in members:
            self.add(member)

    def own(self) -> None:
        """Copy the dicts the latest plan shares before changing them."""
        if self._shared:
            self._members, self._out = dict(self._members), dict(self._out)
            self._shared = False

    def add(self, member: Any) -> None:
        if member not in self._members:
            self.own()
            self._members[member] = ()
            self._out[member] = ()

    def discard(self, member: Any) -> None:
        if member in self._members:
            self.own()
            del self._members[member]
            self._out.pop(member, None)

    def remove(self, member: Any) -> None:
        if member not in self._members:
            raise KeyError(member)
        self.discard(member)

    def update(self, *others: Iterable) -> None:
        for other in others:
            for member in other:
                self.add(member)

    def __getstate__(self) -> dict:
        return {"to": self._members, "from": self._out}

    def __setstate__(self, state: dict) -> None:
        self._members, self._out, self._shared = state["to"], state["from"], False


def from_pickled(tasks: Iterable, edges_to: dict, edges_from: dict) -> TaskIndex:
    """The ``TaskIndex`` of a flow pickled by an earlier flowbook (an ``OrderedSet`` of tasks
    and two dicts of lists)."""
    index = TaskIndex()
    for task in tasks:
        index._members[task] = edges_to.get(task, ())
        index._out[task] = edges_from.get(task, ())
    return index


def own(flow: Any) -> None:
    """Copy the edge indexes the latest plan shares before changing them."""
    flow.tasks.own()


_TUPLE_MOST = 8  # the most edges an entry keeps in a tuple; a list past that


def _append(index: dict, task: Any, edge: Any) -> None:
    edges = index[task]
    if type(edges) is list:
        edges.append(edge)
    elif len(edges) < _TUPLE_MOST:
        index[task] = edges + (edge,)
    else:
        index[task] = [*edges, edge]


def _without(index: dict, task: Any, edge: Any) -> None:
    edges = list(index[task])
    edges.remove(edge)
    index[task] = tuple(edges) if len(edges) <= _TUPLE_MOST else edges


def freeze(flow: Any) -> tuple:
    """``(_edges_to, _edges_from)`` with tuples for entries, for a plan to share; the
    next change of the flow copies them first."""
    tasks = flow.tasks
    if not tasks._shared:
        for index in (tasks._members, tasks._out):
            for task, edges in index.items():
                if type(edges) is list:
                    index[task] = tuple(edges)
        tasks._shared = True
    return tasks._members, tasks._out


def add_edge(flow: Any, edge: Any) -> None:
    """Index ``edge``, new in ``flow.edges``; both its tasks are in ``flow.tasks``."""
    tasks = flow.tasks
    tasks.own()
    into, out = tasks._members, tasks._out
    down, up = edge.downstream_task, edge.upstream_task
    if into[down] or out[up]:
        _append(into, down, edge)
        _append(out, up, edge)
    else:  # the first edge both ways (each link of a chain): one tuple for both
        into[down] = out[up] = (edge,)
    if edge.mapped:
        flow._mapped.add(down)


def remove_task(flow: Any, task: Any) -> None:
    """Take ``task`` out of ``flow.tasks``, and every edge touching it out of the indexes
    and out of ``flow.edges``."""
    tasks = flow.tasks
    tasks.own()
    into, out = tasks._members, tasks._out
    for edge in [*into[task], *out[task]]:
        flow.edges.discard(edge)
        if edge.downstream_task is not task:
            down = edge.downstream_task
            _without(into, down, edge)
            if not any(e.mapped for e in into[down]):
                flow._mapped.discard(down)
        if edge.upstream_task is not task:
            _without(out, edge.upstream_task, edge)
    tasks.discard(task)
    flow._mapped.discard(task)


def remove_edge(flow: Any, edge: Any) -> None:
    """Take ``edge``, just removed from ``flow.edges``, out of the indexes."""
    tasks = flow.tasks
    tasks.own()
    _without(tasks._members, edge.downstream_task, edge)
    _without(tasks._out, edge.upstream_task, edge)
    if not any(e.mapped for e in tasks._members[edge.downstream_task]):
        flow._mapped.discard(edge.downstream_task)


def below(flow: Any, tasks: Iterable) -> set:
    """``tasks`` (of ``flow``) and every task downstream of them."""
    found, todo = set(), list(tasks)
    for t in todo:
        if t not in flow.tasks:
            raise UserValueError(f"Task {t!r} was not found in Flow {flow!r}; give tasks "
                                 "of this flow")
    out = flow.tasks._out
    while todo:
        t = todo.pop()
        if t not in found:
            found.add(t)
            todo.extend(e.downstream_task for e in out[t])
    return found
