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

    The ``{task: slug}`` dict (``flow.slugs``) is made when first read, and kept up to date
    from then on; until then a task added costs two list places: the task, and the prefix its
    slug was numbered under (its name, the same string, when it has no tags) or the slug it
    was given. A run reads none of them, and a 100,000-task flow's slugs were 150 bytes per
    task (issue 16). What was taken when is known all the same: the numbers each prefix has
    reached and the slugs given, which is what refusing a slug given twice needs.

    >>> from flowbook import Task
    >>> slugs = Slugs("demo")
    >>> [slugs.add(Task("add")) for _ in range(2)]
    ['add-1', 'add-2']
    """

    def __init__(self, flow_name: str):
        self.flow_name = flow_name
        self._of: dict | None = None  # Task -> its slug, once read (self.of)
        self._taken: set = set()  # the slugs in self._of; before it is made, those given
        self._counters: dict = {}  # "name-tag" prefix -> the next number to try
        self._tasks: list | None = []  # until self._of is made: the tasks in the order added
        self._keys: list | None = []  # and for each, its prefix, or its _Given slug

    @property
    def of(self) -> dict:
        """Task -> its slug; the flow shows this dict as ``flow.slugs``."""
        if self._of is None:
            self._make()
        return self._of

    def add(self, task: Any) -> str:
        """Give ``task`` its slug and return it."""
        given = task.slug
        if given:
            if given in self._taken or (self._of is None and self._numbered(given)):
                raise UserValueError(f'A task with the slug "{given}" already exists in '
                                     f"this flow. Flow {self.flow_name!r}: give task "
                                     f"{task.name!r} another slug (or name, for a parameter)")
            self._taken.add(given)
            if self._of is None:
                self._tasks.append(task)
                self._keys.append(_Given(given))
            else:
                self._of[task] = given
            return given
        prefix = "-".join([task.name, *sorted(task.tags)]) if task.tags else task.name
        slug = self._number(prefix)
        if self._of is None:
            self._tasks.append(task)
            self._keys.append(prefix)
        else:
            self._of[task] = slug
            self._taken.add(slug)
        return slug

    def _number(self, prefix: str) -> str:
        """The next slug of ``prefix``, counted on."""
        number = self._counters.get(prefix, 1)
        while f"{prefix}-{number}" in self._taken:
            number += 1
        self._counters[prefix] = number + 1
        return f"{prefix}-{number}"

    def _numbered(self, slug: str) -> bool:
        """Whether ``slug`` is one of the numbered slugs given so far (before self._of is
        made, no task has left: every number of a prefix below its counter is taken)."""
        prefix, _, number = slug.rpartition("-")
        return (number.isascii() and number.isdigit() and number[0] != "0"
                and int(number) < self._counters.get(prefix, 1))

    def _make(self) -> None:
        """Make self._of, numbering the tasks again in the order they were added."""
        tasks, keys = self._tasks, self._keys
        self._of, self._taken, self._counters = {}, set(), {}
        self._tasks = self._keys = None
        for task, key in zip(tasks, keys):
            if type(key) is _Given:
                slug = key.slug
            else:
                slug = self._number(key)
            self._of[task] = slug
            self._taken.add(slug)

    def remove(self, task: Any) -> None:
        of = self.of  # made first: it makes self._taken anew
        self._taken.discard(of.pop(task, None))

    def copy(self) -> "Slugs":
        new = Slugs(self.flow_name)
        new._taken, new._counters = set(self._taken), dict(self._counters)
        if self._of is None:
            new._tasks, new._keys = list(self._tasks), list(self._keys)
        else:
            new._of, new._tasks, new._keys = dict(self._of), None, None
        return new

    def __setstate__(self, state: dict) -> None:
        if "of" in state:  # pickled by an earlier flowbook, with the dict made
            state = {"flow_name": state["flow_name"], "_of": state["of"],
                     "_taken": state["_taken"], "_counters": state["_counters"],
                     "_tasks": None, "_keys": None}
        self.__dict__.update(state)


class _Given:
    """A slug a task was given (``task.slug``), in ``Slugs._keys``."""

    __slots__ = ("slug",)

    def __init__(self, slug: str):
        self.slug = slug

    def __reduce__(self) -> tuple:
        return _Given, (self.slug,)
