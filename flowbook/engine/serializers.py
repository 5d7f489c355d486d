"""Serializers: how a ``Result`` turns a value into bytes and back (prefect.engine.serializers).

>>> JSONSerializer().deserialize(JSONSerializer().serialize({"a": [1, 2]}))
{'a': [1, 2]}
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["Serializer", "PickleSerializer", "JSONSerializer", "PandasSerializer"]


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
        import base64
        import binascii
        import pickle

        try:
            return pickle.loads(value)
        except Exception as error:
            try:  # Prefect 1's older results kept base64 text of the pickle
                return pickle.loads(base64.b64decode(value, validate=True))
            except (binascii.Error, pickle.UnpicklingError, ValueError):
                raise error from None  # not base64 either: the pickle's own error says why


class JSONSerializer(Serializer):
    """JSON text, for values a person may read (``PrefectResult``)."""

    def serialize(self, value: Any) -> bytes:
        return json.dumps(value).encode()

    def deserialize(self, value: bytes) -> Any:
        return json.loads(value)


class PandasSerializer(Serializer):
    """A pandas DataFrame as a file of ``file_type`` ("csv", "json", "parquet", ...: any
    format with both ``pandas.read_<type>`` and ``DataFrame.to_<type>``); the kwargs go to
    those two functions. Needs pandas, imported when used."""

    def __init__(self, file_type: str, deserialize_kwargs: dict | None = None,
                 serialize_kwargs: dict | None = None):
        pd = _pandas()
        if not (hasattr(pd, f"read_{file_type}") and hasattr(pd.DataFrame, f"to_{file_type}")):
            raise ValueError(f"PandasSerializer: pandas cannot both read and write "
                             f"file_type {file_type!r}; use e.g. 'csv', 'json' or 'parquet'")
        self.file_type = file_type  # the pandas format name, e.g. "csv"
        self.deserialize_kwargs = deserialize_kwargs or {}  # given to pandas.read_<type>
        self.serialize_kwargs = serialize_kwargs or {}  # given to DataFrame.to_<type>

    def serialize(self, value: Any) -> bytes:
        import io

        buffer = io.BytesIO()
        getattr(value, f"to_{self.file_type}")(buffer, **self.serialize_kwargs)
        return buffer.getvalue()

    def deserialize(self, value: bytes) -> Any:
        import io

        read = getattr(_pandas(), f"read_{self.file_type}")
        return read(io.BytesIO(value), **self.deserialize_kwargs)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    __hash__ = object.__hash__


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as error:
        raise ImportError("PandasSerializer needs pandas: pip install pandas") from error
    return pandas
