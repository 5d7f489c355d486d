"""Cache validators: whether a Cached state of an earlier run may stand for a task now.

A validator ``(cached_state, inputs, parameters) -> bool`` says whether a Cached state may be
reused; the default, ``duration_only``, checks only its expiration. As in Prefect 1's
``prefect.engine.cache_validators``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flowbook.engine import clock
from flowbook.engine.result import Result

__all__ = ["duration_only", "all_inputs", "all_parameters", "never_use", "partial_inputs_only",
           "partial_parameters_only"]


def never_use(state: Any, inputs: dict, parameters: dict) -> bool:
    return False


def duration_only(state: Any, inputs: dict, parameters: dict) -> bool:
    """Valid until the state's ``cached_result_expiration`` (None: forever)."""
    expiration = state.cached_result_expiration
    if isinstance(expiration, datetime):
        if expiration.tzinfo is None:
            expiration = expiration.replace(tzinfo=timezone.utc)
        expiration = expiration.timestamp()
    return expiration is None or expiration > clock.current().now()


def all_inputs(state: Any, inputs: dict, parameters: dict) -> bool:
    """Valid while unexpired and called with the same inputs (or, for a state that kept
    only their ``hashed_inputs``, inputs of the same dask tokens)."""
    if not duration_only(state, inputs, parameters):
        return False
    hashed = getattr(state, "hashed_inputs", None)
    if hashed is not None:
        from dask.base import tokenize  # only for states that kept tokens

        return hashed == {name: tokenize(value) for name, value in (inputs or {}).items()}
    return _values(state.cached_inputs) == inputs


def all_parameters(state: Any, inputs: dict, parameters: dict) -> bool:
    """Valid while unexpired and the flow's parameters are the same."""
    return duration_only(state, inputs, parameters) and state.cached_parameters == parameters


def partial_inputs_only(validate_on: list | None = None):
    """A validator comparing only the inputs named in ``validate_on`` (None: none)."""

    def validator(state: Any, inputs: dict, parameters: dict) -> bool:
        return _agree(state, inputs, parameters, _values(state.cached_inputs), inputs,
                      validate_on)

    return validator


def partial_parameters_only(validate_on: list | None = None):
    """A validator comparing only the parameters named in ``validate_on`` (None: none)."""

    def validator(state: Any, inputs: dict, parameters: dict) -> bool:
        return _agree(state, inputs, parameters, state.cached_parameters, parameters,
                      validate_on)

    return validator


def _agree(state: Any, inputs: dict, parameters: dict, cached: dict | None,
           now: dict | None, names: list | None) -> bool:
    """Unexpired, and ``cached`` and ``now`` agree on each of ``names``."""
    if not duration_only(state, inputs, parameters):
        return False
    if not names:
        return True
    if not cached or now is None:
        return False
    return all(cached.get(name) == now.get(name) for name in names)


def _values(kept: dict | None) -> dict:
    """Cached inputs by name, each Result read as its value (the engine keeps raw values,
    Prefect 1 code Results)."""
    return {name: value.value if isinstance(value, Result) else value
            for name, value in (kept or {}).items()}
