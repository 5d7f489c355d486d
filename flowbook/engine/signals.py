"""Signals: exceptions a task raises to put itself into a given state.

Each signal is tied to one state class. They derive from ``BaseException`` so that a task's
own ``except Exception`` does not swallow them.

>>> signals_state = SKIP("nothing to do").state
>>> signals_state
<Skipped: "nothing to do">
"""

from __future__ import annotations

from typing import Any

from flowbook.engine import state
from flowbook.exceptions import PrefectSignal

__all__ = [
    "PrefectStateSignal", "FAIL", "TRIGGERFAIL", "VALIDATIONFAIL", "SUCCESS", "RETRY", "SKIP",
    "PAUSE", "LOOP", "signal_from_state",
]


class PrefectStateSignal(PrefectSignal):
    """A request, raised from inside a task, to enter the state ``state``."""

    _state_cls: type = state.State

    def __init__(self, message: str | None = None, *args: Any, **kwargs: Any):
        super().__init__(message)
        kwargs.setdefault("result", self)
        self.state = self._state_cls(message, *args, **kwargs)


class FAIL(PrefectStateSignal):
    """The task failed (retried like any error)."""

    _state_cls = state.Failed


class TRIGGERFAIL(FAIL):
    """The task's trigger did not pass."""

    _state_cls = state.TriggerFailed


class VALIDATIONFAIL(FAIL):
    """The task's result is not valid."""

    _state_cls = state.ValidationFailed


class SUCCESS(PrefectStateSignal):
    """The task succeeded (``result=`` sets its result)."""

    _state_cls = state.Success


class RETRY(PrefectStateSignal):
    """Run the task again, even when it has no ``max_retries``."""

    _state_cls = state.Retrying


class SKIP(PrefectStateSignal):
    """Skip the task; its downstream tasks skip too unless ``skip_on_upstream_skip=False``."""

    _state_cls = state.Skipped


class PAUSE(PrefectStateSignal):
    """Wait for a person to resume the task."""

    _state_cls = state.Paused


class LOOP(PrefectStateSignal):
    """Run the task again with ``context.task_loop_result`` set to ``result``."""

    _state_cls = state.Looped

    def __init__(self, message: str | None = None, *args: Any, **kwargs: Any):
        kwargs.setdefault("result", repr(self))  # as in Prefect 1: a bare LOOP loops on its repr
        super().__init__(message, *args, **kwargs)


def signal_from_state(st: state.State) -> type[PrefectStateSignal]:
    """The signal class that produces states of ``st``'s class."""
    pending = list(PrefectStateSignal.__subclasses__())
    while pending:
        sig = pending.pop()
        if sig._state_cls is type(st):
            return sig
        pending.extend(sig.__subclasses__())
    raise ValueError(f"no signal produces a {type(st).__name__} state")
