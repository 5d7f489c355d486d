"""Result caching across runs in this process (``cache_for``).

Whether a cached state may stand for a task is its validator's call
(``flowbook.engine.cache_validators``); the validators stay importable from here too.
"""

from __future__ import annotations

import threading

from flowbook.engine.cache_validators import (  # noqa: F401 - the names Prefect 1 code imports
    all_inputs, all_parameters, duration_only, never_use, partial_inputs_only,
    partial_parameters_only)

__all__ = ["store", "candidates", "clear"]

_STORE: dict = {}  # cache key (task.cache_key or task.name) -> [Cached states], oldest first
_LOCK = threading.Lock()


def store(key: str, states: list, now: float) -> None:
    """Add a run's Cached states after those kept so far, dropping those expired at ``now``.

    Candidates are tried oldest first, as Prefect 1 does.
    """
    with _LOCK:
        kept = {id(s): s for s in _STORE.get(key, []) + states
                if s.cached_result_expiration is None or s.cached_result_expiration > now}
        _STORE[key] = list(kept.values())


def candidates(key: str) -> list:
    with _LOCK:
        return list(_STORE.get(key, ()))


def clear() -> None:
    """Forget every cached result."""
    with _LOCK:
        _STORE.clear()
