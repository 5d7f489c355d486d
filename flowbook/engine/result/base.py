"""The base ``Result``: a value with where it is kept, and ``NoResult``, no value at all.

A ``Result`` subclass stores values somewhere (``flowbook.engine.results``: ``LocalResult``
files, ``PrefectResult`` JSON kept in the location itself) through ``write``, ``read`` and
``exists``; ``location`` is a template (``"{task_name}-{today}.pkl"``) or a function of the
same keywords, filled in by ``format(**kwargs)``. States hold one: ``state._result`` is the
Result, ``state.result`` its value. As in Prefect 1's ``prefect.engine.result``.

>>> r = Result(3, location="{task_name}.txt")
>>> r.format(task_name="load").location, r.from_value(4)
('load.txt', <Result: 4>)
"""

from __future__ import annotations

import copy
import datetime
import logging
import uuid
import warnings
from typing import Any, Callable

__all__ = ["Result", "NoResult", "NoResultType", "ResultNotImplementedError", "checked"]


class ResultNotImplementedError(NotImplementedError):
    """This Result class cannot store values (the base ``Result`` only holds one)."""


class Result:
    """A value and where it is (or will be) stored.

    ``location`` is a str template or a callable ``(**kwargs) -> str``; ``serializer``
    (``flowbook.engine.serializers``) turns values into bytes, cloudpickle by default;
    ``validators`` are functions ``Result -> bool`` that ``validate()`` asks.
    """

    def __init__(self, value: Any = None, location: str | Callable | None = None,
                 serializer: Any = None, validators: list | None = None,
                 run_validators: bool = True):
        from flowbook.engine.serializers import PickleSerializer

        self.value = value  # the value held (None also when nothing was read yet)
        self.validators = validators  # functions Result -> bool; None: nothing to check
        self.run_validators = run_validators  # whether a run should call validate()
        self.serializer = PickleSerializer() if serializer is None else serializer
        if location is None or isinstance(location, str):
            self.location = location  # a template until format() fills it in
            self._formatter = None
        else:
            self.location = None
            self._formatter = location  # a callable (**kwargs) -> location

    def __eq__(self, other: Any) -> bool:
        if type(self) is not type(other):
            return False
        public = [k for k in {**vars(self), **vars(other)} if not k.startswith("_")]
        try:
            return all(bool(getattr(self, k, None) == getattr(other, k, None)) for k in public)
        except Exception:  # values whose == is not a bool (arrays, frames)
            return False

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.value!r}>"

    def validate(self) -> bool:
        """Whether every one of ``validators`` accepts this Result (True when there are
        none); a validator's exception propagates."""
        if not self.run_validators:
            logging.getLogger("flowbook.Result").warning(
                "validate() was called on a %s made with run_validators=False; its "
                "validators run all the same", type(self).__name__)
        return all(check(self) for check in self.validators or ())

    def copy(self) -> "Result":
        """A shallow copy (the value is shared)."""
        return copy.copy(self)

    def from_value(self, value: Any) -> "Result":
        """A copy holding ``value``, stored nowhere yet (``location`` None)."""
        new = self.copy()
        new.location = None
        new.value = value
        return new

    def at(self, target: str | Callable) -> "Result":
        """A copy whose location is ``target`` (a task's ``target=``: template or callable)."""
        new = self.copy()
        if isinstance(target, str):
            new.location, new._formatter = target, None
        else:
            new.location, new._formatter = None, target
        return new

    @property
    def default_location(self) -> str:
        """Where a value goes when no location was given: a new name each time."""
        today = datetime.datetime.now(datetime.timezone.utc)
        return f"{today:%Y/%m/%d}/{uuid.uuid4()}.prefect_result"

    def format(self, **kwargs: Any) -> "Result":
        """A copy whose location is the template filled with ``kwargs`` (or the callable's
        answer, or ``default_location`` when there is neither)."""
        new = self.copy()
        if isinstance(new.location, str):
            new.location = new.location.format(**kwargs)
        elif new._formatter is not None:
            new.location = new._formatter(**kwargs)
        else:
            new.location = new.default_location
        return new

    def unformatted_location(self, **kwargs: Any) -> str:
        """The location before ``format``: the template, or the function's answer to
        ``kwargs``, or a default location when there is neither."""
        if isinstance(self.location, str):
            return self.location
        if self._formatter is not None:
            return self._formatter(**kwargs)
        return self.default_location

    def exists(self, location: str, **kwargs: Any) -> bool:
        """Whether a value is stored at ``location`` (a template filled with ``kwargs``)."""
        raise self._cannot("exists")

    def read(self, location: str) -> "Result":
        """A copy holding the value stored at ``location``."""
        raise self._cannot("read")

    def write(self, value_: Any, **kwargs: Any) -> "Result":
        """Store ``value_`` at the location filled with ``kwargs``; a copy holding both."""
        raise self._cannot("write")

    def _cannot(self, what: str) -> ResultNotImplementedError:
        return ResultNotImplementedError(
            f"{type(self).__name__} cannot {what} stored values; use a Result that stores "
            "them, e.g. flowbook.engine.results.LocalResult(dir='results')")


class NoResultType(Result):
    """The absence of a result: what a state that produced nothing holds (``NoResult``)."""

    def __repr__(self) -> str:
        return "<No result>"

    def __str__(self) -> str:
        return "NoResult"


NoResult = NoResultType()


def checked(result: Any, target: Any, owner: str) -> Any:
    """The ``result`` option of ``owner`` ("task 'load'", "flow 'etl'"), pointed at its
    ``target`` when it has both (the target wins over the result's own location, with a
    warning when they differ)."""
    from flowbook.errors import UserTypeError

    if result is not None and not isinstance(result, Result):
        raise UserTypeError(f"{owner}: result must be a Result, not {result!r}; use "
                            "e.g. flowbook.engine.results.LocalResult(dir='results')")
    if target is not None and not (isinstance(target, str) or callable(target)):
        raise UserTypeError(f"{owner}: target must be a str template or a function "
                            f"of the formatting keywords, not {target!r}")
    if result is None or not target:
        return result
    if result.location is not None and result.location != target:
        warnings.warn(f"{owner}: both its result's location ({result.location!r}) and "
                      f"a target ({target!r}) were given; the target is used", UserWarning,
                      stacklevel=4)
    return result.at(target)
