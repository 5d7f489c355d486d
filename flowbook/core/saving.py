"""A flow saved to a file and loaded back (``Flow.save`` / ``Flow.load``), with cloudpickle.

What is saved is the flow as built (``Flow.__getstate__``): its tasks, edges, constants, reference
tasks and options, not its runs or the listeners of its events. By default a flow goes to
``~/.flowbook/flows/<its name as a slug>.flowbook``, and ``Flow.load`` takes that name.

>>> flow_slug("I aM a-test!")
'i-am-a-test'
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from flowbook.errors import UserValueError

__all__ = ["save", "load", "flow_slug", "default_path"]

SUFFIX = ".flowbook"


def flow_slug(name: str) -> str:
    """``name`` in lower case, each run of other characters than letters and digits a ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def default_path(name: str) -> Path:
    """Where a flow named ``name`` is saved when no path is given."""
    return Path(os.path.expanduser("~")) / ".flowbook" / "flows" / f"{flow_slug(name)}{SUFFIX}"


def save(flow: Any, path: Any = None) -> str:
    """Write ``flow`` (as built, without its runs) to ``path``; returns the path written."""
    import cloudpickle

    if path is None:
        path = default_path(flow.name)
        path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        out.write(cloudpickle.dumps(flow))  # Flow.__getstate__ leaves its runs out
    return str(path)


def load(where: Any) -> Any:
    """The flow saved at ``where``: a file path, or the name (or slug) a flow was saved
    under by default."""
    import cloudpickle

    path = Path(where)
    if not path.is_absolute() and not path.exists():
        path = default_path(str(where))
    if not path.exists():
        raise UserValueError(f"no saved flow at {str(where)!r} (looked for {str(path)!r}); "
                             "save one with flow.save() or give the file's path")
    with open(path, "rb") as f:
        return cloudpickle.loads(f.read())
