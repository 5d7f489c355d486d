"""LocalDaskExecutor (a pool in the kernel) and DaskExecutor (a dask.distributed cluster).

Both take the arguments Prefect 1's executors of these names take that matter to a flowbook
run. dask is imported only when a ``DaskExecutor`` starts.

>>> LocalDaskExecutor(num_workers=4)
LocalDaskExecutor(scheduler='threads', num_workers=4)
>>> LocalDaskExecutor("sync").scheduler
'synchronous'
"""

from __future__ import annotations

import importlib
import os
import re
import itertools
import queue
import time
import uuid
from contextlib import contextmanager
from typing import Any, Callable, Collection, Iterator

from flowbook.errors import (
    UserConnectionError, UserRuntimeError, UserTypeError, UserValueError,
)
from flowbook.executors.base import Done, Executor
from flowbook.executors.pickled import call_pickled, pack, unpack
from flowbook.executors.pools import PROCESS, ProcessPool, ThreadPool

__all__ = ["LocalDaskExecutor", "DaskExecutor"]

# Each spelling of a dask local scheduler -> the one flowbook keeps.
SCHEDULERS = {"threads": "threads", "threading": "threads",
              "processes": "processes", "multiprocessing": "processes",
              "synchronous": "synchronous", "sync": "synchronous",
              "single-threaded": "synchronous"}

class LocalDaskExecutor(Executor):
    """Runs tasks concurrently on a pool in the kernel: threads, processes, or none.

    ``scheduler="threads"`` (the default): ``num_workers`` threads (default: the number of
    CPUs, as dask's) run the task runs the scheduling loop submits as soon as their upstream
    tasks finish; suits tasks that wait on I/O or release the GIL. ``"processes"``: as many
    worker processes, each task run sent there by pickle (cloudpickle), its states sent back.
    ``"synchronous"`` (or ``"sync"``): one after another in the calling thread, like
    ``LocalExecutor``. dask's other spellings (``"threading"``, ``"multiprocessing"``,
    ``"single-threaded"``) are understood too.
    """

    def __init__(self, scheduler: str = "threads", num_workers: int | None = None,
                 **dask_config: Any):
        if dask_config:
            raise UserTypeError(f"LocalDaskExecutor: {sorted(dask_config)} would be dask "
                                "settings, which flowbook does not use (it runs tasks on its "
                                "own pool); give only scheduler= and num_workers=")
        spelled = scheduler.lower() if isinstance(scheduler, str) else scheduler
        if spelled not in SCHEDULERS:
            raise UserValueError(f"LocalDaskExecutor(scheduler={scheduler!r}) is not a "
                                 f"scheduler; use one of {sorted(SCHEDULERS)}, or "
                                 "DaskExecutor() for a dask.distributed cluster")
        if num_workers is not None and (not isinstance(num_workers, int) or num_workers < 1):
            raise UserValueError(f"LocalDaskExecutor: num_workers must be an int >= 1, not "
                                 f"{num_workers!r}")
        self.scheduler = SCHEDULERS[spelled]  # "threads", "processes" or "synchronous"
        self.num_workers = num_workers  # pool size; None: the number of CPUs
        self._pool: ThreadPool | ProcessPool | None = None  # while started with a pool

    @property
    def remote(self) -> bool:
        """Whether calls run in other processes (and travel by pickle)."""
        return self.scheduler == "processes"

    @contextmanager
    def start(self) -> Iterator["LocalDaskExecutor"]:
        if self.scheduler == "synchronous":
            yield self
            return
        if self._pool is not None:
            raise UserRuntimeError(f"{self!r} is already running a flow; give each flow that "
                                   "runs at the same time an executor of its own")
        size = self.num_workers or os.cpu_count() or 1
        self._pool = ThreadPool(size) if self.scheduler == "threads" else ProcessPool(size)
        clean = False
        try:
            yield self
            clean = True
        finally:
            self._pool.close(clean)
            self._pool = None

    def submit(self, fn: Callable, *args: Any, name: str = "") -> Any:
        if self.scheduler == "synchronous":
            return Done(fn(*args))
        if self._pool is None:
            raise RuntimeError("LocalDaskExecutor.submit() was called outside start(); "
                               "use `with executor.start(): ...`")
        if self.scheduler == "processes":
            return self._pool.submit(call_pickled, pack(fn, args, PROCESS))
        return self._pool.submit(fn, args)

    def wait(self, handles: Collection) -> list:
        # Each call is reported once; the loop always waits on every call it submitted.
        return list(handles) if self._pool is None else self._pool.finished_calls()

    def post(self, message: Any) -> None:
        """Hand ``message`` from a task run on a pool thread to the loop in ``wait()``."""
        if not isinstance(self._pool, ThreadPool):
            raise RuntimeError("LocalDaskExecutor.post() was called outside start(), or "
                               "without threads")
        self._pool.post(message)

    def cancel(self, handles: Collection) -> list:
        if self._pool is None:
            return list(handles)
        if isinstance(self._pool, ProcessPool):
            dropped = {id(h) for h in self._pool.drop_waiting(list(handles))}
        else:
            dropped = {id(call) for call in self._pool.drop_waiting()}
        return [handle for handle in handles if id(handle) not in dropped]

    def __repr__(self) -> str:
        return f"LocalDaskExecutor(scheduler={self.scheduler!r}, num_workers={self.num_workers})"


class DaskExecutor(Executor):
    """Runs tasks on a dask.distributed cluster, through dask's own client and futures.

    With ``address`` (``"tcp://127.0.0.1:8786"``, or the ``inproc://`` address of a cluster
    in this process, what ``Client(processes=False)`` makes) it connects to that scheduler.
    Without, each run starts a ``cluster_class`` (the class, or its dotted name; default
    ``distributed.LocalCluster`` on 127.0.0.1, its dashboard on a free port, its logs quiet
    unless ``debug=True``; ``cluster_kwargs`` passed on, ``adapt_kwargs`` to ``cluster.adapt``)
    and closes it at the end. ``client_kwargs`` go to ``distributed.Client``. Task runs,
    their arguments and results travel by pickle (cloudpickle) even to workers in this
    process, so define tasks in the notebook or in a module the workers can import.
    """

    remote = True  # calls travel by pickle to the workers
    chains = True  # submit_after: a call runs on the cluster after others, on their outcomes

    def __init__(self, address: str | None = None, cluster_class: Callable | str | None = None,
                 cluster_kwargs: dict | None = None, adapt_kwargs: dict | None = None,
                 client_kwargs: dict | None = None, debug: bool = False):
        if address is not None and (cluster_class is not None or cluster_kwargs):
            raise UserValueError("DaskExecutor: give either address (an existing scheduler) or "
                                 "cluster_class/cluster_kwargs (a cluster to start), not both")
        if address is not None and not _ADDRESS.match(str(address)):
            raise UserValueError(f"DaskExecutor: {address!r} is not a scheduler address; give "
                                 "one like 'tcp://127.0.0.1:8786' (what `dask scheduler` "
                                 "prints) or a client's `client.scheduler.address`")
        _check_cluster_class(cluster_class)
        self.address = address  # the scheduler to connect to; None: start a cluster per run
        self.cluster_class = cluster_class  # the cluster to start (None: LocalCluster)
        self.cluster_kwargs = _options("cluster_kwargs", cluster_kwargs)
        self.adapt_kwargs = _options("adapt_kwargs", adapt_kwargs)
        self.client_kwargs = _options("client_kwargs", client_kwargs)
        self.debug = bool(debug)  # a LocalCluster started here logs its warnings
        if address is not None:  # an unreachable address fails in seconds, not dask's 30
            self.client_kwargs.setdefault("timeout", 10)
        self.client: Any = None  # the distributed.Client, while started
        self._finished: Any = None  # while started: a queue of the futures that finished
        self._calls: dict = {}  # a submitted future's key -> its DaskCall, until it finishes
        self._keys: Any = None  # while started: a unique hex per call (its Dask key's end)

    @contextmanager
    def start(self) -> Iterator["DaskExecutor"]:
        try:
            from distributed import Client
        except ImportError as exc:
            raise ImportError("DaskExecutor needs dask.distributed: pip install "
                              "'flowbook[dask]' (or 'dask[distributed]')") from exc
        if self.client is not None:
            raise UserRuntimeError(f"{self!r} is already running a flow; give each flow that "
                                   "runs at the same time an executor of its own")
        cluster = self._start_cluster() if self.address is None else None
        try:
            self.client = self._connect(Client, cluster)
            # One random prefix per start, then a count: a key no run on the cluster had
            prefix = uuid.uuid4().hex
            self._keys = (f"{prefix}{n:x}" for n in itertools.count())
            self._finished = queue.SimpleQueue()
            yield self
        finally:
            if self.client is not None:
                self.client.close()
            if cluster is not None:
                cluster.close()
            self.client, self._finished, self._calls, self._keys = None, None, {}, None

    def _start_cluster(self) -> Any:
        from distributed import LocalCluster

        cluster_class = _cluster_class(self.cluster_class) or LocalCluster
        options = dict(self.cluster_kwargs)
        if cluster_class is LocalCluster:  # only this machine may connect
            options.setdefault("dashboard_address", "127.0.0.1:0")  # (any free port)
            if options.get("processes", True):  # (without processes it needs no network)
                options.setdefault("host", "127.0.0.1")
            options.setdefault("silence_logs", "WARNING" if self.debug else "CRITICAL")
        cluster = cluster_class(**options)
        if self.adapt_kwargs:
            cluster.adapt(**self.adapt_kwargs)
        return cluster

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

    def submit(self, fn: Callable, *args: Any, name: str = "") -> Any:
        return self.submit_after((), fn, *args, name=name)

    def submit_after(self, after: Collection, fn: Callable, *args: Any, name: str = "") -> Any:
        """Submit ``fn(*args, *outcomes)`` to run after the calls of ``after`` (DaskCalls):
        their futures are its arguments, so Dask runs it where and when they finished."""
        if self.client is None:
            raise RuntimeError("DaskExecutor.submit() was called outside start(); "
                               "use `with executor.start(): ...`")
        payload = pack(fn, args, _WORKER)
        # A fresh key for every call: equal arguments must not reuse an earlier result.
        label = re.sub(r"[^\w.]+", "_", name) or "task"
        future = self.client.submit(call_pickled, payload, *[call.future for call in after],
                                    key=f"{label}-{next(self._keys)}", pure=False)
        call = self._calls[future.key] = DaskCall(future)
        future.add_done_callback(self._finished.put)
        return call

    def wait(self, handles: Collection) -> list:
        """The calls that finished, their outcomes fetched in one request: those finished
        within BATCH seconds of the first (less once nothing else runs). One request per
        call would cost the scheduler and the workers about as much as running it."""
        if not self._calls:
            raise RuntimeError("DaskExecutor.wait(): no call is in flight")
        futures = [self._next_finished(None)]
        deadline = time.monotonic() + BATCH
        while len(futures) < len(self._calls):  # others still run: they may finish soon
            future = self._next_finished(deadline - time.monotonic())
            if future is None:
                break
            futures.append(future)
        calls = [self._calls.pop(f.key) for f in futures]
        _fetch(self.client, calls)
        return calls

    def _next_finished(self, seconds: float | None) -> Any:
        """The next future to finish (None: none within ``seconds``; None waits on). Waits
        in short steps, so that a KeyboardInterrupt is taken at once."""
        while seconds is None or seconds > 0:
            step = 0.1 if seconds is None else min(seconds, 0.1)
            try:
                return self._finished.get(timeout=step)
            except queue.Empty:
                if seconds is not None:
                    seconds -= step
        return None

    def cancel(self, handles: Collection) -> list:
        # Dask cannot say whether a pending future has started on a worker: all may have.
        # A body already running on a worker finishes there; its result is released.
        if self.client is not None and handles:
            self.client.cancel([call.future for call in handles])
        return list(handles)

    def __repr__(self) -> str:
        where = f"address={self.address!r}" if self.address else "a LocalCluster per run"
        return f"DaskExecutor({where})"


class DaskCall:
    """One call submitted to a DaskExecutor; answers for its outcome once ``wait()`` gave
    it back. ``key`` is its Dask key: the task's name, a dash, a unique hex."""

    __slots__ = ("future", "outcome")

    def __init__(self, future: Any):
        self.future = future  # the distributed.Future of call_pickled(payload)
        self.outcome: Any = _PENDING  # what it sent back (bytes), or _Lost

    @property
    def key(self) -> str:
        return self.future.key

    def result(self) -> Any:
        """What the call returned, unpacked; NotDelivered if it could not run or return."""
        from flowbook.engine.remote import NotDelivered

        outcome = self.outcome
        if outcome is _PENDING:
            raise RuntimeError(f"the Dask call {self.key!r} has not been given back by "
                               "DaskExecutor.wait() yet; wait for it first")
        if isinstance(outcome, _Lost):
            raise NotDelivered("could not finish on the Dask cluster", outcome.error)
        return unpack(outcome, _WORKER)

    def __repr__(self) -> str:
        return f"<DaskCall {self.key}>"


class _Lost:
    """The outcome of a call that erred on the cluster (a lost worker, a call after one that
    erred) or was cancelled."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException):
        self.error = error


def _fetch(client: Any, calls: list) -> None:
    """Set each finished call's outcome, fetching them from the workers in one request."""
    done = [call for call in calls if call.future.status == "finished"]
    for call in calls:
        if call.future.status != "finished":
            call.outcome = _Lost(_error_of(call.future))
    if not done:
        return
    try:
        values = client.gather([call.future for call in done])
    except Exception:  # one erred or was cancelled since: ask each alone
        values = []
        for call in done:
            try:
                values.append(call.future.result())
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt):
                    raise
                values.append(_Lost(exc))
    for call, value in zip(done, values):
        call.outcome = value


def _error_of(future: Any) -> BaseException:
    try:
        return future.exception() or RuntimeError(f"the Dask future is {future.status}")
    except BaseException as exc:  # it was cancelled: what future.exception() raises says so
        if isinstance(exc, KeyboardInterrupt):
            raise
        return exc


_PENDING = object()  # a DaskCall's outcome before wait() gave it back
BATCH = 0.02  # seconds DaskExecutor.wait() waits for more calls to finish after the first
_WORKER = "Dask worker"  # where a DaskExecutor runs a call, in words
# tcp://host:port (the scheme is optional), or inproc://host/pid/n (a cluster in this process)
_ADDRESS = re.compile(r"^((\w+://)?\S+:\d+|inproc://\S+)$")


def _check_cluster_class(cluster_class: Any) -> None:
    if cluster_class is None or callable(cluster_class):
        return
    if not isinstance(cluster_class, str) or "." not in cluster_class.strip("."):
        raise UserTypeError(f"DaskExecutor: cluster_class must be a cluster class such as "
                            f"distributed.LocalCluster, or its dotted name "
                            f"'distributed.LocalCluster', not {cluster_class!r}")


def _cluster_class(cluster_class: Any) -> Any:
    """``cluster_class``, imported if given by its dotted name."""
    if not isinstance(cluster_class, str):
        return cluster_class
    module, _, name = cluster_class.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise UserValueError(f"DaskExecutor: cluster_class {cluster_class!r} cannot be "
                             f"imported ({exc}); install its package or check the name") from exc


def _options(what: str, options: Any) -> dict:
    if options is not None and not isinstance(options, dict):
        raise UserTypeError(f"DaskExecutor: {what} must be a dict of keyword arguments, not "
                            f"{options!r}")
    return dict(options or {})
