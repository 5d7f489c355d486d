"""Task bodies for the executor tests, in a module Dask workers import by name.

Workers started by the tests have this directory on their path (a LocalCluster inherits the
test process's ``sys.path``; ``dask worker`` processes get it through PYTHONPATH), so these
functions travel by reference, as a user's own module would.
"""

from __future__ import annotations

import os
import threading
import time

from flowbook import context, signals


def where(x=None):
    """The process and thread this ran in."""
    return {"pid": os.getpid(), "thread": threading.get_ident()}


def meet_at(folder: str, name: str, others: list, seconds: float):
    """Write ``folder/name``, then wait until a file of each of ``others`` is there too:
    True when they all came while this ran (within ``seconds``, a bound against hanging).
    Other processes meet through the shared file system."""
    open(os.path.join(folder, name), "w").close()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(os.path.exists(os.path.join(folder, other)) for other in others):
            return True
        time.sleep(0.01)
    return False


def square(x):
    return x * x


def total(xs):
    return sum(xs)


def fail_first_run(x=None):
    """Fails on its first attempt, succeeds on the next (no shared memory needed)."""
    if context.get("task_run_count", 1) == 1:
        raise ValueError("first attempt fails")
    return context.get("task_run_count")


def needs_file(path: str):
    """Fails until ``path`` exists (workers and the kernel share the file system)."""
    if not os.path.exists(path):
        raise FileNotFoundError(path)
    return "found"


def lock(x=None):
    """A result pickle cannot send."""
    return threading.Lock()


def shout(text: str):
    print(f"worker says {text}")
    return text


def log_line(text: str):
    from flowbook import context

    context.get("logger").info("worker logs %s", text)
    return text


def skip_me(x=None):
    raise signals.SKIP("skipped on purpose")


def pause_until_resumed(x=None):
    """Pauses (PAUSE) until a person resumes it, then returns ``x``."""
    if not context.get("resume"):
        raise signals.PAUSE("waiting for approval")
    return x


def odd_needs_file(x: int, path: str):
    """Returns ``x``; fails for odd ``x`` until ``path`` exists."""
    if x % 2 and not os.path.exists(path):
        raise FileNotFoundError(path)
    return x


def odd_pauses(x: int):
    """Returns ``x``; pauses (PAUSE) for odd ``x`` until a person resumes it."""
    if x % 2 and not context.get("resume"):
        raise signals.PAUSE("odd elements wait for approval")
    return x
