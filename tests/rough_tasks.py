"""Task bodies for the interrupt and hostile-input tests, in a module Dask workers import by
name (as ``dask_tasks``). Counts and markers are files, so a worker process and the test
process see the same ones."""

from __future__ import annotations

import os
import sys
import time


def count(path: str, x=None):
    """Add a line to ``path`` (one per call); returns how many calls there were."""
    with open(path, "a") as f:
        f.write("call\n")
    return calls(path)


def calls(path: str) -> int:
    """How many times ``count`` ran with ``path``."""
    if not os.path.exists(path):
        return 0
    with open(path) as f:
        return len(f.readlines())


def slow_first_time(path: str, seconds: float, x=None):
    """The first call (``path`` absent) creates ``path`` and sleeps; later calls return at
    once. Returns how many calls there were."""
    first = not os.path.exists(path)
    n = count(path)
    if first:
        time.sleep(seconds)
    return n


def start_then_wait_for(started: str, release: str, seconds: float):
    """Create ``started``, then return once ``release`` exists (after ``seconds`` at most)."""
    open(started, "w").close()
    deadline = time.monotonic() + seconds
    while not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.01)
    return os.path.exists(release)


def interrupt_first_time(path: str, x=None):
    """Raises KeyboardInterrupt on its own the first time, then returns 'went on'."""
    if count(path) == 1:
        raise KeyboardInterrupt("raised by the task itself")
    return "went on"


def exit_with(code, x=None):
    sys.exit(code)


def pid(x=None):
    return os.getpid()
