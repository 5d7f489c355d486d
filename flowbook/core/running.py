"""Starting a flow's runs: what ``Flow.run`` and ``Flow.step`` check and hand to the engine
(``engine.flow_run``, ``engine.scheduled``), and the flow's state handlers.

>>> from flowbook import Flow, Parameter
>>> flow = Flow("f", tasks=[Parameter("x")])
>>> keyword_parameters(flow, None, {"x": 1})
{'x': 1}
"""

from __future__ import annotations

from typing import Any

from flowbook.core import building
from flowbook.errors import UserRuntimeError, UserTypeError, UserValueError

__all__ = ["run", "step", "last_run", "handlers", "keyword_parameters", "not_run"]


def run(flow: Any, parameters: dict | None, values: dict, options: dict,
        run_on_schedule: bool | None, flow_run_name: str | None, state: Any) -> Any:
    """``flow.run(...)``: ``values`` are its parameter keywords, ``options`` what goes on to
    the engine (task_states, executor, context, clock, breakpoints, reuse)."""
    from flowbook.engine import flow_run, scheduled

    if building.active_flow() is not None:
        raise UserRuntimeError(
            f"flow {flow.name!r}: cannot call `flow.run()` from within a `Flow` context "
            f"manager (flow {building.active_flow().name!r} is being built); call it "
            "after the `with Flow(...)` block")
    if flow_run_name is not None:
        options["context"] = {**(options["context"] or {}), "flow_run_name": flow_run_name}
    parameters = keyword_parameters(flow, parameters, values)
    if state is not None and state.is_finished():
        return not_run(flow, state)
    if flow.schedule is not None and run_on_schedule is not False:
        return scheduled.run(flow, parameters, options)
    return flow_run.start(flow, parameters=parameters, **options)


def step(flow: Any, task: Any, parameters: dict | None, executor: Any, clock: Any) -> Any:
    """``flow.step(...)``: one task of the run standing at a breakpoint, or of a new run."""
    from flowbook.engine import breakpoints, continuation, flow_run

    run = flow.last_run
    if run is None or run.state is None or run.state.is_finished():
        flow_run.start(flow, parameters=parameters, executor=executor, clock=clock,
                       breakpoints=breakpoints.ALL)
        run = flow.last_run
    return continuation.step(run, task)


def last_run(flow: Any, action: str) -> Any:
    """``flow.last_run``, for ``action`` (resume, retry, ...) to continue or look at."""
    if flow.last_run is None:
        raise UserValueError(f"flow {flow.name!r} has not run yet, so there is nothing to "
                             f"{action}; call flow.run() first")
    return flow.last_run


def handlers(flow_name: str, state_handlers: Any, on_failure: Any) -> list:
    """The flow's state handlers as a list, ``on_failure(flow, state)`` last, called on
    failed states."""
    if state_handlers is not None and not isinstance(state_handlers, (list, tuple)):
        raise UserTypeError(f"flow {flow_name!r}: state_handlers should be iterable (a list "
                            f"of functions), not {type(state_handlers).__name__}")
    found = list(state_handlers or ())
    if on_failure is not None:
        if not callable(on_failure):
            raise UserTypeError(f"flow {flow_name!r}: on_failure {on_failure!r} is not "
                                "callable; give a function (flow, state) -> None")

        def call_on_failure(flow: Any, old: Any, new: Any) -> None:
            if new.is_failed():
                on_failure(flow, new)

        found.append(call_on_failure)
    return found


def keyword_parameters(flow: Any, parameters: dict | None, values: dict) -> dict | None:
    """``parameters`` with the keywords given to ``flow.run`` that name parameters."""
    if "return_tasks" in values:
        raise UserValueError("The `return_tasks` keyword cannot be provided to `flow.run()`: "
                             "every task's state is in the flow state's result")
    if not values:
        return parameters
    names = {p.name for p in flow.parameters()}
    unknown = sorted(set(values) - names)
    if unknown:
        raise UserTypeError(f"flow {flow.name!r}: flow.run() got unexpected keywords "
                            f"{', '.join(unknown)}; its parameters are "
                            f"{', '.join(sorted(names)) or 'none'}")
    return {**(parameters or {}), **values}


def not_run(flow: Any, state: Any) -> Any:
    """A finished ``state`` given to ``flow.run``, returned as the run's: no task runs."""
    from flowbook.engine.state import Pending

    if not isinstance(state.result, dict):
        state.result = {}
    for task in flow.tasks:
        state.result.setdefault(task, Pending("Task not run."))
    return state
