"""``flowbook.context``: what a running task knows of its run (like ``prefect.context``).

The engine sets it around every call into user code (a task body, a trigger, a state handler):
``task_name``, ``task_full_name``, ``task_slug``, ``task_tags``, ``task_run_count``,
``task_loop_count``, ``task_loop_result``, ``map_index``, ``resume``, ``logger``, and what
``run_values`` gives the whole run: ``flow_name``, ``flow_run_name``, ``parameters``,
``scheduled_start_time``, ``date``, ``today``, ``yesterday``, ``tomorrow`` and their
``*_nodash`` forms, plus every value set around ``flow.run()`` with ``with context(k=v):``
or passed as ``flow.run(context={...})``. It is per thread. Read it with
``context.get("task_run_count")``, ``context.task_run_count`` or ``context["task_run_count"]``.

>>> with context(answer=42):
...     context.answer, context.get("missing", "default")
(42, 'default')
"""

from __future__ import annotations

import logging
import threading
import uuid
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterator

__all__ = ["Context", "context", "run_values"]


class Context(threading.local):
    """A per-thread mapping with attribute access; ``with context(key=value):`` sets values."""

    def __init__(self, values: dict | None = None, **more: Any) -> None:
        self.__dict__["_values"] = {**(values or {}), **more}

    def get(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, set to ``default`` first if it has none (until the
        enclosing ``with context(...)`` block ends)."""
        return self._values.setdefault(key, default)

    def update(self, values: dict | None = None, **more: Any) -> None:
        """Set several values at once (until the enclosing ``with context(...)`` block ends)."""
        self._values.update(values or {}, **more)

    def __getattr__(self, key: str) -> Any:
        try:
            return self.__dict__["_values"][key]
        except KeyError:
            raise AttributeError(
                f"context has no value {key!r}; use context.get({key!r})") from None

    def __setattr__(self, key: str, value: Any) -> None:
        self._values[key] = value

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._values[key] = value

    def __delitem__(self, key: str) -> None:
        del self._values[key]

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def keys(self) -> Any:
        """The names set, so that ``**context`` passes the values as keywords."""
        return self._values.keys()

    def to_dict(self) -> dict:
        return dict(self._values)

    copy = to_dict  # Prefect 1 code reads ``prefect.context.copy()``

    @contextmanager
    def __call__(self, values: dict | None = None, **more: Any) -> Iterator["Context"]:
        saved = self.enter(values, **more)
        try:
            yield self
        finally:
            self.leave(saved)

    def enter(self, values: dict | None = None, **more: Any) -> dict:
        """Begin a block with these values added (what ``with context(...)`` does);
        returns what ``leave`` needs to end it. Values set within the block end with it."""
        saved = self._values
        self.__dict__["_values"] = {**saved, **(values or {}), **more}
        return saved

    def leave(self, saved: dict) -> None:
        """End the block ``enter`` began, which returned ``saved``."""
        self.__dict__["_values"] = saved

    def _replace(self, values: dict) -> dict:
        """Swap in ``values`` wholesale, returning the previous mapping (the engine's fast path)."""
        mine = self.__dict__  # this thread's (one lookup: the engine swaps twice per task)
        saved = mine["_values"]
        mine["_values"] = values
        return saved

    def __repr__(self) -> str:
        return f"<Context: {sorted(self._values)}>"

    def __reduce__(self) -> str:
        # A task body sent to another process (a Dask worker) refers to that process's own
        # context, which the engine fills in there; pickle the singleton by name.
        return "context"


context = Context()


def run_values(given: dict, flow_name: str, parameters: dict, now: float) -> dict:
    """What ``flowbook.context`` holds for every task of a flow run: the values set around
    ``flow.run()``, then ``given`` (its ``context=``) over them, then the run's own. ``now``
    (seconds, from the run's clock) dates the run unless a ``date`` was given.

    As in Prefect 1, ``date`` and ``scheduled_start_time`` are ``pendulum.DateTime``s (a
    ``datetime`` subclass, so ``date.add(days=1)`` works as in Prefect code); pendulum is
    imported here, when a flow runs, not with ``flowbook``."""
    import pendulum

    values = {**context.to_dict(), **given}
    values["parameters"] = {**(values.get("parameters") or {}), **parameters}
    values["flow_name"] = flow_name
    values.setdefault("flow_run_id", str(uuid.uuid4()))
    values.setdefault("flow_run_name", values["flow_run_id"])
    clock_now = pendulum.from_timestamp(now)  # UTC
    start = values.get("scheduled_start_time")
    values["scheduled_start_time"] = clock_now if start is None else _pendulum(start)
    date = _date(values.get("date"))
    if date is None:
        date = clock_now
        values.setdefault("date", date)  # as in Prefect 1, a date it cannot read stays as given
    else:
        values["date"] = date
    for name, day in (("today", date), ("yesterday", date.add(days=-1)),
                      ("tomorrow", date.add(days=1))):
        values.setdefault(name, day.strftime("%Y-%m-%d"))
        values.setdefault(f"{name}_nodash", day.strftime("%Y%m%d"))
    return values


def _date(given: Any) -> Any:
    """The ``date`` given as a ``pendulum.DateTime`` (from a datetime, or a string pendulum
    parses, such as ISO 8601); None when none was given or it cannot be read (warned)."""
    import pendulum

    if given is None or isinstance(given, datetime):
        return None if given is None else _pendulum(given)
    parsed = None
    if isinstance(given, str):
        try:
            parsed = pendulum.parse(given)
        except (ValueError, TypeError):  # pendulum's ParserError is a ValueError
            parsed = None
    if isinstance(parsed, pendulum.DateTime):
        return parsed
    logging.getLogger("flowbook.context").warning(
        "the context value date=%r could not be parsed into a pendulum `DateTime` object; "
        "today, yesterday and tomorrow come from the run's clock instead (set date to a "
        "datetime, or a string such as '2026-03-01T12:00:00+00:00')", given)
    return None


def _pendulum(when: Any) -> Any:
    """``when`` as a ``pendulum.DateTime`` if it is a datetime (naive: UTC), else as given."""
    import pendulum

    if isinstance(when, datetime) and not isinstance(when, pendulum.DateTime):
        return pendulum.instance(when)
    return when
