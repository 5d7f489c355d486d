"""The exception classes Prefect 1 code names: the base of the signals, and the timeout signal.

``flowbook.engine.signals`` derive from ``PrefectSignal`` (a ``BaseException``, so that a task's
own ``except Exception`` does not swallow them), as in Prefect 1.
"""

from __future__ import annotations

__all__ = ["PrefectException", "PrefectSignal", "TaskTimeoutSignal"]


class PrefectException(Exception):
    """The base of flowbook's exceptions that Prefect 1 code may catch by this name."""


class PrefectSignal(BaseException):
    """The base of the signals a task raises to choose its own state."""


class TaskTimeoutSignal(PrefectSignal):
    """Raised inside a task's run when its ``timeout`` has passed."""
