"""``PrefectResult``: a JSON value kept in the location string itself (no file anywhere).

>>> PrefectResult().write({"rows": 3}).location
'{"rows": 3}'
"""

from __future__ import annotations

from typing import Any

from flowbook.engine.result import Result
from flowbook.engine.serializers import JSONSerializer

__all__ = ["PrefectResult"]


class PrefectResult(Result):
    """Small JSON values (a parameter's, say): ``location`` is the JSON text."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("serializer", JSONSerializer())
        if not isinstance(kwargs["serializer"], JSONSerializer):
            raise TypeError(f"PrefectResult keeps JSON text, so it takes a JSONSerializer, "
                            f"not {kwargs['serializer']!r}; use LocalResult for other values")
        super().__init__(**kwargs)

    def read(self, location: str) -> Result:
        new = self.copy()
        new.value = self.serializer.deserialize(location.encode())
        new.location = location
        return new

    def write(self, value_: Any, **kwargs: Any) -> Result:
        new = self.copy()
        new.value = value_
        new.location = self.serializer.serialize(value_).decode()
        return new

    def exists(self, location: str, **kwargs: Any) -> bool:
        """Whether ``location`` is JSON text (the value is the location itself)."""
        if not isinstance(location, str):
            return False
        try:
            self.serializer.deserialize(location.encode())
        except ValueError:
            return False
        return True
