"""A flow run's own state, settled from its tasks' states (SEMANTICS.md, "A flow run").

>>> from flowbook.engine.state import Paused, Mapped
>>> has_paused_parts(Mapped(map_states=[Paused()]))
True
"""

from __future__ import annotations

from typing import Any, Iterable

from flowbook.engine.breakpoints import stopped_tasks
from flowbook.engine.state import Failed, Finished, Mapped, Pending, Running, State, Success

__all__ = ["task_states", "final_state", "unfinished", "has_paused_parts"]


def task_states(run: Any) -> dict:
    """Task -> its state, for every task of the flow (Pending for those not run)."""
    return {t: run.states.get(t) or Pending("Not run.") for t in run.plan.tasks}


def final_state(run: Any) -> State:
    """The flow's state once its loop is blocked: Running while a terminal task has not
    finished, else Failed or Success as its reference tasks say."""
    plan = run.plan
    result = task_states(run)
    key_states = []  # the reference tasks' states, a mapped one's children instead
    for t in plan.reference:
        st = result[t]
        if isinstance(st, Mapped):
            key_states.extend(st.map_states)
        else:
            key_states.append(st)
    if unfinished(run, plan.terminal):
        state = Running(_waiting_message(run), result=result)
    elif any(isinstance(s, Failed) for s in key_states):  # (isinstance: a check per task)
        state = Failed("Some reference tasks failed.", result=result)
    elif all(isinstance(s, Success) for s in key_states):
        state = Success("All reference tasks succeeded.", result=result)
    else:
        state = Success("No reference tasks failed.", result=result)
    # Prefect 1's Flow(terminal_state_handler=): (flow, state, reference states) -> a state
    handler = getattr(run.flow, "terminal_state_handler", None)
    if handler is not None and not run.simulated:
        state = handler(run.flow, state, set(key_states)) or state
    return state


def unfinished(run: Any, tasks: Iterable) -> bool:
    """Whether any of ``tasks`` (or any child of a mapped one) has not finished."""
    states = run.states
    for task in tasks:  # (asked after every pass: a plain check per task)
        st = states.get(task)
        if st is None or not isinstance(st, Finished):
            return True
        if isinstance(st, Mapped) and not all(c.is_finished() for c in st.map_states):
            return True
    return False


def _waiting_message(run: Any) -> str:
    stopped = [t.name for t in stopped_tasks(run)]
    if stopped:
        return (f"Stopped at a breakpoint before {', '.join(stopped)}: flow.step() runs "
                f"{'it' if len(stopped) == 1 else 'the first'}, flow.resume() continues the run.")
    paused = [t.name for t in run.plan.tasks if has_paused_parts(run.states.get(t))]
    if paused:
        return (f"Waiting for approval of {', '.join(paused)}: resume with flow.resume() "
                "or the widget.")
    return "Some terminal tasks have not finished."


def has_paused_parts(state: State | None) -> bool:
    """Whether the task (or a child of it) waits for a person."""
    if state is None:
        return False
    return any(part.is_paused() for part in state.parts())
