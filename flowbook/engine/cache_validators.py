"""Cache validators: whether a Cached state of an earlier run may stand for a task now.

A validator ``(cached_state, inputs, parameters) -> bool`` says whether a Cached state may be
reused; the default, ``duration_only``, checks only its expiration. As in Prefect 1's
``prefect.engine.cache_validators``.
"""

from __future__ import annotations

from typing import Any

from flowbook.engine import clock

__all__ = ["duration_only", "all_inputs", "all_parameters", "never_use", "partial_inputs_only",
           "partial_parameters_only"]


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
