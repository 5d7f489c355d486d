"""Edges between tasks, and the ``unmapped`` / ``mapped`` / ``flatten`` annotations on arguments."""

from __future__ import annotations

import keyword
from dataclasses import FrozenInstanceError
from typing import Any

from flowbook.core.task import Task  # noqa: F401 - Prefect 1 code imports Task from here too
from flowbook.errors import UserValueError

__all__ = ["Edge", "EdgeAnnotation", "unmapped", "mapped", "flatten"]


class Edge:
    """``upstream_task`` runs before ``downstream_task``; with a ``key`` it feeds that argument.

    Frozen (FrozenInstanceError on assignment), equal and hashed by its five values. Four
    slots (the two flags are bits of one): 64 bytes, one per edge of a flow (issue 16).
    """

    __slots__ = ("upstream_task", "downstream_task", "key", "_flags")
    __match_args__ = ("upstream_task", "downstream_task", "key", "mapped", "flattened")

    upstream_task: Any  # the Task whose state (and, with a key, result) flows along the edge
    downstream_task: Any  # the Task that waits for it
    key: str | None  # the argument name it fills, or None for a state-only edge

    def __init__(self, upstream_task: Any, downstream_task: Any, key: str | None = None,
                 mapped: bool = False, flattened: bool = False):
        # Edge(mapped(t), u): the flags of an annotation on either end, then its task
        if isinstance(upstream_task, EdgeAnnotation):
            mapped, flattened = _flags(upstream_task, mapped, flattened)
            upstream_task = upstream_task.value
        if isinstance(downstream_task, EdgeAnnotation):
            mapped, flattened = _flags(downstream_task, mapped, flattened)
            downstream_task = downstream_task.value
        if upstream_task is downstream_task:
            name = getattr(upstream_task, "name", upstream_task)
            raise UserValueError(f"Edges can not connect a task to itself ({name!r}): a task "
                                 "cannot run before itself")
        if key is not None and not (isinstance(key, str) and key.isidentifier()
                                    and not keyword.iskeyword(key)):
            raise UserValueError(f"edge key {key!r} (into task "
                                 f"{downstream_task.name!r}) must be a valid identifier: "
                                 "the name of an argument of the task's run()")
        _set_up(self, upstream_task)
        _set_down(self, downstream_task)
        _set_key(self, key)
        _set_flags(self, (1 if mapped else 0) | (2 if flattened else 0))

    @property
    def mapped(self) -> bool:
        """The downstream task runs once per element of the upstream result."""
        return bool(self._flags & 1)

    @property
    def flattened(self) -> bool:
        """The upstream result (a list of lists) is flattened first."""
        return bool(self._flags & 2)

    @property
    def tasks(self) -> set:
        """Both ends of the edge."""
        return {self.upstream_task, self.downstream_task}

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return (self.upstream_task is other.upstream_task
                or self.upstream_task == other.upstream_task) and (
            self.downstream_task is other.downstream_task
            or self.downstream_task == other.downstream_task) and (
            self.key == other.key and self._flags == other._flags)

    def __hash__(self) -> int:
        return hash((self.upstream_task, self.downstream_task, self.key, self._flags))

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple:
        return Edge, (self.upstream_task, self.downstream_task, self.key, self.mapped,
                      self.flattened)

    def __repr__(self) -> str:
        key = f" ({self.key})" if self.key else ""
        return f"<Edge{key}: {self.upstream_task.name} -> {self.downstream_task.name}>"


_set_up = Edge.upstream_task.__set__  # type: ignore[attr-defined]
_set_down = Edge.downstream_task.__set__  # type: ignore[attr-defined]
_set_key = Edge.key.__set__  # type: ignore[attr-defined]
_set_flags = Edge._flags.__set__  # type: ignore[attr-defined]


def _flags(annotation: "EdgeAnnotation", mapped: bool, flattened: bool) -> tuple:
    """``(mapped, flattened)`` as ``annotation`` sets them."""
    flags = annotation.annotations
    return flags.get("mapped", mapped), flags.get("flattened", flattened)


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
