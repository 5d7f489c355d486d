"""State colours (the Prefect 1 palette of SEMANTICS.md) and how to read text on them.

>>> from flowbook.engine.state import Success, TimedOut
>>> colour_of(Success()), colour_of(TimedOut()), colour_of(None)
('#28a745', '#ff4e33', '#e0e0e0')
"""

from __future__ import annotations

from collections import Counter
from typing import Any

__all__ = [
    "COLOURS", "NOT_RUN", "NOT_RUN_NAME", "colour_of", "state_name", "text_colour", "shares",
]

COLOURS = {  # state class name -> fill colour; a subclass not listed takes its parent's
    "Pending": "#7ebdff",
    "Scheduled": "#ffab00",
    "Paused": "#99a8e8",
    "Resume": "#f58c0c",
    "Retrying": "#f66a0a",
    "Running": "#3d67ff",
    "Success": "#28a745",
    "Cached": "#34d058",
    "Mapped": "#003ccb",
    "Skipped": "#62757f",
    "Looped": "#003ccb",
    "Cancelled": "#bdbdbd",
    "Failed": "#eb0000",
    "TimedOut": "#ff4e33",
    "TriggerFailed": "#ff5131",
    "ValidationFailed": "#ff5131",
}
NOT_RUN = "#e0e0e0"  # a task with no state yet in the run shown
NOT_RUN_NAME = "not run"  # how such a task is counted and listed


def colour_of(state: Any) -> str:
    """The fill colour of ``state`` (None: the task has no state yet)."""
    if state is None:
        return NOT_RUN
    for cls in type(state).__mro__:
        colour = COLOURS.get(cls.__name__)
        if colour is not None:
            return colour
    return NOT_RUN


def state_name(state: Any) -> str:
    """``Success``, ``TriggerFailed``, ... or ``not run``."""
    return NOT_RUN_NAME if state is None else type(state).__name__


def text_colour(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (a ``#rrggbb`` colour)."""
    red, green, blue = (int(fill[i:i + 2], 16) / 255 for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue  # ITU-R BT.709
    return "#000000" if luminance > 0.45 else "#ffffff"


def shares(states: list) -> list:
    """``[(colour, fraction), ...]`` of a mapped task's children, one entry per state kind,
    in palette order (so the same mix always draws the same way)."""
    counts = Counter(state_name(s) for s in states)
    rank = {name: i for i, name in enumerate(COLOURS)}
    order = sorted(counts, key=lambda name: rank.get(name, len(rank)))
    colours = {state_name(s): colour_of(s) for s in states}
    return [(colours[name], counts[name] / len(states)) for name in order]
