"""Edges between tasks, and the ``unmapped`` / ``mapped`` / ``flatten`` annotations on arguments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flowbook.core.task import Task  # noqa: F401 - Prefect 1 code imports Task from here too

__all__ = ["Edge", "EdgeAnnotation", "unmapped", "mapped", "flatten"]


@dataclass(frozen=True, slots=True)
class Edge:
    """``upstream_task`` runs before ``downstream_task``; with a ``key`` it feeds that argument."""

    upstream_task: Any  # the Task whose state (and, with a key, result) flows along the edge
    downstream_task: Any  # the Task that waits for it
    key: str | None = None  # the argument name it fills, or None for a state-only edge
    mapped: bool = False  # the downstream task runs once per element of the upstream result
    flattened: bool = False  # the upstream result (a list of lists) is flattened first

    def __repr__(self) -> str:
        key = f" ({self.key})" if self.key else ""
        return f"<Edge{key}: {self.upstream_task.name} -> {self.downstream_task.name}>"


class EdgeAnnotation:
    """Wraps an argument to say how the edge it creates behaves."""

    annotations: dict = {}

    def __init__(self, value: Any):
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
