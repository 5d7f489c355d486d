"""A flow run: where every task stands, and the one scheduling loop that moves it forward.

``start`` begins a run (``flowbook.engine.continuation`` resumes or retries one); both end in
``advance``, which runs ``run_until_blocked`` (the only place deciding what runs next) and
then settles the flow's state. The loop hands task runs to the run's executor and waits for
any to finish; with a concurrent executor, task runs record their states from other threads
(``FlowRun.record`` is thread-safe), and from other processes through ``engine.remote``.
One loop advances a run at a time (``engine.in_progress``); an interrupt stops it without
losing what finished (``engine.interrupt``).
"""

from __future__ import annotations

import copy
import threading
import time
from collections import deque
from typing import Any

from flowbook.engine import cache, checkpoint, in_progress, interrupt, remote
from flowbook.engine.events import FlowStateChanged, TaskStateChanged
from flowbook.engine.flow_state import final_state, task_states, unfinished
from flowbook.engine.state import Cancelled, Failed, Pending, Running, State
from flowbook.engine.task_run import (
    TaskRun, child_upstreams, may_start, prepare_mapped_parent, run_task,
)
from flowbook.engine.upstream import upstream_states
from flowbook.errors import UserTypeError, UserValueError

__all__ = ["FlowRun", "start", "advance", "run_until_blocked", "checked_executor",
           "check_parameters"]


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
        self.interrupted = False  # a KeyboardInterrupt stopped its latest advance
        self._constant_edges: dict = {}  # Task -> {Edge: Success} of its constant arguments
        self._unique_names: dict | None = None  # Task -> unique name, made when first needed
        # Held while a change is stored and published: task runs in other threads record too.
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"<FlowRun of {self.flow.name!r}: {self.state!r}>"

    def record(self, task: Any, map_index: int | None, old: State | None, new: State) -> State:
        """Store a task's (or child's) new state and publish the change; returns the state
        stored. History is kept as a chain: each state links to the one it replaced.

        The change is stored only while ``old`` is still the task's state. A task run the
        loop abandoned (``engine.interrupt``) may finish in the background later; it gets a
        Cancelled state back, stored nowhere and published to no one. Task runs in other
        threads call this too: subscribers get one event at a time, in the order the
        changes were stored."""
        if new.previous is not None:  # already in a history (a reused Cached state): copy it
            new = copy.copy(new)
        new.previous = old
        with self._lock:
            if map_index is None:
                if self.states.get(task, old) is not old:
                    return Cancelled(interrupt.ABANDONED)
                self.states[task] = new
            else:
                parent = self.states.get(task)
                if self.current_state(task, map_index) is not old:
                    return Cancelled(interrupt.ABANDONED)
                parent.map_states[map_index] = new
            self.changes += 1
            if self.flow.events:
                self.flow.events.publish(TaskStateChanged(self, task, map_index, old, new))
        return new

    def checkpoint_folder(self, task: Any) -> Any:
        """Where ``task``'s checkpoints live, or None when the flow has no result_dir."""
        if self.flow.result_dir is None:
            return None
        if self._unique_names is None:
            from flowbook.core.naming import unique_names

            self._unique_names = unique_names(self.flow)
        return checkpoint.directory(self.flow.result_dir, self.flow.name,
                                    self._unique_names[task])

    def cached_states(self, key: str) -> list:
        """The Cached states a task with this cache key may reuse, oldest first."""
        return cache.candidates(key)

    def current_state(self, task: Any, map_index: int | None = None) -> State | None:
        """The state stored for ``task`` (or its child ``map_index``); None if none is."""
        state = self.states.get(task)
        if map_index is None or state is None:
            return state
        children = state.map_states if state.is_mapped() else ()
        return children[map_index] if map_index < len(children) else None

    def set_state(self, new: State) -> None:
        """Enter a new flow state, through the flow's state handlers; a handler that raises
        makes it Failed, as a task's does."""
        old = self.state
        try:
            for handler in self.flow.state_handlers:
                new = handler(self.flow, old, new) or new
        except Exception as exc:
            new = Failed(f"state handler of flow {self.flow.name!r} raised {exc!r}", result=exc)
        with self._lock:
            self.state = new
            if self.flow.events:
                self.flow.events.publish(FlowStateChanged(self, old, new))

    def task_history(self, task: Any, map_index: int | None = None) -> list:
        """Every state ``task`` (or its child ``map_index``) went through, oldest first."""
        latest = self.current_state(task, map_index)
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
    values = check_parameters(flow, parameters)
    flow.validate()
    for task in task_states or {}:
        flow._require(task)
    run = FlowRun(flow, values, task_states or {}, checked_executor(executor), context or {})
    with in_progress.claim(run, "run it"):
        previous, flow.last_run = flow.last_run, run
        run.set_state(Running("Running flow."))
        try:
            return advance(run)
        except ConnectionError:
            if run.changes == 0:  # the executor was not reached and nothing ran: keep the
                flow.last_run = previous  # previous run as the flow's latest, retryable
            raise
        finally:
            # The tracebacks of this run's failures keep this frame, and every older run
            # would stay reachable through it.
            del previous


def checked_executor(executor: Any) -> Any:
    """``executor``, or a new LocalExecutor for None; refuses what cannot run tasks."""
    from flowbook.executors import LocalExecutor, is_executor

    if executor is None:
        return LocalExecutor()
    if isinstance(executor, type):
        raise UserTypeError(f"executor {executor.__name__} is a class; pass an instance, "
                        f"{executor.__name__}()")
    if not is_executor(executor):
        raise UserTypeError(f"executor {executor!r} cannot run tasks: pass LocalExecutor(), "
                        "LocalDaskExecutor() or DaskExecutor() from flowbook.executors")
    return executor


# -- the scheduling loop ------------------------------------------------------------------

def advance(run: FlowRun) -> State:
    """Take ``run`` as far as it goes without a person, then settle the flow's state. The
    caller holds ``in_progress.claim(run)``.

    An interrupt (KeyboardInterrupt, in the kernel or raised by a task body) stops the run:
    finished tasks keep their states, running ones end Cancelled, the flow's state is
    Cancelled and says how to continue (``flow.retry()``), and the KeyboardInterrupt goes on
    to the caller, so a notebook cell ends as interrupted. An error of flowbook ends the
    flow Failed and goes on too.
    """
    run.interrupted = False
    try:
        with run.executor.start():
            run_until_blocked(run)
    except BaseException as exc:
        run.interrupted = isinstance(exc, KeyboardInterrupt)
        interrupt.cancel_running(run, exc)
        run.set_state(interrupt.stopped_state(run, exc, task_states(run)))
        raise
    _remember_cached(run)
    run.set_state(final_state(run))
    return run.state


def run_until_blocked(run: FlowRun) -> None:
    """The one scheduling loop: pass after pass over the flow, sleeping until the earliest
    retry in between, until only a person (or nothing) can move the run on."""
    order = run.flow.sorted_tasks()  # graphlib's order; raises FlowCycleError on a cycle
    terminal = run.flow.terminal_tasks()
    while True:
        changes = run.changes
        _run_pass(run, order)
        if not unfinished(run, terminal):
            return  # as in Prefect 1: the run ends with its terminal tasks, retries or not
        wake = _next_wake(run)
        if wake is None or (run.changes == changes and wake <= time.time()):
            return
        time.sleep(max(0.0, wake - time.time()))


class _Pass:
    """One pass over the flow, graphlib's ready/done protocol: a task is through once it
    has run as far as it can now; tasks whose upstream tasks are all through are ready."""

    __slots__ = ("run", "edges_from", "waiting", "ready", "in_flight", "children_left")

    def __init__(self, run: FlowRun, order: tuple):
        edges_to = run.flow._edges_to
        self.run = run
        self.edges_from = run.flow._edges_from  # Task -> [Edge out of it]
        self.waiting = {task: len(edges_to[task]) for task in order}  # edges not through yet
        self.ready = deque(task for task in order if not self.waiting[task])  # to launch
        self.in_flight: dict = {}  # executor handle -> the TaskRun it runs
        self.children_left: dict = {}  # mapped Task -> how many of its children are in flight

    def done(self, tr: TaskRun) -> None:
        """A task run finished; its task is through once no child of it is in flight."""
        task = tr.task
        if tr.map_index is not None:
            left = self.children_left[task] = self.children_left[task] - 1
            if left:
                return
            del self.children_left[task]
            _gather(self.run.states[task])
        self.through(task)

    def through(self, task: Any) -> None:
        for edge in self.edges_from[task]:
            down = edge.downstream_task
            self.waiting[down] -= 1
            if not self.waiting[down]:
                self.ready.append(down)


def _run_pass(run: FlowRun, order: tuple) -> None:
    """Submit every ready task, wait for any to finish, submit what became ready; until
    every task is through. With a concurrent executor, tasks run as their upstreams end."""
    p = _Pass(run, order)
    executor = run.executor
    try:
        while p.ready or p.in_flight:
            while p.ready:
                _launch(p, p.ready.popleft())
            if p.in_flight:
                for handle in executor.wait(p.in_flight.keys()):
                    tr = p.in_flight.pop(handle)
                    _settle(run, tr, handle)
                    p.done(tr)
    except BaseException as exc:  # an interrupt, or a bug: what runs now is abandoned
        interrupt.stop_in_flight(run, p.in_flight, exc)
        raise


def _launch(p: _Pass, task: Any) -> None:
    """Submit what ``task`` can run now: its own run, or its mapped children's runs."""
    runs = _task_runs(p.run, task)
    if not runs:
        p.through(task)
        return
    if runs[0].map_index is not None:
        p.children_left[task] = len(runs)
    for tr in runs:
        _submit(p, tr)


def _submit(p: _Pass, tr: TaskRun) -> None:
    executor = p.run.executor
    if not executor.remote:
        p.in_flight[executor.submit(run_task, tr, name=tr.task.name)] = tr
        return
    payload = remote.pack(tr)
    if isinstance(payload, remote.Report):  # it cannot travel: it ends here
        remote.settle(tr, payload)
        p.done(tr)
        return
    p.in_flight[executor.submit(remote.run_packed, payload, name=tr.task.name)] = tr


def _settle(run: FlowRun, tr: TaskRun, handle: Any) -> None:
    """Take in a finished task run: in this process its states are recorded already (an
    error here is flowbook's own); from a worker they are recorded now."""
    if not run.executor.remote:
        run.executor.result(handle)
        return
    try:
        outcome = run.executor.result(handle)
    except Exception as exc:  # a lost worker, a cancelled future: the task's failure
        outcome = exc
    remote.settle(tr, outcome)


def _task_runs(run: FlowRun, task: Any) -> list:
    """The task runs that can move ``task`` on now (none: it is through)."""
    state = run.states.get(task)
    if _settled(state):
        return []
    state = state or Pending()
    upstream = upstream_states(run, task)
    if task in run.flow._mapped:
        return _child_runs(run, task, state, upstream)
    if not _worth_sending(run, state, upstream):
        return []
    return [TaskRun(task, state, upstream, None, run)]


def _worth_sending(run: FlowRun, state: State, upstream: dict) -> bool:
    """Whether a task run can get anywhere now. Asked before a round trip to a worker; in
    this process ``run_task`` finds out as cheaply itself."""
    return not run.executor.remote or may_start(state, upstream)


def _child_runs(run: FlowRun, task: Any, state: State, upstream: dict) -> list:
    """Map the task (in this thread) and return the runs of its children that can move on."""
    parent = prepare_mapped_parent(TaskRun(task, state, upstream, None, run))
    if not parent.is_mapped():
        return []
    old = parent.map_states
    # As in Prefect 1: a parent mapped in an earlier pass may fill up to n_map_states children.
    existing = max(len(old), parent.n_map_states) if state.is_mapped() else len(old)
    children, runs = [], []
    for i, child_upstream in enumerate(child_upstreams(upstream, existing)):
        child = old[i] if i < len(old) else Pending()
        children.append(child)
        if not _settled(child) and _worth_sending(run, child, child_upstream):
            runs.append(TaskRun(task, child, child_upstream, i, run))
    parent.map_states = children  # record() keeps each child's latest state here
    _gather(parent)
    return runs


def _gather(parent: State) -> None:
    """A mapped parent's result: its children's results."""
    parent.result, parent.has_result = [c.result for c in parent.map_states], True


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


# -- after a run -------------------------------------------------------------------------

def _remember_cached(run: FlowRun) -> None:
    for task, st in run.states.items():
        if task.cache_for is not None:
            parts = st.map_states if st.is_mapped() else (st,)
            cache.store(task.cache_key or task.name, [s for s in parts if s.is_cached()])


# -- helpers ------------------------------------------------------------------------------

def check_parameters(flow: Any, given: dict | None) -> dict:
    """Every parameter's value for a run (defaults filled in); unknown or missing required
    parameters raise ValueError naming them."""
    given = dict(given or {})
    params = {p.name: p for p in flow.parameters()}
    unknown = sorted(set(given) - set(params))
    if unknown:
        known = ", ".join(sorted(params)) or "none"
        raise UserValueError(f"flow {flow.name!r} got unknown parameters {unknown}; its "
                         f"parameters are: {known}")
    missing = sorted(n for n, p in params.items() if p.required and n not in given)
    if missing:
        raise UserValueError(f"flow {flow.name!r} needs the required parameters {missing}; pass "
                         "them with flow.run(parameters={...})")
    return {**{n: p.default for n, p in params.items() if n not in given}, **given}


def state_name(state: State | None) -> str:
    return "not run yet" if state is None else type(state).__name__
