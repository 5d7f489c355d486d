"""Result caching across runs in this process (``cache_for``), and the cache validators.

A validator ``(cached_state, inputs, parameters) -> bool`` says whether a Cached state may be
reused; the default, ``duration_only``, checks only its expiration.
"""

from __future__ import annotations

import threading
from typing import Any

from flowbook.engine import clock

__all__ = ["duration_only", "all_inputs", "all_parameters", "never_use", "partial_inputs_only",
           "partial_parameters_only", "store", "candidates", "clear"]

_STORE: dict = {}  # cache key (task.cache_key or task.name) -> [Cached states], oldest first
_LOCK = threading.Lock()


def never_use(state: Any, inputs: dict, parameters: dict) -> bool:
    return False


def duration_only(state: Any, inputs: dict, parameters: dict) -> bool:
    expiration = state.cached_result_expiration
    return expiration is None or expiration > clock.current().now()


def all_inputs(state: Any, inputs: dict, parameters: dict) -> bool:
    return duration_only(state, inputs, parameters) and state.cached_inputs == inputs


def all_parameters(state: Any, inputs: dict, parameters: dict) -> bool:
    return duration_only(state, inputs, parameters) and state.cached_parameters == parameters


def partial_inputs_only(validate_on: list | None = None):
    """A validator comparing only the inputs named in ``validate_on``."""

    def validator(state: Any, inputs: dict, parameters: dict) -> bool:
        cached = state.cached_inputs or {}
        return duration_only(state, inputs, parameters) and all(
            cached.get(k) == inputs.get(k) for k in validate_on or ())

    return validator


def partial_parameters_only(validate_on: list | None = None):
    """A validator comparing only the parameters named in ``validate_on``."""

    def validator(state: Any, inputs: dict, parameters: dict) -> bool:
        cached = state.cached_parameters or {}
        return duration_only(state, inputs, parameters) and all(
            cached.get(k) == (parameters or {}).get(k) for k in validate_on or ())

    return validator


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
