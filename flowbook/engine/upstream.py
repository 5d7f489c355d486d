"""What a task run sees of its upstream tasks, and the one rule for whether it may start.

``upstream_states`` gives one state per edge into a task (its constant arguments as Success
states, a ``flatten``-ed edge's list of lists flattened); ``may_start`` is the only place
deciding whether a task (a mapped child, a mapped parent) can be moved on now.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from flowbook.engine.state import Finished, Mapped, Pending, Resume, Scheduled, State

__all__ = ["upstream_states", "may_start", "waiting"]

log = logging.getLogger("flowbook.engine")


def upstream_states(plan: Any, states: dict, task: Any) -> dict:
    """``{Edge: State}`` for the task's trigger and inputs, constants included (``states``:
    Task -> its latest State in the run)."""
    upstream = {}
    for edge in plan.edges_to[task]:
        st = states.get(edge.upstream_task)
        if st is None:
            st = Pending("Task state not available.")
        elif edge.flattened:
            st = _flattened(st, edge.mapped)
        upstream[edge] = st
    constants = plan.constants_of.get(task)  # (None for most tasks, without a call)
    if constants:
        upstream.update(constants)
    return upstream


def may_start(state: State, upstream: dict, clock: Any) -> bool:
    """Whether a task in ``state`` can be moved on now (``clock.now()``): it is pending, not
    waiting for a time or a person, and every upstream state in ``upstream`` (``{Edge:
    State}``) has finished; along an edge that is not mapped, every child of a mapped
    upstream too."""
    if not isinstance(state, Pending):  # (isinstance: asked for every task of a run)
        return False
    if isinstance(state, Scheduled) and waiting(state, clock.now()):
        return False
    for edge, st in upstream.items():
        if not isinstance(st, Finished):
            return False
        if isinstance(st, Mapped) and not edge.mapped:
            for child in st.map_states:
                if not child.is_finished():
                    return False
    return True


def waiting(state: State, now: float) -> bool:
    """Scheduled for a later time (a retry), or paused until a person acts."""
    if not state.is_scheduled() or isinstance(state, Resume):
        return False
    return state.start_at is None or state.start_at > now


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
        log.warning("flowbook: `flatten` was used on upstream task that did not return an "
                    "iterable (%r); the value is passed downstream unmodified", child.result)
        return [child]
    parts = []
    for item in child.result:
        part = copy.copy(child)
        part.result = item
        parts.append(part)
    return parts
