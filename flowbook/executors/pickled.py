"""Calls that travel by pickle to another process and their outcomes coming back.

``pack`` turns a call into bytes in the kernel (cloudpickle, so notebook functions travel
by value); ``call_pickled`` runs it where it arrives and pickles what it returns; ``unpack``
turns that back into the value in the kernel. Whatever cannot travel becomes
``flowbook.engine.remote.NotDelivered``, saying where (``worker``: "Dask worker",
"worker process").
"""

from __future__ import annotations

import pickle
import traceback
from typing import Any, Callable

__all__ = ["pack", "call_pickled", "unpack"]


class _Unloadable:
    """What a worker sends back when a call it was sent cannot be unpickled there."""

    def __init__(self, error: str):
        self.error = error  # repr() of what unpickling raised


class _Raised:
    """What a worker sends back when the call itself raised (a bug in flowbook: task runs
    turn their bodies' errors into states); the kernel raises it again."""

    def __init__(self, error: BaseException):
        self.error = error  # what the call raised, or a RuntimeError with its text


def pack(fn: Callable, args: tuple, worker: str) -> bytes:
    """``(fn, args)`` as bytes; NotDelivered (sending) when pickle refuses them."""
    import cloudpickle

    from flowbook.engine.remote import NotDelivered

    try:
        return cloudpickle.dumps((fn, args))
    except Exception as exc:
        raise NotDelivered(f"could not be sent to the {worker}", exc, sending=True) from exc


def call_pickled(payload: bytes, *after: bytes) -> bytes:
    """On a worker: unpickle ``(fn, args)``, call it and pickle what it returns. ``after``:
    what earlier calls sent back (a chained call, ``Executor.submit_after``), given to ``fn``
    after ``args`` as their values (a ``_Raised`` or ``_Unloadable`` where there is none)."""
    import cloudpickle

    try:
        fn, args = pickle.loads(payload)
    except Exception as exc:
        return cloudpickle.dumps(_Unloadable(repr(exc)))
    try:
        value = fn(*args, *map(_loaded, after)) if after else fn(*args)
    except Exception as exc:
        try:
            return cloudpickle.dumps(_Raised(exc))
        except Exception:
            return cloudpickle.dumps(_Raised(RuntimeError(traceback.format_exc())))
    return cloudpickle.dumps(value)


def _loaded(outcome: bytes) -> Any:
    """What an earlier call sent back, loaded here (its _Raised or _Unloadable as they are)."""
    try:
        return pickle.loads(outcome)
    except Exception as exc:
        return _Unloadable(repr(exc))


def unpack(outcome: bytes, worker: str) -> Any:
    """The value ``call_pickled`` sent back; raises what the call raised, or NotDelivered."""
    from flowbook.engine.remote import NotDelivered

    try:
        value = pickle.loads(outcome)
    except Exception as exc:
        raise NotDelivered(f"ran on a {worker}, but what it sent back cannot be loaded "
                           "in the kernel", exc) from exc
    if isinstance(value, _Raised):
        raise value.error
    if isinstance(value, _Unloadable):
        raise NotDelivered(f"could not be loaded on the {worker} (the workers must be "
                           "able to import the modules the task uses)",
                           RuntimeError(value.error))
    return value
