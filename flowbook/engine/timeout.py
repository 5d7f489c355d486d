"""A task body with a ``timeout``: run in a thread of its own, and stopped when time is up.

The body runs in a helper thread while the task run's thread waits on the run's clock
(``engine.clock``: a ``FakeClock`` times out without waiting). When the deadline passes, the
task run ends ``TimedOut`` at once, and ``TaskTimeoutSignal`` is raised inside the body's
thread (``PyThreadState_SetAsyncExc``), so the body stops too instead of running on in the
background; an interrupt while it waits stops the body with a KeyboardInterrupt. Python
delivers these at the body's next bytecode: a body blocked in one long C call
(``time.sleep``, a lock, a socket read) stops when that call returns.
"""

from __future__ import annotations

import ctypes
import threading
from typing import Any

from flowbook.context import context
from flowbook.engine import capture, clock
from flowbook.exceptions import TaskTimeoutSignal

__all__ = ["call_with_timeout", "TaskTimeoutSignal"]


def call_with_timeout(fn: Any, inputs: dict, values: dict, seconds: float,
                      run_clock: Any) -> Any:
    """``fn(**inputs)`` with ``flowbook.context`` holding ``values``; raises
    ``TaskTimeoutSignal`` when it runs longer than ``seconds`` on ``run_clock``, after
    raising it in the body's thread."""
    body = _Body(fn, inputs, values, run_clock)
    deadline = run_clock.now() + seconds  # before the body starts: it may move a fake clock
    worker = threading.Thread(target=body.run, name="flowbook-timeout", daemon=True)
    worker.start()
    try:
        in_time = run_clock.wait_until(body.finished, deadline)
    except BaseException:  # an interrupt while waiting stops the body too
        body.stop(worker.ident, KeyboardInterrupt)
        raise
    if not in_time or not body.outcome:
        body.stop(worker.ident, TaskTimeoutSignal)
        raise TaskTimeoutSignal(f"task ran longer than its timeout of {seconds:g} seconds")
    ok, value = body.outcome[0]
    if not ok:
        raise value
    return value


class _Body:
    """One call of a task body in its helper thread, and the way to stop it."""

    __slots__ = ("fn", "inputs", "values", "run_clock", "output", "outcome", "finished",
                 "_lock", "_inside")

    def __init__(self, fn: Any, inputs: dict, values: dict, run_clock: Any):
        self.fn, self.inputs = fn, inputs  # the body and its keyword arguments
        self.values = values  # flowbook.context while it runs
        self.run_clock = run_clock  # the run's clock, the body's clock too
        self.output = capture.for_helper_thread()  # its prints belong to the same task run
        self.outcome: list = []  # [(True, value)] or [(False, exception)] once it ended
        self.finished = threading.Event()  # set once outcome is filled
        self._lock = threading.Lock()  # guards _inside against stop()
        self._inside = False  # the helper thread is in fn: an exception raised there is ours

    def run(self) -> None:
        """The helper thread: call the body; whatever it raises is handed to the caller."""
        context._replace(self.values)
        try:
            with clock.using(self.run_clock), self.output:
                try:
                    with self._lock:
                        self._inside = True
                    value = self.fn(**self.inputs)
                finally:
                    with self._lock:
                        self._inside = False
            self.outcome.append((True, value))
        except BaseException as exc:  # a TaskTimeoutSignal from stop() ends up here too
            self.outcome.append((False, exc))
        finally:
            self.finished.set()

    def stop(self, ident: int | None, error: type) -> None:
        """Raise ``error`` (a class) in the body's thread, if it is still in the body."""
        with self._lock:
            if self._inside and ident is not None:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident),
                                                           ctypes.py_object(error))
