"""The states a task or a flow run passes through, as a class tree with ``is_*`` predicates.

The tree (and its meaning) follows Prefect 1: ``Skipped``, ``Cached`` and ``Mapped`` are
successes; ``Paused``, ``Resume`` and ``Retrying`` are scheduled, hence pending. Callers ask a
state questions (``state.is_failed()``) rather than comparing class names.

>>> Success("done", result=3)
<Success: "done">
>>> Skipped().is_successful(), Retrying().is_pending()
(True, True)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from time import time as _time
from typing import Any

from flowbook.context import context as _context
from flowbook.engine import clock
from flowbook.engine.result import NoResult, Result

__all__ = [
    "State", "Pending", "Scheduled", "Paused", "Resume", "Retrying", "Running", "Cancelling",
    "Finished", "Looped", "Success", "Cached", "Mapped", "Skipped", "Cancelled", "Failed",
    "TimedOut", "TriggerFailed", "ValidationFailed", "Submitted", "Queued", "ClientFailed",
    "Decision",
]


_NO_RESULT: Any = NoResult  # no result given (a Result given is unwrapped: see State._result)


@dataclass(frozen=True)
class Decision:
    """Why a task was skipped, paused or not run: the rule that decided, as data."""

    trigger: str  # name of the trigger or check that decided, e.g. "all_successful"
    rule: str  # the rule in words, e.g. "needs every upstream task successful"
    upstream: tuple  # ((upstream task name, its State), ...) as the decision saw them
    outcome: str  # what the rule concluded, e.g. "run_job is Failed"


class State:
    """Base of every state: a message, a result and the time it was entered.

    ``context`` holds what the state should carry along (the task's ``tags``, a scheduled
    state's ``task_run_count``); ``cached_inputs`` the inputs a run used, by argument name.
    """

    # ``why``, ``_kept``, ``_carried`` and ``_inputs`` (properties) are what few states
    # carry: kept together in ``_more`` (None when none is), 24 bytes less a state.
    __slots__ = ("message", "result", "has_result", "timestamp", "previous", "_more")

    def __init__(self, message: Any = None, result: Any = _NO_RESULT, *,
                 why: Decision | None = None, context: dict | None = None,
                 cached_inputs: dict | None = None):
        self._fill(message, result, why, context, cached_inputs)
        tags = _context._values.get("task_tags")
        if tags:  # made inside a task: its tags go with the state, as in Prefect 1
            self.context.setdefault("tags", list(tags))

    @classmethod
    def by_engine(cls, message: Any = None, result: Any = _NO_RESULT) -> "State":
        """``cls(message, result)`` as the engine makes it between calls into user code,
        where no task's tags apply: the same state, made without reading
        ``flowbook.context`` (a few times per task run)."""
        state = object.__new__(cls)
        if result is not _NO_RESULT and isinstance(result, Result):
            state._fill(message, result, None, None, None)
            return state
        # _fill's steps for a plain value (twice per task run: the Running and the outcome)
        state.message, state._more, state.previous = message, None, None
        state.result, state.has_result = (None, False) if result is _NO_RESULT else (result, True)
        state.timestamp = _time() if not clock.overridden else clock.now()
        return state

    def _fill(self, message: Any, result: Any, why: Decision | None, context: dict | None,
              cached_inputs: dict | None) -> None:
        self.message = message  # a str (or the exception/signal that caused the state)
        self._more = None
        # ``context`` and ``cached_inputs`` (properties): None until given or asked for, as
        # most states carry neither (two empty dicts per state were 40% of a run's memory)
        if context is not None:
            self._carried = context
        if cached_inputs is not None:
            self._inputs = cached_inputs  # the inputs a run used (values or Results), by name
        if why is not None:
            self.why = why  # the Decision behind a TriggerFailed/Skipped/Paused state
        if result is _NO_RESULT:
            self.result = None  # the return value; the exception for Failed; the signal
            self.has_result = False  # for signals; None when none. False: none produced
        else:
            if isinstance(result, Result):  # the Result the value was read from or written
                self._kept, result = result, result.value  # to (its location)
            self.result, self.has_result = result, True
        # When it was created, in epoch seconds on the run's clock (engine.clock).
        self.timestamp = _time() if not clock.overridden else clock.now()
        self.previous: State | None = None  # the state this one replaced in a run (history)

    def _get(self, key: str) -> Any:
        more = self._more
        return None if more is None else more.get(key)

    def _put(self, key: str, value: Any) -> None:
        more = self._more
        if more is None:
            if value is None:
                return
            self._more = more = {}
        more[key] = value

    why = property(lambda self: self._get("why"), lambda self, value: self._put("why", value),
                   doc="The Decision behind a TriggerFailed/Skipped/Paused state, if any.")
    _kept = property(lambda self: self._get("kept"),
                     lambda self, value: self._put("kept", value))
    _carried = property(lambda self: self._get("carried"),
                        lambda self, value: self._put("carried", value))
    _inputs = property(lambda self: self._get("inputs"),
                       lambda self, value: self._put("inputs", value))

    def __repr__(self) -> str:
        if self.message is None:
            return f"<{type(self).__name__}>"
        return f'<{type(self).__name__}: "{self.message}">'

    def __eq__(self, other: object) -> bool:
        # As in Prefect 1: same class, result and cached inputs; message, context and time
        # do not matter.
        if type(self) is not type(other):
            return False
        return (_same(self.result, other.result)  # type: ignore[attr-defined]
                and _same(self._inputs or None, other._inputs or None))  # type: ignore

    __hash__ = object.__hash__  # identity: two runs' equal states are still two states

    @property
    def context(self) -> dict:
        """What the state carries along (Prefect 1's ``state.context``): the task's ``tags``,
        a scheduled state's ``task_run_count``; ``{}`` when nothing."""
        if self._carried is None:
            self._carried = {}
        return self._carried

    @context.setter
    def context(self, value: dict) -> None:
        self._carried = value

    @property
    def cached_inputs(self) -> dict:
        """The inputs the run used, by argument name (values or Results); ``{}`` when none."""
        if self._inputs is None:
            self._inputs = {}
        return self._inputs

    @cached_inputs.setter
    def cached_inputs(self, value: dict) -> None:
        self._inputs = value

    @property
    def _result(self) -> Result:
        """The result as a ``Result`` (``flowbook.engine.result``), with its location when it
        was stored or read (a checkpoint, a target); ``NoResult`` when nothing produced one."""
        kept = self._kept
        if kept is not None and kept.value is self.result:
            return kept
        return Result(self.result) if self.has_result else NoResult

    @_result.setter
    def _result(self, value: Result) -> None:
        self._kept = value
        self.result, self.has_result = value.value, value is not NoResult

    def _slots(self) -> dict:
        return {name: getattr(self, name) for cls in type(self).__mro__
                for name in getattr(cls, "__slots__", ()) if hasattr(self, name)}

    def __copy__(self) -> "State":
        new = object.__new__(type(self))
        for name, value in self._slots().items():
            object.__setattr__(new, name, value)
        if new._more is not None:
            new._more = dict(new._more)  # its own: a copy's why or context is its own
        return new

    def __getstate__(self) -> tuple:
        # Slots, for pickle; an exception result that cannot be pickled travels as a message
        # saying so (the state still reaches another process, as in Prefect 1).
        slots = self._slots()
        if isinstance(slots.get("result"), BaseException):
            slots["result"] = _picklable_exception(slots["result"])
            if slots.get("_more"):
                slots["_more"] = {k: v for k, v in slots["_more"].items() if k != "kept"}
        return None, slots

    @classmethod
    def children(cls, include_self: bool = False, names_only: bool = False) -> list:
        """Every state class below this one (itself too with ``include_self``), as classes
        or, with ``names_only``, as names."""
        found, todo = [], list(cls.__subclasses__())
        while todo:
            sub = todo.pop()
            if not sub.__name__.startswith("_") and sub not in found:
                found.append(sub)
            todo.extend(sub.__subclasses__())
        found = ([cls] if include_self else []) + found
        return [c.__name__ for c in found] if names_only else found

    @classmethod
    def parents(cls, include_self: bool = False, names_only: bool = False) -> list:
        """The state classes above this one, nearest first (itself too with
        ``include_self``), as classes or, with ``names_only``, as names."""
        found = [c for c in cls.__mro__ if issubclass(c, State) and not c.__name__.startswith("_")
                 and (include_self or c is not cls)]
        return [c.__name__ for c in found] if names_only else found

    def load_result(self, result: Result | None = None) -> "State":
        """Read the value from where it is stored, when the state knows only its location
        (a state from another process or from disk): with ``result``'s ``read`` if given,
        else with its own Result's. A value already there is never read again."""
        own = self._result
        if own.value is None and own.location is not None:
            self._result = (result or own).read(own.location)
        return self

    def load_cached_results(self, results: dict | None = None) -> "State":
        """``load_result`` for each of ``cached_inputs`` that is a Result without a value,
        with the reader of the same name in ``results`` if given."""
        results = results or {}
        for name, kept in list(self.cached_inputs.items()):
            if not isinstance(kept, Result) or kept.value is not None:
                continue
            reader = results.get(name, kept)
            location = kept.location if kept.location is not None else reader.location
            if location is not None:
                self.cached_inputs[name] = reader.read(location)
        return self

    def parts(self) -> tuple | list:
        """The states that make up this one: a mapped task's children, else itself alone."""
        return (self,)

    def is_pending(self) -> bool:
        return isinstance(self, Pending)

    def is_scheduled(self) -> bool:
        return isinstance(self, Scheduled)

    def is_retrying(self) -> bool:
        return isinstance(self, Retrying)

    def is_paused(self) -> bool:
        return isinstance(self, Paused)

    def is_running(self) -> bool:
        return isinstance(self, Running)

    def is_finished(self) -> bool:
        return isinstance(self, Finished)

    def is_successful(self) -> bool:
        return isinstance(self, Success)

    def is_failed(self) -> bool:
        return isinstance(self, Failed)

    def is_skipped(self) -> bool:
        return isinstance(self, Skipped)

    def is_cached(self) -> bool:
        return isinstance(self, Cached)

    def is_mapped(self) -> bool:
        return isinstance(self, Mapped)

    def is_looped(self) -> bool:
        return isinstance(self, Looped)

    def is_cancelled(self) -> bool:
        return isinstance(self, Cancelled)

    def is_meta_state(self) -> bool:
        return isinstance(self, _MetaState)

    def is_submitted(self) -> bool:
        return isinstance(self, Submitted)

    def is_queued(self) -> bool:
        return isinstance(self, Queued)


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # values whose == is not a bool (arrays, frames)
        return a is b


_checking = threading.local()  # .active: a trial pickling is under way in this thread


def _picklable_exception(error: BaseException) -> Any:
    """``error`` itself if it pickles, else a message with its repr and the pickling error.

    A signal holds its state, whose result is the signal: the trial pickling of a state met
    inside another trial is left to that outer one (else each would start another)."""
    import cloudpickle  # only when a state is pickled: import flowbook stays light

    if getattr(_checking, "active", False):
        return error
    _checking.active = True
    try:
        cloudpickle.dumps(error)
    except Exception as problem:
        return (f"The following exception could not be pickled and was cast to a string: "
                f"{error!r}; pickling failed with {problem!r}")
    finally:
        _checking.active = False
    return error


class Pending(State):
    """Waiting for its upstream tasks or for its turn."""

    __slots__ = ()


class Scheduled(Pending):
    """Pending until ``start_time`` (None means: until a person acts).

    ``start_time`` is given as a datetime (naive means UTC) or as seconds since the epoch on
    the run's clock, and read back as a UTC datetime; the engine compares ``start_at``.
    """

    __slots__ = ("start_at", "_given")

    def __init__(self, message=None, result=_NO_RESULT,
                 start_time: datetime | float | None = None, **given):
        super().__init__(message, result, **given)
        self.start_time = self.timestamp if start_time is None else start_time
        run_count = _context.get("task_run_count")
        if run_count is not None:  # carried to the task's next run, as in Prefect 1
            self.context.setdefault("task_run_count", run_count)

    @property
    def start_time(self) -> datetime | None:
        if self.start_at is None:
            return None
        if self._given is not None:
            return self._given
        return datetime.fromtimestamp(self.start_at, timezone.utc)

    @start_time.setter
    def start_time(self, value: datetime | float | None) -> None:
        self._given = None  # the datetime given, returned as it was (None: made from start_at)
        if value is None:
            self.start_at = None  # seconds since the epoch on the run's clock; None: no time
        elif isinstance(value, datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=timezone.utc)
            self._given, self.start_at = value, value.timestamp()
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            self.start_at = float(value)
        else:
            raise TypeError(f"{type(self).__name__}: start_time must be a datetime or seconds "
                            f"since the epoch, not {value!r}")


class Paused(Scheduled):
    """Waiting for a person to approve it (``flow.resume`` or the widget's Resume button)."""

    __slots__ = ()

    def __init__(self, message=None, result=_NO_RESULT, start_time: float | None = None,
                 **given):
        super().__init__(message, result, **given)
        self.start_time = start_time  # None: no automatic resumption


class Resume(Scheduled):
    """A person approved a paused task; its next run passes ``manual_only``."""

    __slots__ = ()


class Retrying(Scheduled):
    """Failed, and will run again at ``start_time``; ``run_count`` runs were made so far.

    A task that failed while looping continues its loop: ``loop_count`` is the iteration to
    resume and ``result`` that iteration's input (``task_loop_result``).
    """

    __slots__ = ("run_count", "loop_count")

    def __init__(self, message=None, result=_NO_RESULT, start_time=None,
                 run_count: int | None = None,
                 loop_count: int | None = None, **given):
        super().__init__(message, result, start_time, **given)
        if run_count is None:  # made inside a task (a RETRY signal): the run's attempt count
            run_count = _context.get("task_run_count", 1)
        self.run_count = run_count  # runs made so far, the failed one included
        self.loop_count = loop_count  # the LOOP iteration to resume, None when not looping


class Running(State):
    """The task's function is being called."""

    __slots__ = ()


class Cancelling(Running):
    """Asked to stop; will end Cancelled."""

    __slots__ = ()


class Finished(State):
    """Done: nothing more will happen to it in this run."""

    __slots__ = ()


class Looped(Finished):
    """The task asked to run again (LOOP signal); ``loop_count`` iterations were made."""

    __slots__ = ("loop_count",)

    def __init__(self, message=None, result=_NO_RESULT, loop_count: int | None = None,
                 **given):
        super().__init__(message, result, **given)
        if loop_count is None:  # made inside a task (a LOOP signal): the run's iteration
            loop_count = _context.get("task_loop_count", 1)
        self.loop_count = loop_count  # iterations made so far, this one included


class Success(Finished):
    """Finished without error; ``result`` is the return value."""

    __slots__ = ()


class Cached(Success):
    """Success reused from a cache; valid until ``cached_result_expiration``."""

    __slots__ = ("cached_parameters", "cached_result_expiration", "hashed_inputs")

    def __init__(self, message=None, result=_NO_RESULT, cached_inputs=None,
                 cached_parameters=None,
                 cached_result_expiration: datetime | float | None = None, *,
                 hashed_inputs: dict | None = None, **given):
        super().__init__(message, result, cached_inputs=cached_inputs, **given)
        self.cached_parameters = cached_parameters  # the flow parameters at that time
        # epoch seconds on the run's clock or a datetime (naive: UTC); None: never expires
        self.cached_result_expiration = cached_result_expiration
        self.hashed_inputs = hashed_inputs  # dask tokens of the inputs, by name, if kept


class Mapped(Success):
    """A mapped task: one child state per element in ``map_states``; ``result`` lists theirs."""

    __slots__ = ("map_states", "n_map_states")

    def __init__(self, message=None, result=_NO_RESULT, map_states: list | None = None,
                 n_map_states: int | None = None, **given):
        super().__init__(message, result, **given)
        self.map_states = [] if map_states is None else map_states  # one State per child
        # how many children the mapped inputs allowed when mapping began
        self.n_map_states = len(self.map_states) if n_map_states is None else n_map_states

    def parts(self) -> list:
        return self.map_states

    def load_result(self, result: Result | None = None) -> "State":
        """Load each child's result (a Mapped state's own Result is never read); ``result``
        then lists the children's."""
        for child in self.map_states:
            if child is not None:
                child.load_result(result)
        if self.map_states:
            self.result = [getattr(child, "result", None) for child in self.map_states]
        return self


class Skipped(Success):
    """Not run on purpose (SKIP signal, an upstream skip or a ``case`` branch not taken)."""

    __slots__ = ()


class Cancelled(Finished):
    """Stopped before it finished; neither a success nor a failure."""

    __slots__ = ()


class Failed(Finished):
    """Finished with an error; ``result`` is the exception."""

    __slots__ = ()


class TimedOut(Failed):
    """Ran longer than the task's ``timeout``."""

    __slots__ = ()


class TriggerFailed(Failed):
    """Not run because its trigger did not pass; never retried."""

    __slots__ = ()


class ValidationFailed(Failed):
    """The task's result did not validate."""

    __slots__ = ()


class _MetaState(State):
    """A state about another one (``state``), from Prefect 1's API backend."""

    __slots__ = ("state",)

    def __init__(self, message=None, result=_NO_RESULT, state: State | None = None, **given):
        super().__init__(message, result, **given)
        # the state this one is about; never itself a meta state (they do not nest)
        self.state = state.state if isinstance(state, _MetaState) else state


class Submitted(_MetaState):
    """Handed to an agent to run (Prefect 1's API backend; flowbook never enters it)."""

    __slots__ = ()


class ClientFailed(_MetaState):
    """The backend refused a state (Prefect 1's API backend; flowbook never enters it)."""

    __slots__ = ()


class Queued(_MetaState):
    """Waiting for a concurrency slot until ``start_time`` (Prefect 1's API backend;
    flowbook never enters it)."""

    __slots__ = ("start_time",)

    def __init__(self, message=None, result=_NO_RESULT, state: State | None = None,
                 start_time: datetime | None = None, **given):
        super().__init__(message, result, state, **given)
        self.start_time = start_time or datetime.fromtimestamp(self.timestamp, timezone.utc)

    def is_scheduled(self) -> bool:
        return True  # it waits for its start_time, as a Scheduled state does


# Each state class's display colour, as Prefect 1.4.1 gives it (``Success.color``): the fill
# of ``flow.visualize(flow_state)``. A subclass not listed takes its parent's.
_COLORS = {
    State: "#696969", Pending: "#7ebdff", Scheduled: "#ffab00", Paused: "#99a8e8",
    Resume: "#f58c0c", Retrying: "#f66a0a", Running: "#3d67ff", Cancelling: "#E8E8E8",
    Finished: "#003ccb", Looped: "#003ccb", Success: "#28a745", Cached: "#34d058",
    Mapped: "#003ccb", Skipped: "#62757f", Cancelled: "#bdbdbd", Failed: "#eb0000",
    TimedOut: "#ff4e33", TriggerFailed: "#ff5131", ValidationFailed: "#ff5131",
    Submitted: "#fff176", Queued: "#fff176", ClientFailed: "#ff5131",
}
for _cls, _color in _COLORS.items():
    _cls.color = _color  # a class attribute: no slot, nothing stored on each state
del _cls, _color
