"""What-if: the states a flow would reach if its tasks ended as you say, without running them.

``simulate(flow, outcomes)`` runs the real scheduling loop (``engine.loop``) on a run of its
own, with each task's body replaced by a stand-in that ends the task in the outcome asked
for (``outcomes``, else ``default``). Everything else is the engine's: triggers, skip
propagation, retries, reference tasks, mapping and case/merge decide exactly as in a real
run, and each refusal carries its ``state.why``. No task body or state handler runs, nothing
is cached or checkpointed, the flow's runs and widgets never see it; it takes no time
(a fake clock runs the retries).

flowbook's own tasks have no effects, so they run as they are unless an outcome is given
for them: parameters, constants, collections, ``case`` comparisons and ``merge``. A task
that ends in Success returns its result of the flow's latest run when it had one there
(or the one given in ``results``), else an unknown result: a stand-in that has one element
per mapped child to make (``len`` of a list outcome, else 1) and equals anything, so a
``case`` on an unknown condition takes its branch.

A task that succeeds after retries is simulated by ``"Success"``: the simulation takes no
retry. One decision depends on retries, in Prefect 1 as here: a mapped task whose mapped
upstream produced no result makes its children only on a later pass over the flow, which a
retry elsewhere in a real run brings about; the simulation follows a run without retries.

>>> from flowbook import Flow, task, triggers
>>> @task
... def run_job():
...     return "done"
>>> @task(trigger=triggers.all_successful)
... def tear_down():
...     return "down"
>>> with Flow("spark") as flow:
...     job = run_job()
...     down = tear_down(upstream_tasks=[job])
>>> state = simulate(flow, {"run_job": "Failed"})
>>> state
<Failed: "What-if: Some reference tasks failed.">
>>> state.result[down]
<TriggerFailed: "trigger "all_successful": some upstream tasks did not succeed">
>>> state.result[down].why.trigger, state.result[job].message
('all_successful', 'What-if: ended Failed as asked (simulated; nothing ran)')
"""

from __future__ import annotations

from typing import Any

from flowbook.engine import signals
from flowbook.engine import state as states
from flowbook.engine.clock import FakeClock
from flowbook.errors import UserTypeError, UserValueError

__all__ = ["simulate", "simulated_run", "OUTCOMES", "Unknown", "outcome_class"]

# The states a task body can end in, as a simulation's outcomes; each is raised as the
# signal a real body would raise, so the engine makes the same state of it.
OUTCOMES = ("Success", "Failed", "Skipped", "Paused", "TimedOut", "TriggerFailed")
_MESSAGE = "What-if: ended {} as asked (simulated; nothing ran)"


class _TIMEDOUT(signals.FAIL):
    """A simulated timeout (a real one is raised by the engine, not by the body)."""

    _state_cls = states.TimedOut


_SIGNALS = {"Failed": signals.FAIL, "Skipped": signals.SKIP, "Paused": signals.PAUSE,
            "TimedOut": _TIMEDOUT, "TriggerFailed": signals.TRIGGERFAIL}


class Unknown:
    """A result a simulation cannot know. It has ``size`` elements (so a task mapped over it
    makes that many children) and equals anything (so a ``case`` on it takes its branch)."""

    __slots__ = ("size",)

    def __init__(self, size: int = 1):
        self.size = size

    def __repr__(self) -> str:
        return "<unknown result>"

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: Any) -> "Unknown":
        if isinstance(index, int) and not -self.size <= index < self.size:
            raise IndexError(index)
        return Unknown()

    def __iter__(self) -> Any:
        return (Unknown() for _ in range(self.size))

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = object.__hash__


def simulate(flow: Any, outcomes: dict | None = None, default: Any = "Success", *,
             results: dict | None = None, parameters: dict | None = None) -> states.State:
    """The flow State the engine would reach if each task that gets to run ended as
    ``outcomes`` says (a task or its name -> a state name such as ``"Failed"``, or a State
    class; for a mapped task, one outcome for every child or a list, one per child), the
    others as ``default``. ``state.result`` maps every task to its simulated State.

    ``results`` (task or name -> value) gives the result a task returns when it succeeds;
    by default, its result in the flow's latest run. ``parameters`` are those of the latest
    run, else the defaults, updated with the ones given.
    """
    return simulated_run(flow, outcomes, default, results=results, parameters=parameters).state


def simulated_run(flow: Any, outcomes: dict | None = None, default: Any = "Success", *,
                  results: dict | None = None, parameters: dict | None = None) -> Any:
    """``simulate``'s run itself (a ``FlowRun`` with ``simulated`` set, never one of the
    flow's runs): its states with their histories and its plan; its ``state`` is what
    ``simulate`` returns."""
    from flowbook.engine import continuation, flow_run
    from flowbook.engine.loop import advance
    from flowbook.executors import LocalExecutor

    flow.validate()
    plan = flow.plan()
    chosen = {task: _outcomes_of(task, value)
              for task, value in _by_task(flow, plan, outcomes, "outcomes").items()}
    fallback = outcome_class(default, "default")
    stand_in = _StandIn(chosen, fallback, _known_results(flow, plan, results), plan)
    latest = flow.last_run
    given = {**(latest.parameters if latest is not None else {}), **(parameters or {})}
    known = {p.name for p in flow.parameters()}
    values = flow_run.check_parameters(flow, {k: v for k, v in given.items() if k in known})
    run = flow_run.FlowRun(flow, values, {}, LocalExecutor(), {}, FakeClock(),
                           stand_in=stand_in)
    with continuation.clock.using(run.clock):
        run.set_state(states.Running("Simulating the flow (what-if)."))
    state = advance(run)
    state.message = f"What-if: {state.message}"  # never mistaken for a real run's state
    return run


def outcome_class(value: Any, what: str = "outcome") -> type:
    """The State class an outcome names: ``"Failed"`` (any case), or the class itself."""
    if isinstance(value, type) and issubclass(value, states.State):
        name = value.__name__
    elif isinstance(value, str):
        name = {n.lower(): n for n in OUTCOMES}.get(value.strip().lower(), value)
    else:
        raise UserTypeError(f"{what} {value!r} is not a state: give a state name "
                            f"({', '.join(OUTCOMES)}) or a State class")
    if name not in OUTCOMES:
        raise UserValueError(f"{what} {value!r} is not a state a task can end in; use one of "
                             f"{', '.join(OUTCOMES)}")
    return getattr(states, name)


# -- what each task does ------------------------------------------------------------------

class _StandIn:
    """Called instead of a task's function: returns the task's result or raises the signal
    of its outcome; flowbook's own tasks run as they are unless an outcome names them."""

    __slots__ = ("chosen", "default", "results", "sizes")

    def __init__(self, chosen: dict, default: type, results: dict, plan: Any):
        self.chosen = chosen  # Task -> a State class, or a list of them (mapped children)
        self.default = default  # the State class of every other task
        self.results = results  # (Task, map_index or None) -> the result it returns
        self.sizes = _sizes(chosen, plan)  # Task -> elements of an unknown result of it

    def __call__(self, tr: Any, inputs: dict) -> Any:
        task = tr.task
        outcome = self.chosen.get(task)
        if outcome is None and _runs_as_it_is(task):
            return task.run(**inputs)
        if isinstance(outcome, list):
            index = tr.map_index or 0
            outcome = outcome[index] if index < len(outcome) else self.default
        outcome = outcome or self.default
        if outcome is not states.Success:
            raise _SIGNALS[outcome.__name__](_MESSAGE.format(outcome.__name__))
        key = (task, tr.map_index)
        if key in self.results:
            return self.results[key]
        return Unknown(self.sizes.get(task, 1))


def _runs_as_it_is(task: Any) -> bool:
    """flowbook's own tasks, whose code has no effects: parameters, constants, collections,
    case comparisons, merge."""
    from flowbook.core.parameter import Parameter
    from flowbook.tasks import control_flow, core

    return isinstance(task, (Parameter, core.Constant, core.List, core.Tuple, core.Set,
                             core.Dict, control_flow.CompareValue, control_flow.Merge))


def _by_task(flow: Any, plan: Any, given: dict | None, what: str) -> dict:
    """``given`` keyed by Task (names resolved, unknown ones refused with a did-you-mean)."""
    from flowbook.engine.continuation import resolve_tasks

    if given is None:
        return {}
    if not isinstance(given, dict):
        raise UserTypeError(f"{what} must be a dict of task (or task name) -> value, not "
                            f"{type(given).__name__}; e.g. {{\"load\": \"Failed\"}}")
    return dict(zip(resolve_tasks(flow, plan, list(given)), given.values()))


def _outcomes_of(task: Any, value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [outcome_class(v, f"outcome of {task.name!r}") for v in value]
    return outcome_class(value, f"outcome of {task.name!r}")


def _known_results(flow: Any, plan: Any, given: dict | None) -> dict:
    """(Task, map_index) -> the result it returns when it succeeds: the latest run's
    successes, then the ``results`` given."""
    known: dict = {}
    latest = flow.last_run
    # A copy: a run going on in another thread (a widget's button) may change its states.
    for task, state in (dict(latest.states) if latest is not None else {}).items():
        if task not in plan.edges_to:
            continue
        if state.is_mapped():
            for i, child in enumerate(list(state.map_states)):
                if _succeeded(child):
                    known[(task, i)] = child.result
        elif _succeeded(state):
            known[(task, None)] = state.result
    for task, value in _by_task(flow, plan, given, "results").items():
        known[(task, None)] = value
    return known


def _succeeded(state: states.State) -> bool:
    return state.is_successful() and not state.is_skipped() and state.has_result


def _sizes(chosen: dict, plan: Any) -> dict:
    """Task -> how many elements its unknown result has: as many as the children a list
    outcome gives the task mapped over it."""
    sizes: dict = {}
    for task, outcome in chosen.items():
        if isinstance(outcome, list):
            for edge in plan.edges_to[task]:
                if edge.mapped:
                    up = edge.upstream_task
                    sizes[up] = max(sizes.get(up, 1), len(outcome))
    return sizes
