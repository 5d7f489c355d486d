"""Collection tasks: ``List``, ``Tuple``, ``Set``, ``Dict`` gather task results (Prefect 1).

A list, tuple, set or dict passed to a task and holding tasks becomes one of these (see
``wrapping.as_task``); they can also be bound by hand, ``List().bind(a, b, flow=flow)``.
"""

from __future__ import annotations

from typing import Any, Iterable

from flowbook.core.task import Task

__all__ = ["VarArgsTask", "List", "Tuple", "Set", "Dict"]


def _position(item: tuple) -> int:
    return int(item[0].rpartition("_")[2])


class VarArgsTask(Task):
    """A task bound with positional arguments, which become its inputs ``arg_1``, ``arg_2``...
    (Prefect 1's names)."""

    def bind(self, *args: Any, upstream_tasks: Iterable | None = None, mapped: bool = False,
             flow: Any = None) -> Task:
        items = {f"arg_{i}": value for i, value in enumerate(args, start=1)}
        return super().bind(upstream_tasks=upstream_tasks, mapped=mapped, flow=flow, **items)

    def _in_order(self, items: dict) -> list:
        # Sorted by number, not by name: arg_10 comes after arg_9.
        return [value for _, value in sorted(items.items(), key=_position)]


class List(VarArgsTask):
    """Gathers its inputs into a list."""

    def run(self, **items: Any) -> list:
        return self._in_order(items)


class Tuple(VarArgsTask):
    """Gathers its inputs into a tuple."""

    def run(self, **items: Any) -> tuple:
        return tuple(self._in_order(items))


class Set(VarArgsTask):
    """Gathers its inputs into a set."""

    def run(self, **items: Any) -> set:
        return set(items.values())


class Dict(Task):
    """Builds a dict from its ``keys`` and ``values`` inputs, two lists of one length."""

    def run(self, keys: Iterable, values: Iterable) -> dict:
        keys, values = list(keys), list(values)
        if len(keys) != len(values):
            raise ValueError(f"task {self.name!r}: {len(keys)} keys but {len(values)} values; "
                             "give one value per key")
        return dict(zip(keys, values))
