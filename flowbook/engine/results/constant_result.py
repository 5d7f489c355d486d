"""``ConstantResult``: a value held in memory, stored nowhere (a constant input's result)."""

from __future__ import annotations

from typing import Any

from flowbook.engine.result import Result

__all__ = ["ConstantResult"]


class ConstantResult(Result):
    """A value that needs no storage: ``read`` gives it back, ``write`` is refused."""

    def __init__(self, **kwargs: Any):
        if "serializer" in kwargs:
            raise ValueError("a ConstantResult stores nothing, so it takes no serializer")
        super().__init__(**kwargs)

    def read(self, location: str) -> Result:
        return self

    def write(self, value_: Any, **kwargs: Any) -> Result:
        raise ValueError("a ConstantResult cannot be written; use LocalResult to store values")

    def exists(self, location: str, **kwargs: Any) -> bool:
        return True
