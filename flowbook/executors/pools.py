"""The pools a LocalDaskExecutor runs its calls on: threads of this process, or processes.

Both hand back what finished through one queue, so that the loop waits in one place
(``finished_calls``) for finished calls and for the messages task runs post to it.
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Callable

from flowbook.executors.base import Done
from flowbook.executors.pickled import unpack

__all__ = ["ThreadPool", "ProcessPool", "Sent"]


class _Call(Done):
    """One call submitted to a ``ThreadPool``, and its outcome once it has run."""

    __slots__ = ("fn", "args")

    def __init__(self, fn: Callable, args: tuple):
        super().__init__()
        self.fn = fn  # what to call
        self.args = args  # with these positional arguments


class ThreadPool:
    """Threads taking calls from one queue and putting each, run, on another.

    Leaner than ``concurrent.futures``: no future, lock or callback per call, which keeps
    a trivial task's cost near the engine's own.
    """

    def __init__(self, size: int):
        self._calls: queue.SimpleQueue = queue.SimpleQueue()  # submitted, not yet taken
        self._finished: queue.SimpleQueue = queue.SimpleQueue()  # run, not yet reported
        self._threads = [threading.Thread(target=self._work, name=f"flowbook-task-{i}",
                                          daemon=True) for i in range(size)]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable, args: tuple) -> _Call:
        call = _Call(fn, args)
        self._calls.put(call)
        return call

    def post(self, message: Any) -> None:
        """Put ``message`` among the finished calls, for whoever waits for them."""
        self._finished.put(message)

    def finished_calls(self) -> list:
        """The calls run (and messages posted) since the last time asked; blocks until
        there is at least one."""
        return _take_all(self._finished)

    def drop_waiting(self) -> list:
        """Take every call no thread has started out of the queue; returns them. A thread
        that took a call before runs it: Python cannot stop a thread."""
        dropped = []
        try:
            while True:
                call = self._calls.get_nowait()
                if call is not None:
                    dropped.append(call)
        except queue.Empty:
            return dropped

    def close(self, clean: bool) -> None:
        """Stop the threads; after an error or an interrupt, drop the calls not started
        (running ones finish in the background)."""
        if not clean:
            self.drop_waiting()
        for _ in self._threads:
            self._calls.put(None)
        if clean:
            for thread in self._threads:
                thread.join()

    def _work(self) -> None:
        while True:
            call = self._calls.get()
            if call is None:
                return
            try:
                call.value = call.fn(*call.args)
            except BaseException as exc:  # reported to the loop through result()
                call.error = exc
            self._finished.put(call)


class Sent:
    """One pickled call submitted to a ``ProcessPool``; answers for its outcome."""

    __slots__ = ("future",)

    def __init__(self, future: Any):
        self.future = future  # the concurrent.futures.Future of call_pickled(payload)

    def result(self) -> Any:
        """What the call returned, unpacked; NotDelivered if it could not run or return."""
        from flowbook.engine.remote import NotDelivered

        if self.future.cancelled():
            raise NotDelivered(f"was cancelled before a {PROCESS} ran it",
                               RuntimeError("cancelled"))
        error = self.future.exception()
        if error is not None:  # the process died, or the pool was shut down
            raise NotDelivered(f"could not finish in a {PROCESS}", error)
        return unpack(self.future.result(), PROCESS)


PROCESS = "worker process"  # where a ProcessPool runs a call, in words


class ProcessPool:
    """Worker processes (``concurrent.futures``, the platform's way of starting them, as
    dask's multiprocessing scheduler) running pickled calls; handles are ``Sent``."""

    def __init__(self, size: int):
        from concurrent.futures import ProcessPoolExecutor

        self._pool = ProcessPoolExecutor(size)
        self._finished: queue.SimpleQueue = queue.SimpleQueue()  # done, not yet reported

    def submit(self, fn: Callable, arg: Any) -> Sent:
        sent = Sent(self._pool.submit(fn, arg))
        sent.future.add_done_callback(lambda _: self._finished.put(sent))
        return sent

    def finished_calls(self) -> list:
        """The calls done since the last time asked; blocks until there is one."""
        return _take_all(self._finished)

    def drop_waiting(self, handles: list) -> list:
        """Cancel the calls among ``handles`` no process has started; returns them."""
        return [sent for sent in handles if sent.future.cancel()]

    def close(self, clean: bool) -> None:
        """Stop the processes: after the calls end, or (after an error or an interrupt)
        at once, terminating those still running a call."""
        if clean:
            self._pool.shutdown(wait=True)
            return
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:  # Python cannot stop a call, but can end its process
            process.terminate()


def _take_all(finished: queue.SimpleQueue) -> list:
    """Everything in ``finished``, waiting until there is at least one item."""
    while True:  # a wait without a timeout can miss a SIGINT landing as it begins;
        try:     # with one, the main thread looks at its signals between waits
            done = [finished.get(timeout=0.25)]
            break
        except queue.Empty:
            continue
    try:
        while True:
            done.append(finished.get_nowait())
    except queue.Empty:
        return done
