"""A run over time: how long each task ran, and the bars of the widget's timeline view.

Pure functions of a run's state histories (``FlowRun.task_history``): a state lasts from its
timestamp to the next state's. Time is read on the run's clock, so a run under a
``FakeClock`` has exact, repeatable durations.

>>> from flowbook.engine.state import Pending, Retrying, Running, Failed, Success
>>> states = [Pending(), Running(), Retrying(), Running(), Success()]
>>> for stamp, state in zip([0.0, 1.0, 3.0, 8.0, 9.5], states):
...     state.timestamp = stamp
>>> task_duration(states)   # 2 s, then 1.5 s after the retry
3.5
>>> [segment[:3] for segment in segments(states, end=9.5)]
[[1.0, 3.0, 'Running'], [3.0, 8.0, 'Retrying'], [8.0, 9.5, 'Running'], [9.5, 9.5, 'Success']]
"""

from __future__ import annotations

from typing import Any

from flowbook.widget.palette import colour_of, state_name

__all__ = ["task_duration", "duration_of", "segments", "rows"]


def task_duration(history: list, now: float | None = None) -> float | None:
    """Seconds spent Running (retries and loop iterations summed); None if it never ran. A
    state Running still counts until ``now`` when given, else not at all."""
    total, ran = 0.0, False
    for state, after in zip(history, [*history[1:], None]):
        if not state.is_running():
            continue
        ran = True
        end = after.timestamp if after is not None else now
        if end is not None:
            total += max(end - state.timestamp, 0.0)
    return total if ran else None


def duration_of(run: Any, task: Any, now: float | None = None) -> float | None:
    """How long ``task`` ran in ``run``: its Running time, or, for a mapped task, from its
    first child's start to its last child's end; None if it never ran."""
    state = run.current_state(task)
    if state is None or not state.is_mapped():
        return task_duration(run.task_history(task), now)
    span = _children_span(run, task, now)
    return None if span is None else span[1] - span[0]


def segments(history: list, end: float) -> list:
    """``[[start, end, state name, fill], ...]`` of one history, oldest first: each state
    but a plain Pending (waiting its turn) lasts until the next one, or until ``end`` when
    it is the latest; a finished state is a zero-length marker at its time."""
    found = []
    for state, after in zip(history, [*history[1:], None]):
        if state.is_pending() and not state.is_scheduled():
            continue
        start = state.timestamp
        stop = start if state.is_finished() else after.timestamp if after else max(end, start)
        found.append([start, stop, state_name(state), colour_of(state)])
    return found


def rows(run: Any, names: dict) -> dict:
    """The timeline of ``run`` (``names``: Task -> unique name): ``{"start", "end", "rows":
    [{"task", "segments"}, ...]}``, times in epoch seconds on the run's clock, rows in the
    order tasks first changed (tasks with no state yet last). A mapped task is one row: its
    own states, and one segment from its first child's start to its last child's end."""
    end = _end(run)
    listed = []
    for task, name in names.items():
        found = segments(run.task_history(task), end)
        state = run.current_state(task)
        if state is not None and state.is_mapped():  # its children's span, not a marker
            span = _children_span(run, task, end if _open(run) else None)
            found = found[:-1] + ([] if span is None else
                                  [[*span, state_name(state), colour_of(state)]])
        listed.append({"task": name, "segments": found})
    listed.sort(key=lambda row: row["segments"][0][0] if row["segments"] else float("inf"))
    starts = [row["segments"][0][0] for row in listed if row["segments"]]
    start = min([*starts, *(s for s, _ in run.spans[:1])], default=end)
    return {"start": start, "end": max(end, start), "rows": listed}


def _children_span(run: Any, task: Any, now: float | None) -> tuple | None:
    """(first child's start, last child's end) of a mapped task; None if none started. A
    child not finished yet ends at ``now`` (None: at its latest state)."""
    first = last = None
    state = run.current_state(task)  # read once: a retry may replace it meanwhile
    children = state.map_states if state is not None and state.is_mapped() else ()
    for index in range(len(children)):
        history = run.task_history(task, index)
        started = [s.timestamp for s in history if not (s.is_pending() and not s.is_scheduled())]
        if not started:
            continue
        latest = history[-1]
        stop = latest.timestamp if latest.is_finished() or now is None else now
        first = started[0] if first is None else min(first, started[0])
        last = stop if last is None else max(last, stop)
    return None if first is None else (first, max(last, first))


def _open(run: Any) -> bool:
    """Whether the run is being advanced or waits for a person (not finished)."""
    return run.state is None or not run.state.is_finished()


def _end(run: Any) -> float:
    """The timeline's right edge: now while the run is open, else its latest change."""
    if _open(run):
        return run.clock.now()
    stamps = [run.state.timestamp, *(end for _, end in run.spans if end is not None)]
    return max(stamps)
