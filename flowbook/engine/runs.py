"""A flow's recent runs, numbered in the order they began, and the run a flow State is of.

``flow.runs`` keeps the latest ``KEPT`` runs (older ones are freed unless something else,
a widget showing one, holds them); ``flow.runs.count`` numbers them from 1. A view finds
the run of a flow State returned by ``flow.run()`` with ``run_of(state)``.

>>> from flowbook import Flow, task
>>> @task
... def one():
...     return 1
>>> flow = Flow("numbered", tasks=[one])
>>> first, second = flow.run(), flow.run()
>>> [run.number for run in flow.runs], run_of(first).number
([1, 2], 1)
"""

from __future__ import annotations

import weakref
from collections import deque
from typing import Any

__all__ = ["RunHistory", "KEPT", "run_of", "register"]

KEPT = 10  # runs a flow keeps; a run is tens of kilobytes with its states and results

_LIVE: "weakref.WeakSet" = weakref.WeakSet()  # every FlowRun not yet freed


class RunHistory:
    """The latest ``KEPT`` runs of one flow, oldest first."""

    __slots__ = ("_runs", "count")

    def __init__(self) -> None:
        self._runs: deque = deque(maxlen=KEPT)  # FlowRuns, oldest first
        self.count = 0  # runs begun so far; the latest run's number

    def add(self, run: Any) -> None:
        """Number ``run`` and keep it as the latest."""
        self.count += 1
        run.number = self.count
        self._runs.append(run)
        register(run)

    def discard(self, run: Any) -> None:
        """Forget ``run`` (it never reached its executor); its number is given out again."""
        if self._runs and self._runs[-1] is run:
            self._runs.pop()
            self.count -= 1

    def __iter__(self):
        return iter(list(self._runs))

    def __len__(self) -> int:
        return len(self._runs)

    def __getitem__(self, index: int) -> Any:
        return self._runs[index]

    def numbered(self, number: int) -> Any:
        """The kept run numbered ``number``, or None."""
        return next((run for run in self._runs if run.number == number), None)

    def __repr__(self) -> str:
        return f"<RunHistory: {len(self._runs)} of {self.count} runs kept>"


def register(run: Any) -> None:
    """Let ``run_of`` find ``run`` while it lives."""
    _LIVE.add(run)


def run_of(state: Any) -> Any:
    """The FlowRun whose flow state is, or once was, ``state``; None if none lives."""
    for run in list(_LIVE):
        if run.state is state or any(s is state for s in run.flow_states):
            return run
    return None
