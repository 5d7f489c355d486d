"""Loggers of the ``flowbook`` tree, and how their records are shown.

``get_logger()`` is the ``flowbook`` logger; ``get_logger("load")`` its child
``flowbook.load``, which is what ``task.logger`` and, inside a task run,
``flowbook.context.get("logger")`` are (``flowbook.load[3]`` for a mapped child). As in
Prefect 1, the ``flowbook`` logger shows records of level INFO and above, one line each, and
they propagate to the root logger as usual. A record emitted while a task body runs is also
kept with that task run (``engine.capture``: ``TaskOutput.log``), and the widget's task panel
shows it next to what the body printed.

>>> get_logger("load").name
'flowbook.load'
"""

from __future__ import annotations

import logging

__all__ = ["ROOT", "FORMAT", "get_logger"]

ROOT = "flowbook"  # the name of the logger every flowbook logger descends from
FORMAT = "[%(asctime)s] %(levelname)s - %(name)s | %(message)s"  # Prefect 1's, one line


def get_logger(name: str | None = None) -> logging.Logger:
    """The ``flowbook`` logger, or its child ``flowbook.<name>``."""
    full = f"{ROOT}.{name}" if name else ROOT
    # Made once, then found without logging's module lock (a task run asks for its logger)
    found = _EXISTING.get(full)
    return found if type(found) is logging.Logger else logging.getLogger(full)


_EXISTING = logging.Logger.manager.loggerDict  # name -> Logger (or a PlaceHolder)


def _configure() -> None:
    """Show and keep the tree's records: INFO and above unless the user chose a level."""
    from flowbook.engine.capture import LogKeeper

    root = logging.getLogger(ROOT)
    if root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    if not any(isinstance(h, LogKeeper) for h in root.handlers):
        keeper = LogKeeper()
        keeper.setFormatter(logging.Formatter(FORMAT, "%Y-%m-%d %H:%M:%S%z"))
        root.addHandler(keeper)


_configure()
