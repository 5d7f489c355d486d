"""Where a run's time comes from: the real clock, or a fake one that tests move by hand.

A run reads the time (state timestamps, retry start times, cache expirations), sleeps until
the next retry and waits for a body with a ``timeout`` only through its clock:
``flow.run(clock=FakeClock())`` runs retries, retry delays and timeouts instantly and in a
fixed order. While a run's loop or one of its task runs works in a thread, ``current()``
is that run's clock there; elsewhere it is the real one.

>>> clock = FakeClock(start=100.0)
>>> clock.sleep(2.5)
>>> clock.now()
102.5
>>> with using(clock):
...     current() is clock
True
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Iterator

__all__ = ["Clock", "FakeClock", "REAL", "current", "now", "using"]


class Clock:
    """The real clock: ``time.time``, ``time.sleep`` and ``Event.wait``."""

    def now(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))

    def wait_until(self, event: threading.Event, deadline: float) -> bool:
        """Wait until ``event`` is set (True) or the time ``deadline`` has come (False)."""
        return event.wait(max(0.0, deadline - self.now()))

    def __repr__(self) -> str:
        return "Clock()"


class FakeClock(Clock):
    """A clock that moves only when told: ``sleep`` and ``advance`` add to its time at once.

    ``wait_until(event, deadline)`` returns False as soon as the fake time has reached
    ``deadline``, else True once ``event`` is set: the deadline is checked first, so a task
    body calling ``clock.sleep(10)`` under a ``timeout`` of 1 times out, whichever thread
    runs first.
    """

    def __init__(self, start: float = 1_000_000.0):
        self._now = float(start)  # the fake time, seconds since the epoch
        self._moved = threading.Condition()  # notified whenever the time moves
        self.slept: list = []  # every sleep asked for, in order (what a test can check)

    def now(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        with self._moved:
            self._now += max(0.0, seconds)
            self._moved.notify_all()

    def wait_until(self, event: threading.Event, deadline: float) -> bool:
        with self._moved:
            while True:
                if self._now >= deadline:
                    return False
                if event.is_set():
                    return True
                # The body sets ``event`` without notifying: look again every so often. How
                # long this takes never changes the answer, only when it is given.
                self._moved.wait(0.01)

    def __repr__(self) -> str:
        return f"FakeClock(now={self._now})"


REAL = Clock()
_local = threading.local()  # .clock: the clock of the run working in this thread, if not REAL
_lock = threading.Lock()  # guards overridden
overridden = 0  # threads whose clock is not REAL now; while 0, now() is time.time()


def current() -> Clock:
    """The clock of the run working in this thread (the real clock outside runs)."""
    return getattr(_local, "clock", None) or REAL


def now() -> float:
    """``current().now()``: the time on this thread's clock (every state reads it)."""
    if not overridden:
        return time.time()
    clock = getattr(_local, "clock", None)
    return time.time() if clock is None else clock.now()


@contextmanager
def using(clock: Clock) -> Iterator[Clock]:
    """Make ``clock`` this thread's clock for the ``with`` block."""
    global overridden
    saved = getattr(_local, "clock", None)
    _local.clock = None if clock is REAL else clock
    with _lock:
        overridden += _local.clock is not None
    try:
        yield clock
    finally:
        with _lock:
            overridden -= _local.clock is not None
        _local.clock = saved
