"""Stopping a run part-way: what an interrupt (KeyboardInterrupt) or an error of flowbook
leaves behind, so that nothing finished is lost and the run can be continued.

- Finished tasks keep their states and results.
- Task runs that had started (a body running in the kernel, on a thread or on a Dask worker)
  end Cancelled, saying why and how to continue; ``flow.retry()`` runs them again.
- Task runs an executor had not started yet keep their states: they run when the run is
  continued.
- A body Python cannot stop (on a thread or a Dask worker) may still finish later. Only the
  loop applies changes, and it has closed the pass that body reports to
  (``loop.Inbox.close``): every change it reports gets Cancelled back and is stored
  nowhere, so a late result never lands in the stopped run, nor in its retry.

Every change here goes through ``FlowRun.apply``, with the task's state handlers and events.
"""

from __future__ import annotations

import logging
from typing import Any

from flowbook.engine import raising
from flowbook.engine.state import Cancelled, Failed, State

__all__ = ["stop_in_flight", "cancel_running", "stopped_state", "ABANDONED"]

log = logging.getLogger("flowbook.engine")

# The state an abandoned attempt gets back for each change it reports.
ABANDONED = ("This attempt was abandoned (its run was interrupted or stopped); what it did "
             "was not recorded.")
_CONTINUE = "flow.retry() runs it again"


def stop_in_flight(run: Any, in_flight: dict, error: BaseException) -> None:
    """Stop the task runs submitted and not yet reported back (``in_flight``: executor handle
    -> TaskRun): the executor drops those not started, the others end Cancelled."""
    try:
        started = run.executor.cancel(list(in_flight))
    except Exception:  # the run stops all the same; every call counts as started
        log.exception("flowbook: %r could not cancel the task runs of flow %r while it "
                      "stopped; they count as started", run.executor, run.flow.name)
        started = list(in_flight)
    message = _task_message(run, error, remote=run.executor.remote)
    for handle in started:
        tr = in_flight.get(handle)
        if tr is not None and _may_have_started(run, tr):
            _cancel(run, tr.task, tr.map_index, message)


def cancel_running(run: Any, error: BaseException) -> None:
    """Cancel every task (and mapped child) the run still shows Running."""
    message = _task_message(run, error, remote=False)
    for task, state in list(run.states.items()):
        if state.is_running():
            _cancel(run, task, None, message)
        elif state.is_mapped():
            for index, child in enumerate(list(state.map_states)):
                if child.is_running():
                    _cancel(run, task, index, message)


def stopped_state(run: Any, error: BaseException, task_states: dict) -> State:
    """The flow's state after ``error`` stopped its loop (``task_states``: Task -> State)."""
    if isinstance(error, KeyboardInterrupt):
        return Cancelled("The run was interrupted (KeyboardInterrupt): finished tasks keep "
                         "their results, running ones were cancelled. Continue it with "
                         "flow.retry() (or %flow retry, or the widget's Retry button).",
                         result=task_states)
    if raising.is_raised(run, error):
        return Failed(f"The run stopped on a task's error, raised under raise_on_exception(): "
                      f"{error!r}", result=error)
    return Failed(f"The run stopped on an error in flowbook: {error!r}", result=error)


def _task_message(run: Any, error: BaseException, remote: bool) -> str:
    if raising.is_raised(run, error):
        return (f"Stopped while running: another task raised {error!r} under "
                f"raise_on_exception(); {_CONTINUE}.")
    if isinstance(error, KeyboardInterrupt):
        if remote:
            return ("Interrupted (KeyboardInterrupt) before its Dask worker reported back; "
                    f"{_CONTINUE}.")
        return f"Interrupted (KeyboardInterrupt) while running; {_CONTINUE}."
    return f"Stopped by an error in flowbook ({error!r}) while running; {_CONTINUE}."


def _may_have_started(run: Any, tr: Any) -> bool:
    """Whether ``tr`` may have got into its body: its task is Running, or still in the
    state it was submitted with (about to change it)."""
    current = run.current_state(tr.task, tr.map_index)
    return current is None or current.is_running() or current is tr.submitted


def _cancel(run: Any, task: Any, map_index: int | None, message: str) -> None:
    """End a task (or child) Cancelled, through ``FlowRun.apply``."""
    tr = run.task_run(task, run, map_index, upstream={})
    tr.change(Cancelled(message))
