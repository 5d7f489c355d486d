"""Continuing a run after a person acts: approve paused tasks, or run tasks again.

Each compiles a new plan of the flow (it may have changed since the run began), changes task
states in the latest run (never a new run) through ``FlowRun.apply``, as any change, mapped
children included, and hands it back to ``loop.advance``, on the run's executor unless
another is given. ``retry`` runs failed and cancelled tasks again with what did not succeed
below them; ``retry_from`` runs one task again with everything below it, successes too.
What they would run again is ``rerun_by_retry`` / ``rerun_by_retry_from`` (the previews of
``engine.offers`` read the same). Every other result is kept. A run another thread is
advancing (a widget's button) is refused (``in_progress.RunInProgressError``) before anything
changes. An interrupted run is continued by ``retry()``, even when no task had failed or
was cancelled.
"""

from __future__ import annotations

import difflib
import warnings
from typing import Any, Iterable

from flowbook.engine import breakpoints, clock, in_progress
from flowbook.engine.flow_run import FlowRun, checked_executor, state_name
from flowbook.engine.flow_state import has_paused_parts
from flowbook.engine.loop import advance
from flowbook.engine.state import Pending, Resume, State
from flowbook.errors import UserValueError

__all__ = ["resume", "step", "retry", "retry_from", "resolve_tasks", "rerun_by_retry",
           "rerun_by_retry_from", "has_failed_parts", "can_retry_from"]


def resume(run: FlowRun, tasks: Iterable, executor: Any = None) -> State:
    """Approve paused tasks (every paused task and child when none are named); continue."""
    with in_progress.claim(run, "resume it"):
        _replan(run)
        tasks = _not_resumed_yet(run, _resolve(run, tasks))
        if tasks is None:
            return run.state
        targets = _targets(run, tasks, has_paused_parts, "paused", "is not paused", "resume")
        _use(run, executor)
        run.stepping = False
        with clock.using(run.clock):
            for task in targets:
                _change_parts(run, task, lambda s: s.is_paused(), _approved)
        return advance(run)


def step(run: FlowRun, task: Any = None, executor: Any = None) -> State:
    """Run exactly one task stopped at a breakpoint (``task``, or the first in run order),
    then stop again before every task that becomes ready (``engine.breakpoints``)."""
    with in_progress.claim(run, "step it"):
        _replan(run)
        stopped = breakpoints.stopped_tasks(run)
        chosen = _resolve(run, [task])[0] if task is not None else None
        if not stopped or chosen is not None and chosen not in stopped:
            raise UserValueError(_nothing_to_step(run, chosen, stopped))
        _use(run, executor)
        run.stepping = True
        with clock.using(run.clock):
            _change_parts(run, chosen or stopped[0], breakpoints.at_breakpoint, _approved)
        return advance(run)


def _approved(part: State) -> State:
    """What a paused part becomes when a person lets it go on: a task stopped at a
    breakpoint continues; one paused for approval is approved (it passes manual_only)."""
    if breakpoints.at_breakpoint(part):
        return breakpoints.continued()
    return Resume("Approval given to resume.")


def _nothing_to_step(run: FlowRun, chosen: Any, stopped: list) -> str:
    flow = run.flow.name
    if stopped:
        names = ", ".join(t.name for t in stopped)
        return (f"task {chosen.name!r} of flow {flow!r} is not stopped at a breakpoint "
                f"({state_name(run.states.get(chosen))}); the run stands before {names}")
    paused = [t.name for t in run.plan.order if has_paused_parts(run.states.get(t))]
    if paused:
        return (f"flow {flow!r} stands at no breakpoint: it waits for approval of "
                f"{', '.join(paused)}; approve with flow.resume()")
    return (f"flow {flow!r} stands at no breakpoint; start a run that stops with "
            "flow.step() or flow.run(breakpoints=[...])")


def retry(run: FlowRun, tasks: Iterable, executor: Any = None) -> State:
    """Run failed and cancelled tasks again (all of them when none are named) and what did
    not succeed below them; every other task keeps its state and result."""
    with in_progress.claim(run, "retry it"):
        _replan(run)
        return _run_again(run, rerun_by_retry(run, tasks), executor)


def retry_from(run: FlowRun, task: Any, executor: Any = None) -> State:
    """Run ``task`` (a Task or its name) again, whole, and every task below it, successful
    ones too; every other task keeps its state and result."""
    with in_progress.claim(run, "retry it"):
        _replan(run)
        rerun = rerun_by_retry_from(run, task)
        run.reuse = False  # asked to run again: nothing below is reused
        return _run_again(run, rerun, executor)


# -- what runs again ----------------------------------------------------------------------

def rerun_by_retry(run: FlowRun, tasks: Iterable = ()) -> dict:
    """What ``retry(run, tasks)`` makes Pending to run again, in run order: Task -> None
    (the whole task) or the indices of its failed and cancelled mapped children. Raises
    UserValueError, as ``retry`` does, for a named task that did not fail."""
    tasks = list(tasks)
    if tasks or not run.interrupted or any(has_failed_parts(s) for s in run.states.values()):
        targets = _targets(run, tasks, has_failed_parts, "failed", "did not fail", "retry")
    else:
        targets = []  # interrupted between task runs: continuing is all there is to do
    return _again(run, _with_unsuccessful_downstream(run, targets), whole=False)


def rerun_by_retry_from(run: FlowRun, task: Any) -> dict:
    """What ``retry_from(run, task)`` makes Pending to run again, in run order: ``task`` and
    every task below it that has a state, each whole (Task -> None). Raises UserValueError
    for a task that has not finished."""
    (task,) = _resolve(run, [task])
    if not can_retry_from(run, task):
        state = run.states.get(task)
        raise UserValueError(
            f"task {task.name!r} has not finished in the latest run of flow "
            f"{run.flow.name!r} ({state_name(state)}), so it cannot be run again from there; "
            + (f"resume it first with flow.resume({task.name!r})" if has_paused_parts(state)
               else "retry or resume the tasks above it first"))
    below = {task: None}
    for t in run.plan.order:
        if t not in below and any(e.upstream_task in below for e in run.plan.edges_to[t]):
            below[t] = None
    return _again(run, below, whole=True)


def _not_resumed_yet(run: FlowRun, tasks: list) -> list | None:
    """``tasks`` less those a person already approved in this run: approving twice (a
    widget's button, then a cell) is no mistake, a warning says so. None when nothing is
    left to do. With no task named and none paused, but some approved: None too."""
    if tasks:
        done = [t for t in tasks if not has_paused_parts(run.states.get(t))
                and _was_resumed(run, t)]
    elif not any(has_paused_parts(s) for s in run.states.values()):
        done = [t for t in run.plan.order if _was_resumed(run, t)]
    else:
        done = []
    if not done:
        return tasks
    names = ", ".join(repr(t.name) for t in done)
    warnings.warn(f"task{'s' if len(done) > 1 else ''} {names} of flow {run.flow.name!r} "
                  f"{'were' if len(done) > 1 else 'was'} already resumed in its latest run: "
                  "nothing to approve again; "
                  "flow.last_state is where the run stands", UserWarning, stacklevel=4)
    left = [t for t in tasks if t not in done]
    return left or None


def _was_resumed(run: FlowRun, task: Any) -> bool:
    """Whether a person approved ``task`` (or a child of it) in this run."""
    state = run.states.get(task)
    if state is None:
        return False
    return any(isinstance(old, Resume) for part in state.parts() for old in _history(part))


def _history(state: State | None) -> Iterable:
    while state is not None:
        yield state
        state = state.previous


def has_failed_parts(state: State | None) -> bool:
    """Whether the task (or a child of it) failed or was cancelled: what ``retry`` takes."""
    if state is None:
        return False
    return any(_unsuccessful_part(part) for part in state.parts())


def can_retry_from(run: FlowRun, task: Any) -> bool:
    """Whether ``retry_from(run, task)`` is accepted: the task has finished in the run."""
    state = run.states.get(task)
    return state is not None and state.is_finished()


def _unsuccessful_part(part: State) -> bool:
    return part.is_failed() or part.is_cancelled()


def _with_unsuccessful_downstream(run: FlowRun, targets: list) -> list:
    """``targets`` and every task below them that did not succeed, in run order."""
    chosen = dict.fromkeys(targets)
    for task in run.plan.order:
        if task in chosen:
            continue
        st = run.states.get(task)
        unsuccessful = st is not None and (has_failed_parts(st) or not st.is_successful())
        if unsuccessful and any(e.upstream_task in chosen for e in run.plan.edges_to[task]):
            chosen[task] = None
    return list(chosen)


def _again(run: FlowRun, tasks: Iterable, whole: bool) -> dict:
    """Task -> None or child indices, for the ``tasks`` a reset can change: finished or
    paused ones (a mapped one, unless ``whole``, by its failed and cancelled children)."""
    chosen: dict = {}
    for task in tasks:
        st = run.states.get(task)
        if st is None or not st.is_finished() and not st.is_paused():
            continue
        chosen[task] = (None if whole or not st.is_mapped() else tuple(
            i for i, child in enumerate(st.map_states) if _unsuccessful_part(child)))
    return chosen


def _run_again(run: FlowRun, rerun: dict, executor: Any) -> State:
    """Make what ``rerun`` names Pending again, then advance the run (no longer stepping)."""
    _use(run, executor)
    run.stepping = False
    with clock.using(run.clock):
        for task, children in rerun.items():
            if children is None:
                run.task_run(task, run, upstream={}).change(Pending("Retry requested."))
            for index in children or ():
                run.task_run(task, run, index, upstream={}).change(Pending("Retry requested."))
    return advance(run)


# -- helpers ----------------------------------------------------------------------------

def _replan(run: FlowRun) -> None:
    """Continue on the flow as it is now (a new plan); refuses a flow with a cycle."""
    run.flow.validate()
    run.plan = run.flow.plan()


def _change_parts(run: FlowRun, task: Any, chosen: Any, new: Any) -> None:
    """Apply ``new(part)`` to the task, or to each of its mapped children, ``chosen``
    picks."""
    state = run.states[task]
    if state.is_mapped():
        for index, child in enumerate(list(state.map_states)):
            if chosen(child):
                run.task_run(task, run, index, upstream={}).change(new(child))
    elif chosen(state):
        run.task_run(task, run, upstream={}).change(new(state))


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
    """Tasks given as Task objects or unique names, in the run's plan."""
    return resolve_tasks(run.flow, run.plan, tasks)


def resolve_tasks(flow: Any, plan: Any, tasks: Iterable) -> list:
    """Tasks given as Task objects or unique names; an unknown name is refused with the
    names it may have meant."""
    found = []
    for item in tasks:
        if isinstance(item, str):
            matches = flow.get_tasks(name=item)
            if not matches:
                near = difflib.get_close_matches(item, sorted({t.name for t in flow.tasks}))
                hint = f" (did you mean {' or '.join(map(repr, near))}?)" if near else ""
                raise UserValueError(f"flow {flow.name!r} has no task named {item!r}{hint}")
            if len(matches) > 1:
                raise UserValueError(f"flow {flow.name!r} has {len(matches)} tasks named {item!r}; "
                                 "pass the Task object instead of its name")
            found.append(matches[0])
        else:
            plan.require(item)
            found.append(item)
    return found
