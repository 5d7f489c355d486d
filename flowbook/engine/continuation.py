"""Continuing a run after a person acts: approve paused tasks, or run failed ones again.

Both change task states in the latest run (never a new run) and hand it back to
``flow_run.advance``, on the run's executor unless another is given; every result that
succeeded is kept. A run another thread is advancing (a widget's button) is refused
(``in_progress.RunInProgressError``) before anything changes. An interrupted run is
continued by ``retry()``, even when no task had failed or was cancelled.
"""

from __future__ import annotations

from typing import Any, Iterable

from flowbook.engine import in_progress
from flowbook.engine.flow_run import FlowRun, advance, checked_executor, state_name
from flowbook.engine.flow_state import has_paused_parts
from flowbook.engine.state import Pending, Resume, State
from flowbook.errors import UserValueError

__all__ = ["resume", "retry"]


def resume(run: FlowRun, tasks: Iterable, executor: Any = None) -> State:
    """Approve paused tasks (every paused task and child when none are named); continue."""
    with in_progress.claim(run, "resume it"):
        targets = _targets(run, tasks, has_paused_parts, "paused", "is not paused", "resume")
        _use(run, executor)
        for task in targets:
            st = run.states[task]
            if st.is_mapped():
                st.map_states = [_linked(Resume("Approval given to resume."), c)
                                 if c.is_paused() else c for c in st.map_states]
            else:
                run.record(task, None, st, Resume("Approval given to resume."))
        return advance(run)


def retry(run: FlowRun, tasks: Iterable, executor: Any = None) -> State:
    """Run failed and cancelled tasks again (all of them when none are named) and what did
    not succeed below them; every other task keeps its state and result."""
    with in_progress.claim(run, "retry it"):
        tasks = list(tasks)
        if tasks or not run.interrupted or any(_failed_parts(s) for s in run.states.values()):
            targets = _targets(run, tasks, _failed_parts, "failed", "did not fail", "retry")
        else:
            targets = []  # interrupted between task runs: continuing is all there is to do
        _use(run, executor)
        for task in _with_unsuccessful_downstream(run, targets):
            _reset(run, task)
        return advance(run)


# -- helpers ----------------------------------------------------------------------------

def _use(run: FlowRun, executor: Any) -> None:
    """Continue on ``executor`` from now on (None: keep the run's own)."""
    if executor is not None:
        run.executor = checked_executor(executor)


def _targets(run: FlowRun, tasks: Iterable, eligible: Any, kind: str, refusal: str,
             verb: str) -> list:
    """The named tasks (all eligible ones when none are named), each checked eligible."""
    targets = _resolve(run.flow, tasks) or [
        t for t in run.flow.tasks if eligible(run.states.get(t))]
    if not targets:
        raise UserValueError(f"flow {run.flow.name!r} has no {kind} task to {verb}")
    for task in targets:
        if not eligible(run.states.get(task)):
            raise UserValueError(f"task {task.name!r} {refusal} (it is "
                             f"{state_name(run.states.get(task))}); only {kind} tasks {verb}")
    return targets


def _resolve(flow: Any, tasks: Iterable) -> list:
    """Tasks given as Task objects or unique names."""
    found = []
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
            flow._require(item)
            found.append(item)
    return found


def _failed_parts(state: State | None) -> bool:
    if state is None:
        return False
    if state.is_mapped():
        return any(c.is_failed() or c.is_cancelled() for c in state.map_states)
    return state.is_failed() or state.is_cancelled()


def _with_unsuccessful_downstream(run: FlowRun, targets: list) -> list:
    """``targets`` and every task below them that did not succeed, in run order."""
    chosen = dict.fromkeys(targets)
    for task in run.flow.sorted_tasks():
        if task in chosen:
            continue
        st = run.states.get(task)
        unsuccessful = st is not None and (_failed_parts(st) or not st.is_successful())
        if unsuccessful and any(e.upstream_task in chosen for e in run.flow._edges_to[task]):
            chosen[task] = None
    return list(chosen)


def _reset(run: FlowRun, task: Any) -> None:
    st = run.states.get(task)
    if st is None or not st.is_finished() and not st.is_paused():
        return
    if st.is_mapped():
        st.map_states = [_linked(Pending("Retry requested."), c)
                         if c.is_failed() or c.is_cancelled() else c for c in st.map_states]
    else:
        run.record(task, None, st, Pending("Retry requested."))


def _linked(new: State, old: State) -> State:
    """``new`` as the successor of a mapped child's ``old`` state in its history."""
    new.previous = old
    return new
