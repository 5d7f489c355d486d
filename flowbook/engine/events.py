"""Run events: every state change of a task or a flow, published to subscribers.

The widget, progress views and logs subscribe; the engine publishes. With no subscriber,
publishing costs one check and no event object is built.

A subscriber that raises never stops the run: the error is logged with its traceback on the
``flowbook.events`` logger, naming the subscriber, once per subscriber and type of error (a
view failing on every event of a 10,000-task run logs one traceback, not 10,000).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Callable

from flowbook.errors import UserTypeError, UserValueError

__all__ = ["TaskStateChanged", "FlowStateChanged", "EventBus"]

log = logging.getLogger("flowbook.events")  # no handler added: Python's last resort prints it


# Not frozen: a frozen dataclass's __init__ costs four times as much, and an event is built on
# every state change while someone listens. Treat events as read-only all the same.
@dataclass(slots=True, eq=False)
class TaskStateChanged:
    """A task (or, with ``map_index``, one mapped child) went from ``old`` to ``new``."""

    run: Any  # the FlowRun it happened in
    task: Any  # the Task
    map_index: int | None  # the child's index for a mapped child, else None
    old: Any  # the State before (None: the task had no state yet)
    new: Any  # the State after; new.timestamp is when it happened

    @property
    def timestamp(self) -> float:
        return self.new.timestamp


@dataclass(slots=True, eq=False)
class FlowStateChanged:
    """The flow run went from ``old`` to ``new``."""

    run: Any  # the FlowRun
    old: Any  # the flow State before (None at the start)
    new: Any  # the flow State after

    @property
    def timestamp(self) -> float:
        return self.new.timestamp


class EventBus:
    """Subscribers of one flow's run events. Thread-safe; a failing subscriber is logged
    once per type of error and never stops the run."""

    def __init__(self) -> None:
        # (callback, event classes) of each subscription; replaced, never mutated, as are
        # the callbacks of each kind below, so publishing needs no lock
        self._subscribers: tuple = ()
        # Who hears a task's change, and a flow's: the engine asks before making an event
        # (a tuple's truth costs less than a call to __bool__, at every state change)
        self.for_tasks: tuple = ()
        self.for_flows: tuple = ()
        # Reentrant: a finalizer (a garbage widget's __del__ closing it) may unsubscribe in the
        # middle of this thread's subscribe, when an allocation there starts a collection.
        self._lock = threading.RLock()
        self._reported: set = set()  # (id of a subscriber, error type) logged already;
        # a subscriber's entries go when it unsubscribes, so a reused id starts afresh

    def __bool__(self) -> bool:
        return bool(self._subscribers)

    def subscribe(self, callback: Callable[[Any], Any], kinds: Any = None) -> Callable[[], None]:
        """Call ``callback(event)`` for every event of ``kinds`` (TaskStateChanged and/or
        FlowStateChanged; None: both); returns the function that ends this subscription."""
        if not callable(callback):
            raise UserTypeError(f"subscribe() takes a callable, got {callback!r}")
        if kinds is None:
            kinds = (TaskStateChanged, FlowStateChanged)
        kinds = tuple(kinds) if isinstance(kinds, (tuple, list, set, frozenset)) else (kinds,)
        unknown = [k for k in kinds if k not in (TaskStateChanged, FlowStateChanged)]
        if unknown or not kinds:
            raise UserValueError("subscribe(kinds=...) takes TaskStateChanged and/or "
                                 "FlowStateChanged from flowbook.engine.events, got "
                                 f"{unknown or kinds!r}")
        entry = (callback, kinds)
        self._replace(lambda subscribers: subscribers + (entry,))

        def unsubscribe() -> None:
            self._replace(lambda subscribers: tuple(s for s in subscribers if s is not entry))
            with self._lock:
                for reported in [r for r in list(self._reported) if r[0] == id(callback)]:
                    self._reported.discard(reported)

        return unsubscribe

    def _replace(self, change: Callable[[tuple], tuple]) -> None:
        """Set the subscribers to ``change(subscribers)``; again when a finalizer's unsubscribe
        changed them while ``change`` ran (no change is ever lost, no lock taken twice)."""
        with self._lock:
            while True:
                old = self._subscribers
                new = change(old)
                if self._subscribers is old:
                    self._subscribers = new
                    self.for_tasks = tuple(cb for cb, kinds in new if TaskStateChanged in kinds)
                    self.for_flows = tuple(cb for cb, kinds in new if FlowStateChanged in kinds)
                    return

    def publish(self, event: Any) -> None:
        """Call every subscriber of the event's kind (a TaskStateChanged or a
        FlowStateChanged) with it."""
        for callback in (self.for_tasks if event.__class__ is TaskStateChanged
                         else self.for_flows):
            try:
                callback(event)
            except Exception as exc:  # a broken view must not break the user's flow run
                self._report(callback, event, exc)

    def _report(self, callback: Any, event: Any, exc: Exception) -> None:
        """Log the subscriber's failure with its traceback, the first time of its kind."""
        key = (id(callback), type(exc))
        with self._lock:
            if key in self._reported:
                return
            self._reported.add(key)
        log.error("flowbook: run event subscriber %r failed on %s; the run goes on (a later "
                  "%s of this subscriber is not logged again)", callback,
                  type(event).__name__, type(exc).__name__, exc_info=exc)
