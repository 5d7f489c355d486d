"""Breakpoints and stepping: a run that stops before chosen tasks, or before every task.

``flow.run(breakpoints=[task, ...])`` stops the run before each of those tasks once, when the
task is ready to start (its upstream tasks have finished): the task is Paused, its message
and its decision (``state.why.trigger == "breakpoint"``) say so, and the run waits, as for a
``manual_only`` approval. ``flow.step()`` continues exactly one stopped task and stops again
before every task that becomes ready (the run is *stepping*); ``flow.resume()`` continues
every stopped task (and approves the paused ones) and ends the stepping; breakpoints not
reached yet stay. Continuing a task from a breakpoint is not an approval: a ``manual_only``
task stopped at a breakpoint still waits for its own approval afterwards.

The scheduling loop asks ``stops_before`` for every task it is about to start; the decision
is made in the loop's thread, so it is the same on every executor.

>>> from flowbook import Flow, task
>>> @task
... def extract():
...     return [1, 2, 3]
>>> @task
... def load(rows):
...     return len(rows)
>>> with Flow("etl") as flow:
...     n = load(extract())
>>> flow.run(breakpoints=[n]).message
'Stopped at a breakpoint before load: flow.step() runs it, flow.resume() continues the run.'
>>> flow.last_run.states[n]
<Paused: "Breakpoint: stopped before load">
>>> flow.resume().result[n].result
3
"""

from __future__ import annotations

from typing import Any, Iterable

from flowbook.engine.state import Decision, Paused, Pending, State
from flowbook.errors import UserTypeError

__all__ = ["BREAKPOINT", "at_breakpoint", "stopped_tasks", "stops_before", "stopped",
           "continued", "resolve", "ALL"]

BREAKPOINT = "breakpoint"  # the name of the decision of a task stopped at a breakpoint
_RULE = "the run stops before a task with a breakpoint, or before every task while stepping"
ALL = "all"  # ``breakpoints="all"``: stop before every task (stepping from the start)


def at_breakpoint(state: State | None) -> bool:
    """Whether the task (or one of its parts) stands at a breakpoint."""
    if state is None:
        return False
    return any(part.is_paused() and part.why is not None and part.why.trigger == BREAKPOINT
               for part in state.parts())


def stopped_tasks(run: Any) -> list:
    """The tasks of ``run`` standing at a breakpoint, in run order: what ``flow.step()``
    can run (the first of them by default)."""
    return [t for t in run.plan.order if at_breakpoint(run.states.get(t))]


def stops_before(run: Any, task: Any, state: State) -> bool:
    """Whether the run stops before ``task``, which is ready to start from ``state``: it
    has a breakpoint not reached yet, or the run is stepping; a task starts from a plain
    Pending only once (a retry attempt or an approval is not a new start)."""
    if not (run.stepping or task in run.breakpoints):
        return False
    if type(state) is not Pending:  # Retrying, Resume, a mapped parent's Mapped: going on
        return False
    return not at_breakpoint(state.previous)  # continued from its breakpoint: it runs


def stopped(run: Any, task: Any, upstream: dict) -> State:
    """The Paused state of ``task`` stopped before it starts; its breakpoint is used up."""
    run.breakpoints.discard(task)
    ups = tuple({id(e.upstream_task): (e.upstream_task.name, st)
                 for e, st in upstream.items()}.values())
    how = "stepping" if run.stepping else "a breakpoint"
    why = Decision(BREAKPOINT, _RULE, ups, f"stopped before {task.name} ({how})")
    return Paused(f"Breakpoint: stopped before {task.name}", why=why)


def continued() -> State:
    """The state a task stopped at a breakpoint continues from: it starts as it would have
    (its trigger decides; not an approval of ``manual_only``)."""
    return Pending("Continued from the breakpoint.")


def resolve(flow: Any, breakpoints: Any) -> tuple:
    """``(tasks, stepping)`` for ``flow.run(breakpoints=...)``: Tasks or task names, or
    ``"all"`` to stop before every task."""
    if breakpoints is None:
        return set(), False
    if isinstance(breakpoints, str) and breakpoints == ALL:
        return set(), True
    if isinstance(breakpoints, str) or not isinstance(breakpoints, Iterable):
        raise UserTypeError(f"breakpoints must be a list of tasks or task names (or \"all\"), "
                            f"not {breakpoints!r}; e.g. flow.run(breakpoints=[\"load\"])")
    from flowbook.engine.continuation import resolve_tasks

    return set(resolve_tasks(flow, flow.plan(), breakpoints)), False
