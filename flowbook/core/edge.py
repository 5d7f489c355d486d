"""Edges between tasks, and the ``unmapped`` / ``mapped`` / ``flatten`` annotations on arguments."""

from __future__ import annotations

import keyword
from dataclasses import dataclass
from typing import Any

from flowbook.core.task import Task  # noqa: F401 - Prefect 1 code imports Task from here too
from flowbook.errors import UserValueError

__all__ = ["Edge", "EdgeAnnotation", "unmapped", "mapped", "flatten"]


@dataclass(frozen=True, slots=True)
class Edge:
    """``upstream_task`` runs before ``downstream_task``; with a ``key`` it feeds that argument."""

    upstream_task: Any  # the Task whose state (and, with a key, result) flows along the edge
    downstream_task: Any  # the Task that waits for it
    key: str | None = None  # the argument name it fills, or None for a state-only edge
    mapped: bool = False  # the downstream task runs once per element of the upstream result
    flattened: bool = False  # the upstream result (a list of lists) is flattened first

    def __post_init__(self) -> None:
        for end in ("upstream_task", "downstream_task"):
            value = getattr(self, end)
            if isinstance(value, EdgeAnnotation):  # Edge(mapped(t), u): the flags, then the task
                for flag, on in value.annotations.items():
                    object.__setattr__(self, flag, on)
                object.__setattr__(self, end, value.value)
        if self.upstream_task is self.downstream_task:
            name = getattr(self.upstream_task, "name", self.upstream_task)
            raise UserValueError(f"Edges can not connect a task to itself ({name!r}): a task "
                                 "cannot run before itself")
        if self.key is not None and not (isinstance(self.key, str) and self.key.isidentifier()
                                         and not keyword.iskeyword(self.key)):
            raise UserValueError(f"edge key {self.key!r} (into task "
                                 f"{self.downstream_task.name!r}) must be a valid identifier: "
                                 "the name of an argument of the task's run()")

    @property
    def tasks(self) -> set:
        """Both ends of the edge."""
        return {self.upstream_task, self.downstream_task}

    def __repr__(self) -> str:
        key = f" ({self.key})" if self.key else ""
        return f"<Edge{key}: {self.upstream_task.name} -> {self.downstream_task.name}>"


class EdgeAnnotation:
    """Wraps an argument to say how the edge it creates behaves. Annotations nest, the outer
    one winning: ``mapped(flatten(x))`` is mapped and flattened."""

    annotations: dict = {}

    def __init__(self, value: Any):
        if isinstance(value, EdgeAnnotation):
            self.annotations = {**value.annotations, **type(self).annotations}
            value = value.value
        self.value = value


class unmapped(EdgeAnnotation):
    """Pass this argument whole to every mapped child: ``t.map(xs, unmapped(config))``."""

    annotations = {"mapped": False}


class mapped(EdgeAnnotation):
    """Map over this argument even in a plain call."""

    annotations = {"mapped": True}


class flatten(EdgeAnnotation):
    """Flatten a list of lists (or a mapped task's list results) before mapping over it."""

    annotations = {"flattened": True}
