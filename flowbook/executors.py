"""Executors run the calls the scheduling loop submits; they decide nothing themselves.

Every executor has the same four members, named after Prefect 1's and used only by
``flowbook.engine.flow_run``:

- ``start()``: a context manager around one stretch of a run (pools and clusters live inside);
- ``submit(fn, *args, name=...)`` -> a handle; ``name`` labels the call (a Dask key);
- ``wait(handles)`` -> the handles among ``handles`` that have finished (at least one);
- ``result(handle)`` -> what ``fn`` returned, or raises what it raised.

``remote`` says whether calls run in other processes: the loop then sends them pickled task
runs that report their states back (``flowbook.engine.remote``). dask is imported only when
a ``DaskExecutor`` starts.

>>> LocalDaskExecutor(num_workers=4)
LocalDaskExecutor(scheduler='threads', num_workers=4)
"""

from __future__ import annotations

import os
import queue
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Callable, Collection, Iterator

__all__ = ["LocalExecutor", "LocalDaskExecutor", "DaskExecutor"]


class _Done:
    """The handle of a call that has already finished."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


class LocalExecutor:
    """Runs tasks one after another in the kernel's thread (the default)."""

    remote = False  # calls run in this process

    @contextmanager
    def start(self) -> Iterator["LocalExecutor"]:
        yield self

    def submit(self, fn: Callable, *args: Any, name: str = "") -> _Done:
        return _Done(fn(*args))

    def wait(self, handles: Collection) -> list:
        return list(handles)

    def result(self, handle: _Done) -> Any:
        return handle.value

    def __repr__(self) -> str:
        return "LocalExecutor()"


class LocalDaskExecutor:
    """Runs tasks concurrently on a pool of threads in the kernel.

    ``num_workers`` threads (default: the number of CPUs, as dask's threaded scheduler) run
    the task runs the scheduling loop submits as soon as their upstream tasks finish. Suits
    tasks that wait on I/O or release the GIL. ``scheduler="synchronous"`` runs them one
    after another, like ``LocalExecutor``; for processes, use ``DaskExecutor()``.
    """

    remote = False  # calls run in this process

    def __init__(self, scheduler: str = "threads", num_workers: int | None = None):
        if scheduler not in ("threads", "synchronous"):
            raise ValueError(f"LocalDaskExecutor(scheduler={scheduler!r}) is not supported: use "
                             "'threads' or 'synchronous', or DaskExecutor() to run tasks in "
                             "worker processes")
        if num_workers is not None and (not isinstance(num_workers, int) or num_workers < 1):
            raise ValueError(f"LocalDaskExecutor: num_workers must be an int >= 1, not "
                             f"{num_workers!r}")
        self.scheduler = scheduler
        self.num_workers = num_workers
        self._pool: ThreadPoolExecutor | None = None  # while started (threads only)
        self._finished: queue.SimpleQueue = queue.SimpleQueue()  # futures done, not yet waited

    @contextmanager
    def start(self) -> Iterator["LocalDaskExecutor"]:
        if self.scheduler == "synchronous":
            yield self
            return
        workers = self.num_workers or os.cpu_count() or 1
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="flowbook-task")
        self._finished = queue.SimpleQueue()
        clean = False
        try:
            yield self
            clean = True
        finally:
            # On an error or an interrupt, drop what has not started; running calls finish
            # in the background (Python cannot stop a thread).
            self._pool.shutdown(wait=clean, cancel_futures=True)
            self._pool = None

    def submit(self, fn: Callable, *args: Any, name: str = "") -> Any:
        if self._pool is None:
            if self.scheduler == "synchronous":
                return _Done(fn(*args))
            raise RuntimeError("LocalDaskExecutor.submit() was called outside start(); "
                               "use `with executor.start(): ...`")
        future = self._pool.submit(fn, *args)
        future.add_done_callback(self._finished.put)
        return future

    def wait(self, handles: Collection) -> list:
        if self._pool is None:
            return list(handles)
        # Every submitted future lands in the queue once; the loop waits on all it submitted.
        done = [self._finished.get()]
        try:
            while True:
                done.append(self._finished.get_nowait())
        except queue.Empty:
            return done

    def result(self, handle: Any) -> Any:
        return handle.value if isinstance(handle, _Done) else handle.result()

    def __repr__(self) -> str:
        return f"LocalDaskExecutor(scheduler={self.scheduler!r}, num_workers={self.num_workers})"


class DaskExecutor:
    """Runs tasks on a dask.distributed cluster, through dask's own client and futures.

    With ``address`` (``"tcp://127.0.0.1:8786"``) it connects to that scheduler. Without,
    each run starts a ``cluster_class`` (default ``distributed.LocalCluster`` on 127.0.0.1,
    ``cluster_kwargs`` passed on, ``adapt_kwargs`` to ``cluster.adapt``) and closes it at the
    end. ``client_kwargs`` go to ``distributed.Client``. Task bodies, their arguments and
    results travel by pickle (cloudpickle), so define tasks in the notebook or in a module
    the workers can import.
    """

    remote = True  # calls run in worker processes

    def __init__(self, address: str | None = None, cluster_class: Callable | None = None,
                 cluster_kwargs: dict | None = None, adapt_kwargs: dict | None = None,
                 client_kwargs: dict | None = None):
        if address is not None and (cluster_class is not None or cluster_kwargs):
            raise ValueError("DaskExecutor: give either address (an existing scheduler) or "
                             "cluster_class/cluster_kwargs (a cluster to start), not both")
        self.address = address
        self.cluster_class = cluster_class
        self.cluster_kwargs = dict(cluster_kwargs or {})
        self.adapt_kwargs = dict(adapt_kwargs or {})
        self.client_kwargs = dict(client_kwargs or {})
        self.client: Any = None  # the distributed.Client, while started
        self._completed: Any = None  # distributed.as_completed over the submitted futures
        self._outcomes: dict = {}  # finished future -> its result (or error) from as_completed

    @contextmanager
    def start(self) -> Iterator["DaskExecutor"]:
        try:
            from distributed import Client, LocalCluster, as_completed
        except ImportError as exc:
            raise ImportError("DaskExecutor needs dask.distributed: pip install "
                              "'flowbook[dask]' (or 'dask[distributed]')") from exc
        cluster = None
        if self.address is None:
            options = {"host": "127.0.0.1", "dashboard_address": None, **self.cluster_kwargs}
            cluster = (self.cluster_class or LocalCluster)(**options)
            if self.adapt_kwargs:
                cluster.adapt(**self.adapt_kwargs)
        try:
            self.client = Client(self.address or cluster, set_as_default=False,
                                 **self.client_kwargs)
            self._completed = as_completed(loop=self.client.loop, with_results=True,
                                           raise_errors=False)
            yield self
        finally:
            if self.client is not None:
                self.client.close()
            if cluster is not None:
                cluster.close()
            self.client, self._completed, self._outcomes = None, None, {}

    def submit(self, fn: Callable, *args: Any, name: str = "") -> Any:
        if self.client is None:
            raise RuntimeError("DaskExecutor.submit() was called outside start(); "
                               "use `with executor.start(): ...`")
        # A fresh key for every call: equal arguments must not reuse an earlier result.
        label = re.sub(r"[^\w.]+", "_", name) or "task"
        future = self.client.submit(fn, *args, key=f"{label}-{uuid.uuid4().hex}", pure=False)
        self._completed.add(future)
        return future

    def wait(self, handles: Collection) -> list:
        batch = self._completed.next_batch(block=True)
        for future, outcome in batch:
            self._outcomes[future] = outcome
        return [future for future, _ in batch]

    def result(self, handle: Any) -> Any:
        outcome = self._outcomes.pop(handle)
        if handle.status == "error":
            raise outcome[1]  # as_completed gives (type, exception, traceback)
        if isinstance(outcome, BaseException):
            raise outcome  # the future was cancelled
        return outcome

    def __repr__(self) -> str:
        where = f"address={self.address!r}" if self.address else "a LocalCluster per run"
        return f"DaskExecutor({where})"


def is_executor(obj: Any) -> bool:
    """Whether ``obj`` has the members the scheduling loop uses."""
    return all(callable(getattr(obj, m, None)) for m in ("start", "submit", "wait", "result"))

