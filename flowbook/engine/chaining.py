"""Chaining: a task submitted as soon as its upstream tasks are submitted, on an executor that
runs a call after others, on their outcomes, where they ran (``executor.chains``:
``DaskExecutor``, Dask futures as arguments).

Without it the loop submits a task once its upstream tasks have reported back to the kernel:
a round trip per link of a chain. With it, each pass of the loop has ``Chains``: when a task
is submitted, each task below it whose other upstream tasks are finished or in flight too is
submitted at once, after their calls (``executor.submit_after``). Where it runs,
``run_chained`` takes the upstream states from their reports, asks ``upstream.may_start``
and runs the task run as ``remote.run_reported`` does, its trigger included. If it may not
start (an upstream Retrying, Paused, not sent back), it says so (None) and the loop takes
the task as if it had not been launched: ready once its upstream tasks are through, on the
loop's own path.

The kernel still applies every report, and in dependency order: a chained call that comes
back before a call it runs after is held until that one's report is applied (``take``). A
call that did not come back (``NotDelivered``) fails its task as before; the chained calls
after it did not start.

Only the plain case chains (``wanted``, ``_chainable``); the rest keeps the loop's path:
mapped tasks and tasks below one (children come from upstream results), flattened edges,
Constants (run in the loop), tasks below one with state handlers (the state the kernel
applies may not be the one reported), tasks not plainly Pending (a retry, a pause), and runs
that stop, reuse, simulate or raise (breakpoints, stepping, ``reuse``, what-if,
``raise_on_exception``).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from flowbook.engine import clock, remote
from flowbook.engine.remote import Report
from flowbook.engine.task_run import TaskRun
from flowbook.engine.upstream import may_start
from flowbook.tasks.core.constants import Constant

__all__ = ["wanted", "Chains", "run_chained"]


def wanted(run: Any) -> bool:
    """Whether ``run``'s passes chain tasks: its executor can, and nothing asks the loop to
    look at each task before it starts."""
    return (getattr(run.executor, "chains", False) is True and not run.breakpoints
            and not run.stepping and not run.reuse and not run.simulated and not run.raising)


class Chains:
    """The chained calls of one pass of the loop (``loop._Pass``), and the order their
    reports are applied in."""

    __slots__ = ("pass_", "run", "plan", "futures", "chained", "after", "held", "lost")

    def __init__(self, pass_: Any):
        self.pass_ = pass_  # the loop's _Pass: in_flight, waiting, ready, inbox, settle()
        self.run, self.plan = pass_.run, pass_.plan
        self.futures: dict = {}  # Task -> handle of its one call in flight, to chain after
        self.chained: dict = {}  # Task -> handle of its chained call in flight
        self.after: dict = {}  # chained handle -> the handles it runs after
        self.held: dict = {}  # handle -> chained handles back before it, to take after it
        self.lost: set = set()  # handles whose call did not come back (NotDelivered)

    # -- submitting ------------------------------------------------------------------------

    def submitted(self, tr: TaskRun, handle: Any) -> None:
        """``tr`` went to the executor as ``handle``: submit the tasks that can now run
        after it, and after those, down the graph."""
        todo = [(tr, handle)]
        while todo:
            tr, handle = todo.pop()
            if tr.map_index is not None or tr.task.state_handlers:
                continue  # a child; or its state as applied may differ from the reported one
            self.futures[tr.task] = handle
            for edge in self.plan.edges_from[tr.task]:
                chained = self._chain(edge.downstream_task)
                if chained is not None:
                    todo.append(chained)

    def _chain(self, task: Any) -> tuple | None:
        """Submit ``task`` after its upstream calls in flight, if it can be: (its TaskRun,
        the handle), else None (the loop launches it when its upstream tasks are through)."""
        run = self.run
        if task in self.chained or not _chainable(self.plan, task):
            return None
        state = run.states.get(task)
        if state is not None and (not state.is_pending() or state.is_scheduled()):
            return None  # a retry, a pause, a resume: the loop's path looks at the time
        after, slots = [], []  # upstream handles; per handle, the edges its report fills
        for edge in self.plan.edges_to[task]:
            handle = self.futures.get(edge.upstream_task)
            if handle is None:
                st = run.states.get(edge.upstream_task)
                if st is None or not st.is_finished():
                    return None  # not submitted yet, or held up (Paused, Retrying, ...)
                continue  # finished: its state travels in the task run, as on the loop's path
            if handle not in after:
                after.append(handle)
                slots.append([])
            slots[after.index(handle)].append(edge)
        if not after:
            return None
        pass_ = self.pass_
        tr = run.task_run(task, pass_.inbox)
        try:
            handle = run.executor.submit_after(after, run_chained, tr, slots, name=task.name)
        except remote.NotDelivered:
            return None  # the loop's path submits it again and says what cannot travel
        pass_.in_flight[handle] = tr
        pass_.waiting[task] += 1  # launched: not ready again unless it does not start
        self.chained[task] = handle
        self.after[handle] = after
        return tr, handle

    # -- taking reports back ---------------------------------------------------------------

    def take(self, item: Any) -> None:
        """Take a finished call in (the loop's ``take``): apply its report once every call
        it ran after has been taken, then the calls held for it."""
        todo = deque([item])
        while todo:
            item = todo.popleft()
            before = self._first_in_flight(item)
            if before is not None:
                self.held.setdefault(before, []).append(item)
                continue
            self._finish(item)
            todo.extend(self.held.pop(item, ()))

    def _first_in_flight(self, item: Any) -> Any:
        in_flight = self.pass_.in_flight
        for handle in self.after.get(item, ()):
            if handle in in_flight:
                return handle
        return None

    def _finish(self, item: Any) -> None:
        pass_ = self.pass_
        tr = pass_.in_flight.pop(item)
        if self.futures.get(tr.task) is item:
            del self.futures[tr.task]
        after = self.after.pop(item, None)
        try:
            report = self.run.executor.result(item)
        except remote.NotDelivered as exc:  # a lost worker, a result that cannot come back
            self.lost.add(item)
            lost_before = after is not None and any(h in self.lost for h in after)
            report = None if lost_before else remote.undelivered(tr, exc)
        if after is not None:
            del self.chained[tr.task]
            if report is None:  # it did not start: ready once its upstream tasks are through
                pass_.waiting[tr.task] -= 1
                if not pass_.waiting[tr.task]:
                    pass_.ready.append(tr.task)
                return
        pass_.settle(tr, report)


def _chainable(plan: Any, task: Any) -> bool:
    """Whether ``task`` is of the plain kind that chains (see the module's doc)."""
    if isinstance(task, Constant) or task in plan.mapped:
        return False
    for edge in plan.edges_to[task]:
        if edge.flattened or edge.mapped or edge.upstream_task in plan.mapped:
            return False
    return True


def run_chained(tr: TaskRun, slots: list, *reports: Any) -> Report | None:
    """Where a chained call runs: ``tr``'s upstream states from ``reports`` (one per entry
    of ``slots``, the edges it fills), then ``tr`` run and reported as ``run_reported``
    does; None when it may not start (an upstream not finished, or not sent back)."""
    for edges, report in zip(slots, reports):
        if (not isinstance(report, Report) or report.problem is not None
                or report.interrupted or not report.states):
            return None  # the loop applies what came back, and decides
        final = report.states[-1]
        for edge in edges:
            tr.upstream[edge] = final
    if not may_start(tr.state, tr.upstream, clock.REAL):
        return None
    return remote.run_reported(tr)
