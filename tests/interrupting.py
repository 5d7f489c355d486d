"""Interrupting the test's main thread, and waiting for facts, without timing assumptions.

An interrupt is a real SIGINT sent to the main thread once a condition holds (an Event set
by a task body, or a file a worker process wrote), as a kernel interrupt would deliver it.
"""

import contextlib
import signal
import threading
import time

__all__ = ["WAIT", "came_true", "interrupt_when", "wait_for"]

WAIT = 10  # seconds any body or watcher waits at most (a failure, never a pass)


def came_true(condition):
    """Wait until ``condition`` holds (True), or WAIT seconds (False): a ``threading.Event``
    is waited on; a callable (a fact another process makes true, such as a file) is polled."""
    if isinstance(condition, threading.Event):
        return condition.wait(WAIT)
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


@contextlib.contextmanager
def interrupt_when(condition):
    """Within the block, send SIGINT to this (the main) thread once ``condition`` holds
    (never after WAIT seconds: the run then ends uninterrupted, and the test fails).

    CPython can miss a signal that lands just as the main thread starts to block in a lock
    or a sleep (it only sees it when that wait ends), and an Event wakes the watcher at just
    that moment. So SIGINT is sent again until the main thread has taken it; the handler
    raises KeyboardInterrupt for the first one it sees and ignores any later one, as it
    would be while the engine cleans up after the interrupt."""
    main = threading.get_ident()
    taken = threading.Event()  # the main thread has raised the KeyboardInterrupt

    def take(signum, frame):
        if not taken.is_set():
            taken.set()
            raise KeyboardInterrupt

    def watch():
        if came_true(condition):
            while not taken.is_set():
                signal.pthread_kill(main, signal.SIGINT)
                taken.wait(0.05)  # how long only decides when to knock again

    previous = signal.signal(signal.SIGINT, take)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        taken.set()  # stops a watcher whose condition came true but has not sent yet
        watcher.join()
        signal.signal(signal.SIGINT, previous)


def wait_for(condition, failure):
    """Poll ``condition()`` (a fact another process makes true) until it holds."""
    assert came_true(condition), failure


