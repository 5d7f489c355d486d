"""Executors run the calls the scheduling loop submits; they decide nothing themselves.

Every executor has the same five methods, the first four named after Prefect 1's, used only
by ``flowbook.engine.flow_run`` and ``flowbook.engine.interrupt``:

- ``start()``: a context manager around one stretch of a run (pools and clusters live inside);
- ``submit(fn, *args, name=...)`` -> a handle; ``name`` labels the call (a Dask key);
- ``wait(handles)`` -> the handles among ``handles`` that have finished (at least one);
- ``result(handle)`` -> what ``fn`` returned, or raises what it raised;
- ``cancel(handles)``, when a run is interrupted: drops the calls that have not started and
  returns the other handles (their calls may be running, or have finished unreported).

and one attribute, ``remote``: whether calls run in other processes (the words of an
interrupt's message depend on it). An executor whose calls run on other threads of this
process also has ``post(message)``, which hands a task run's message to the loop waiting in
``wait()`` (it comes back among the finished handles). A remote executor pickles each call
itself and raises ``flowbook.engine.remote.NotDelivered`` from ``submit`` or ``result``
when a call cannot travel. dask is imported only when a ``DaskExecutor`` starts.

>>> LocalDaskExecutor(num_workers=4)
LocalDaskExecutor(scheduler='threads', num_workers=4)
"""

from __future__ import annotations

import os
import pickle
import queue
import re
import threading
import traceback
import uuid
from contextlib import contextmanager
from typing import Any, Callable, Collection, Iterator

from flowbook.errors import (
    UserConnectionError, UserRuntimeError, UserTypeError, UserValueError,
)

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

    def cancel(self, handles: Collection) -> list:
        return list(handles)  # each call ran to its end inside submit()

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
            raise UserValueError(f"LocalDaskExecutor(scheduler={scheduler!r}) is not supported: "
                                 "use "
                             "'threads' or 'synchronous', or DaskExecutor() to run tasks in "
                             "worker processes")
        if num_workers is not None and (not isinstance(num_workers, int) or num_workers < 1):
            raise UserValueError(f"LocalDaskExecutor: num_workers must be an int >= 1, not "
                             f"{num_workers!r}")
        self.scheduler = scheduler
        self.num_workers = num_workers
        self._pool: _ThreadPool | None = None  # while started with threads

    @contextmanager
    def start(self) -> Iterator["LocalDaskExecutor"]:
        if self.scheduler == "synchronous":
            yield self
            return
        if self._pool is not None:
            raise UserRuntimeError(f"{self!r} is already running a flow; give each flow that runs "
                               "at the same time an executor of its own")
        self._pool = _ThreadPool(self.num_workers or os.cpu_count() or 1)
        clean = False
        try:
            yield self
            clean = True
        finally:
            self._pool.close(clean)
            self._pool = None

    def submit(self, fn: Callable, *args: Any, name: str = "") -> Any:
        if self._pool is not None:
            return self._pool.submit(fn, args)
        if self.scheduler == "synchronous":
            return _Done(fn(*args))
        raise RuntimeError("LocalDaskExecutor.submit() was called outside start(); "
                           "use `with executor.start(): ...`")

    def wait(self, handles: Collection) -> list:
        # Each call is reported once; the loop always waits on every call it submitted.
        return list(handles) if self._pool is None else self._pool.finished_calls()

    def post(self, message: Any) -> None:
        """Hand ``message`` from a task run on a pool thread to the loop in ``wait()``."""
        if self._pool is None:
            raise RuntimeError("LocalDaskExecutor.post() was called outside start()")
        self._pool.post(message)

    def result(self, handle: Any) -> Any:
        if isinstance(handle, _Call) and handle.error is not None:
            raise handle.error
        return handle.value

    def cancel(self, handles: Collection) -> list:
        if self._pool is None:
            return list(handles)
        dropped = {id(call) for call in self._pool.drop_waiting()}
        return [handle for handle in handles if id(handle) not in dropped]

    def __repr__(self) -> str:
        return f"LocalDaskExecutor(scheduler={self.scheduler!r}, num_workers={self.num_workers})"


class _Call:
    """One call submitted to a ``_ThreadPool``, and its outcome once it has run."""

    __slots__ = ("fn", "args", "value", "error")

    def __init__(self, fn: Callable, args: tuple):
        self.fn = fn  # what to call
        self.args = args  # with these positional arguments
        self.value: Any = None  # what it returned
        self.error: BaseException | None = None  # what it raised, if it did


class _ThreadPool:
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
        while True:  # a wait without a timeout can miss a SIGINT landing as it begins;
            try:     # with one, the main thread looks at its signals between waits
                done = [self._finished.get(timeout=0.25)]
                break
            except queue.Empty:
                continue
        try:
            while True:
                done.append(self._finished.get_nowait())
        except queue.Empty:
            return done

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


class DaskExecutor:
    """Runs tasks on a dask.distributed cluster, through dask's own client and futures.

    With ``address`` (``"tcp://127.0.0.1:8786"``) it connects to that scheduler. Without,
    each run starts a ``cluster_class`` (default ``distributed.LocalCluster`` on 127.0.0.1,
    its dashboard on a free port; ``cluster_kwargs`` passed on, ``adapt_kwargs`` to
    ``cluster.adapt``) and closes it at the end. ``client_kwargs`` go to
    ``distributed.Client``. Task bodies, their arguments and results travel by pickle
    (cloudpickle), so define tasks in the notebook or in a module the workers can import.
    """

    remote = True  # calls run in worker processes

    def __init__(self, address: str | None = None, cluster_class: Callable | None = None,
                 cluster_kwargs: dict | None = None, adapt_kwargs: dict | None = None,
                 client_kwargs: dict | None = None):
        if address is not None and (cluster_class is not None or cluster_kwargs):
            raise UserValueError("DaskExecutor: give either address (an existing scheduler) or "
                             "cluster_class/cluster_kwargs (a cluster to start), not both")
        if address is not None and not _ADDRESS.match(str(address)):
            raise UserValueError(f"DaskExecutor: {address!r} is not a scheduler address; give one "
                             "like 'tcp://127.0.0.1:8786' (what `dask scheduler` prints)")
        if cluster_class is not None and not callable(cluster_class):
            raise UserTypeError(f"DaskExecutor: cluster_class must be a cluster class such as "
                            f"distributed.LocalCluster, not {cluster_class!r}")
        self.address = address
        self.cluster_class = cluster_class
        self.cluster_kwargs = _options("cluster_kwargs", cluster_kwargs)
        self.adapt_kwargs = _options("adapt_kwargs", adapt_kwargs)
        self.client_kwargs = _options("client_kwargs", client_kwargs)
        if address is not None:  # an unreachable address fails in seconds, not dask's 30
            self.client_kwargs.setdefault("timeout", 10)
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
        if self.client is not None:
            raise UserRuntimeError(f"{self!r} is already running a flow; give each flow that runs "
                               "at the same time an executor of its own")
        cluster = None
        if self.address is None:
            cluster = (self.cluster_class or LocalCluster)(**self._cluster_options())
            if self.adapt_kwargs:
                cluster.adapt(**self.adapt_kwargs)
        try:
            self.client = self._connect(Client, cluster)
            self._completed = as_completed(loop=self.client.loop, with_results=True,
                                           raise_errors=False)
            yield self
        finally:
            if self.client is not None:
                self.client.close()
            if cluster is not None:
                cluster.close()
            self.client, self._completed, self._outcomes = None, None, {}

    def _connect(self, client_class: Any, cluster: Any) -> Any:
        try:
            return client_class(self.address or cluster, set_as_default=False,
                                **self.client_kwargs)
        except OSError as exc:  # distributed's connection timeouts are OSErrors too
            if cluster is not None:
                raise
            raise UserConnectionError(
                f"DaskExecutor could not reach a Dask scheduler at {self.address!r} ({exc}); "
                "start one with `dask scheduler` (and workers with `dask worker ADDRESS`), "
                "or use DaskExecutor() without an address for a local cluster") from exc

    def _cluster_options(self) -> dict:
        options = dict(self.cluster_kwargs)
        if self.cluster_class is None:  # LocalCluster: only this machine may connect
            options.setdefault("dashboard_address", "127.0.0.1:0")  # (any free port)
            if options.get("processes", True):  # (without processes it needs no network)
                options.setdefault("host", "127.0.0.1")
        return options

    def submit(self, fn: Callable, *args: Any, name: str = "") -> Any:
        if self.client is None:
            raise RuntimeError("DaskExecutor.submit() was called outside start(); "
                               "use `with executor.start(): ...`")
        import cloudpickle

        from flowbook.engine.remote import NotDelivered

        try:
            payload = cloudpickle.dumps((fn, args))
        except Exception as exc:
            raise NotDelivered("could not be sent to the Dask worker", exc, sending=True) from exc
        # A fresh key for every call: equal arguments must not reuse an earlier result.
        label = re.sub(r"[^\w.]+", "_", name) or "task"
        future = self.client.submit(_call_pickled, payload, key=f"{label}-{uuid.uuid4().hex}",
                                    pure=False)
        self._completed.add(future)
        return future

    def wait(self, handles: Collection) -> list:
        batch = self._completed.next_batch(block=True)
        for future, outcome in batch:
            self._outcomes[future] = outcome
        return [future for future, _ in batch]

    def result(self, handle: Any) -> Any:
        from flowbook.engine.remote import NotDelivered

        outcome = self._outcomes.pop(handle)
        if handle.status == "error":  # as_completed gives (type, exception, traceback)
            raise NotDelivered("could not finish on the Dask cluster", outcome[1])
        if isinstance(outcome, BaseException):  # the future was cancelled
            raise NotDelivered("could not finish on the Dask cluster", outcome)
        try:
            value = pickle.loads(outcome)
        except Exception as exc:
            raise NotDelivered("ran on a Dask worker, but what it sent back cannot be loaded "
                               "in the kernel", exc) from exc
        if isinstance(value, _Raised):
            raise value.error
        if isinstance(value, _Unloadable):
            raise NotDelivered("could not be loaded on the Dask worker (the workers must be "
                               "able to import the modules the task uses)",
                               RuntimeError(value.error))
        return value

    def cancel(self, handles: Collection) -> list:
        # Dask cannot say whether a pending future has started on a worker: all may have.
        # A body already running on a worker finishes there; its result is released.
        if self.client is not None and handles:
            self.client.cancel(list(handles))
        return list(handles)

    def __repr__(self) -> str:
        where = f"address={self.address!r}" if self.address else "a LocalCluster per run"
        return f"DaskExecutor({where})"


class _Unloadable:
    """What a worker sends back when a call it was sent cannot be unpickled there."""

    def __init__(self, error: str):
        self.error = error  # repr() of what unpickling raised


class _Raised:
    """What a worker sends back when the call itself raised (a bug in flowbook: task runs
    turn their bodies' errors into states); the kernel raises it again."""

    def __init__(self, error: BaseException):
        self.error = error  # what the call raised, or a RuntimeError with its text


def _call_pickled(payload: bytes) -> bytes:
    """On a Dask worker: unpickle ``(fn, args)``, call it and pickle what it returns."""
    import cloudpickle

    try:
        fn, args = pickle.loads(payload)
    except Exception as exc:
        return cloudpickle.dumps(_Unloadable(repr(exc)))
    try:
        value = fn(*args)
    except Exception as exc:
        try:
            return cloudpickle.dumps(_Raised(exc))
        except Exception:
            return cloudpickle.dumps(_Raised(RuntimeError(traceback.format_exc())))
    return cloudpickle.dumps(value)


_ADDRESS = re.compile(r"^(\w+://)?\S+:\d+$")  # tcp://host:port (the scheme is optional)


def _options(what: str, options: Any) -> dict:
    if options is not None and not isinstance(options, dict):
        raise UserTypeError(f"DaskExecutor: {what} must be a dict of keyword arguments, not "
                        f"{options!r}")
    return dict(options or {})


def is_executor(obj: Any) -> bool:
    """Whether ``obj`` has the members the scheduling loop uses."""
    methods = ("start", "submit", "wait", "result", "cancel")
    return all(callable(getattr(obj, m, None)) for m in methods) and isinstance(
        getattr(obj, "remote", None), bool)

