"""What task runs sent to another process (a Dask worker) share, pickled once per run.

Every task run of a flow run carries the run's context and parameters, and the children of
a mapped task carry the same task (its function pickled by value when it was defined in a
notebook). The kernel pickles each once per run (``packed``, kept in the run's ``Setting``)
and sends the bytes with every task run; a process loads the same bytes once (``unpacked``)
and its task runs share what it loaded, which they only read.
"""

from __future__ import annotations

import pickle
import threading
from collections import OrderedDict
from typing import Any

__all__ = ["packed", "unpacked"]

KEEP = 64  # loaded values a process keeps (a run's context and parameters, its tasks)
_loaded: OrderedDict = OrderedDict()  # bytes -> the value loaded from them, newest last
_lock = threading.Lock()  # a worker may run task runs on several threads


def packed(cache: dict, key: Any, value: Any) -> bytes:
    """``value`` pickled (cloudpickle, as Dask does), once per ``key`` of ``cache``."""
    found = cache.get(key)
    if found is None:
        import cloudpickle  # only when a run sends its task runs away

        found = cache[key] = cloudpickle.dumps(value)
    return found


def unpacked(data: bytes) -> Any:
    """What ``packed`` pickled into ``data``, loaded once in this process."""
    with _lock:
        found = _loaded.get(data, _lock)
        if found is not _lock:
            _loaded.move_to_end(data)
            return found
    value = pickle.loads(data)
    with _lock:
        _loaded[data] = value
        while len(_loaded) > KEEP:
            _loaded.popitem(last=False)
    return value
