"""Hints for a missed expectation: why a task ended as it did, and what would change it.

The why is the widget's own (``widget.explain``); the way out is tried, not guessed: a
trigger is suggested only when the engine's ``trigger_verdict``, on the upstream states the
task saw, gives what was expected.

>>> from flowbook import Flow, task
>>> @task
... def run_job():
...     raise ValueError("disk full")
>>> @task
... def tear_down(x):
...     return x
>>> with Flow("job") as flow:
...     job = tear_down(run_job())
>>> state = flow.run()
>>> view = RunView.of(state, flow.last_run.plan)
>>> print(hint(view, job, Success))  # doctest: +NORMALIZE_WHITESPACE
all_successful runs when every upstream task succeeded (Skipped counts as success); run_job
is Failed. Fix run_job (it failed: Error during execution of task: ValueError('disk full'))
and flow.retry() runs it and tear_down again. If tear_down should run anyway (a clean-up, an
alert), try trigger=triggers.always_run (any_failed would also run it here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from flowbook import triggers
from flowbook.core.naming import unique_names
from flowbook.engine.state import (
    Failed, Paused, Pending, Skipped, State, Success, TimedOut, TriggerFailed,
)
from flowbook.engine.upstream import upstream_states
from flowbook.tasks.control_flow import CompareValue
from flowbook.teaching.truth_table import ask, throwaway_upstream
from flowbook.widget.explain import (
    message_text, passed_text, result_preview, waiting_text, why_text,
)
from flowbook.widget.palette import state_name

__all__ = ["RunView", "hint", "matches", "suggest", "SUGGESTED"]

# Triggers tried in turn for a suggestion: the one that runs a task whatever happened above
# first (what a clean-up step wants), then the narrower ones.
SUGGESTED = ("always_run", "any_failed", "all_failed", "any_successful", "all_successful",
             "not_all_skipped", "manual_only")
_SKIP_CHECK = "skip_on_upstream_skip"  # the Decision.trigger of a skip by an upstream skip
_BREAKPOINT = "breakpoint"  # the Decision.trigger of a stop before a task (flow.run(breakpoints=))


@dataclass(frozen=True)
class RunView:
    """What a hint reads of one run."""

    states: Mapping  # Task -> its State, every task of the run (Pending("Not run.") if none)
    names: Mapping  # Task -> its unique name in the flow (load, load-2, ...)
    plan: Any  # the run's Plan, for the edges; None when the run is no longer kept

    @classmethod
    def of(cls, flow_state: State, plan: Any) -> "RunView":
        """The view of the run that ended in ``flow_state`` (its ``result``: Task -> State)."""
        states = flow_state.result
        names = unique_names(_Tasks(tuple(states)))
        return cls(states, names, plan)

    def knows_edges(self, task: Any) -> bool:
        return self.plan is not None and task in self.plan

    def upstream_tasks(self, task: Any) -> list:
        """The tasks with an edge into ``task``, once each, in edge order ([] without a plan)."""
        if not self.knows_edges(task):
            return []
        return list(dict.fromkeys(e.upstream_task for e in self.plan.edges_to[task]))

    def upstream(self, task: Any) -> dict | None:
        """``{Edge: State}`` as the task's trigger saw it, constants included; from the
        Decision behind its state when the plan is gone; None when neither is known."""
        if self.knows_edges(task):
            return upstream_states(self.plan, self.states, task)
        why = self.states[task].why
        if why is None:
            return None
        return throwaway_upstream([st for _, st in why.upstream], [n for n, _ in why.upstream])

    def seen(self, task: Any) -> list:
        """``[(name, State), ...]`` of its upstream tasks."""
        return [(self.names.get(up, up.name), self.states.get(up))
                for up in self.upstream_tasks(task)]


@dataclass(frozen=True)
class _Tasks:
    tasks: tuple  # what unique_names reads of a flow


def matches(state: State, expected: type) -> bool:
    """Whether ``state`` is ``expected`` or a kind of it, except that a Skipped task is not
    "Success", and a mapped one is only when every child is."""
    if expected is Success:
        if state.is_mapped():
            return all(matches(child, Success) for child in state.map_states)
        return state.is_successful() and not state.is_skipped()
    return isinstance(state, expected)


def _runs_give(expected: type) -> bool:
    """Whether a task its trigger lets run may end ``expected`` (by its own code)."""
    return matches(Success(), expected) or (
        issubclass(expected, Failed) and not issubclass(expected, TriggerFailed))


def _gives(verdict: State | None, expected: type) -> bool:
    return _runs_give(expected) if verdict is None else matches(verdict, expected)


def suggest(view: RunView, task: Any, expected: type) -> list:
    """The built-in triggers, in SUGGESTED order, other than the task's own, that decide
    ``expected`` on the upstream states the task saw (for a run, that they let it run)."""
    upstream = view.upstream(task)
    if not upstream:  # unknown, or none: a trigger decides nothing there
        return []
    found = []
    for name in SUGGESTED:
        trigger = getattr(triggers, name)
        if trigger is not task.trigger and _gives(ask(trigger, upstream), expected):
            found.append(name)
    return found


def _try(view: RunView, task: Any, expected: type, how: str, anyway: bool = False) -> str:
    """``Try trigger=triggers.X (Y would also ...)``, or "" when no built-in trigger does;
    ``anyway``: after a cause to fix above, as the other way (a task that must run anyway)."""
    found = suggest(view, task, expected)
    if not found:
        return ""
    text = (f" If {view.names[task]} should run anyway (a clean-up, an alert), try "
            f"trigger=triggers.{found[0]}" if anyway else f" Try trigger=triggers.{found[0]}")
    if found[0] == "always_run" and len(found) > 1:
        text += f" ({found[1]} would also {how} here)"
    return text + "."


def _failed_above(view: RunView, task: Any) -> str:
    """`` Fix X (it failed: ...) and flow.retry() ...`` for the upstream tasks whose own code
    failed, "" when none did (the cause is not above)."""
    failed = [up for up in view.upstream_tasks(task)
              if view.states[up].is_failed() and not isinstance(view.states[up], TriggerFailed)]
    if not failed:
        return ""
    up = failed[0]
    return (f" Fix {view.names[up]} (it failed: {message_text(view.states[up].message)}) and "
            f"flow.retry() runs it and {view.names[task]} again.")


def _outcome_words(expected: type) -> str:
    return "run it" if _runs_give(expected) else f"make it {expected.__name__}"


def hint(view: RunView, task: Any, expected: type) -> str:
    """Why ``task`` is not ``expected`` in the run of ``view``, and what would change it."""
    state = view.states[task]
    name = view.names[task]
    why = state.why
    if state.is_paused():
        return _paused(state)
    if why is not None and why.trigger == _SKIP_CHECK:
        return _skipped_by_upstream(view, task, expected)
    if why is not None:
        cause = _failed_above(view, task) if _runs_give(expected) else ""
        return f"{why_text(why)}." + cause + _try(view, task, expected,
                                                   _outcome_words(expected), anyway=bool(cause))
    if state.is_pending():
        return _not_run(view, task, state)
    if state.is_mapped():
        return _mapped(name, state, expected)
    if state.is_failed() and not _runs_give(expected):
        return _ran(view, task, expected)
    if state.is_failed():
        return _failed(state, expected)
    if state.is_skipped():
        return f"It skipped itself: {message_text(state.message)}."
    if state.is_successful():
        return _ran(view, task, expected)
    return f"{name} is {state_name(state)}: {message_text(state.message)}."


def _paused(state: State) -> str:
    why = state.why
    if why is not None and why.trigger == _BREAKPOINT:
        return (f"{why_text(why)}. flow.step() runs it alone, flow.resume() continues the "
                "run; then check the new state.")
    said = why_text(why) if why is not None else message_text(state.message)
    return (f"{said}. Approve it with flow.resume() (or the widget's Resume button) to let it "
            "run, then check the new state.")


def _skipped_by_upstream(view: RunView, task: Any, expected: type) -> str:
    name = view.names[task]
    origin = _skip_origin(view, task)
    if isinstance(origin, CompareValue):
        said = message_text(view.states[origin].message)
        return f"It is in a case branch that was not taken ({said})."
    text = (f"{why_text(view.states[task].why)}. Set skip_on_upstream_skip=False on {name} "
            "to let its trigger decide")
    upstream = view.upstream(task)
    if upstream is None:
        return text + "."
    own = triggers.describe(task.trigger)[0]
    if _gives(ask(task.trigger, upstream), expected):
        return text + f": {own} would then {_outcome_words(expected)}."
    return text + f"; {own} would not {_outcome_words(expected)}." + _try(
        view, task, expected, _outcome_words(expected))


def _skip_origin(view: RunView, task: Any) -> Any:
    """The task whose own skip (a SKIP signal, a case not taken) skipped ``task`` through
    its upstream tasks; None when the edges are not known."""
    seen = set()
    while task not in seen:
        seen.add(task)
        why = view.states[task].why
        if why is None or why.trigger != _SKIP_CHECK:
            return task
        skipped = [up for up in view.upstream_tasks(task) if view.states[up].is_skipped()]
        if not skipped:
            return None
        task = skipped[0]
    return None


def _not_run(view: RunView, task: Any, state: State) -> str:
    """A task left Pending (or waiting to retry): what holds it back."""
    name = view.names[task]
    said = message_text(state.message)
    if state.is_scheduled():
        return f"It waits to run again: {said}."
    waiting = [up for up in view.upstream_tasks(task) if not _finished(view.states[up])]
    if not view.knows_edges(task):
        return f"{name} did not run ({said}): a task runs once its upstream tasks have finished."
    text = f"It did not run: {waiting_text(state, [view.names[t] for t in waiting])}"
    holder = _holder(view, waiting)
    if holder is None:
        return text + "."
    held = view.states[holder]
    text += f"; {view.names[holder]} is {state_name(held)}"
    if held.is_paused():
        text += ": resume it with flow.resume()"
    return text + "."


def _holder(view: RunView, waiting: list) -> Any:
    """The first task above that holds the others back: unfinished, and not only waiting
    for its own upstream tasks."""
    seen: set = set()
    while waiting:
        up = waiting.pop(0)
        if up in seen:
            continue
        seen.add(up)
        above = [t for t in view.upstream_tasks(up) if not _finished(view.states[t])]
        if not (view.states[up].is_pending() and above) or view.states[up].is_scheduled():
            return up
        waiting.extend(above)
    return None


def _finished(state: State | None) -> bool:
    return state is not None and all(p.is_finished() for p in (state, *state.parts()))


def _mapped(name: str, state: State, expected: type) -> str:
    children = state.map_states
    if expected is Success:
        text = "A mapped task counts as Success only when every child succeeded"
    else:
        text = ("A mapped task is checked by its parent state, Mapped (a kind of Success when "
                "every child succeeded)")
    bad = next(((i, c) for i, c in enumerate(children) if not matches(c, Success)), None)
    if bad is None:
        return text + "."
    index, child = bad
    text += f"; {name}[{index}] is {state_name(child)}: {message_text(child.message)}"
    if child.is_failed():
        text += ". flow.retry() runs the failed children again once the cause is fixed"
    return text + "."


def _failed(state: State, expected: type) -> str:
    text = f"It failed: {message_text(state.message)}. "
    if issubclass(expected, Failed):  # another kind of failure than expected
        return text.rstrip()
    if isinstance(state, TimedOut):
        text += "Give it a longer timeout= or make it faster; then "
    else:
        text += "Fix the cause; then "
    return text + "flow.retry() runs it again, and the tasks below it that did not succeed."


def _ran(view: RunView, task: Any, expected: type) -> str:
    """A task its trigger let run, expected to be refused (or to fail, or to skip)."""
    state = view.states[task]
    if view.knows_edges(task):
        said = passed_text(task.trigger, view.seen(task), state)
    else:
        said = f"its trigger {triggers.describe(task.trigger)[0]} let it run"
    text = f"It ran: {said}"
    if issubclass(expected, (TriggerFailed, Paused, Skipped, Pending)):
        if issubclass(expected, Skipped):
            text += (". A task is Skipped when it raises signals.SKIP, when an upstream task "
                     "was skipped, or when it is in a case branch not taken")
        return text + "." + _try(view, task, expected, _outcome_words(expected))
    if state.is_successful():
        text += f"; it returned {result_preview(state, 80)} without raising an error"
    return text + "."
