"""Executors run the calls the scheduling loop submits; they decide nothing themselves.

``LocalExecutor`` (the default) runs them in the loop's thread; ``LocalDaskExecutor`` on a
pool of threads or processes in the kernel; ``DaskExecutor`` on a dask.distributed cluster.
``Executor`` is the base class and the protocol (``flowbook.executors.base``).
"""

from flowbook.executors.base import Executor, is_executor
from flowbook.executors.dask import DaskExecutor, LocalDaskExecutor
from flowbook.executors.local import LocalExecutor
from flowbook.executors.pickled import call_pickled as _call_pickled  # noqa: F401 (old path)

__all__ = ["Executor", "LocalExecutor", "LocalDaskExecutor", "DaskExecutor", "is_executor"]
