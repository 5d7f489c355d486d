"""The widget's What-if mode: how tasks end, set by hand, and the simulated run that follows.

A task's outcome starts as it ended *by itself* in the flow's latest run: its body returned,
raised, skipped, paused or timed out. What the engine decided (a trigger's refusal, a skip
passed down, a stop at a breakpoint: a ``state.why``) is not an outcome: the simulation
decides it again. A task that did not end by itself there (or a flow never run) starts as
a success. A click sets the next outcome of ``CYCLE`` that differs from how the task ended
in the run and, after the last, goes back to it (``next_outcome``).

``Simulator`` runs ``engine.simulate`` on the flow's current plan with those outcomes (and
the latest run's results and parameters), and reads its states as a run's (``Snapshot``),
so ``view_model`` and ``panel`` show them as they show a real run: one colouring path.

>>> next_outcome(None, None), next_outcome("Failed", None), next_outcome("TimedOut", None)
('Failed', 'Skipped', None)
>>> next_outcome(None, "Failed"), next_outcome("TimedOut", "Failed")
('Success', None)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flowbook.engine.simulate import OUTCOMES, outcome_class, simulated_run
from flowbook.errors import UserValueError
from flowbook.widget.palette import state_name
from flowbook.widget.tracking import Snapshot

__all__ = ["CYCLE", "HINT", "DEFAULT", "own_outcome", "run_outcomes", "next_outcome",
           "task_named", "checked", "Simulation", "Simulator", "status_text"]

DEFAULT = "Success"  # how a task with no outcome of its own ends in a simulation
CYCLE = ("Success", "Failed", "Skipped", "TimedOut")  # what clicks on a task go through
HINT = ("What if: click a task to change how it ends; the rest follows the rules (nothing "
        "runs)")


def own_outcome(state: Any) -> str | None:
    """How a task (or one mapped child) ended by itself, as an ``engine.simulate`` outcome
    name; None when it has not ended, was cancelled, or the engine decided its state."""
    if state is None or state.why is not None or state.is_mapped():
        return None
    return next((cls.__name__ for cls in type(state).__mro__ if cls.__name__ in OUTCOMES),
                None)


def run_outcomes(run: Any, plan: Any) -> dict:
    """Task -> how it ended by itself in ``run``, for the tasks of ``plan`` that did not
    succeed (a list, one per child, for a mapped task whose children ended differently)."""
    found: dict = {}
    for task, state in ({} if run is None else dict(run.states)).items():
        if task not in plan:
            continue
        if state.is_mapped():
            children = [own_outcome(child) or DEFAULT for child in state.map_states]
            kinds = set(children)
            outcome: Any = children if len(kinds) > 1 else kinds.pop() if kinds else None
        else:
            outcome = own_outcome(state)
        if outcome is not None and outcome != DEFAULT:
            found[task] = outcome
    return found


def next_outcome(current: str | None, base: Any) -> str | None:
    """The outcome a click sets on a task set to ``current`` (None: as it ended in the
    run, ``base``, itself None for a success or no outcome of its own): the next of
    ``CYCLE`` without ``base``; after the last, None again."""
    usual = DEFAULT if base is None else base if isinstance(base, str) else None
    steps = [None, *(outcome for outcome in CYCLE if outcome != usual)]
    if current not in steps:
        return steps[1]
    return steps[(steps.index(current) + 1) % len(steps)]


def task_named(flow: Any, name: str) -> Any:
    """The task of ``flow``'s current plan with the unique name ``name``."""
    names = flow.plan().names
    found = next((task for task, unique in names.items() if unique == name), None)
    if found is None:
        raise UserValueError(f"flow {flow.name!r} has no task named {name!r}; choose one of: "
                             f"{', '.join(names.values())}")
    return found


def checked(flow: Any, outcomes: dict) -> dict:
    """``outcomes`` (unique task name -> outcome, or a list of them, one per mapped child)
    with each outcome by its state's name; raises UserValueError for an unknown task or
    outcome."""
    def named(outcome: Any, name: str) -> str:
        return outcome_class(outcome, f"outcome of {name!r}").__name__

    valid = {}
    for name, outcome in outcomes.items():
        task_named(flow, name)
        valid[name] = ([named(o, name) for o in outcome] if isinstance(outcome, list)
                       else named(outcome, name))
    return valid


@dataclass
class Simulation:
    """A simulated run of the flow with some outcomes set by hand, as the widget shows it."""

    snapshot: Snapshot  # the simulated states, read as a run's (its run is marked simulated)
    latest: Any  # the flow's latest FlowRun it started from (None: the flow never ran)
    chosen: dict  # Task -> the outcome set by hand
    base: dict = field(default_factory=dict)  # Task -> how it ended by itself in ``latest``


class Simulator:
    """Simulates one flow, again only when the outcomes set, its plan or its latest run
    changed (a run going on changes it at every state)."""

    def __init__(self, flow: Any):
        self.flow = flow  # the Flow simulated
        self._key: tuple = ()  # what the simulation below was made from
        self._made: Simulation | None = None  # the latest simulation

    def simulation(self, chosen: dict) -> Simulation:
        """The flow simulated with ``chosen`` (Task -> outcome) over how its tasks ended in
        its latest run. Raises the UserError of ``simulate`` (a flow that cannot run)."""
        flow, latest = self.flow, self.flow.last_run
        plan = flow.plan()
        key = (plan, latest, None if latest is None else latest.changes, dict(chosen))
        if self._made is not None and _same(key, self._key):
            return self._made
        base = run_outcomes(latest, plan)
        run = simulated_run(flow, {**base, **{t: o for t, o in chosen.items() if t in plan}})
        self._key, self._made = key, Simulation(_snapshot(run), latest, dict(chosen), base)
        return self._made


def _same(key: tuple, other: tuple) -> bool:
    return (len(key) == len(other) and all(a is b for a, b in zip(key[:2], other[:2]))
            and key[2:] == other[2:])


def _snapshot(run: Any) -> Snapshot:
    """The simulated run (``engine.simulate.simulated_run``) as a Snapshot, as a real run's
    is read: its states with their histories, its plan's edges."""
    states = dict(run.states)
    children = {task: list(s.map_states) for task, s in states.items() if s.is_mapped()}
    return Snapshot(run, states, children, run.state)


def status_text(sim: Simulation, names: dict, shown: Any) -> str:
    """``What if: run_job Failed → flow Failed (real run: Success)``, saying which run the
    simulation starts from when it is not the one shown (``shown``: a FlowRun or None)."""
    changes = ", ".join(f"{names.get(task, task.name)} {outcome}"
                        for task, outcome in sim.chosen.items()) or "nothing changed yet"
    latest = sim.latest
    real = "not run yet" if latest is None else state_name(latest.state)
    text = (f"What if: {changes} → flow {state_name(sim.snapshot.flow_state)} "
            f"(real run: {real})")
    if latest is not None and shown is not None and latest is not shown:
        text += (f"; simulated from run {latest.number}, the flow's latest, not run "
                 f"{shown.number} shown")
    if latest is not None and latest.plan is not sim.snapshot.run.plan:
        text += f"; the flow as it is now, changed since run {latest.number}"
    return text
