"""Unique task names: one name per task of a flow, even when several tasks share a name.

The first task with a name keeps it; later ones get ``-2``, ``-3``, ... (skipping names that
are taken). The widget's node titles, its buttons and its selector all use these names.

>>> from flowbook import Flow, task
>>> @task
... def load():
...     return 1
>>> with Flow("two loads") as flow:
...     a, b = load(), load()
>>> sorted(unique_names(flow).values())
['load', 'load-2']
"""

from __future__ import annotations

from typing import Any

from flowbook.errors import UserValueError

__all__ = ["unique_names", "Slugs"]


def unique_names(flow: Any) -> dict:
    """``{Task: unique name}`` for every task of ``flow``, in the flow's insertion order."""
    taken = {t.name for t in flow.tasks}
    names: dict = {}
    seen: set = set()
    next_suffix: dict = {}  # name -> the suffix to try next (keeps many duplicates linear)
    for task in flow.tasks:
        name = task.name
        if name in seen:
            suffix = next_suffix.get(name, 2)
            while f"{name}-{suffix}" in taken:
                suffix += 1
            next_suffix[task.name] = suffix + 1
            name = f"{name}-{suffix}"
            taken.add(name)
        seen.add(name)
        names[task] = name
    return names


class Slugs:
    """A flow's task slugs, as Prefect 1 makes them: a task's own ``slug``, else its name and
    sorted tags with a counter (``add-1``, ``add-tag1-1``), never one already taken.

    >>> from flowbook import Task
    >>> slugs = Slugs("demo")
    >>> [slugs.add(Task("add")) for _ in range(2)]
    ['add-1', 'add-2']
    """

    def __init__(self, flow_name: str):
        self.flow_name = flow_name
        self.of: dict = {}  # Task -> its slug; the flow shows this dict as flow.slugs
        self._taken: set = set()  # the slugs in self.of
        self._counters: dict = {}  # "name-tag" prefix -> the next number to try

    def add(self, task: Any) -> str:
        """Give ``task`` its slug and return it."""
        if task.slug:
            if task.slug in self._taken:
                raise UserValueError(f'A task with the slug "{task.slug}" already exists in '
                                     f"this flow. Flow {self.flow_name!r}: give task "
                                     f"{task.name!r} another slug (or name, for a parameter)")
            slug = task.slug
        else:
            prefix = "-".join([task.name, *sorted(task.tags)])
            number = self._counters.get(prefix, 1)
            while f"{prefix}-{number}" in self._taken:
                number += 1
            self._counters[prefix] = number + 1
            slug = f"{prefix}-{number}"
        self.of[task] = slug
        self._taken.add(slug)
        return slug

    def remove(self, task: Any) -> None:
        self._taken.discard(self.of.pop(task, None))

    def copy(self) -> "Slugs":
        new = Slugs(self.flow_name)
        new.of, new._taken, new._counters = dict(self.of), set(self._taken), dict(self._counters)
        return new
