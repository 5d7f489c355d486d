"""One task run as a chain of small ``state -> state`` steps (Prefect 1's task runner, flattened).

Order, as in SEMANTICS.md: ready? -> upstream finished? -> upstream skipped? -> cached? ->
trigger -> Running -> body -> cache the result -> retry? -> loop? Each step returns early with
a state; nothing here raises to steer control flow. User code failing is a state (SystemExit
too); only a flowbook bug or a KeyboardInterrupt (which stops the run) escapes.
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

from flowbook import triggers
from flowbook.context import context
from flowbook.engine import capture, checkpoint
from flowbook.engine.signals import TRIGGERFAIL, PrefectStateSignal
from flowbook.engine.state import (
    Cached, Decision, Failed, Mapped, Resume, Retrying, Running, Skipped, State,
    Success, TimedOut, TriggerFailed,
)

__all__ = ["TaskRun", "TaskTimeoutSignal", "run_task", "may_start", "prepare_mapped_parent",
           "child_upstreams"]

_SKIP_RULE = ("a task is skipped when an upstream task was skipped "
              "(set skip_on_upstream_skip=False to run it anyway)")


class TaskRun:
    """Everything one run of one task (or one mapped child) reads, passed explicitly."""

    __slots__ = ("task", "state", "upstream", "map_index", "run", "run_count", "loop_count",
                 "loop_result", "resume", "_values")

    def __init__(self, task: Any, state: State, upstream: dict, map_index: int | None, run: Any):
        self.task = task  # the Task being run
        self.state = state  # its current state; every change goes through change()
        self.upstream = upstream  # {Edge: State} of its upstream tasks (constants included)
        self.map_index = map_index  # index of a mapped child, else None
        self.run = run  # the FlowRun: parameters, flow name, where changes are recorded
        self.run_count = 1  # attempts so far, this one included
        self.loop_count: int | None = None  # LOOP iteration (None: not looping)
        self.loop_result: Any = None  # the previous iteration's LOOP result
        self.resume = False  # a person approved this run (Resume state)
        self._values: dict | None = None  # context_values(), built once until a field changes

    def change(self, new: State) -> State:
        """Enter ``new``: state handlers may replace it, then it is recorded and published."""
        old = self.state
        if new is old:
            return old
        if self.task.state_handlers:
            new = self._handled(old, new)
        self.state = new = self.run.record(self.task, self.map_index, old, new)
        return new

    def _handled(self, old: State, new: State) -> State:
        saved = context._replace(self.context_values())
        try:
            for handler in self.task.state_handlers:
                new = handler(self.task, old, new) or new
        except Exception as exc:
            return Failed(f"state handler of task {self.task.name!r} raised {exc!r}", result=exc)
        finally:
            context._replace(saved)
        return new

    def context_values(self) -> dict:
        """What ``flowbook.context`` holds while this run's user code executes."""
        if self._values is not None:
            return self._values
        name = self.task.name
        values = dict(self.run.context)
        values["task_name"] = name
        values["task_full_name"] = name if self.map_index is None else f"{name}[{self.map_index}]"
        values["task_run_count"] = self.run_count
        values["map_index"] = self.map_index
        values["resume"] = self.resume
        if self.loop_count is not None:
            values["task_loop_count"] = self.loop_count
            values["task_loop_result"] = self.loop_result
        self._values = values
        return values


# -- the steps ----------------------------------------------------------------------------

def run_task(tr: TaskRun) -> State:
    """Take one task (or mapped child) as far as it can go now; return its state."""
    state = tr.state
    if not state.is_pending() or _waiting(state):
        return state
    _start(tr, state)
    upstream_states = triggers.upstream_state_list(tr.upstream)
    for st in upstream_states:
        if not st.is_finished():
            return state
    if tr.task.skip_on_upstream_skip:
        for st in upstream_states:
            if st.is_skipped():
                return tr.change(_skipped_by_upstream(tr))
    inputs = {e.key: s.result for e, s in tr.upstream.items() if e.key is not None}
    if tr.task.cache_for is not None:
        reused = _cached(tr, inputs)
        if reused is not None:
            return tr.change(reused)
    refused = _trigger(tr)
    if refused is not None:
        return tr.change(refused)
    stored = checkpoint.location(tr.run.checkpoint_folder(tr.task), tr.task, inputs)
    if stored is not None:
        reused = checkpoint.load(stored, tr.task.name)
        if reused is not None:
            return tr.change(reused)
    return _execute(tr, inputs, stored)


def may_start(state: State, upstream: dict) -> bool:
    """Whether ``run_task`` can move a task in ``state`` on now: it is pending, not waiting,
    and every upstream task has finished (the scheduling loop asks before submitting)."""
    if not state.is_pending() or _waiting(state):
        return False
    return all(st.is_finished() for st in triggers.upstream_state_list(upstream))


def _waiting(state: State) -> bool:
    """Scheduled for later, or paused until a person acts."""
    if not state.is_scheduled() or isinstance(state, Resume):
        return False
    return state.start_time is None or state.start_time > time.time()


def _start(tr: TaskRun, state: State) -> None:
    if isinstance(state, Retrying):
        tr.run_count = (state.run_count or 1) + 1
        if state.loop_count is not None:
            tr.loop_count, tr.loop_result = state.loop_count, state.result
    tr.resume = isinstance(state, Resume) or (state.is_paused() and state.start_time is not None)


def _upstream_names(tr: TaskRun) -> tuple:
    seen: dict = {}
    for edge, st in tr.upstream.items():
        seen.setdefault(id(edge.upstream_task), (edge.upstream_task.name, st))
    return tuple(seen.values())


def _skipped_by_upstream(tr: TaskRun) -> State:
    ups = _upstream_names(tr)
    skipped = [name for name, st in ups if st.is_skipped() or (
        st.is_mapped() and any(c.is_skipped() for c in st.map_states))]
    why = Decision("skip_on_upstream_skip", _SKIP_RULE, ups,
                   f"{', '.join(skipped)} {'was' if len(skipped) == 1 else 'were'} skipped")
    return Skipped("Upstream task was skipped; set skip_on_upstream_skip=False to run "
                   "this task anyway.", why=why)


def _cached(tr: TaskRun, inputs: dict) -> State | None:
    task = tr.task
    for candidate in tr.run.cached_states(task.cache_key or task.name):
        if task.cache_validator(candidate, inputs, tr.run.parameters):
            return candidate
    return None


def _trigger(tr: TaskRun) -> State | None:
    """None when the trigger passes, else the state it decided (TriggerFailed, Paused, ...)."""
    trigger = tr.task.trigger
    # Custom triggers (and manual_only) may read flowbook.context; built-in ones need not.
    saved = context._replace(tr.context_values()) if getattr(
        trigger, "reads_context", True) else None
    try:
        if trigger(tr.upstream):
            return None
        refused: State = TRIGGERFAIL("Trigger failed: it returned False").state
    except PrefectStateSignal as sig:
        refused = sig.state
    except Exception as exc:
        refused = TriggerFailed(f"Trigger raised an error: {exc!r}", result=exc)
    finally:
        if saved is not None:
            context._replace(saved)
    name, rule = triggers.describe(trigger)
    refused.why = Decision(name, rule, _upstream_names(tr), str(refused.message))
    return refused


def _execute(tr: TaskRun, inputs: dict, stored: Any = None) -> State:
    """Run the body (again while it loops); ``stored`` is where to checkpoint a success."""
    while True:
        state = tr.change(Running("Starting task run."))
        if not state.is_running():  # a state handler decided otherwise, or the run stopped
            return state
        with capture.Capture(tr.run.outputs, tr.task, tr.map_index):  # keep what it prints
            outcome = _call(tr, inputs)
        state = tr.change(outcome)
        if state.is_successful() and not state.is_skipped() and tr.task.cache_for is not None:
            state = tr.change(_to_cached(tr, state, inputs))
        if stored is not None and state.is_successful() and not state.is_skipped():
            state = tr.change(checkpoint.save(stored, state, tr.task.name))
        if state.is_failed():
            state = tr.change(_retry_state(tr, state))
        if not state.is_looped():
            tr._values = None  # the body is done; the loop may hold tr until it waits on it
            return state
        tr.loop_count = state.loop_count + 1
        tr.loop_result = state.result
        tr.run_count = 1  # as in Prefect 1, each iteration counts its own attempts
        tr._values = None


def _call(tr: TaskRun, inputs: dict) -> State:
    """Call the task's function and turn its outcome into a state."""
    values = tr.context_values()
    try:
        if tr.task.timeout is None:
            saved = context._replace(values)
            try:
                value = tr.task.run(**inputs)
            finally:
                context._replace(saved)
        else:
            value = _call_with_timeout(tr.task.run, inputs, values, tr.task.timeout)
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
    return Success("Task run succeeded.", result=value)


def _from_signal(tr: TaskRun, state: State) -> State:
    if isinstance(state, Retrying) and state.run_count is None:
        state.run_count = tr.run_count
    if state.is_looped():
        if state.loop_count is None:
            state.loop_count = tr.loop_count or 1
        if state.message is None:
            state.message = f"Task is looping ({state.loop_count})"
    return state


class TaskTimeoutSignal(TimeoutError):
    """The result of a TimedOut state: the task ran longer than its ``timeout``."""


def _call_with_timeout(fn: Any, inputs: dict, values: dict, seconds: float) -> Any:
    """Run ``fn`` in a helper thread and stop waiting after ``seconds``.

    Python cannot kill a thread: a timed-out body keeps running in the background until it
    returns, but its result is discarded.
    """
    outcome: list = []
    output = capture.for_helper_thread()  # the helper's prints belong to the same task run

    def target() -> None:
        context._replace(values)
        try:
            with output:
                outcome.append((True, fn(**inputs)))
        except BaseException as exc:  # handed to the caller's thread below
            outcome.append((False, exc))

    worker = threading.Thread(target=target, name="flowbook-timeout", daemon=True)
    worker.start()
    worker.join(seconds)
    if not outcome:
        raise TaskTimeoutSignal(f"task ran longer than its timeout of {seconds:g} seconds")
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


def _to_cached(tr: TaskRun, state: State, inputs: dict) -> State:
    return Cached(state.message, result=state.result, cached_inputs=dict(inputs),
                  cached_parameters=tr.run.parameters,
                  cached_result_expiration=time.time() + tr.task.cache_for)


def _retry_state(tr: TaskRun, state: State) -> State:
    task = tr.task
    if not state.is_failed() or tr.run_count > task.max_retries:
        return state
    if task.retry_on and state.result is not None and not isinstance(state.result, task.retry_on):
        return state
    looping = tr.loop_count is not None
    return Retrying(f"Retrying task (after attempt {tr.run_count} of {task.max_retries + 1})",
                    result=tr.loop_result if looping else None,
                    start_time=time.time() + (task.retry_delay or 0.0), run_count=tr.run_count,
                    loop_count=tr.loop_count)


# -- mapped parents -----------------------------------------------------------------------

def prepare_mapped_parent(tr: TaskRun) -> State:
    """The parent of a mapped task: Mapped when its children can be made, else why not."""
    state = tr.state
    if state.is_mapped():
        return state
    if not state.is_pending() or _waiting(state):
        return state
    upstream_states = []
    for edge, st in tr.upstream.items():
        upstream_states.extend(st.map_states if st.is_mapped() and not edge.mapped else (st,))
    if not all(s.is_finished() for s in upstream_states):
        return state
    if tr.task.skip_on_upstream_skip and any(s.is_skipped() for s in upstream_states):
        return tr.change(_skipped_by_upstream(tr))
    mapped = [(e, s) for e, s in tr.upstream.items() if e.mapped]
    if tr.upstream and not any(s.is_successful() for _, s in mapped):
        return tr.change(Failed("No upstream states can be mapped over."))
    if not all(hasattr(s.result, "__getitem__") for _, s in mapped
               if s.is_successful() and not s.is_mapped()):
        return tr.change(Failed("At least one upstream state has an unmappable result."))
    lengths = [len(s.result) for _, s in mapped if s.is_successful() and not s.is_mapped()]
    lengths += [s.n_map_states for _, s in mapped if s.is_mapped()]
    return tr.change(Mapped("Ready to proceed with mapping.", n_map_states=min(lengths, default=0)))


def child_upstreams(upstream: dict, existing: int = 0) -> list:
    """One ``{Edge: State}`` per mapped child: element ``i`` of each mapped upstream, the
    whole state of the others; as many children as the shortest mapped upstream.

    A mapped upstream that produced no result at all (say, a mapped parent that failed)
    allows no more children than the ``existing`` ones, as in Prefect 1.
    """
    children: list = []
    if not any(edge.mapped for edge in upstream):
        return children
    i = 0
    while True:
        one = {}
        for edge, st in upstream.items():
            if not edge.mapped:
                one[edge] = st
            elif st.is_mapped():
                if i >= len(st.map_states):
                    return children
                one[edge] = st.map_states[i]
            elif not st.has_result:
                if i >= existing:
                    return children
                one[edge] = st
            else:
                try:
                    element = st.result[i] if hasattr(st.result, "__getitem__") else None
                except (IndexError, KeyError):
                    return children
                one[edge] = copy.copy(st)
                one[edge].result = element
        children.append(one)
        i += 1
