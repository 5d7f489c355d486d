"""What a person can do next with a run: which tasks resume or retry, and what re-runs.

Pure functions over a ``FlowRun`` (its frozen plan and its states), safe to call from a view's
thread while the run goes on. They follow ``engine.continuation`` exactly: ``resumable``
lists what ``resume`` approves; ``retryable`` what ``retry`` takes, less the TriggerFailed
tasks whose failed upstream is still failed (running one alone fails it again; retrying
that upstream, ``blocking_upstream``, re-runs it too); the previews are read from the very
helpers ``retry`` and ``retry_from`` use. A flow edited since the run is re-planned by the
action itself; these read the run's plan.

>>> from flowbook import Flow, task
>>> @task
... def load():
...     raise ValueError("no data")
>>> @task
... def report(x):
...     return x
>>> with Flow("etl") as flow:
...     out = report(load())
>>> state = flow.run()
>>> [t.name for t in retryable(flow.last_run)]
['load']
>>> why_not_retryable(flow.last_run, out)
'report is TriggerFailed because load failed; retrying load re-runs report too'
>>> [t.name for t in retry_preview(flow.last_run).rerun]
['load', 'report']
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from flowbook.engine.continuation import (
    can_retry_from, has_failed_parts, rerun_by_retry, rerun_by_retry_from,
)
from flowbook.engine.flow_state import has_paused_parts
from flowbook.engine.state import Failed, State, TriggerFailed

__all__ = ["resumable", "retryable", "blocking_upstream", "why_not_retryable",
           "can_retry_from", "Preview", "retry_preview", "retry_from_preview"]


def resumable(run: Any) -> list:
    """The tasks with paused parts (a paused task, or paused children), in run order: what
    ``resume(run, ())`` approves."""
    return [t for t in run.plan.order if has_paused_parts(run.states.get(t))]


def retryable(run: Any) -> list:
    """The tasks a retry can change the outcome of, in run order: failed, timed-out or
    cancelled ones (a mapped one by its children), except TriggerFailed ones whose failed
    upstream is still failed."""
    return [t for t in run.plan.order
            if has_failed_parts(run.states.get(t)) and not _failed_upstream(run, t)]


def blocking_upstream(run: Any, task: Any) -> list:
    """The retryable tasks above ``task`` whose retry re-runs it, in run order; empty when
    nothing above holds it back (it is retryable itself, or did not fail)."""
    roots: dict = {}
    seen: set = set()
    todo = _failed_upstream(run, task)
    while todo:
        up = todo.pop()
        if up in seen:
            continue
        seen.add(up)
        above = _failed_upstream(run, up)
        if above:
            todo.extend(above)
        else:
            roots[up] = None
    return [t for t in run.plan.order if t in roots]


def why_not_retryable(run: Any, task: Any) -> str | None:
    """Why retrying ``task`` alone is not offered, in one sentence; None when it is."""
    run.plan.require(task)
    state, name = run.states.get(task), _name(run, task)
    if state is None:
        return f"{name} has not run yet: it runs once the tasks above it have finished"
    if has_failed_parts(state):
        upstream = _failed_upstream(run, task)
        if not upstream:
            return None
        causes = ", ".join(f"{_name(run, up)} {_fact(run.states[up])}" for up in upstream)
        roots = " and ".join(_name(run, t) for t in blocking_upstream(run, task))
        return (f"{name} {_fact(state)} because {causes}; retrying {roots} re-runs "
                f"{name} too")
    if has_paused_parts(state):
        return f"{name} is waiting for approval: resume it"
    if state.is_successful():
        return (f"{name} succeeded ({type(state).__name__}); to run it again with every task "
                "below it, retry from here (flow.retry_from)")
    return f"{name} is {type(state).__name__}; only failed or cancelled tasks are retried"


@dataclass(frozen=True)
class Preview:
    """What an action would run again, and whose states and results it keeps."""

    rerun: tuple  # Tasks made to run again, in run order
    children: Mapping  # mapped Task in rerun -> indices of the children run again
    #                    (a Task in rerun but not here runs again whole)
    reused: tuple  # Tasks that keep their state and result (those with a state), run order


def retry_preview(run: Any, tasks: Iterable = ()) -> Preview:
    """What ``retry(run, tasks)`` would run again; raises as it would for a task that did
    not fail."""
    return _preview(run, rerun_by_retry(run, tasks))


def retry_from_preview(run: Any, task: Any) -> Preview:
    """What ``retry_from(run, task)`` would run again; raises as it would for a task that
    has not finished."""
    return _preview(run, rerun_by_retry_from(run, task))


# -- helpers ------------------------------------------------------------------------------

def _preview(run: Any, rerun: dict) -> Preview:
    children = {t: kids for t, kids in rerun.items() if kids is not None}
    reused = tuple(t for t in run.plan.order
                   if t not in rerun and run.states.get(t) is not None)
    return Preview(tuple(rerun), MappingProxyType(children), reused)


def _failed_upstream(run: Any, task: Any) -> list:
    """The upstream tasks, still failed or cancelled, that alone made ``task`` fail: empty
    unless every failed part of it is TriggerFailed."""
    state = run.states.get(task)
    parts = [] if state is None else [p for p in state.parts()
                                      if p.is_failed() or p.is_cancelled()]
    if not parts or not all(isinstance(p, TriggerFailed) for p in parts):
        return []
    upstream = dict.fromkeys(e.upstream_task for e in run.plan.edges_to[task])
    return [up for up in upstream if has_failed_parts(run.states.get(up))]


def _fact(state: State) -> str:
    """``failed``, ``was cancelled``, ``is TimedOut``, ``has 8 Failed of 100 children``."""
    if state.is_mapped():
        bad = Counter(type(c).__name__ for c in state.map_states
                      if c.is_failed() or c.is_cancelled())
        counts = ", ".join(f"{n} {kind}" for kind, n in bad.most_common())
        return f"has {counts} of {len(state.map_states)} children"
    if state.is_cancelled():
        return "was cancelled"
    return "failed" if type(state) is Failed else f"is {type(state).__name__}"


def _name(run: Any, task: Any) -> str:
    return run.plan.names.get(task, task.name)
