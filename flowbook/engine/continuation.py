"""Continuing a run after a person acts: approve paused tasks, or run failed ones again.

Both compile a new plan of the flow (it may have changed since the run began), change task
states in the latest run (never a new run) through ``FlowRun.apply``, as any change, mapped
children included, and hand it back to ``loop.advance``, on the run's executor unless
another is given; every result that succeeded is kept. A run another thread is advancing
(a widget's button) is refused (``in_progress.RunInProgressError``) before anything
changes. An interrupted run is continued by ``retry()``, even when no task had failed or
was cancelled.
"""

from __future__ import annotations

from typing import Any, Iterable

from flowbook.engine import clock, in_progress
from flowbook.engine.flow_run import FlowRun, checked_executor, state_name
from flowbook.engine.flow_state import has_paused_parts
from flowbook.engine.loop import advance
from flowbook.engine.state import Pending, Resume, State
from flowbook.errors import UserValueError

__all__ = ["resume", "retry"]


def resume(run: FlowRun, tasks: Iterable, executor: Any = None) -> State:
    """Approve paused tasks (every paused task and child when none are named); continue."""
    with in_progress.claim(run, "resume it"):
        _replan(run)
        targets = _targets(run, tasks, has_paused_parts, "paused", "is not paused", "resume")
        _use(run, executor)
        with clock.using(run.clock):
            for task in targets:
                _change_parts(run, task, lambda s: s.is_paused(),
                              lambda: Resume("Approval given to resume."))
        return advance(run)


def retry(run: FlowRun, tasks: Iterable, executor: Any = None) -> State:
    """Run failed and cancelled tasks again (all of them when none are named) and what did
    not succeed below them; every other task keeps its state and result."""
    with in_progress.claim(run, "retry it"):
        _replan(run)
        tasks = list(tasks)
        if tasks or not run.interrupted or any(_failed_parts(s) for s in run.states.values()):
            targets = _targets(run, tasks, _failed_parts, "failed", "did not fail", "retry")
        else:
            targets = []  # interrupted between task runs: continuing is all there is to do
        _use(run, executor)
        with clock.using(run.clock):
            for task in _with_unsuccessful_downstream(run, targets):
                _reset(run, task)
        return advance(run)


# -- helpers ----------------------------------------------------------------------------

def _replan(run: FlowRun) -> None:
    """Continue on the flow as it is now (a new plan); refuses a flow with a cycle."""
    run.flow.validate()
    run.plan = run.flow.plan()


def _change_parts(run: FlowRun, task: Any, chosen: Any, new: Any) -> None:
    """Apply ``new()`` to the task, or to each of its mapped children, ``chosen`` picks."""
    state = run.states[task]
    if state.is_mapped():
        for index, child in enumerate(list(state.map_states)):
            if chosen(child):
                run.task_run(task, run, index, upstream={}).change(new())
    elif chosen(state):
        run.task_run(task, run, upstream={}).change(new())


def _use(run: FlowRun, executor: Any) -> None:
    """Continue on ``executor`` from now on (None: keep the run's own)."""
    if executor is not None:
        run.executor = checked_executor(executor)


def _targets(run: FlowRun, tasks: Iterable, eligible: Any, kind: str, refusal: str,
             verb: str) -> list:
    """The named tasks (all eligible ones when none are named), each checked eligible."""
    targets = _resolve(run, tasks) or [
        t for t in run.plan.tasks if eligible(run.states.get(t))]
    if not targets:
        raise UserValueError(f"flow {run.flow.name!r} has no {kind} task to {verb}")
    for task in targets:
        if not eligible(run.states.get(task)):
            raise UserValueError(f"task {task.name!r} {refusal} (it is "
                             f"{state_name(run.states.get(task))}); only {kind} tasks {verb}")
    return targets


def _resolve(run: FlowRun, tasks: Iterable) -> list:
    """Tasks given as Task objects or unique names."""
    flow, found = run.flow, []
    for item in tasks:
        if isinstance(item, str):
            matches = flow.get_tasks(name=item)
            if not matches:
                raise UserValueError(f"flow {flow.name!r} has no task named {item!r}")
            if len(matches) > 1:
                raise UserValueError(f"flow {flow.name!r} has {len(matches)} tasks named {item!r}; "
                                 "pass the Task object instead of its name")
            found.append(matches[0])
        else:
            run.plan.require(item)
            found.append(item)
    return found


def _failed_parts(state: State | None) -> bool:
    if state is None:
        return False
    return any(part.is_failed() or part.is_cancelled() for part in state.parts())


def _with_unsuccessful_downstream(run: FlowRun, targets: list) -> list:
    """``targets`` and every task below them that did not succeed, in run order."""
    chosen = dict.fromkeys(targets)
    for task in run.plan.order:
        if task in chosen:
            continue
        st = run.states.get(task)
        unsuccessful = st is not None and (_failed_parts(st) or not st.is_successful())
        if unsuccessful and any(e.upstream_task in chosen for e in run.plan.edges_to[task]):
            chosen[task] = None
    return list(chosen)


def _reset(run: FlowRun, task: Any) -> None:
    """Make a task (or its failed and cancelled children) Pending again, to run anew."""
    st = run.states.get(task)
    if st is None or not st.is_finished() and not st.is_paused():
        return
    if st.is_mapped():
        _change_parts(run, task, lambda c: c.is_failed() or c.is_cancelled(),
                      lambda: Pending("Retry requested."))
    else:
        _change_parts(run, task, lambda s: True, lambda: Pending("Retry requested."))
