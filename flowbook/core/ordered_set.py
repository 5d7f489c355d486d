"""A set that iterates in insertion order: ``Flow.tasks`` and ``Flow.edges``.

Prefect 1 code treats a flow's tasks and edges as sets (``flow.tasks == {a, b}``,
``flow.edges.pop()``); flowbook's drawings, tables and unique names want them in a stable
order. An ``OrderedSet`` is both: it compares like a set and iterates in the order its
members were added.

>>> s = OrderedSet(["b", "a"])
>>> s.add("c"); list(s), s == {"a", "b", "c"}
(['b', 'a', 'c'], True)
"""

from __future__ import annotations

from collections.abc import MutableSet
from typing import Any, Iterable, Iterator

__all__ = ["OrderedSet"]


class OrderedSet(MutableSet):
    """A mutable set whose iteration order is the order members were first added."""

    __slots__ = ("_members",)

    def __init__(self, members: Iterable = ()):
        self._members: dict = dict.fromkeys(members)  # member -> None, in insertion order

    def __contains__(self, member: Any) -> bool:
        return member in self._members

    def __iter__(self) -> Iterator:
        return iter(self._members)

    def __len__(self) -> int:
        return len(self._members)

    def add(self, member: Any) -> None:
        self._members[member] = None

    def discard(self, member: Any) -> None:
        self._members.pop(member, None)

    def remove(self, member: Any) -> None:
        if member not in self._members:
            raise KeyError(member)
        del self._members[member]

    def copy(self) -> "OrderedSet":
        return OrderedSet(self._members)

    def update(self, *others: Iterable) -> None:
        for other in others:
            self._members.update(dict.fromkeys(other))

    # the named operations of a set, as plain sets (Prefect code calls them on flow.tasks)
    def union(self, *others: Iterable) -> set:
        return set(self._members).union(*others)

    def difference(self, *others: Iterable) -> set:
        return set(self._members).difference(*others)

    def intersection(self, *others: Iterable) -> set:
        return set(self._members).intersection(*others)

    def issubset(self, other: Iterable) -> bool:
        return set(self._members).issubset(other)

    def issuperset(self, other: Iterable) -> bool:
        return set(self._members).issuperset(other)

    def __repr__(self) -> str:
        return "{" + ", ".join(map(repr, self._members)) + "}" if self._members else "set()"

    def __getstate__(self) -> dict:
        return {"members": list(self._members)}

    def __setstate__(self, state: dict) -> None:
        self._members = dict.fromkeys(state["members"])

    # a set is unhashable; so is this one (MutableSet would otherwise inherit object's hash)
    __hash__ = None  # type: ignore[assignment]
