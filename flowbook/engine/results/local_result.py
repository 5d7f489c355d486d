"""``LocalResult``: values kept as files in a folder of this machine (cloudpickle by default).

>>> import tempfile
>>> stored = LocalResult(dir=tempfile.mkdtemp(), location="{name}.pkl").write(42, name="answer")
>>> os.path.basename(stored.location), LocalResult(dir=stored.dir).read("answer.pkl").value
('answer.pkl', 42)
"""

from __future__ import annotations

import datetime
import os
import tempfile
from typing import Any

from flowbook.engine.result import Result

__all__ = ["LocalResult", "default_dir"]


def default_dir() -> str:
    """Where a ``LocalResult()`` without ``dir`` keeps its files: ``~/.flowbook/results``."""
    return os.path.join(os.path.expanduser("~"), ".flowbook", "results")


class LocalResult(Result):
    """Files under ``dir`` (made if missing; ``validate_dir=False`` takes it as given).

    A location is relative to ``dir`` (or absolute); ``write`` replaces a file atomically,
    so a reader never sees half a value. Files are pickles: read only a ``dir`` you trust.
    """

    def __init__(self, dir: Any = None, validate_dir: bool = True, **kwargs: Any):
        folder = default_dir() if dir is None else os.fspath(dir)
        if validate_dir:
            folder = os.path.abspath(os.path.expanduser(folder))
            os.makedirs(folder, exist_ok=True)
        self.dir = folder  # the folder locations are relative to
        super().__init__(**kwargs)

    @property
    def default_location(self) -> str:
        now = datetime.datetime.now(datetime.timezone.utc).isoformat()
        slug = "".join(c if c.isalnum() else "-" for c in now).lower()
        return os.path.join(self.dir, f"prefect-result-{slug}")

    def read(self, location: str) -> Result:
        new = self.copy()
        new.location = location
        with open(os.path.join(self.dir, location), "rb") as file:
            new.value = self.serializer.deserialize(file.read())
        return new

    def write(self, value_: Any, **kwargs: Any) -> Result:
        new = self.format(**kwargs)
        new.value = value_
        path = os.path.join(self.dir, new.location)
        _write_atomically(path, self.serializer.serialize(value_))
        new.location = path
        return new

    def exists(self, location: str, **kwargs: Any) -> bool:
        return os.path.exists(os.path.join(self.dir, location.format(**kwargs)))


def _write_atomically(path: str, data: bytes) -> None:
    """Write to a temporary name beside ``path``, then rename: no half-written file, ever."""
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=os.path.basename(path), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:  # an interrupt too
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
