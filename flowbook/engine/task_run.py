"""One task run as a chain of small ``state -> state`` steps (Prefect 1's task runner, flattened).

Order, as in SEMANTICS.md: upstream skipped? -> cached? -> trigger -> Running -> body -> cache
the result -> retry? -> loop? Whether the task may start at all is decided before, by the
scheduling loop (``upstream.may_start``). A plain task (``is_plain``: no option that adds a
step) whose upstream tasks all succeeded passes every step before its body, so the loop
sends it straight to ``execute`` (the body's steps, the same for every task). Each step
returns early with a state; nothing here raises to steer control flow. User code failing is
a state (SystemExit too); only a flowbook bug or a KeyboardInterrupt (which stops the run)
escapes.

A task run never writes its flow run: every state it enters is reported through its
``reporter``, which hands it to the scheduling loop (``FlowRun.apply`` runs the state
handlers, stores the state and publishes the event) and returns the state as applied. On
another process the reporter is a ``Collector``, and the loop applies what it collected
when the run reports back.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from flowbook import triggers
from flowbook.context import context
from flowbook.core import task_options
from flowbook.engine import capture, checkpoint, clock, shipping, timeout
from flowbook.engine.signals import TRIGGERFAIL, PrefectStateSignal
from flowbook.engine.state import (
    Cached,
    Decision,
    Failed,
    Looped,
    Mapped,
    Pending,
    Resume,
    Retrying,
    Running,
    Skipped,
    State,
    Success,
    TimedOut,
    TriggerFailed,
)
from flowbook.engine.timeout import TaskTimeoutSignal
from flowbook.utilities.logging import get_logger

__all__ = ["TaskRun", "Setting", "Collector", "TaskTimeoutSignal", "run_task", "execute",
           "is_plain", "trigger_verdict", "inputs_of", "attempt"]

_STARTING = "Starting task run."
_SKIP_RULE = ("a task is skipped when an upstream task was skipped "
              "(set skip_on_upstream_skip=False to run it anyway)")


@dataclass(frozen=True, slots=True)
class Setting:
    """What every task run of one flow run reads of it."""

    context: dict  # flowbook.context values of the run (flow_name, parameters, ...)
    parameters: dict  # parameter name -> value
    outputs: dict  # (Task, map_index) -> TaskOutput: what bodies printed (engine.capture)
    clock: Any  # the run's clock (engine.clock): the time, sleeps and timeouts
    # engine.simulate: stand_in(tr) is called instead of the task's function (None: a run)
    stand_in: Any = None
    # what its task runs sent away share, pickled once (engine.shipping): key -> bytes
    packed: dict = field(default_factory=dict, compare=False, repr=False)
    # ``context`` with a place for each task's own values: copied for each task run (a
    # copy of a dict is cheaper than building it again, key by key)
    base: dict = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", {**self.context, **dict.fromkeys(_TASK_KEYS)})


_TASK_KEYS = ("task_name", "task_full_name", "task_slug", "task_tags", "logger",
              "task_run_count", "map_index", "resume")  # what TaskRun.context_values sets


class TaskRun:
    """Everything one run of one task (or one mapped child) reads, passed explicitly."""

    __slots__ = ("task", "state", "submitted", "upstream", "map_index", "setting", "reporter",
                 "cached", "store", "reuse", "run_count", "loop_count", "loop_result",
                 "resume", "_values")

    def __init__(self, task: Any, state: State, upstream: dict, map_index: int | None,
                 setting: Setting, reporter: Any, cached: list | None = None,
                 store: Any = None, reuse: Any = None):
        self.task = task  # the Task being run
        self.state = state  # its current state, as last applied; changes go through change()
        self.submitted = state  # the state it started from
        self.upstream = upstream  # {Edge: State} of its upstream tasks (constants included)
        self.map_index = map_index  # index of a mapped child, else None
        self.setting = setting  # what it reads of its flow run
        self.reporter = reporter  # .report(tr, new) -> the state as applied by the loop
        self.cached = cached  # Cached states it may reuse (None: the task does not cache)
        self.store = store  # engine.checkpoint.Store: how its results are kept (None: not)
        self.reuse = reuse  # engine.reuse.Verdict in a reusing run (None: it just runs)
        # attempts so far, this one included (1 from Pending, the start of most runs)
        self.run_count = 1 if type(state) is Pending else attempt(state)
        self.loop_count: int | None = None  # LOOP iteration (None: not looping)
        self.loop_result: Any = None  # the previous iteration's LOOP result
        self.resume = False  # a person approved this run (Resume state)
        self._values: dict | None = None  # context_values(), built once until a field changes

    def change(self, new: State) -> State:
        """Enter ``new``: report it and continue from the state as applied (a state handler
        may have replaced it; an abandoned run gets Cancelled back)."""
        if new is self.state:
            return new
        self.state = new = self.reporter.report(self, new)
        return new

    def context_values(self) -> dict:
        """What ``flowbook.context`` holds while this run's user code executes."""
        if self._values is not None:
            return self._values
        task = self.task
        name = task.name
        full = name if self.map_index is None else f"{name}[{self.map_index}]"
        values = self.setting.base.copy()  # the run's values, then the task's (_TASK_KEYS)
        values["task_name"] = name
        values["task_full_name"] = full
        values["task_slug"] = task.slug or name
        values["task_tags"] = task.tags
        # As in Prefect 1: the task's logger, a mapped child's own (flowbook.name[3])
        values["logger"] = get_logger(full)
        values["task_run_count"] = self.run_count
        values["map_index"] = self.map_index
        values["resume"] = self.resume
        if self.loop_count is not None:
            values["task_loop_count"] = self.loop_count
            values["task_loop_result"] = self.loop_result
        self._values = values
        return values

    def full_name(self) -> str:
        return self.task.name if self.map_index is None else f"{self.task.name}[{self.map_index}]"

    # A task run travels to another process (a Dask worker) by pickle without its history,
    # decisions and reporter; there it collects its states for the report back.
    # The run's context and parameters, and a mapped task for its children, travel as
    # bytes pickled once per run (engine.shipping).
    def __getstate__(self) -> dict:
        setting = self.setting
        return {"task": self.task if self.map_index is None
                else shipping.packed(setting.packed, id(self.task), self.task),
                "state": _detached(self.state),
                "upstream": {edge: _detached(st) for edge, st in self.upstream.items()},
                "map_index": self.map_index,
                "run": shipping.packed(setting.packed, "run",
                                       (setting.context, setting.parameters)),
                "cached": None if self.cached is None else [_detached(s) for s in self.cached],
                "store": self.store, "reuse": self.reuse, "run_count": self.run_count}

    def __setstate__(self, fields: dict) -> None:
        context, parameters = shipping.unpacked(fields["run"])
        setting = Setting(context, parameters, {}, clock.REAL)
        task = fields["task"]
        self.__init__(task if fields["map_index"] is None else shipping.unpacked(task),
                      fields["state"], fields["upstream"], fields["map_index"],
                      setting, Collector(), fields["cached"], fields["store"], fields["reuse"])
        self.run_count = fields["run_count"]  # (counted from the history, left behind)


def attempt(state: State) -> int:
    """The attempt a run from ``state`` makes: one more than the Retrying it comes from,
    also through a pause on the way (a ``manual_only`` trigger Paused it, a person or a
    state handler gave Resume: as Prefect 1 keeps ``task_run_count`` there), else 1."""
    if type(state) is Pending:
        return 1
    while state is not None and (state.is_paused() or isinstance(state, Resume)):
        state = state.previous
    if isinstance(state, Retrying):
        return (state.run_count or 1) + 1
    return 1


class Collector:
    """The reporter of a task run away from its flow run: keeps every state, in order."""

    __slots__ = ("states",)

    def __init__(self) -> None:
        self.states: list = []  # the states the task entered here, oldest first

    def report(self, tr: TaskRun, new: State) -> State:
        self.states.append(new)
        return new


def _detached(state: State) -> State:
    """A copy without the history and the decision, which another process does not need."""
    new = copy.copy(state)
    new.previous = new.why = None
    if new.is_mapped():
        new.map_states = [_detached(c) for c in new.map_states]
    return new


# -- the steps ----------------------------------------------------------------------------

def run_task(tr: TaskRun) -> State:
    """Take one task (or mapped child) that may start (``upstream.may_start``) as far as it
    can go now; return its state."""
    task = tr.task
    if type(tr.state) is not Pending:  # a retry, a loop, a resumed pause
        _start(tr, tr.state)
    if task.skip_on_upstream_skip:
        for st in tr.upstream.values():
            if isinstance(st, Skipped) or isinstance(st, Mapped) and any(
                    c.is_skipped() for c in st.map_states):
                return tr.change(skipped_by_upstream(tr))
    inputs = inputs_of(tr.upstream)
    # where its result is looked for and kept, if anywhere
    where = None if tr.store is None else checkpoint.spot(tr, inputs)
    if task.target:  # as in Prefect 1: a target is looked at instead of the cache
        found = checkpoint.look(where, task.name)
        if found is not None:
            return tr.change(found)
    elif task.cache_for is not None:
        reused = _cached(tr, inputs)
        if reused is not None:
            return tr.change(reused)
    refused = _trigger(tr)
    if refused is not None:
        return tr.change(refused)
    if tr.reuse is not None and tr.reuse.state is not None:  # unchanged since it succeeded
        return tr.change(tr.reuse.state)
    if where is not None and not task.target:  # a result_dir checkpoint of the same code
        found = checkpoint.look(where, task.name)
        if found is not None:
            return tr.change(found)
    return execute(tr, inputs, where)


def is_plain(task: Any) -> bool:
    """Whether a run of ``task`` from Pending, every upstream task a plain Success, in a run
    that keeps no result, passes every step before its body (``run_task``): the default
    trigger, and no cache, target, result, state handler, timeout or run name to see to.
    Such a run may go straight to ``execute`` (the scheduling loop's ``run_plain``)."""
    return (task.trigger is triggers.all_successful and not task.state_handlers
            and task.cache_for is None and not task.target and task.result is None
            and task.timeout is None and task.task_run_name is None)


def inputs_of(upstream: dict) -> dict:
    """The keyword arguments a run with these upstream states (``{Edge: State}``, constants
    included) gives its task: argument name -> upstream result."""
    return {edge.key: st.result for edge, st in upstream.items() if edge.key is not None}


def _start(tr: TaskRun, state: State) -> None:
    if isinstance(state, Retrying) and state.loop_count is not None:
        tr.loop_count, tr.loop_result = state.loop_count, state.result
    tr.resume = isinstance(state, Resume) or (state.is_paused() and state.start_time is not None)


def _upstream_names(tr: TaskRun) -> tuple:
    seen: dict = {}
    for edge, st in tr.upstream.items():
        seen.setdefault(id(edge.upstream_task), (edge.upstream_task.name, st))
    return tuple(seen.values())


def skipped_by_upstream(tr: TaskRun) -> State:
    """The Skipped state of a task skipped because an upstream task was skipped."""
    ups = _upstream_names(tr)
    skipped = [name for name, st in ups if any(part.is_skipped() for part in st.parts())]
    why = Decision("skip_on_upstream_skip", _SKIP_RULE, ups,
                   f"{', '.join(skipped)} {'was' if len(skipped) == 1 else 'were'} skipped")
    return Skipped("Upstream task was skipped; set skip_on_upstream_skip=False to run "
                   "this task anyway.", why=why)


def _cached(tr: TaskRun, inputs: dict) -> State | None:
    task = tr.task
    with clock.using(tr.setting.clock):  # validators read the time through the clock
        for candidate in tr.cached or ():
            if task.cache_validator(candidate, inputs, tr.setting.parameters):
                return candidate
    return None


def _trigger(tr: TaskRun) -> State | None:
    """None when the trigger passes, else the state it decided (TriggerFailed, Paused, ...)."""
    trigger = tr.task.trigger
    # Custom triggers (and manual_only) may read flowbook.context; built-in ones need not.
    saved = context._replace(tr.context_values()) if getattr(
        trigger, "reads_context", True) else None
    try:
        refused = trigger_verdict(trigger, tr.upstream)
    finally:
        if saved is not None:
            context._replace(saved)
    if refused is None:
        return None
    name, rule = triggers.describe(trigger)
    refused.why = Decision(name, rule, _upstream_names(tr), str(refused.message))
    return refused


def trigger_verdict(trigger: Any, upstream: dict) -> State | None:
    """What ``trigger`` decides on ``upstream`` (``{Edge: State}``): None when the task
    runs, else the state it gets instead (TriggerFailed, Paused, Skipped, ...). The caller
    sets ``flowbook.context`` for triggers that read it."""
    try:
        if trigger(upstream):
            return None
        return TRIGGERFAIL("Trigger failed: it returned False").state
    except PrefectStateSignal as sig:
        return sig.state
    except Exception as exc:
        return TriggerFailed(f"Trigger raised an error: {exc!r}", result=exc)


def execute(tr: TaskRun, inputs: dict, where: Any = None) -> State:
    """Run the body (again while it loops); ``where`` (``checkpoint.Spot``) is where a
    success is kept."""
    start = _STARTING if tr.reuse is None else f"Running again: {tr.reuse.reason}."
    task = tr.task
    while True:
        state = tr.change(Running.by_engine(start))
        if not isinstance(state, Running):  # a state handler decided otherwise, or the run
            return state  # stopped
        with capture.Capture(tr.setting.outputs, task, tr.map_index):  # keep what it prints
            outcome = _call(tr, inputs)
        if where is not None and outcome.is_successful() and not outcome.is_skipped():
            outcome = checkpoint.keep(where, outcome, task.name)
        state = tr.change(outcome)
        if task.cache_for is not None and state.is_successful() and not state.is_skipped():
            state = tr.change(_to_cached(tr, state, inputs))
        if isinstance(state, Failed):
            state = tr.change(_retry_state(tr, state))
        if not isinstance(state, Looped):
            tr._values = None  # the body is done; the loop may hold tr until it waits on it
            return state
        tr.loop_count = state.loop_count + 1
        tr.loop_result = state.result
        tr.run_count = 1  # as in Prefect 1, each iteration counts its own attempts
        tr._values = None


def _call(tr: TaskRun, inputs: dict) -> State:
    """Call the task's function and turn its outcome into a state."""
    values = tr.context_values()
    task = tr.task
    stand_in = tr.setting.stand_in
    try:
        if task.task_run_name is not None:
            values["task_run_name"] = _run_name(task.task_run_name, values, inputs)
        if task.timeout is None or stand_in is not None:
            saved = context._replace(values)
            try:
                value = task.run(**inputs) if stand_in is None else stand_in(tr, inputs)
            finally:
                context._replace(saved)
        else:
            value = timeout.call_with_timeout(task.run, inputs, values, task.timeout,
                                              tr.setting.clock)
    except PrefectStateSignal as sig:
        return _from_signal(tr, sig.state)
    except TaskTimeoutSignal as exc:
        return TimedOut(f"Task timed out after {tr.task.timeout:g} seconds.", result=exc)
    except KeyboardInterrupt:
        raise  # an interrupt stops the whole run (engine.interrupt), not only this task
    except SystemExit as exc:  # sys.exit() in a body ends the task, never the kernel
        return Failed(f"Task raised SystemExit({exc.code!r}) (sys.exit() was called); a task "
                      "cannot end the kernel, so the task failed", result=exc)
    except BaseException as exc:  # Exception, and the rest (asyncio.CancelledError, ...)
        return Failed(f"Error during execution of task: {exc!r}", result=exc)
    return Success.by_engine("Task run succeeded.", value)


def _run_name(template: Any, values: dict, inputs: dict) -> str:
    """A task run's name, as in Prefect 1: ``template`` (a str to format, or a function)
    given the parameters, the context and the task's inputs."""
    fields = {**values.get("parameters", {}), **values, **inputs}
    return template.format(**fields) if isinstance(template, str) else template(**fields)


def _from_signal(tr: TaskRun, state: State) -> State:
    if isinstance(state, Retrying) and state.run_count is None:
        state.run_count = tr.run_count
    if state.is_looped():
        if state.loop_count is None:
            state.loop_count = tr.loop_count or 1
        if state.message is None:
            state.message = f"Task is looping ({state.loop_count})"
    return state


def _to_cached(tr: TaskRun, state: State, inputs: dict) -> State:
    return Cached(state.message, result=state._result, cached_inputs=dict(inputs),
                  cached_parameters=tr.setting.parameters,
                  cached_result_expiration=tr.setting.clock.now()
                  + task_options.seconds(tr.task.cache_for))


def _retry_state(tr: TaskRun, state: State) -> State:
    task = tr.task
    if not state.is_failed() or tr.run_count > task.max_retries:
        return state
    retry_on = tuple(task.retry_on or ())
    if retry_on and state.result is not None and not isinstance(state.result, retry_on):
        return state
    looping = tr.loop_count is not None
    delay = task_options.seconds(task.retry_delay) or 0.0
    return Retrying(f"Retrying task (after attempt {tr.run_count} of {task.max_retries + 1})",
                    result=tr.loop_result if looping else None,
                    start_time=tr.setting.clock.now() + delay,
                    run_count=tr.run_count,
                    loop_count=tr.loop_count)
