"""What a task run brings back to the scheduling loop, wherever it ran.

The loop submits ``run_reported(tr)`` to its executor for every task run. In the kernel,
the run's reporter has applied each state as it was entered, so the ``Report`` carries only
whether a body raised KeyboardInterrupt. In another process (a Dask worker) the task run
arrives by pickle with a ``Collector`` (``TaskRun.__getstate__``), and its Report carries
every state it entered and what its body printed; the loop applies them in order
(``apply_report``), through the same ``FlowRun.apply`` as any change. A task run that cannot
travel (a value pickle refuses, a module the worker cannot import, a lost worker) ends in a
Failed state naming the task and the culprit (``undelivered``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flowbook.engine import clock
from flowbook.engine.state import Failed, State
from flowbook.engine.task_run import Collector, TaskRun, run_task

__all__ = ["Report", "APPLIED", "NotDelivered", "run_reported", "apply_report", "undelivered"]

_HOW_TO_SEND = ("tasks on a DaskExecutor receive and return values by pickle; pass values "
                "that pickle can send, or run the flow with LocalDaskExecutor()")


class NotDelivered(Exception):
    """An executor could not send a call to where it runs, or bring its outcome back.
    ``where`` says which way it failed, in words, for the task's Failed state."""

    def __init__(self, where: str, error: BaseException, sending: bool = False):
        super().__init__(f"{where}: {error!r}")
        self.where = where  # e.g. "could not be sent to the Dask worker"
        self.error = error  # what pickle, the network or the worker raised
        self.sending = sending  # True: pickle refused the call itself (name the culprit)


@dataclass(slots=True)
class Report:
    """What comes back from a task run, for the loop to apply."""

    states: list = field(default_factory=list)  # states entered and not applied yet, in order
    output: Any = None  # the TaskOutput of what the body printed there, if not kept already
    problem: str | None = None  # why the run could not go on, to end in a Failed state
    error: Any = None  # the exception behind ``problem``, if it can travel
    interrupted: bool = False  # the body raised KeyboardInterrupt: it stops the run
    away: bool = False  # it ran in another process (a Dask worker)

    def __reduce__(self) -> tuple:
        import cloudpickle

        rest = (self.output, self.problem, self.error, self.interrupted, self.away)
        try:  # the states pickled once, here, where a refusal can be answered
            return (_with_states, (cloudpickle.dumps(self.states), *rest))
        except Exception:
            pass
        # A state whose result pickle refuses cannot come back: keep the states before it.
        kept = []
        for st in self.states:
            if not _picklable(st):
                error = _pickling_error(st)
                return (Report, (kept, self.output, f"ran on a Dask worker, but its result "
                                 f"cannot be sent back ({error!r}); {_HOW_TO_SEND}",
                                 _portable(error), self.interrupted, self.away))
            kept.append(st)
        return (Report, (kept, self.output, self.problem, self.error, self.interrupted,
                         self.away))


def _with_states(states: bytes, *rest: Any) -> Report:
    """A Report as it arrives: its states were pickled apart (``Report.__reduce__``)."""
    import pickle

    return Report(pickle.loads(states), *rest)


def run_reported(tr: TaskRun) -> Report:
    """Run ``tr`` (an executor calls this, in the kernel or on a worker) and report back.

    In the kernel a KeyboardInterrupt from a body goes straight on to the loop; away from
    it, the report says so and the loop raises it in the kernel."""
    if type(tr.reporter) is not Collector:  # in the kernel: every state is applied
        run_clock = tr.setting.clock
        if run_clock is clock.REAL or clock.current() is run_clock:
            run_task(tr)
        else:  # a pool thread of a run on a fake clock
            with clock.using(run_clock):
                run_task(tr)
        return APPLIED
    interrupted = False
    try:
        with clock.using(tr.setting.clock):
            run_task(tr)
    except KeyboardInterrupt:  # a body raised it: it stops the whole run, in the kernel
        interrupted = True
    output = tr.setting.outputs.get((tr.task, tr.map_index))
    return Report(tr.reporter.states, output, interrupted=interrupted, away=True)


APPLIED = Report()  # every state was applied as it was entered; nothing more to do


def apply_report(run: Any, tr: TaskRun, report: Report) -> State:
    """Apply in the kernel what ``report`` says of ``tr``; returns the task's last state."""
    if report.output is not None:
        _keep_output(run.outputs, (tr.task, tr.map_index), report.output)
    for new in report.states:
        applied = run.apply(tr, new)
        tr.state = applied
        if type(applied) is not type(new):  # a state handler decided otherwise: it stands
            break
    if report.problem is not None:
        tr.state = run.apply(tr, Failed(f"Task {tr.full_name()!r} {report.problem}",
                                        result=report.error))
    if report.interrupted:  # as in the kernel, a KeyboardInterrupt stops the whole run
        where = " on a Dask worker" if report.away else ""
        raise KeyboardInterrupt(f"task {tr.full_name()!r} raised KeyboardInterrupt{where}")
    return tr.state


def undelivered(tr: TaskRun, exc: NotDelivered) -> Report:
    """The Report of a task run that could not travel, naming the culprit if it can."""
    if exc.sending:
        what = f"{exc.where}: {_culprit(tr)} cannot be pickled ({exc.error!r}); {_HOW_TO_SEND}"
    else:
        what = f"{exc.where}: {exc.error!r}"
    return Report(problem=what, error=_portable(exc.error))


def _keep_output(outputs: dict, key: tuple, output: Any) -> None:
    """Add what a body printed and logged elsewhere to what the task did before, if
    anything."""
    kept = outputs.get(key)
    if kept is None:
        outputs[key] = output
        return
    kept.add("stdout", output.stdout)
    kept.add("stderr", output.stderr)
    kept.add("log", output.log)


def _culprit(tr: TaskRun) -> str:
    """Which part of a task run pickle refuses, in words."""
    for edge, st in tr.upstream.items():
        if not _picklable(st.result):
            what = f"argument {edge.key!r}" if edge.key else "the result"
            return f"{what} from task {edge.upstream_task.name!r}"
    for edge in tr.upstream:
        if not _picklable(edge.upstream_task):
            return f"upstream task {edge.upstream_task.name!r} (its function or attributes)"
    for name, value in tr.setting.parameters.items():
        if not _picklable(value):
            return f"the value of parameter {name!r}"
    for name, value in tr.setting.context.items():
        if not _picklable(value):
            return f"the context value {name!r}"
    return f"task {tr.task.name!r} itself (its function, or something it refers to)"


def _picklable(obj: Any) -> bool:
    return _pickling_error(obj) is None


def _pickling_error(obj: Any) -> Exception | None:
    import cloudpickle

    try:
        cloudpickle.dumps(obj)
    except Exception as exc:
        return exc
    return None


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it can travel by pickle, else a RuntimeError with its text."""
    return exc if _picklable(exc) else RuntimeError(repr(exc))
