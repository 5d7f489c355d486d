"""Dict and sequence helpers of Prefect 1's ``prefect.utilities.collections``: ``DotDict``,
``as_nested_dict``, ``merge_dicts``, ``flatten_seq`` and flat (compound-key) dicts.

>>> config = as_nested_dict({"db": {"host": "localhost"}})
>>> config.db.host
'localhost'
>>> merge_dicts({"db": {"host": "a", "port": 1}}, {"db": {"port": 2}})
{'db': {'host': 'a', 'port': 2}}
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any

__all__ = ["DotDict", "GraphQLResult", "as_nested_dict", "merge_dicts", "flatten_seq",
           "CompoundKey", "dict_to_flatdict", "flatdict_to_dict"]


class DotDict(MutableMapping):
    """A dict whose string keys are attributes too: ``d.x`` is ``d["x"]``.

    Keys naming a method of a mapping (``keys``, ``update``, ...) are refused, since the
    attribute would hide the method. Any hashable key works through ``d[key]``.
    """

    __protect_critical_keys__ = True  # refuse keys that would hide a mapping method

    def __init__(self, init_dict: Mapping | None = None, **kwargs: Any):
        if init_dict:
            self.update(init_dict)
        self.update(kwargs)

    def __getitem__(self, key: Any) -> Any:
        return self.__dict__[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        if (self.__protect_critical_keys__ and isinstance(key, str)
                and hasattr(MutableMapping, key)):
            raise ValueError(f"{type(self).__name__} cannot hold the key {key!r}: it would hide "
                             f"the method {key}(); use another key, or a plain dict")
        self.__dict__[key] = value

    __setattr__ = __setitem__

    def __delitem__(self, key: Any) -> None:
        del self.__dict__[key]

    def __iter__(self) -> Iterator:
        return iter(list(self.__dict__))

    def __len__(self) -> int:
        return len(self.__dict__)

    def __repr__(self) -> str:
        if not self.__dict__:
            return f"<{type(self).__name__}>"
        keys = ", ".join(sorted(repr(k) for k in self.__dict__))
        return f"<{type(self).__name__}: {keys}>"

    def copy(self) -> DotDict:
        """A shallow copy, of the same class."""
        return type(self)(self.__dict__.copy())

    def to_dict(self) -> dict:
        """The same data as plain dicts, nested ones (and those in lists) included."""
        return as_nested_dict(self, dict)


class GraphQLResult(DotDict):
    """A DotDict that accepts every key, ``update`` and ``items`` too (a query's result)."""

    __protect_critical_keys__ = False


def as_nested_dict(obj: Any, dct_class: type = DotDict) -> Any:
    """``obj`` with every mapping in it, however deep (in lists, tuples, sets too), made a
    ``dct_class``."""
    if isinstance(obj, (list, tuple, set)):
        return type(obj)(as_nested_dict(item, dct_class) for item in obj)
    if isinstance(obj, Mapping):
        # vars() of a DotDict: its keys may shadow ``items``.
        items = vars(obj).items() if isinstance(obj, DotDict) else obj.items()
        return dct_class({k: as_nested_dict(v, dct_class) for k, v in items})
    return obj


def merge_dicts(d1: MutableMapping, d2: Mapping) -> MutableMapping:
    """A copy of ``d1`` updated with ``d2``, mappings in both merged in turn (``d2`` wins)."""
    merged = d1.copy()
    for key, value in d2.items():
        if isinstance(merged.get(key), MutableMapping) and isinstance(value, MutableMapping):
            merged[key] = merge_dicts(merged[key], value)
        else:
            merged[key] = value
    return merged


def flatten_seq(seq: Iterable) -> Iterator:
    """The items of ``seq`` and of the sequences in it, however deep; strings stay whole."""
    for item in seq:
        if isinstance(item, Iterable) and not isinstance(item, (str, bytes)):
            yield from flatten_seq(item)
        else:
            yield item


class CompoundKey(tuple):
    """The path of keys to a value of a nested dict, as a key of its flat form."""


def dict_to_flatdict(dct: Mapping, parent: CompoundKey | None = None) -> dict:
    """``{1: {2: 3}}`` as ``{CompoundKey((1, 2)): 3}``; an empty mapping stays a value."""
    flat: dict = {}
    for key, value in dct.items():
        path = CompoundKey((*(parent or ()), key))
        if isinstance(value, Mapping) and value:
            flat.update(dict_to_flatdict(value, parent=path))
        else:
            flat[path] = value
    return flat


def flatdict_to_dict(dct: Mapping, dct_class: type | None = None) -> MutableMapping:
    """The nested dict of a flat one (``dict_to_flatdict`` undone), its mappings
    ``dct_class`` (default dict)."""
    make = dct_class or dict
    nested = make()
    for key, value in dct.items():
        if not isinstance(key, CompoundKey):
            nested[key] = value
            continue
        level = nested
        for part in key[:-1]:
            level = level.setdefault(part, make())
        level[key[-1]] = value
    return nested
