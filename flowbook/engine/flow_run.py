"""A flow run: where every task stands, and the one scheduling loop that moves it forward.

``start`` begins a run (``flowbook.engine.continuation`` resumes or retries one); both end in
``advance``, which runs ``run_until_blocked`` (the only place deciding what runs next) and
then settles the flow's state.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import deque
from typing import Any, Iterable

from flowbook.engine import cache
from flowbook.engine.events import FlowStateChanged, TaskStateChanged
from flowbook.engine.state import Cancelled, Failed, Pending, Running, State, Success
from flowbook.engine.task_run import TaskRun, child_upstreams, prepare_mapped_parent, run_task

__all__ = ["FlowRun", "start", "advance", "run_until_blocked"]


class FlowRun:
    """One run of a flow. ``flow.last_run`` is the latest; ``flow.last_state`` its state."""

    def __init__(self, flow: Any, parameters: dict, task_states: dict, executor: Any,
                 context: dict):
        self.flow = flow  # the Flow being run
        self.parameters = parameters  # parameter name -> value (defaults filled in)
        self.states: dict = dict(task_states)  # Task -> latest State; absent: not run yet
        self.state: State | None = None  # the flow's state
        self.executor = executor  # submits task runs (LocalExecutor by default)
        self.context = {**context, "flow_name": flow.name, "parameters": parameters}
        self.changes = 0  # state changes so far; a pass that changes nothing ends the loop
        self.outputs: dict = {}  # (Task, map_index) -> TaskOutput: what its body printed
        self._constant_edges: dict = {}  # Task -> {Edge: Success} of its constant arguments
        self._lock = threading.Lock()  # guards states/history for concurrent executors

    def __repr__(self) -> str:
        return f"<FlowRun of {self.flow.name!r}: {self.state!r}>"

    def record(self, task: Any, map_index: int | None, old: State | None, new: State) -> State:
        """Store a task's (or child's) new state and publish the change; returns the state
        stored. History is kept as a chain: each state links to the one it replaced."""
        if new.previous is not None:  # already in a history (a reused Cached state): copy it
            new = copy.copy(new)
        new.previous = old
        with self._lock:
            if map_index is None:
                self.states[task] = new
            self.changes += 1
        if self.flow.events:
            self.flow.events.publish(TaskStateChanged(self, task, map_index, old, new))
        return new

    def set_state(self, new: State) -> None:
        """Enter a new flow state, through the flow's state handlers."""
        old = self.state
        for handler in self.flow.state_handlers:
            new = handler(self.flow, old, new) or new
        self.state = new
        if self.flow.events:
            self.flow.events.publish(FlowStateChanged(self, old, new))

    def task_history(self, task: Any, map_index: int | None = None) -> list:
        """Every state ``task`` (or its child ``map_index``) went through, oldest first."""
        latest = self.states.get(task)
        if latest is not None and map_index is not None:
            children = latest.map_states if latest.is_mapped() else ()
            latest = children[map_index] if map_index < len(children) else None
        history, seen = [], set()
        while latest is not None and id(latest) not in seen:
            seen.add(id(latest))
            history.append(latest)
            latest = latest.previous
        return history[::-1]


# -- entry points -------------------------------------------------------------------------

def start(flow: Any, parameters: dict | None = None, task_states: dict | None = None,
          executor: Any = None, context: dict | None = None) -> State:
    """Begin a run of ``flow`` and take it as far as it goes without a person."""
    from flowbook.executors import LocalExecutor

    values = _check_parameters(flow, parameters)
    flow.validate()
    for task in task_states or {}:
        flow._require(task)
    run = FlowRun(flow, values, task_states or {}, executor or LocalExecutor(), context or {})
    flow.last_run = run
    run.set_state(Running("Running flow."))
    return advance(run)


# -- the scheduling loop ------------------------------------------------------------------

def advance(run: FlowRun) -> State:
    try:
        run_until_blocked(run)
    except KeyboardInterrupt as exc:
        run.set_state(Cancelled("The run was interrupted; continue it with flow.retry().",
                                result=run.states))
        raise exc
    except BaseException as exc:
        run.set_state(Failed(f"The run stopped on an error in flowbook: {exc!r}", result=exc))
        raise
    _remember_cached(run)
    run.set_state(_final_state(run))
    return run.state


def run_until_blocked(run: FlowRun) -> None:
    """The one scheduling loop: pass after pass over the flow, sleeping until the earliest
    retry in between, until only a person (or nothing) can move the run on."""
    order = run.flow.sorted_tasks()  # graphlib's order; raises FlowCycleError on a cycle
    terminal = run.flow.terminal_tasks()
    while True:
        changes = run.changes
        _run_pass(run, order)
        if not _unfinished(run, terminal):
            return  # as in Prefect 1: the run ends with its terminal tasks, retries or not
        wake = _next_wake(run)
        if wake is None or (run.changes == changes and wake <= time.time()):
            return
        time.sleep(max(0.0, wake - time.time()))


def _run_pass(run: FlowRun, order: tuple) -> None:
    """Submit every unsettled task once all of its upstream tasks are through this pass
    (graphlib's ready/done protocol, with the cycle check done once in ``order``)."""
    flow = run.flow
    edges_to, edges_from, states = flow._edges_to, flow._edges_from, run.states
    waiting = {task: len(edges_to[task]) for task in order}  # upstream edges not through yet
    ready = deque(task for task in order if not waiting[task])
    in_flight: dict = {}  # executor handle -> task
    while ready or in_flight:
        while ready:
            task = ready.popleft()
            if _settled(states.get(task)):
                _through(task, edges_from, waiting, ready)
            else:
                in_flight[run.executor.submit(_run_one, run, task)] = task
        if in_flight:
            for handle in run.executor.wait(list(in_flight)):
                _through(in_flight.pop(handle), edges_from, waiting, ready)


def _through(task: Any, edges_from: dict, waiting: dict, ready: deque) -> None:
    for edge in edges_from[task]:
        down = edge.downstream_task
        waiting[down] -= 1
        if not waiting[down]:
            ready.append(down)


def _settled(state: State | None) -> bool:
    """Finished for good in this run (a mapped task only once all its children are)."""
    if state is None or not state.is_finished():
        return False
    if not state.is_mapped():
        return True
    children = state.map_states
    return len(children) >= state.n_map_states and all(c.is_finished() for c in children)


def _next_wake(run: FlowRun) -> float | None:
    """The earliest time a scheduled task (a retry, a timed pause) can run, or None."""
    times = [s.start_time for st in run.states.values()
             for s in (st.map_states if st.is_mapped() else (st,))
             if s.is_scheduled() and s.start_time is not None]
    return min(times, default=None)


def _run_one(run: FlowRun, task: Any) -> None:
    state = run.states.get(task) or Pending()
    upstream = _upstream_states(run, task)
    if task in run.flow._mapped:
        _run_mapped(run, task, state, upstream)
    else:
        run_task(TaskRun(task, state, upstream, None, run))


def _run_mapped(run: FlowRun, task: Any, state: State, upstream: dict) -> None:
    parent = prepare_mapped_parent(TaskRun(task, state, upstream, None, run))
    if not parent.is_mapped():
        return
    old = parent.map_states
    # As in Prefect 1: a parent mapped in an earlier pass may fill up to n_map_states children.
    existing = max(len(old), parent.n_map_states) if state.is_mapped() else len(old)
    children = []
    for i, child_upstream in enumerate(child_upstreams(upstream, existing)):
        child = old[i] if i < len(old) else Pending()
        if not _settled(child):
            child = run_task(TaskRun(task, child, child_upstream, i, run))
        children.append(child)
    parent.map_states = children
    parent.result, parent.has_result = [c.result for c in children], True


def _upstream_states(run: FlowRun, task: Any) -> dict:
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


def _constant_edges(run: FlowRun, task: Any) -> dict:
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


# -- the flow's state ---------------------------------------------------------------------

def _final_state(run: FlowRun) -> State:
    flow = run.flow
    result = {t: run.states.get(t) or Pending("Not run.") for t in flow.tasks}

    def expand(tasks: Iterable) -> list:
        return [s for t in tasks
                for s in (result[t].map_states if result[t].is_mapped() else (result[t],))]

    if _unfinished(run, flow.terminal_tasks()):
        return Running(_waiting_message(run), result=result)
    key_states = expand(flow.reference_tasks())
    if any(s.is_failed() for s in key_states):
        return Failed("Some reference tasks failed.", result=result)
    if all(s.is_successful() for s in key_states):
        return Success("All reference tasks succeeded.", result=result)
    return Success("No reference tasks failed.", result=result)


def _unfinished(run: FlowRun, tasks: Iterable) -> bool:
    """Whether any of ``tasks`` (or any child of a mapped one) has not finished."""
    for task in tasks:
        st = run.states.get(task)
        if st is None:
            return True
        for s in (st.map_states if st.is_mapped() else (st,)):
            if not s.is_finished():
                return True
    return False


def _waiting_message(run: FlowRun) -> str:
    paused = [t.name for t in run.flow.tasks if has_paused_parts(run.states.get(t))]
    if paused:
        return (f"Waiting for approval of {', '.join(paused)}: resume with flow.resume() "
                "or the widget.")
    return "Some terminal tasks have not finished."


def _remember_cached(run: FlowRun) -> None:
    for task, st in run.states.items():
        if task.cache_for is not None:
            parts = st.map_states if st.is_mapped() else (st,)
            cache.store(task.cache_key or task.name, [s for s in parts if s.is_cached()])


# -- helpers ------------------------------------------------------------------------------

def _check_parameters(flow: Any, given: dict | None) -> dict:
    given = dict(given or {})
    params = {p.name: p for p in flow.parameters()}
    unknown = sorted(set(given) - set(params))
    if unknown:
        known = ", ".join(sorted(params)) or "none"
        raise ValueError(f"flow {flow.name!r} got unknown parameters {unknown}; its "
                         f"parameters are: {known}")
    missing = sorted(n for n, p in params.items() if p.required and n not in given)
    if missing:
        raise ValueError(f"flow {flow.name!r} needs the required parameters {missing}; pass "
                         "them with flow.run(parameters={...})")
    return {**{n: p.default for n, p in params.items() if n not in given}, **given}


def state_name(state: State | None) -> str:
    return "not run yet" if state is None else type(state).__name__


def has_paused_parts(state: State | None) -> bool:
    if state is None:
        return False
    if state.is_mapped():
        return any(c.is_paused() for c in state.map_states)
    return state.is_paused()
