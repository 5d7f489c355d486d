"""Serializers: how a ``Result`` turns a value into bytes and back (prefect.engine.serializers).

>>> JSONSerializer().deserialize(JSONSerializer().serialize({"a": [1, 2]}))
{'a': [1, 2]}
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["Serializer", "PickleSerializer", "JSONSerializer"]


class Serializer:
    """Turns a value into bytes (``serialize``) and bytes into a value (``deserialize``)."""

    def serialize(self, value: Any) -> bytes:
        raise NotImplementedError(f"{type(self).__name__} does not define serialize()")

    def deserialize(self, value: bytes) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define deserialize()")

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    __hash__ = object.__hash__


class PickleSerializer(Serializer):
    """cloudpickle (so lambdas and notebook classes travel too); any pickle reads it back."""

    def serialize(self, value: Any) -> bytes:
        import cloudpickle  # only where results are written: import flowbook stays light

        return cloudpickle.dumps(value)

    def deserialize(self, value: bytes) -> Any:
        import pickle

        return pickle.loads(value)


class JSONSerializer(Serializer):
    """JSON text, for values a person may read (``PrefectResult``)."""

    def serialize(self, value: Any) -> bytes:
        return json.dumps(value).encode()

    def deserialize(self, value: bytes) -> Any:
        return json.loads(value)
