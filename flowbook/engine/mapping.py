"""Mapped tasks: a parent state (Mapped) with one child state per element of its inputs.

The scheduling loop asks ``child_runs`` for the children of a mapped task that can move on
now: the parent first becomes Mapped (or says why it cannot: skipped, nothing to map over,
an unmappable result), then each child gets the elements of the mapped inputs and the whole
of the others. ``gather`` gives the parent its children's results once they have finished.
A mapped state's children are ``state.parts()``; each child's states are applied, stored
and published like any task's (``FlowRun.apply``).
"""

from __future__ import annotations

import copy
from typing import Any

from flowbook.engine.state import Failed, Mapped, Pending, State
from flowbook.engine.task_run import TaskRun, skipped_by_upstream
from flowbook.engine.upstream import may_start

__all__ = ["child_runs", "prepare_parent", "child_upstreams", "gather", "settled"]


def child_runs(parent_run: TaskRun, clock: Any, judge: Any = None) -> list:
    """Map the task (in the loop's thread) and return the runs of its children that may
    start now; ``parent_run`` is a run of the parent task whose reporter applies at once.
    ``judge(task, index, upstream)`` gives a child's reuse verdict (engine.reuse), if any."""
    before = parent_run.state
    parent = prepare_parent(parent_run, clock)
    if not parent.is_mapped():
        return []
    old = parent.map_states
    # As in Prefect 1: a parent mapped in an earlier pass may fill up to n_map_states children.
    existing = max(len(old), parent.n_map_states) if before.is_mapped() else len(old)
    children, runs = [], []
    for i, upstream in enumerate(child_upstreams(parent_run.upstream, existing)):
        child = old[i] if i < len(old) else Pending()
        children.append(child)
        if may_start(child, upstream, clock):
            verdict = judge(parent_run.task, i, upstream) if judge is not None else None
            runs.append(_child(parent_run, child, upstream, i, verdict))
    parent.map_states = children  # new children start Pending; apply() stores the rest
    gather(parent)
    return runs


def prepare_parent(tr: TaskRun, clock: Any) -> State:
    """The parent of a mapped task: Mapped when its children can be made, else why not."""
    state = tr.state
    if state.is_mapped():
        return state
    if not may_start(state, tr.upstream, clock):
        return state
    states = [part for edge, st in tr.upstream.items()
              for part in (st.parts() if not edge.mapped else (st,))]
    if tr.task.skip_on_upstream_skip and any(s.is_skipped() for s in states):
        return tr.change(skipped_by_upstream(tr))
    mapped = [st for edge, st in tr.upstream.items() if edge.mapped]
    if tr.upstream and not any(s.is_successful() for s in mapped):
        return tr.change(Failed("No upstream states can be mapped over."))
    whole = [s for s in mapped if s.is_successful() and not s.is_mapped()]
    if not all(hasattr(s.result, "__getitem__") for s in whole):
        return tr.change(Failed("At least one upstream state has an unmappable result."))
    lengths = [len(s.result) for s in whole] + [s.n_map_states for s in mapped if s.is_mapped()]
    return tr.change(Mapped("Ready to proceed with mapping.", n_map_states=min(lengths, default=0)))


def child_upstreams(upstream: dict, existing: int = 0) -> list:
    """One ``{Edge: State}`` per mapped child: element ``i`` of each mapped upstream, the
    whole state of the others; as many children as the shortest mapped upstream.

    A parent mapped before (``existing`` children, or ``n_map_states``) gets no more
    children than it had, as in Prefect 1; each of them sees the whole state of a mapped
    upstream that produced no result (a failed mapped parent), and None from a result that
    has no elements.
    """
    children: list = []
    if not any(edge.mapped for edge in upstream):
        return children
    i = 0
    while not existing or i < existing:
        one = {}
        for edge, st in upstream.items():
            part = _element(edge, st, i, existing)
            if part is None:
                return children
            one[edge] = part
        children.append(one)
        i += 1
    return children


def _element(edge: Any, st: State, i: int, existing: int) -> State | None:
    """What child ``i`` sees along ``edge``; None when there is no element ``i``."""
    if not edge.mapped:
        return st
    if st.is_mapped():
        return st.map_states[i] if i < len(st.map_states) else None
    if not st.has_result:
        return st if i < existing else None
    if not hasattr(st.result, "__getitem__"):  # (passes only for a parent mapped before)
        if i >= existing:
            return None
        element = None
    else:
        try:
            element = st.result[i]
        except (IndexError, KeyError):
            return None
    part = copy.copy(st)
    part.result = element
    return part


def gather(parent: State) -> None:
    """A mapped parent's result: its children's results."""
    parent.result, parent.has_result = [c.result for c in parent.map_states], True


def settled(state: State | None) -> bool:
    """Finished for good in this run (a mapped task only once all its children are)."""
    if state is None or not state.is_finished():
        return False
    if not state.is_mapped():
        return True
    children = state.map_states
    return len(children) >= state.n_map_states and all(c.is_finished() for c in children)


def _child(parent_run: TaskRun, child: State, upstream: dict, index: int,
           verdict: Any = None) -> TaskRun:
    return TaskRun(parent_run.task, child, upstream, index, parent_run.setting,
                   parent_run.reporter, parent_run.cached, parent_run.store, verdict)
