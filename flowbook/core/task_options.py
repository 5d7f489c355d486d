"""A task's run options, checked and put in one form, whether given to ``Task(...)`` or later.

Durations (``retry_delay``, ``cache_for``) are kept as ``datetime.timedelta``, as Prefect 1
keeps them; a number is read as seconds. ``timeout`` is kept in seconds.

>>> duration(5, "retry_delay", "load")
datetime.timedelta(seconds=5)
>>> timeout_seconds(datetime.timedelta(seconds=2), "load")
2
"""

from __future__ import annotations

import collections.abc
import datetime
from typing import Any, Iterable

from flowbook.errors import UserTypeError, UserValueError

__all__ = ["OPTIONS", "NO_TAGS", "duration", "seconds", "timeout_seconds", "retry_on",
           "check_retries", "tags", "state_handlers", "normalise"]


NO_TAGS: frozenset = frozenset()  # the tags of a task without any (one set for every task)

# The options a Task reads from its class while at their defaults: its __dict__ holds only
# those set otherwise (core/task.py).
OPTIONS = ("slug", "tags", "max_retries", "retry_delay", "retry_on", "timeout", "trigger",
           "skip_on_upstream_skip", "cache_for", "cache_validator", "cache_key", "checkpoint",
           "target", "result", "log_stdout", "nout", "task_run_name", "auto_generated")


def duration(value: Any, option: str, owner: str) -> datetime.timedelta | None:
    """``value`` (seconds or a timedelta, >= 0) as a timedelta; None stays None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, datetime.timedelta)):
        raise UserTypeError(f"task {owner!r}: {option} must be a number of seconds or a "
                            f"datetime.timedelta, not {value!r}")
    delta = value if isinstance(value, datetime.timedelta) else datetime.timedelta(seconds=value)
    if delta < datetime.timedelta(0):
        raise UserValueError(f"task {owner!r}: {option} must be a number of seconds or a "
                             f"datetime.timedelta >= 0, not {value!r}")
    return delta


def seconds(value: datetime.timedelta | float | None) -> float | None:
    """A duration option in seconds, for the engine's clock."""
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    return None if value is None else float(value)


def timeout_seconds(value: Any, owner: str) -> float | None:
    """``timeout`` in seconds: an int stays an int; unlike Prefect 1, fractions are kept."""
    delta = duration(value, "timeout", owner)
    if delta is None:
        return None
    if isinstance(value, (int, float)):
        return value
    total = delta.total_seconds()
    return int(total) if total.is_integer() else total


def retry_on(value: Any, max_retries: int, owner: str) -> set | None:
    """The exception classes a failure must be to be retried, as a set; None: any."""
    if not value:
        return None
    if not max_retries:
        raise UserValueError(f"task {owner!r}: retry_on is set, so a number of `max_retries` "
                             "must be provided (with a retry_delay)")
    classes = {value} if isinstance(value, type) or not isinstance(value, Iterable) \
        else set(value)
    for cls in classes:
        if not isinstance(cls, type):
            raise UserTypeError(f"task {owner!r}: invalid retry_on value {cls!r}; expected an "
                                f"exception type but got an instance of {type(cls).__name__}")
        if not issubclass(cls, BaseException):
            raise UserTypeError(f"task {owner!r}: invalid retry_on value {cls!r}; expected an "
                                "exception class")
    return classes


def check_retries(max_retries: Any, retry_delay: Any, owner: str) -> None:
    """``max_retries`` and ``retry_delay`` go together."""
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise UserValueError(f"task {owner!r}: max_retries must be an int >= 0, "
                             f"not {max_retries!r}")
    if max_retries and retry_delay is None:
        raise UserValueError(f"task {owner!r}: max_retries={max_retries} needs a retry_delay "
                             "(for example retry_delay=datetime.timedelta(seconds=5))")
    if retry_delay is not None and not max_retries:
        raise UserValueError("A `max_retries` argument greater than 0 must be provided if "
                             f"specifying a retry delay (task {owner!r}): give it "
                             "max_retries=N, or drop retry_delay")


def tags(value: Any, owner: str) -> frozenset:
    """Tags as a frozenset; a single string is refused rather than split into letters."""
    if isinstance(value, str):
        raise UserTypeError(f"task {owner!r}: tags should be a collection of tags, not a "
                            f"string; write tags=[{value!r}]")
    return frozenset(value or ()) or NO_TAGS


def state_handlers(value: Any, owner: str) -> list:
    """State handlers as a new list of callables."""
    if value is None:
        return []
    if not isinstance(value, collections.abc.Sequence):
        raise UserTypeError(f"task {owner!r}: state_handlers should be iterable (a list of "
                            f"functions), not {value!r}")
    for handler in value:
        if not callable(handler):
            raise UserTypeError(f"task {owner!r}: state handler {handler!r} is not callable")
    return list(value)


def normalise(option: str, value: Any, owner: str) -> Any:
    """``value`` in the form the task keeps for ``option`` (set later, e.g. by task_args)."""
    if option in ("retry_delay", "cache_for"):
        return duration(value, option, owner)
    if option == "timeout":
        return timeout_seconds(value, owner)
    if option == "tags":
        return tags(value, owner)
    if option == "state_handlers":
        return state_handlers(value, owner)
    return value
