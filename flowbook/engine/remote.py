"""Task runs that travel to another process (a Dask worker) and report their states back.

The kernel keeps the run: ``pack`` turns a ``TaskRun`` into bytes, with a ``WorkerRun``
standing in for the ``FlowRun``; ``run_packed`` runs it on the worker, where every state the
task enters is collected instead of recorded; ``settle`` records those states in the kernel,
in order, so run events and the widget see the same changes as with a local executor, only
when the task has finished. Anything that stops a task from travelling (a value pickle
cannot send, a module the worker cannot import, a lost worker) becomes a Failed state
naming the task and the reason. A body raising KeyboardInterrupt on a worker stops the run
in the kernel, as it would there; the worker lives on.
"""

from __future__ import annotations

import copy
import pickle
from dataclasses import dataclass, field
from typing import Any

from flowbook.engine.state import Failed, State
from flowbook.engine.task_run import TaskRun, run_task

__all__ = ["WorkerRun", "Report", "pack", "run_packed", "settle"]

_HOW_TO_SEND = ("tasks on a DaskExecutor receive and return values by pickle; pass values "
                "that pickle can send, or run the flow with LocalDaskExecutor()")


class WorkerRun:
    """What a task run reads of its flow run, carried to the worker; collects its states."""

    __slots__ = ("context", "parameters", "cached", "folder", "states", "outputs")

    def __init__(self, context: dict, parameters: dict, cached: list, folder: Any = None):
        self.context = context  # the run's context values (flow_name, parameters, ...)
        self.parameters = parameters  # parameter name -> value
        self.cached = cached  # the task's cache candidates, taken from the kernel's cache
        self.folder = folder  # the task's checkpoint folder (None: no checkpoints)
        self.states: list = []  # every state the task entered here, oldest first
        self.outputs: dict = {}  # (Task, map_index) -> TaskOutput: what the body printed here

    def record(self, task: Any, map_index: int | None, old: State | None, new: State) -> State:
        self.states.append(new)
        return new

    def cached_states(self, key: str) -> list:
        return self.cached

    def checkpoint_folder(self, task: Any) -> Any:
        return self.folder


@dataclass(slots=True)
class Report:
    """What comes back from the worker for one task run."""

    states: list  # the states the task entered there, in order (state handlers applied)
    output: Any = None  # the TaskOutput of what the body printed there, if anything
    problem: str | None = None  # why the run could not go on, to end in a Failed state
    error: Any = field(default=None)  # the exception behind ``problem``, if it can travel
    interrupted: bool = False  # the body raised KeyboardInterrupt: it stops the run


# -- in the kernel ------------------------------------------------------------------------

def pack(tr: TaskRun) -> bytes | Report:
    """``tr`` as bytes for a worker, or a Report of why it cannot travel."""
    import cloudpickle

    run = tr.run
    cached = []
    if tr.task.cache_for is not None:
        cached = [_detached(s) for s in run.cached_states(tr.task.cache_key or tr.task.name)]
    shipped = TaskRun(tr.task, _detached(tr.state),
                      {edge: _detached(st) for edge, st in tr.upstream.items()},
                      tr.map_index, WorkerRun(run.context, run.parameters, cached,
                                              run.checkpoint_folder(tr.task)))
    try:
        return cloudpickle.dumps(shipped)
    except Exception as exc:
        return Report([], None, f"could not be sent to the Dask worker: {_culprit(shipped)} "
                                f"cannot be pickled ({exc!r}); {_HOW_TO_SEND}", _portable(exc))


def settle(tr: TaskRun, outcome: Any) -> State:
    """Record in the kernel what the worker reported for ``tr`` (``outcome``: the bytes it
    returned, or the exception its future raised); returns the task's last state."""
    report = _report_of(outcome)
    if report.output is not None:
        _keep_output(tr.run.outputs, (tr.task, tr.map_index), report.output)
    for new in report.states:
        tr.state = tr.run.record(tr.task, tr.map_index, tr.state, new)
    if report.problem is not None:
        tr.change(Failed(f"Task {_full_name(tr)!r} {report.problem}", result=report.error))
    if report.interrupted:  # as in the kernel, a KeyboardInterrupt stops the whole run
        raise KeyboardInterrupt(f"task {_full_name(tr)!r} raised KeyboardInterrupt on a Dask "
                                "worker")
    return tr.state


def _report_of(outcome: Any) -> Report:
    if isinstance(outcome, Report):
        return outcome
    if isinstance(outcome, BaseException):
        return Report([], None, f"could not finish on the Dask cluster: {outcome!r}",
                      _portable(outcome))
    try:
        return pickle.loads(outcome)
    except Exception as exc:
        return Report([], None, f"ran on a Dask worker, but its states cannot be loaded in "
                                f"the kernel ({exc!r}); {_HOW_TO_SEND}", exc)


def _keep_output(outputs: dict, key: tuple, output: Any) -> None:
    """Add what a body printed on a worker to what the task printed before, if anything."""
    kept = outputs.get(key)
    if kept is None:
        outputs[key] = output
        return
    kept.add("stdout", output.stdout)
    kept.add("stderr", output.stderr)


def _detached(state: State) -> State:
    """A copy without the history and the decision, which the worker does not need."""
    new = copy.copy(state)
    new.previous = new.why = None
    if new.is_mapped():
        new.map_states = [_detached(c) for c in new.map_states]
    return new


def _culprit(tr: TaskRun) -> str:
    """Which part of a task run pickle refuses, in words."""
    for edge, st in tr.upstream.items():
        if not _picklable(st.result):
            what = f"argument {edge.key!r}" if edge.key else "the result"
            return f"{what} from task {edge.upstream_task.name!r}"
    for edge in tr.upstream:
        if not _picklable(edge.upstream_task):
            return f"upstream task {edge.upstream_task.name!r} (its function or attributes)"
    for name, value in tr.run.parameters.items():
        if not _picklable(value):
            return f"the value of parameter {name!r}"
    for name, value in tr.run.context.items():
        if not _picklable(value):
            return f"the context value {name!r}"
    return f"task {tr.task.name!r} itself (its function, or something it refers to)"


def _full_name(tr: TaskRun) -> str:
    name = tr.task.name
    return name if tr.map_index is None else f"{name}[{tr.map_index}]"


# -- on the worker ------------------------------------------------------------------------

def run_packed(payload: bytes) -> bytes:
    """Run a packed task run here and return its pickled ``Report``."""
    import cloudpickle

    try:
        tr = pickle.loads(payload)
    except Exception as exc:
        report = Report([], None, f"could not be loaded on the Dask worker ({exc!r}); the "
                                  "workers must be able to import the modules the task uses",
                        _portable(exc))
        return cloudpickle.dumps(report)
    try:
        run_task(tr)
        interrupted = False
    except KeyboardInterrupt:  # the body raised it: report it rather than stop the worker
        interrupted = True
    states, output = tr.run.states, next(iter(tr.run.outputs.values()), None)
    try:
        return cloudpickle.dumps(Report(states, output, interrupted=interrupted))
    except Exception as exc:
        kept = []
        for st in states:
            if not _picklable(st):
                break
            kept.append(st)
        return cloudpickle.dumps(Report(
            kept, output, f"ran on a Dask worker, but its result cannot be sent back "
                          f"({exc!r}); {_HOW_TO_SEND}", _portable(exc), interrupted))


def _picklable(obj: Any) -> bool:
    import cloudpickle

    try:
        cloudpickle.dumps(obj)
    except Exception:
        return False
    return True


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it can travel by pickle, else a RuntimeError with its text."""
    return exc if _picklable(exc) else RuntimeError(repr(exc))
