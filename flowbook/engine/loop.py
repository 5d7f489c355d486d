"""The scheduling loop: the only place deciding what runs next, and the only writer of a run.

``advance`` takes a run as far as it goes without a person: pass after pass over the plan
(graphlib's ready/done protocol), sleeping on the run's clock until the earliest retry in
between. Each pass submits every task that may start (``upstream.may_start``) to the run's
executor (a ``Constant`` runs in the loop: its result is known, as in Prefect 1) and waits
for any to finish. Task runs report every state they enter; the loop
applies it (``FlowRun.apply``):

- a task run in the loop's own thread (``LocalExecutor``) is applied at once; there a plain
  task whose upstream tasks all succeeded goes straight to its body (``_Pass.run_plain``:
  every step before it would let it go on), unless the run keeps results, reuses them or
  stands in for bodies;
- a task run on another thread of the kernel (``LocalDaskExecutor``) posts its change to the
  loop through the executor, so ``Running`` shows live, and waits for it to be applied only
  where a state handler may replace it (``Inbox``);
- a task run in another process (``DaskExecutor``) collects its states and the loop applies
  them when its report comes back. There a task is submitted as soon as its upstream tasks
  are, after their calls (``engine.chaining``), and the reports are applied in their order.

An interrupt stops the loop without losing what finished (``engine.interrupt``); a task run
that reports after its pass was abandoned gets Cancelled back, and nothing it did is stored.
"""

from __future__ import annotations

import gc
import threading
from collections import deque
from contextlib import contextmanager
from typing import Any, Iterator

from flowbook.engine import (breakpoints, cache, chaining, checkpoint, interrupt, mapping,
                             raising, remote)
from flowbook.engine import clock as clocks
from flowbook.engine.flow_run import FlowRun
from flowbook.engine.flow_state import final_state, task_states, unfinished
from flowbook.engine.state import Cancelled, Running, State, Success
from flowbook.engine.task_run import TaskRun, execute, inputs_of, is_plain
from flowbook.engine.upstream import may_start, upstream_states
from flowbook.executors.local import LocalExecutor
from flowbook.tasks.core.constants import Constant

__all__ = ["advance", "run_until_blocked", "Inbox", "Message"]


def advance(run: FlowRun) -> State:
    """Take ``run`` as far as it goes without a person, then settle the flow's state. The
    caller holds ``in_progress.claim(run)``.

    An interrupt (KeyboardInterrupt, in the kernel or raised by a task body) stops the run:
    finished tasks keep their states, running ones end Cancelled, the flow's state is
    Cancelled and says how to continue (``flow.retry()``), and the KeyboardInterrupt goes on
    to the caller, so a notebook cell ends as interrupted. An error of flowbook ends the
    flow Failed and goes on too, with its traceback.
    """
    run.interrupted = False
    run.raising, run.raised = raising.wanted(), None
    began = run.clock.now()
    run.spans.append((began, None))
    with clocks.using(run.clock):
        try:
            with run.executor.start(), _heap_frozen(len(run.plan.tasks)):
                run_until_blocked(run)
        except BaseException as exc:
            run.spans[-1] = (began, run.clock.now())
            run.interrupted = isinstance(exc, KeyboardInterrupt)
            interrupt.cancel_running(run, exc)
            run.set_state(interrupt.stopped_state(run, exc, task_states(run)))
            raise
        if not run.simulated:
            _remember_cached(run)
        run.spans[-1] = (began, run.clock.now())
        run.set_state(final_state(run))
        if run.raising:  # a flow state handler's error
            raising.raise_error_of(run, run.state)
    return run.state


FREEZE_FROM = 10_000  # tasks in a run's plan from which _heap_frozen freezes the heap


@contextmanager
def _heap_frozen(tasks: int) -> Iterator[None]:
    """Keep the objects made before a run of many ``tasks`` (the flow's tasks and edges, a
    million at 100,000 tasks) out of the garbage collector's full collections while it
    runs, which would otherwise walk them all each time (gc.freeze: they are collected
    again after). A smaller run makes too few objects to start a full collection, and
    freezing it would only delay collecting older garbage, run after run. Left alone when
    something else froze objects (a nested run, a user's gc.freeze)."""
    if tasks < FREEZE_FROM or gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def run_until_blocked(run: FlowRun) -> None:
    """Pass after pass over the plan, sleeping until the earliest retry in between, until
    only a person (or nothing) can move the run on."""
    plan = run.plan
    while True:
        changes = run.changes
        _Pass(run).go()
        if not unfinished(run, plan.terminal):
            return  # as in Prefect 1: the run ends with its terminal tasks, retries or not
        wake = _next_wake(run)
        if wake is None or (run.changes == changes and wake <= run.clock.now()):
            return
        run.clock.sleep(wake - run.clock.now())


class Message:
    """A state a task run on another thread reports, for the loop to apply; its task run
    waits for it when the state applied may differ (a state handler may replace it)."""

    __slots__ = ("tr", "new", "applied", "_done")

    def __init__(self, tr: TaskRun, new: State, waited: bool):
        self.tr = tr  # the reporting task run
        self.new = new  # the state it entered
        self.applied: State | None = None  # the state as applied (set before _done)
        self._done = threading.Event() if waited else None  # None: nobody waits for it

    def answer(self, state: State) -> None:
        self.applied = state
        if self._done is not None:
            self._done.set()

    def wait(self) -> State:
        self._done.wait()
        return self.applied


class Inbox:
    """The reporter of one pass's task runs. In the loop's thread it applies a change at
    once; in another thread it posts the change to the loop (``executor.post``) and waits
    for the loop to apply it when a state handler may replace it; otherwise the task run goes
    on (the loop applies the posts of a thread in order, before that thread's call is done).
    Once closed (the pass was abandoned), every report, waiting or new, gets a Cancelled
    state back and nothing is stored, but a Running state posted is applied: its body began."""

    __slots__ = ("run", "_loop_thread", "_lock", "_waiting", "_closed")

    def __init__(self, run: FlowRun):
        self.run = run
        self._loop_thread = threading.get_ident()  # the thread the loop runs in
        self._lock = threading.Lock()  # guards _waiting and _closed
        self._waiting: set = set()  # Messages posted and not answered yet
        self._closed = False  # the pass was abandoned

    def report(self, tr: TaskRun, new: State) -> State:
        if threading.get_ident() == self._loop_thread:
            return self.run.apply(tr, new)
        waited = bool(tr.task.state_handlers)  # else nothing can replace the state
        message = Message(tr, new, waited)
        with self._lock:
            if self._closed:
                return Cancelled(interrupt.ABANDONED)
            self._waiting.add(message)
        self.run.executor.post(message)
        return message.wait() if waited else new

    def take(self, message: Message) -> None:
        """Apply a posted change (in the loop's thread) and let its task run go on."""
        with self._lock:
            if message not in self._waiting:
                return
            self._waiting.discard(message)
        message.answer(self.run.apply(message.tr, message.new))

    def close(self) -> None:
        """Refuse every change from now on; answer the waiting ones with Cancelled. A Running
        state posted without waiting is applied: its body began (it ends Cancelled)."""
        with self._lock:
            self._closed = True
            waiting, self._waiting = self._waiting, set()
        began: set = set()  # task runs whose Running was applied here (one each)
        for message in waiting:
            if message._done is None and isinstance(message.new, Running):
                if message.tr not in began:
                    began.add(message.tr)
                    self.run.apply(message.tr, message.new)
            else:
                message.answer(Cancelled(interrupt.ABANDONED))


class _Pass:
    """One pass over the plan, graphlib's ready/done protocol: a task is through once it
    has run as far as it can now; tasks whose upstream tasks are all through are ready."""

    __slots__ = ("run", "plan", "inbox", "reporter", "waiting", "ready", "in_flight",
                 "children_left", "chains", "direct")

    def __init__(self, run: FlowRun):
        plan = run.plan
        self.run = run
        self.plan = plan
        self.inbox = Inbox(run)  # how this pass's task runs report their states
        # On a LocalExecutor every task run reports in the loop's thread: straight to apply
        self.reporter = run if type(run.executor) is LocalExecutor else self.inbox
        self.waiting = {task: len(plan.edges_to[task]) for task in plan.order}  # not through
        self.ready = deque(task for task in plan.order if not self.waiting[task])  # to launch
        self.in_flight: dict = {}  # executor handle -> the TaskRun it runs
        self.children_left: dict = {}  # mapped Task -> how many of its children are in flight
        # On an executor that chains: tasks submitted after their upstream calls in flight
        self.chains = chaining.Chains(self) if chaining.wanted(run) else None
        # Plain tasks may go straight to their bodies (run_plain): in the loop's own thread,
        # in a run that neither stands in for bodies, reuses results nor keeps them
        self.direct = self.reporter is run and not (
            run.simulated or run.reuse or checkpoint.may_keep(run.flow))

    def go(self) -> None:
        """Submit every ready task, wait for any to finish, submit what became ready; until
        every task is through. With a concurrent executor, tasks run as their upstreams end."""
        executor = self.run.executor
        try:
            while self.ready or self.in_flight:
                while self.ready:
                    self.launch(self.ready.popleft())
                if self.in_flight:
                    for item in executor.wait(self.in_flight.keys()):
                        self.take(item)
        except BaseException as exc:  # an interrupt, or a bug: what runs now is abandoned
            self.inbox.close()
            interrupt.stop_in_flight(self.run, self.in_flight, exc)
            raise

    def launch(self, task: Any) -> None:
        """Submit what ``task`` can run now: its own run, or its mapped children's runs."""
        if self.direct and self.run_plain(task):
            return
        runs = self.task_runs(task)
        if not runs:
            self.through(task)
            return
        if runs[0].map_index is not None:
            self.children_left[task] = len(runs)
        for tr in runs:
            self.submit(tr)

    def task_runs(self, task: Any) -> list:
        """The task runs that can move ``task`` on now (none: it is through)."""
        run = self.run
        state = run.states.get(task)
        if state is not None and mapping.settled(state):
            return []
        tr = run.task_run(task, self.reporter)
        if (run.breakpoints or run.stepping) and self.stops(tr):
            return []
        if task in self.plan.mapped:
            return mapping.child_runs(tr, run.clock, run.judge_child if run.reuse else None)
        if not may_start(tr.state, tr.upstream, run.clock):
            return []
        return [tr]

    def run_plain(self, task: Any) -> bool:
        """Run ``task`` here and now when it is plain (``task_run.is_plain``), has no state
        yet and every upstream task succeeded: each step before its body would let it go on
        (it may start, no upstream was skipped, its trigger passes), so it goes straight to
        its body. False, with nothing done, for any other task."""
        run = self.run
        if (task in run.states or not is_plain(task) or task in self.plan.mapped
                or run.breakpoints or run.stepping):
            return False
        upstream = upstream_states(self.plan, run.states, task)
        for st in upstream.values():
            if type(st) is not Success:  # (not a Skipped, Cached or Mapped one either)
                return False
        tr = TaskRun(task, run.pending, upstream, None, run.setting, run)
        execute(tr, inputs_of(upstream))
        if run.raising:
            raising.raise_error_of(run, run.states[task])
        self.through(task)
        return True

    def stops(self, tr: TaskRun) -> bool:
        """Stop the run before ``tr``'s task when it is ready and has a breakpoint (or the
        run is stepping): the task is Paused until a person continues it."""
        if not breakpoints.stops_before(self.run, tr.task, tr.state):
            return False
        if not may_start(tr.state, tr.upstream, self.run.clock):
            return False
        tr.change(breakpoints.stopped(self.run, tr.task, tr.upstream))
        return True

    def submit(self, tr: TaskRun) -> None:
        executor = self.run.executor
        # A Constant's result is known: no executor is needed (as in Prefect 1). The
        # LocalExecutor would run the call here and now: so does the loop, without a handle.
        if type(executor) is LocalExecutor or isinstance(tr.task, Constant):
            self.settle(tr, remote.run_reported(tr))
            return
        try:
            handle = executor.submit(remote.run_reported, tr, name=tr.task.name)
        except remote.NotDelivered as exc:  # it cannot reach where it would run: it ends here
            self.settle(tr, remote.undelivered(tr, exc))
            return
        self.in_flight[handle] = tr
        if self.chains is not None:
            self.chains.submitted(tr, handle)

    def take(self, item: Any) -> None:
        """Take in what the executor gave back: a change posted by a task run on another
        thread, or a finished task run."""
        if isinstance(item, Message):
            self.inbox.take(item)
            return
        if self.chains is not None:  # in dependency order, chained calls' too
            self.chains.take(item)
            return
        tr = self.in_flight.pop(item)
        try:
            report = self.run.executor.result(item)
        except remote.NotDelivered as exc:  # a lost worker, a result that cannot come back
            report = remote.undelivered(tr, exc)
        self.settle(tr, report)

    def settle(self, tr: TaskRun, report: remote.Report) -> None:
        """Apply what a finished task run reported, then mark it done."""
        if report is not remote.APPLIED:
            remote.apply_report(self.run, tr, report)
        if self.run.raising:
            raising.raise_error_of(self.run, self.run.current_state(tr.task, tr.map_index))
        self.done(tr)

    def done(self, tr: TaskRun) -> None:
        """A task run finished; its task is through once no child of it is in flight."""
        task = tr.task
        if tr.map_index is not None:
            left = self.children_left[task] = self.children_left[task] - 1
            if left:
                return
            del self.children_left[task]
            mapping.gather(self.run.states[task])
        self.through(task)

    def through(self, task: Any) -> None:
        for edge in self.plan.edges_from[task]:
            down = edge.downstream_task
            self.waiting[down] -= 1
            if not self.waiting[down]:
                self.ready.append(down)


def _next_wake(run: FlowRun) -> float | None:
    """The earliest time a scheduled task (a retry, a timed pause) can run, or None."""
    times = [s.start_at for st in run.states.values() for s in st.parts()
             if s.is_scheduled() and s.start_at is not None]
    return min(times, default=None)


def _remember_cached(run: FlowRun) -> None:
    for task, st in run.states.items():
        if task.cache_for is not None:
            cache.store(task.cache_key or task.name, [s for s in st.parts() if s.is_cached()],
                        run.clock.now())
