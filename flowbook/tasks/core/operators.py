"""Operator tasks: what ``a + b``, ``a > b``, ``a.is_equal(b)``, ``a[k]`` make (as in Prefect 1).

Each applies one Python operator to its inputs ``x`` and ``y`` (``x`` alone for ``Not``).
``Task``'s operator methods bind them in the flow being built, so inside ``with Flow(...)``,
``total = a + b`` is a task ``Add`` below ``a`` and ``b``. ``==`` and ``!=`` stay Python's
identity comparisons (tasks are kept in sets and dicts); use ``a.is_equal(b)`` and
``a.is_not_equal(b)``.

>>> Add().run(2, 3), LessThan().run(2, 3), And().run(0, 5), Not().run([])
(5, True, 0, True)
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from flowbook.core.task import GetItem, Task

__all__ = [
    "GetItem", "GetAttr", "Add", "Sub", "Mul", "Div", "FloorDiv", "Pow", "Mod", "And", "Or",
    "Not", "Equal", "NotEqual", "GreaterThan", "GreaterThanOrEqual", "LessThan",
    "LessThanOrEqual",
]


_NO_DEFAULT = object()  # GetAttr without a default: a missing attribute fails the task


class GetAttr(Task):
    """``x.attr`` (a dotted path such as ``"a.b"`` too) of its input's result; with a
    ``default`` (given here or to the call), that instead of an AttributeError."""

    def __init__(self, default: Any = _NO_DEFAULT, **kwargs: Any):
        self.default = default
        super().__init__(**kwargs)

    def run(self, task_result: Any, attr: str, default: Any = _NO_DEFAULT) -> Any:
        default = self.default if default is _NO_DEFAULT else default
        try:
            return attrgetter(attr)(task_result)
        except AttributeError:
            if default is _NO_DEFAULT:
                raise
            return default


class Add(Task):
    """``x + y``"""

    def run(self, x: Any, y: Any) -> Any:
        return x + y


class Sub(Task):
    """``x - y``"""

    def run(self, x: Any, y: Any) -> Any:
        return x - y


class Mul(Task):
    """``x * y``"""

    def run(self, x: Any, y: Any) -> Any:
        return x * y


class Div(Task):
    """``x / y``"""

    def run(self, x: Any, y: Any) -> Any:
        return x / y


class FloorDiv(Task):
    """``x // y``"""

    def run(self, x: Any, y: Any) -> Any:
        return x // y


class Pow(Task):
    """``x ** y``"""

    def run(self, x: Any, y: Any) -> Any:
        return x**y


class Mod(Task):
    """``x % y``"""

    def run(self, x: Any, y: Any) -> Any:
        return x % y


class And(Task):
    """``x and y`` (what ``a & b`` makes: Python's ``and``, not a bitwise and)."""

    def run(self, x: Any, y: Any) -> Any:
        return x and y


class Or(Task):
    """``x or y`` (what ``a.or_(b)`` makes; ``a | b`` is an edge, as in Prefect 1)."""

    def run(self, x: Any, y: Any) -> Any:
        return x or y


class Not(Task):
    """``not x``"""

    def run(self, x: Any) -> bool:
        return not x


class Equal(Task):
    """``x == y``"""

    def run(self, x: Any, y: Any) -> Any:
        return x == y


class NotEqual(Task):
    """``x != y``"""

    def run(self, x: Any, y: Any) -> Any:
        return x != y


class GreaterThan(Task):
    """``x > y``"""

    def run(self, x: Any, y: Any) -> Any:
        return x > y


class GreaterThanOrEqual(Task):
    """``x >= y``"""

    def run(self, x: Any, y: Any) -> Any:
        return x >= y


class LessThan(Task):
    """``x < y``"""

    def run(self, x: Any, y: Any) -> Any:
        return x < y


class LessThanOrEqual(Task):
    """``x <= y``"""

    def run(self, x: Any, y: Any) -> Any:
        return x <= y
