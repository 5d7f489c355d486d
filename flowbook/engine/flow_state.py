"""A flow run's own state, settled from its tasks' states (SEMANTICS.md, "A flow run").

>>> from flowbook.engine.state import Paused, Mapped
>>> has_paused_parts(Mapped(map_states=[Paused()]))
True
"""

from __future__ import annotations

from typing import Any, Iterable

from flowbook.engine.state import Failed, Pending, Running, State, Success

__all__ = ["task_states", "final_state", "unfinished", "has_paused_parts"]


def task_states(run: Any) -> dict:
    """Task -> its state, for every task of the flow (Pending for those not run)."""
    return {t: run.states.get(t) or Pending("Not run.") for t in run.flow.tasks}


def final_state(run: Any) -> State:
    """The flow's state once its loop is blocked: Running while a terminal task has not
    finished, else Failed or Success as its reference tasks say."""
    flow = run.flow
    result = task_states(run)

    def expand(tasks: Iterable) -> list:
        return [s for t in tasks
                for s in (result[t].map_states if result[t].is_mapped() else (result[t],))]

    if unfinished(run, flow.terminal_tasks()):
        return Running(_waiting_message(run), result=result)
    key_states = expand(flow.reference_tasks())
    if any(s.is_failed() for s in key_states):
        return Failed("Some reference tasks failed.", result=result)
    if all(s.is_successful() for s in key_states):
        return Success("All reference tasks succeeded.", result=result)
    return Success("No reference tasks failed.", result=result)


def unfinished(run: Any, tasks: Iterable) -> bool:
    """Whether any of ``tasks`` (or any child of a mapped one) has not finished."""
    for task in tasks:
        st = run.states.get(task)
        if st is None:
            return True
        for s in (st.map_states if st.is_mapped() else (st,)):
            if not s.is_finished():
                return True
    return False


def _waiting_message(run: Any) -> str:
    paused = [t.name for t in run.flow.tasks if has_paused_parts(run.states.get(t))]
    if paused:
        return (f"Waiting for approval of {', '.join(paused)}: resume with flow.resume() "
                "or the widget.")
    return "Some terminal tasks have not finished."


def has_paused_parts(state: State | None) -> bool:
    """Whether the task (or a child of it) waits for a person."""
    if state is None:
        return False
    if state.is_mapped():
        return any(c.is_paused() for c in state.map_states)
    return state.is_paused()
