"""Run events: every state change of a task or a flow, published to subscribers.

The widget, progress views and logs subscribe; the engine publishes. With no subscriber,
publishing costs one check and no event object is built.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable

from flowbook.errors import UserTypeError

__all__ = ["TaskStateChanged", "FlowStateChanged", "EventBus"]


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
    """Subscribers of one flow's run events. Thread-safe; a failing subscriber is reported
    on stderr once per error and never stops the run."""

    def __init__(self) -> None:
        self._subscribers: tuple = ()  # replaced, never mutated, so publishing needs no lock
        self._lock = threading.Lock()

    def __bool__(self) -> bool:
        return bool(self._subscribers)

    def subscribe(self, callback: Callable[[Any], Any]) -> Callable[[], None]:
        if not callable(callback):
            raise UserTypeError(f"subscribe() takes a callable, got {callback!r}")
        with self._lock:
            self._subscribers = self._subscribers + (callback,)

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers = tuple(s for s in self._subscribers if s is not callback)

        return unsubscribe

    def publish(self, event: Any) -> None:
        for callback in self._subscribers:
            try:
                callback(event)
            except Exception as exc:  # a broken view must not break the user's flow run
                import sys
                import traceback

                print(f"flowbook: run event subscriber {callback!r} failed: {exc!r}",
                      file=sys.stderr)
                traceback.print_exc()
