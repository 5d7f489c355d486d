"""``raise_on_exception`` in the engine: the error of a task that ends the run and leaves it.

Under ``flowbook.utilities.debug.raise_on_exception()`` (``context.raise_on_exception``),
the loop looks at each state it applies to a finished task run. The first one carrying an
error that user code raised (a task body, a trigger, a state handler, a timeout) is raised
in the loop's thread: the loop stops as on any error (``engine.interrupt``: running tasks end
Cancelled, the flow Failed) and the error goes on to the caller of ``flow.run()``. Signals
(``FAIL``, ``SKIP``, a failed trigger's ``TRIGGERFAIL``) only choose states: never raised.
"""

from __future__ import annotations

from typing import Any

from flowbook.context import context
from flowbook.engine.signals import PrefectStateSignal

__all__ = ["wanted", "error_of", "raise_error_of", "is_raised"]


def wanted() -> bool:
    """Whether the loop raises task errors now: ``raise_on_exception()`` is around this
    call of ``flow.run()``, ``flow.resume()`` or ``flow.retry()``. Only around the call: a
    run continued later (by the widget's buttons, in a thread of their own) does not raise."""
    return bool(context.get("raise_on_exception"))


def error_of(state: Any) -> BaseException | None:
    """The error user code raised that ``state`` (failed) carries, or None."""
    if state is None or not state.is_failed():
        return None
    error = state.result
    if isinstance(error, BaseException) and not isinstance(error, PrefectStateSignal):
        return error
    return None


def raise_error_of(run: Any, state: Any) -> None:
    """Raise the error ``state`` carries, remembering it as ``run.raised``."""
    error = error_of(state)
    if error is not None:
        run.raised = error
        raise error


def is_raised(run: Any, error: BaseException) -> bool:
    """Whether ``error`` stopped ``run`` because the run raises its tasks' errors."""
    return getattr(run, "raised", None) is error
