"""What a task run sees of its upstream tasks: one state per edge into it, its constant
arguments as Success states, and a ``flatten``-ed edge's list of lists flattened."""

from __future__ import annotations

import copy
from typing import Any

from flowbook.engine.state import Pending, State, Success

__all__ = ["upstream_states"]


def upstream_states(run: Any, task: Any) -> dict:
    """``{Edge: State}`` for the task's trigger and inputs, constants included."""
    flow = run.flow
    upstream = {}
    for edge in flow._edges_to[task]:
        st = run.states.get(edge.upstream_task)
        if st is None:
            st = Pending("Task state not available.")
        if edge.flattened:
            st = _flattened(st, edge.mapped)
        upstream[edge] = st
    if task in flow.constants:
        upstream.update(_constant_edges(run, task))
    return upstream


def _constant_edges(run: Any, task: Any) -> dict:
    edges = run._constant_edges.get(task)
    if edges is None:
        from flowbook.core.edge import Edge
        from flowbook.tasks.core import Constant

        edges = run._constant_edges[task] = {
            Edge(Constant(value), task, key): Success("Constant argument.", result=value)
            for key, value in run.flow.constants[task].items()}
    return edges


def _flattened(state: State, mapped: bool) -> State:
    """The state with its list-of-lists result flattened (for a mapped upstream: children
    with one state per element)."""
    if state.is_mapped():
        flat = copy.copy(state)
        flat.map_states = [part for child in state.map_states for part in _split(child)]
        flat.result, flat.has_result = [c.result for c in flat.map_states], True
        return flat
    if not state.is_successful() or state.is_skipped():
        return state
    try:
        items = [y for x in state.result for y in x]
    except TypeError:
        return state
    flat = copy.copy(state)
    flat.result = items
    return flat


def _split(child: State) -> list:
    if not child.is_successful() or child.is_skipped():
        return [child]
    if not (hasattr(child.result, "__len__") and hasattr(child.result, "__getitem__")):
        return [child]
    parts = []
    for item in child.result:
        part = copy.copy(child)
        part.result = item
        parts.append(part)
    return parts
