"""The executor protocol the scheduling loop uses, as a base class (Prefect 1's ``Executor``).

An executor only runs the calls the loop submits and hands back those that finished; it
decides nothing itself. Five methods, the first four named after Prefect 1's:

- ``start()``: a context manager around one stretch of a run (pools and clusters live inside);
- ``submit(fn, *args, name=...)`` -> a handle; ``name`` labels the call (a Dask key);
- ``wait(handles)`` -> the handles among ``handles`` that have finished (at least one);
- ``result(handle)`` -> what ``fn`` returned, or raises what it raised (by default the
  handle's own ``result()``: every flowbook executor's handles answer it, so a subclass that
  hands its calls to another executor, Prefect 1's way of wrapping one, gives only
  ``submit`` and ``wait``);
- ``cancel(handles)``, when a run is interrupted: drops the calls that have not started and
  returns the other handles (their calls may be running, or have finished unreported).

and one attribute, ``remote``: whether calls run away from the loop's objects, by pickle
(``TaskRun`` then travels with a ``Collector``). An executor whose calls run on other
threads of this process also has ``post(message)``, which hands a task run's message to
the loop waiting in ``wait()`` (it comes back among the finished handles). A remote executor
pickles each call itself and raises ``flowbook.engine.remote.NotDelivered`` from ``submit``
or ``result`` when a call cannot travel.

An executor that can run a call after others, on what they returned, where they ran
(``DaskExecutor``: Dask futures as arguments), says so with ``chains = True`` and gives
``submit_after(after, fn, *args, name=...)``: ``fn(*args, *outcomes)`` runs once the calls
of the handles in ``after`` have finished, each outcome what that call returned (or, if it
raised or could not be loaded, an object standing for that, of no type the call returns).
A handle in ``after`` still comes back from ``wait()`` as any other
(``flowbook.engine.chaining`` uses this).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Collection, Iterator

__all__ = ["Executor", "Done", "is_executor"]


class Done:
    """The handle of a call that has already finished (its outcome, kept)."""

    __slots__ = ("value", "error")

    def __init__(self, value: Any = None, error: BaseException | None = None):
        self.value = value  # what the call returned
        self.error = error  # what it raised, if it did

    def result(self) -> Any:
        """What the call returned; raises what it raised."""
        if self.error is not None:
            raise self.error
        return self.value


class Executor:
    """The base of every executor: subclass it and give ``submit`` and ``wait``.

    The defaults suit an executor whose ``submit`` runs the call at once and returns a
    ``Done``, or one that hands its calls to another executor: ``start`` holds nothing,
    ``result`` asks the handle, ``cancel`` has nothing left to drop.
    """

    remote = False  # calls run in this process, on the loop's own objects
    chains = False  # True: it gives submit_after (a call run on the outcomes of others)

    @contextmanager
    def start(self) -> Iterator["Executor"]:
        yield self

    def submit(self, fn: Callable, *args: Any, name: str = "") -> Any:
        raise NotImplementedError(f"{type(self).__name__}.submit() is not implemented; "
                                  "subclass LocalExecutor, or give submit() and wait()")

    def submit_after(self, after: Collection, fn: Callable, *args: Any, name: str = "") -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not chain calls (chains is "
                                  "False); the loop submits each task once its upstream "
                                  "tasks have reported")

    def wait(self, handles: Collection) -> list:
        raise NotImplementedError(f"{type(self).__name__}.wait() is not implemented; "
                                  "subclass LocalExecutor, or give submit() and wait()")

    def result(self, handle: Any) -> Any:
        answer = getattr(handle, "result", None)
        if not callable(answer):
            raise TypeError(f"{type(self).__name__}.result(): the handle {handle!r} has no "
                            "result() method; return a flowbook executor's handle (or a "
                            "Done) from submit(), or give result() too")
        return answer()

    def cancel(self, handles: Collection) -> list:
        return list(handles)

    def __repr__(self) -> str:
        return f"<Executor: {type(self).__name__}>"


def is_executor(obj: Any) -> bool:
    """Whether ``obj`` has the members the scheduling loop uses."""
    methods = ("start", "submit", "wait", "result", "cancel")
    return all(callable(getattr(obj, m, None)) for m in methods) and isinstance(
        getattr(obj, "remote", None), bool)
