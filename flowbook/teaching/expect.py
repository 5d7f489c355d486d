"""Self-checking exercises: ``expect(run, task="State", ...)`` checks the tasks' states.

Each expectation names a task and the state it should end in. The checklist shows green and
red in a notebook (text elsewhere); a miss comes with a hint (``teaching.hints``) and then
raises AssertionError, so a notebook run by nbval fails where the learner's flow does.

How a state matches: the task's state is that class or a kind of it (TriggerFailed and
TimedOut are Failed, Paused is Pending, Cached is Success), except that a Skipped task does
not count as "Success" (though Skipped is a kind of Success in the class tree), and a mapped
task, checked by its parent state (Mapped, a kind of Success), counts as "Success" only when
every child does.

>>> from flowbook import Flow, task
>>> @task
... def load():
...     raise ValueError("no data")
>>> @task
... def report(x):
...     return x
>>> with Flow("etl") as flow:
...     out = report(load())
>>> expect(flow.run(), load="Failed", report="TriggerFailed", flow_state="Failed").passed
True
>>> expect(flow, report="Success")
Traceback (most recent call last):
AssertionError: 1 of 1 expectations missed:
- report is TriggerFailed, expected Success.
  all_successful runs when every upstream task succeeded ...
"""

from __future__ import annotations

import difflib
import html
import sys
from dataclasses import dataclass
from typing import Any

from flowbook.core.flow import Flow
from flowbook.core.task import Task
from flowbook.engine import state as states
from flowbook.engine.runs import run_of
from flowbook.errors import UserTypeError, UserValueError
from flowbook.teaching.hints import RunView, hint, matches
from flowbook.widget.explain import children_text
from flowbook.widget.palette import cue_named, state_name

__all__ = ["expect", "Check", "Checklist", "STATE_NAMES"]

STATE_NAMES = {name.lower(): getattr(states, name) for name in states.__all__
               if isinstance(getattr(states, name), type)
               and issubclass(getattr(states, name), states.State)}  # lower name -> class
_NAMES_LISTED = 30  # task names listed when a name is not in the flow


@dataclass(frozen=True)
class Check:
    """One expectation and how the run met it."""

    task: str  # the task's unique name in the flow
    expected: str  # the expected state's class name
    got: str  # the task's state: "TriggerFailed", "Mapped (3 children: 3 Success)"
    passed: bool  # whether the state matched
    hint: str  # for a miss, why and what to change; "" for a match

    def line(self) -> str:
        if self.passed:
            return f"{self.task} is {self.got}"
        return f"{self.task} is {self.got}, expected {self.expected}"


class Checklist:
    """The checks of one ``expect`` call, in the order given."""

    def __init__(self, checks: list):
        self.checks = checks  # [Check, ...]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def misses(self) -> list:
        return [c for c in self.checks if not c.passed]

    def summary(self) -> str:
        missed, total = len(self.misses), len(self.checks)
        if not missed:
            return f"all {total} expectations met" if total > 1 else "the expectation is met"
        return f"{missed} of {total} expectations missed"

    def __str__(self) -> str:
        lines = []
        for c in self.checks:
            lines.append(f"{'✓' if c.passed else '✗'} {c.line()}")
            if c.hint:
                lines.append(f"    {c.hint}")
        return "\n".join(lines + [self.summary()])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        items = "".join(_item_html(c) for c in self.checks)
        return (f'<div class="fb-expect"><ul style="list-style:none;padding-left:0;margin:0">'
                f"{items}</ul><div>{html.escape(self.summary())}</div></div>")


def _item_html(check: Check) -> str:
    cue = cue_named("Success" if check.passed else "Failed")
    badge = (f'<span style="background:{cue["fill"]};color:{cue["text"]};padding:0 0.35em;'
             f'margin-right:0.4em">{"✓" if check.passed else "✗"}</span>')
    more = (f'<div style="margin:0.1em 0 0.3em 1.8em;opacity:0.85">{html.escape(check.hint)}'
            "</div>" if check.hint else "")
    return f"<li>{badge}{html.escape(check.line())}{more}</li>"


def expect(state_or_flow: Any, expected: dict | None = None, /, *, flow_state: Any = None,
           **by_name: Any) -> Checklist:
    """Check that each named task of a run ended in the state given: ``expect(flow.run(),
    load="Success", report="TriggerFailed")``; a task whose name is not a Python name goes
    in a dict, ``expect(state, {"my-task": "Failed"})``.

    ``state_or_flow`` is the flow State ``flow.run()`` returned, or a Flow (its latest run).
    A state is a name in any case ("Success", "triggerfailed") or a class of
    ``flowbook.engine.state``. Returns the Checklist when every task matches; otherwise
    shows it with a hint per miss and raises AssertionError. ``flow_state="Failed"`` checks
    the flow's own state too (a task named ``flow_state`` goes in the dict).
    """
    view, flow_name, run_state = _view(state_or_flow)
    wanted = _wanted(expected, by_name, flow_state is not None)
    tasks = {name: task for task, name in view.names.items()}
    checks = []
    if flow_state is not None:
        checks.append(_flow_check(view, run_state, _state_class(flow_state, "the flow"),
                                  flow_name))
    for key, value in wanted.items():
        task = _task(key, tasks, view, flow_name)
        cls = _state_class(value, view.names[task])
        checks.append(_check(view, task, cls))
    checklist = Checklist(checks)
    if not checklist.passed:
        _show(checklist)
        raise AssertionError(_failure_text(checklist))
    return checklist


def _check(view: RunView, task: Any, expected: type) -> Check:
    state = view.states[task]
    got = state_name(state)
    if state.is_mapped():
        got += f" ({children_text(state.map_states)})"
    ok = matches(state, expected)
    return Check(view.names[task], expected.__name__, got, ok,
                 "" if ok else hint(view, task, expected))


def _flow_check(view: RunView, run_state: Any, expected: type, flow_name: str) -> Check:
    """The flow's own state against ``expected``; a miss says what decides it."""
    got = state_name(run_state)
    ok = matches(run_state, expected)
    who = "the flow" if flow_name == "this run" else f"flow {flow_name!r}"
    if ok:
        return Check(who, expected.__name__, got, True, "")
    if not run_state.is_finished():
        said = f"The run has not finished: {run_state.message}"
    elif view.plan is None:
        said = f"{run_state.message}"
    else:
        refs = [t for t in view.plan.order if t in view.plan.reference]
        decided = ", ".join(f"{view.names[t]} is {state_name(view.states[t])}" for t in refs)
        said = (f"A flow's state follows its reference tasks ({decided}); choose the tasks "
                "that should decide it with flow.set_reference_tasks([...])")
    return Check(who, expected.__name__, got, False, said + ".")


def _failure_text(checklist: Checklist) -> str:
    lines = [f"{checklist.summary()}:"]
    lines += [f"- {c.line()}.\n  {c.hint}" for c in checklist.misses]
    return "\n".join(lines)


def _show(checklist: Checklist) -> None:
    """HTML in a notebook (or IPython's text), else printed; IPython is never imported here."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        print(checklist)
        return
    from IPython.display import display

    display(checklist)


def _view(state_or_flow: Any) -> tuple:
    """``(RunView, flow name)`` of the run given."""
    if isinstance(state_or_flow, Flow):
        run = state_or_flow.last_run
        if run is None or run.state is None:
            raise UserValueError(f"flow {state_or_flow.name!r} has not run yet, so there is "
                                 "nothing to check; run it with flow.run() first")
        return RunView.of(run.state, run.plan), state_or_flow.name, run.state
    result = getattr(state_or_flow, "result", None)
    if not isinstance(state_or_flow, states.State) or not isinstance(result, dict):
        raise UserTypeError(
            f"expect checks a run: give it the flow State that flow.run() returned, or the "
            f"Flow itself (its latest run), not {state_or_flow!r}")
    run = run_of(state_or_flow)
    plan = None if run is None else run.plan
    return (RunView.of(state_or_flow, plan), "this run" if plan is None else plan.flow_name,
            state_or_flow)


def _wanted(expected: Any, by_name: dict, flow_too: bool = False) -> dict:
    if expected is None:
        expected = {}
    if not isinstance(expected, dict):
        raise UserTypeError(f"the second argument of expect is a dict {{task name: state}}, "
                            f"not {expected!r}; or name tasks as keywords: load='Success'")
    both = [k for k in by_name if k in expected]
    if both:
        raise UserValueError(f"task {both[0]!r} is given twice, in the dict and as a keyword")
    wanted = {**expected, **by_name}
    if not wanted and not flow_too:
        raise UserValueError("name at least one task and its state: "
                             "expect(state, load='Success')")
    return wanted


def _task(key: Any, tasks: dict, view: RunView, flow_name: str) -> Any:
    if isinstance(key, Task):
        if key not in view.states:
            raise UserValueError(f"task {key.name!r} is not in {_flow(flow_name)}; name one "
                                 f"of its tasks: {_listed(tasks)}")
        return key
    if key in tasks:
        return tasks[key]
    close = difflib.get_close_matches(str(key), list(tasks), n=1)
    maybe = f" (did you mean {close[0]!r}?)" if close else ""
    raise UserValueError(f"there is no task {key!r} in {_flow(flow_name)}{maybe}; its tasks "
                         f"are {_listed(tasks)}")


def _flow(flow_name: str) -> str:
    return flow_name if flow_name == "this run" else f"flow {flow_name!r}"


def _listed(tasks: dict) -> str:
    names = list(tasks)
    more = len(names) - _NAMES_LISTED
    return ", ".join(names[:_NAMES_LISTED]) + (f" and {more} more" if more > 0 else "")


def _state_class(value: Any, task_name: str) -> type:
    if isinstance(value, type) and issubclass(value, states.State):
        return value
    if isinstance(value, states.State):
        raise UserTypeError(f"expected state of {task_name!r}: give its name "
                            f"({type(value).__name__!r}) or its class, not a state {value!r}")
    if not isinstance(value, str):
        raise UserTypeError(f"expected state of {task_name!r}: give a state name such as "
                            f"'Success', not {value!r}")
    cls = STATE_NAMES.get(value.strip().lower())
    if cls is None:
        known = [c.__name__ for c in STATE_NAMES.values()]
        close = difflib.get_close_matches(value.strip().lower(), list(STATE_NAMES), n=1)
        maybe = f" (did you mean {STATE_NAMES[close[0]].__name__!r}?)" if close else ""
        raise UserValueError(f"{value!r}, expected of {task_name!r}, is not a state{maybe}; "
                             f"the states are {', '.join(known)}")
    return cls
