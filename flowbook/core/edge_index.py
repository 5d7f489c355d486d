"""The Flow's edge indexes, kept by these functions: task -> the edges into it
(``flow._edges_to``) and out of it (``flow._edges_from``), in the order added, and the tasks
with a mapped edge into them (``flow._mapped``).

An entry is a tuple: ``()`` (one for every task without edges there) or the edges, a new
tuple per edge added; past ``_TUPLE_MOST`` edges (a task with a great many inputs) a list,
which an edge joins in place. An edge first both into its task and out of the other (each
link of a chain) puts one 1-tuple in both: a chain's task holds 48 bytes of tuples where its
two lists were 176 (issue 16).

The latest plan shares the two dicts, their lists frozen into tuples (``freeze``): no copy
per task when a run makes its plan. The next change copies them first (``own``).
Only ``Flow`` calls these; everything else reads the plan or the Flow's public methods.
"""

from __future__ import annotations

from typing import Any, Iterable

from flowbook.errors import UserValueError

__all__ = ["own", "freeze", "add_task", "add_edge", "remove_task", "remove_edge", "below"]


def own(flow: Any) -> None:
    """Copy the edge indexes the latest plan shares before changing them."""
    if flow._edges_shared:
        flow._edges_to, flow._edges_from = dict(flow._edges_to), dict(flow._edges_from)
        flow._edges_shared = False


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
    if not flow._edges_shared:
        for index in (flow._edges_to, flow._edges_from):
            for task, edges in index.items():
                if type(edges) is list:
                    index[task] = tuple(edges)
    flow._edges_shared = True
    return flow._edges_to, flow._edges_from


def add_task(flow: Any, task: Any) -> None:
    """Index ``task``, new in the flow, with no edges yet."""
    own(flow)
    flow._edges_to[task] = ()
    flow._edges_from[task] = ()


def add_edge(flow: Any, edge: Any) -> None:
    """Index ``edge``, new in ``flow.edges``."""
    own(flow)
    down, up = edge.downstream_task, edge.upstream_task
    if flow._edges_to[down] or flow._edges_from[up]:
        _append(flow._edges_to, down, edge)
        _append(flow._edges_from, up, edge)
    else:  # the first edge both ways (each link of a chain): one tuple for both
        flow._edges_to[down] = flow._edges_from[up] = (edge,)
    if edge.mapped:
        flow._mapped.add(edge.downstream_task)


def remove_task(flow: Any, task: Any) -> None:
    """Take ``task`` out of the indexes, and every edge touching it out of them and out
    of ``flow.edges``."""
    own(flow)
    for edge in [*flow._edges_to[task], *flow._edges_from[task]]:
        flow.edges.discard(edge)
        if edge.downstream_task is not task:
            down = edge.downstream_task
            _without(flow._edges_to, down, edge)
            if not any(e.mapped for e in flow._edges_to[down]):
                flow._mapped.discard(down)
        if edge.upstream_task is not task:
            _without(flow._edges_from, edge.upstream_task, edge)
    flow._edges_to.pop(task, None)
    flow._edges_from.pop(task, None)
    flow._mapped.discard(task)


def remove_edge(flow: Any, edge: Any) -> None:
    """Take ``edge``, just removed from ``flow.edges``, out of the indexes."""
    own(flow)
    _without(flow._edges_to, edge.downstream_task, edge)
    _without(flow._edges_from, edge.upstream_task, edge)
    if not any(e.mapped for e in flow._edges_to[edge.downstream_task]):
        flow._mapped.discard(edge.downstream_task)


def below(flow: Any, tasks: Iterable) -> set:
    """``tasks`` (of ``flow``) and every task downstream of them."""
    found, todo = set(), list(tasks)
    for t in todo:
        if t not in flow.tasks:
            raise UserValueError(f"Task {t!r} was not found in Flow {flow!r}; give tasks "
                                 "of this flow")
    while todo:
        t = todo.pop()
        if t not in found:
            found.add(t)
            todo.extend(e.downstream_task for e in flow._edges_from[t])
    return found
