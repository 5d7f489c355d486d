"""Which flow runs are being advanced right now: one scheduling loop per run at a time.

``claim(run)`` marks a run in progress for a ``with`` block (``flow.run()``,
``flow.resume()``, ``flow.retry()`` hold it while they change and advance the run). A
second claim on the same run is refused with ``RunInProgressError`` while the first holds
it: a widget's Resume running in a background thread and a ``flow.retry()`` in the kernel
would otherwise move the same tasks twice. A run follows its frozen plan, so editing the
flow cannot disturb its edges; but the notebook's authoring commands redefine Task objects in
place (their code and inputs), which a run in progress shares, so they ask
``refuse_changes(flow, ...)`` first.

>>> from flowbook import Flow
>>> refuse_changes(Flow("idle"), "redefine a task")   # nothing runs: nothing to refuse
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Iterator

from flowbook.errors import UserRuntimeError

__all__ = ["RunInProgressError", "claim", "refuse_changes", "holders"]

_lock = threading.Lock()  # guards _holders
_holders: dict = {}  # FlowRun being advanced -> the name of the thread advancing it


class RunInProgressError(UserRuntimeError):
    """A run is being advanced by another scheduling loop (a background thread, say)."""


@contextmanager
def claim(run: Any, action: str) -> Iterator[None]:
    """Hold ``run`` for this thread; ``action`` says what the caller wanted, for the error."""
    name = threading.current_thread().name
    with _lock:
        holder = _holders.get(run)
        if holder is None:
            _holders[run] = name
    if holder is not None:
        where = "this thread" if holder == name else f"thread {holder!r}"
        raise RunInProgressError(
            f"flow {run.flow.name!r} is still running in {where} (a Resume or Retry from the "
            f"widget runs in the background), so you cannot {action} now; wait until it has "
            "finished (the widget's status line shows when), then try again")
    try:
        yield
    finally:
        with _lock:
            del _holders[run]


def holders(flow: Any) -> list:
    """The names of the threads advancing a run of ``flow`` now (empty: none runs)."""
    with _lock:
        return [name for run, name in _holders.items() if run.flow is flow]


def refuse_changes(flow: Any, action: str) -> None:
    """Raise RunInProgressError when a run of ``flow`` is in progress: ``action`` (a change
    of its tasks or edges) has to wait until it has finished."""
    running = holders(flow)
    if running:
        raise RunInProgressError(
            f"flow {flow.name!r} is running in thread {running[0]!r} (a Resume or Retry from "
            f"the widget runs in the background), so you cannot {action} now: the run would "
            "lose track of its tasks. Wait until it has finished (the widget's status line "
            "shows when), then try again; the flow is unchanged")
