"""A flow run: where every task stands, and ``apply``, the one way a task's state changes.

``start`` compiles the flow into its frozen plan, makes the ``FlowRun`` and hands it to the
scheduling loop (``engine.loop``); ``engine.continuation`` resumes or retries a run on a new
plan of the flow. Every change of a task's (or a mapped child's) state, from a task run on
any executor, a resume, a retry or an interrupt, goes through ``FlowRun.apply`` in the
loop's thread: state handlers, then the state stored with its history, then the event.

    plan (core.plan) -> loop (engine.loop) -> apply (FlowRun.apply) -> events (engine.events)
"""

from __future__ import annotations

import copy
import sys
from datetime import datetime, timezone
from typing import Any

from flowbook.context import context, run_values
from flowbook.engine import cache, checkpoint, in_progress
from flowbook.engine import clock as clocks
from flowbook.engine.events import FlowStateChanged, TaskStateChanged
from flowbook.engine.signals import PrefectStateSignal
from flowbook.engine.state import Failed, Pending, Running, State
from flowbook.engine.task_run import Setting, TaskRun
from flowbook.engine.upstream import upstream_states
from flowbook.errors import UserTypeError, UserValueError

__all__ = ["FlowRun", "start", "checked_executor", "check_parameters", "state_name"]


class FlowRun:
    """One run of a flow. ``flow.last_run`` is the latest; ``flow.last_state`` its state.

    Only the scheduling loop's thread changes it, through ``apply`` and ``set_state``;
    views read it from any thread.
    """

    def __init__(self, flow: Any, parameters: dict, task_states: dict, executor: Any,
                 context: dict, clock: Any = None, stand_in: Any = None):
        self.flow = flow  # the Flow being run
        self.plan = flow.plan()  # the frozen plan the loop follows; renewed on resume/retry
        self.parameters = parameters  # parameter name -> value (defaults filled in)
        self.states: dict = dict(task_states)  # Task -> latest State; absent: not run yet
        self.state: State | None = None  # the flow's state
        self.flow_states: list = []  # every flow state it entered, oldest first
        self.number = 0  # its number among the flow's runs (flow.runs), from 1
        self.executor = executor  # submits task runs (LocalExecutor by default)
        self.clock = clock or clocks.REAL  # the time, retry sleeps and timeouts of the run
        # flowbook.context for its tasks: what was set around flow.run(), dates, names
        self.context = run_values(context, flow.name, parameters, self.clock.now())
        self.changes = 0  # state changes so far; a pass that changes nothing ends the loop
        # The state a task not run yet starts from, one for all of them: pending since the
        # run began (the first state of each history; 128 bytes a task when made for each)
        self.pending = Pending.by_engine()
        self.pending.timestamp = self.clock.now()
        self.outputs: dict = {}  # (Task, map_index) -> TaskOutput: what its body printed
        self.interrupted = False  # a KeyboardInterrupt stopped its latest advance
        # (start, end) on the run's clock of each time its loop advanced it; end None while
        # it advances. Waits for a person fall between spans.
        self.spans: list = []
        # A what-if run (engine.simulate): ``stand_in`` ends each task instead of its body;
        # no state handler runs, nothing is cached or checkpointed, no event is published.
        self.simulated = stand_in is not None
        self.setting = Setting(self.context, parameters, self.outputs, self.clock, stand_in)
        self.breakpoints: set = set()  # tasks to stop before once (engine.breakpoints)
        self.reuse = False  # reuse the results of unchanged tasks (engine.reuse)
        self.verdicts: dict = {}  # Task -> engine.reuse.Verdict of its task run in flight
        self.stepping = False  # stop before every task that becomes ready (flow.step())
        # engine.raising: the loop raises the first task error (raise_on_exception), and
        # which error it raised
        self.raising = False
        self.raised: BaseException | None = None

    def __repr__(self) -> str:
        return f"<FlowRun of {self.flow.name!r}: {self.state!r}>"

    # -- the one way a task's state changes ------------------------------------------------

    def apply(self, tr: TaskRun, new: State) -> State:
        """Enter ``new`` for ``tr``'s task (or child): the task's state handlers may replace
        it, then it is stored, linked to the state it replaces (the history), and published.
        Returns the state stored. Called by the scheduling loop's thread only."""
        task, index = tr.task, tr.map_index
        old = self.states.get(task) if index is None else self.current_state(task, index)
        if old is None:  # a task without a stored state starts from its fresh Pending
            old = tr.submitted  # (not tr.state: a task run on a thread may be further on)
        if task.state_handlers and not self.simulated:
            new = _handled(tr, old, new)
        if new.previous is not None:  # already in a history (a reused Cached state): copy it
            new = copy.copy(new)
        new.previous = old
        if self.verdicts and (task if index is None else (task, index)) in self.verdicts:
            self._remember(task if index is None else (task, index), new)
        if task.edited and not self.simulated and (new.is_running() or new.is_cached()):
            task.edited = False  # its new code ran (or its result is the new code's)
        if index is None:
            self.states[task] = new
        else:
            self.states[task].map_states[index] = new
        self.changes += 1
        if self.flow.events.for_tasks and not self.simulated:
            self.flow.events.publish(TaskStateChanged(self, task, index, old, new))
        return new

    def judge_child(self, task: Any, index: int, upstream: dict) -> Any:
        """The reuse verdict of child ``index`` of a mapped task (engine.reuse), kept until
        the child finishes; None when it is never reused."""
        from flowbook.engine import reuse

        verdict = reuse.judge(self, task, upstream, index)
        if verdict is not None:
            self.verdicts[(task, index)] = verdict
        return verdict

    def _remember(self, key: Any, new: State) -> None:
        """A reusing run keeps a task's (or child's) success (engine.reuse) once it has
        one; ``key`` is the Task, or (Task, child index)."""
        from flowbook.engine import reuse

        if new.is_running() or new.is_pending():
            return
        verdict = self.verdicts.pop(key)
        if new.is_successful() and not new.is_skipped() and new.has_result:
            reuse.record(verdict, new, self.number)

    # A FlowRun is the reporter of task runs made in the loop's own thread (resume, retry,
    # interrupts): each change is applied at once.
    report = apply

    def set_state(self, new: State) -> None:
        """Enter a new flow state, through the flow's state handlers; a handler that raises
        makes it Failed, as a task's does."""
        old = self.state
        try:
            for handler in () if self.simulated else self.flow.state_handlers:
                new = handler(self.flow, old, new) or new
        except Exception as exc:
            new = Failed(f"state handler of flow {self.flow.name!r} raised {exc!r}", result=exc)
        self.state = new
        self.flow_states.append(new)
        if self.flow.events.for_flows and not self.simulated:
            self.flow.events.publish(FlowStateChanged(self, old, new))

    # -- what task runs are made of --------------------------------------------------------

    def task_run(self, task: Any, reporter: Any, map_index: int | None = None,
                 upstream: dict | None = None) -> TaskRun:
        """A run of ``task`` (or its child ``map_index``) from its current state."""
        state = (self.states.get(task) if map_index is None
                 else self.current_state(task, map_index)) or self.pending
        to_start = upstream is None  # the loop's: it may start (a reset gives upstream={})
        if to_start:
            upstream = upstream_states(self.plan, self.states, task)
        cached = store = None
        if task.cache_for is not None and not self.simulated:
            cached = cache.candidates(task.cache_key or task.name)
        if not self.simulated:
            store = checkpoint.store_for(self.flow, task, self.plan)
        verdict = None
        if self.reuse and to_start and map_index is None and state.is_pending():
            from flowbook.engine import reuse

            verdict = reuse.judge(self, task, upstream)
            if verdict is not None:
                self.verdicts[task] = verdict
        return TaskRun(task, state, upstream, map_index, self.setting, reporter, cached, store,
                       verdict)

    # -- reading ---------------------------------------------------------------------------

    def elapsed(self) -> float:
        """Seconds the run was advancing, retry waits included, waits for a person not."""
        spans = list(self.spans)
        now = self.clock.now() if spans and spans[-1][1] is None else 0.0
        return sum((now if end is None else end) - start for start, end in spans)

    def current_state(self, task: Any, map_index: int | None = None) -> State | None:
        """The state stored for ``task`` (or its child ``map_index``); None if none is."""
        state = self.states.get(task)
        if map_index is None or state is None:
            return state
        children = state.map_states if state.is_mapped() else ()
        return children[map_index] if map_index < len(children) else None

    def task_history(self, task: Any, map_index: int | None = None) -> list:
        """Every state ``task`` (or its child ``map_index``) went through, oldest first."""
        latest = self.current_state(task, map_index)
        history, seen = [], set()
        while latest is not None and id(latest) not in seen:
            seen.add(id(latest))
            history.append(latest)
            latest = latest.previous
        return history[::-1]


def _handled(tr: TaskRun, old: State, new: State) -> State:
    """``new`` as the task's state handlers leave it; one that raises a signal (``FAIL``,
    ``SKIP``, ...) puts its state instead, as in Prefect 1; one that raises anything else
    makes it Failed."""
    saved = context._replace(tr.context_values())
    try:
        for handler in tr.task.state_handlers:
            new = handler(tr.task, old, new) or new
    except PrefectStateSignal as signal:
        return signal.state
    except Exception as exc:
        return Failed(f"state handler of task {tr.task.name!r} raised {exc!r}", result=exc)
    finally:
        context._replace(saved)
    return new


# -- entry points -------------------------------------------------------------------------

def start(flow: Any, parameters: dict | None = None, task_states: dict | None = None,
          executor: Any = None, context: dict | None = None, clock: Any = None,
          breakpoints: Any = None, reuse: bool = False,
          scheduled_start_time: Any = None) -> State:
    """Begin a run of ``flow`` and take it as far as it goes without a person (or, with
    ``breakpoints``, to the first of them: ``engine.breakpoints``). Its context's
    ``scheduled_start_time`` is the time given (a schedule's), else now on its clock."""
    from flowbook.engine import breakpoints as stops
    from flowbook.engine.loop import advance

    values = check_parameters(flow, _given_parameters(flow, parameters, context))
    flow.validate()
    for task in task_states or {}:
        flow.plan().require(task)
    chosen, stepping = stops.resolve(flow, breakpoints)
    _warn_outdated(flow)
    if scheduled_start_time is None:
        scheduled_start_time = datetime.fromtimestamp((clock or clocks.REAL).now(), timezone.utc)
    context = {**(context or {}), "scheduled_start_time": scheduled_start_time}
    run = FlowRun(flow, values, task_states or {}, checked_executor(executor), context, clock)
    run.breakpoints, run.stepping = chosen, stepping
    run.reuse = bool(reuse)
    with in_progress.claim(run, "run it"):
        previous, flow.last_run = flow.last_run, run
        flow.runs.add(run)
        with clocks.using(run.clock):
            run.set_state(Running("Running flow."))
        try:
            return advance(run)
        except ConnectionError:
            if run.changes == 0:  # the executor was not reached and nothing ran: keep the
                flow.last_run = previous  # previous run as the flow's latest, retryable
                flow.runs.discard(run)
            raise
        finally:
            # The tracebacks of this run's failures keep this frame, and every older run
            # would stay reachable through it.
            del previous


def _given_parameters(flow: Any, parameters: dict | None, given: dict | None) -> dict:
    """``parameters``, over the values of the flow's parameters set in the run's context
    (``flow.run(context={"parameters": {...}})`` or ``with context(parameters=...)``)."""
    in_context: dict = {}
    for values in (context.get("parameters"), (given or {}).get("parameters")):
        if isinstance(values, dict) and values:
            known = {p.name for p in flow.parameters()}
            in_context.update((k, v) for k, v in values.items() if k in known)
    return {**in_context, **(parameters or {})}


def _warn_outdated(flow: Any) -> None:
    """In a notebook: warn when the flow holds older definitions of @task functions."""
    ipython = sys.modules.get("IPython")  # never imported here: only if already loaded
    if ipython is not None and ipython.get_ipython() is not None:
        from flowbook.notebook.stale import warn_outdated

        warn_outdated(flow)


def checked_executor(executor: Any) -> Any:
    """``executor``, or a new LocalExecutor for None; refuses what cannot run tasks."""
    from flowbook.executors import LocalExecutor, is_executor

    if executor is None:
        return LocalExecutor()
    if isinstance(executor, type):
        raise UserTypeError(f"executor {executor.__name__} is a class; pass an instance, "
                            f"{executor.__name__}()")
    if not is_executor(executor):
        raise UserTypeError(f"executor {executor!r} cannot run tasks: pass LocalExecutor(), "
                            "LocalDaskExecutor() or DaskExecutor() from flowbook.executors")
    return executor


def check_parameters(flow: Any, given: dict | None) -> dict:
    """Every parameter's value for a run (defaults filled in); unknown or missing required
    parameters raise UserValueError naming them."""
    given = dict(given or {})
    params = {p.name: p for p in flow.parameters()}
    unknown = sorted(set(given) - set(params))
    if unknown:
        known = ", ".join(sorted(params)) or "none"
        raise UserValueError(f"flow {flow.name!r} got unknown parameters {unknown}; its "
                             f"parameters are: {known}")
    missing = sorted(n for n, p in params.items() if p.required and n not in given)
    if missing:
        raise UserValueError(f"flow {flow.name!r} needs the required parameters {missing}; "
                             "pass them with flow.run(parameters={...})")
    return {**{n: p.default for n, p in params.items() if n not in given}, **given}


def state_name(state: State | None) -> str:
    return "not run yet" if state is None else type(state).__name__
