"""How each state looks: its fill (the Prefect 1 palette of SEMANTICS.md), border and icon.

Colour alone does not tell Failed from TimedOut, nor Mapped from Looped (same fill), so every
state also has a border style and a one-glyph icon (``cue``). Glyphs are ones DejaVu Sans,
Segoe UI Symbol and Apple's fonts all have (no emoji). Text on a fill is black or white,
whichever contrasts more by WCAG 2; lines drawn on the page (edges, borders, edge labels)
are a grey that contrasts with both a white and a black page, since a static picture cannot
follow the notebook's theme.

A *stale* task (code edited in the notebook since it ran, ``notebook.stale``) keeps its
state's look and gets a ring around its shape: a dashed amber outline a few points out
(``stale_cue``), which reads on a white and on a black page alike.

>>> from flowbook.engine.state import Success, TimedOut
>>> colour_of(Success()), colour_of(TimedOut()), colour_of(None)
('#28a745', '#ff4e33', '#e0e0e0')
>>> cue(TimedOut())
{'state': 'TimedOut', 'fill': '#ff4e33', 'text': '#000000', 'border': 'dotted', 'icon': '◷'}
>>> round(contrast(LINE, "#ffffff"), 2), round(contrast(LINE, "#000000"), 2)
(4.54, 4.62)
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable

__all__ = [
    "COLOURS", "BORDER", "ICON", "NOT_RUN", "NOT_RUN_NAME", "LINE", "STALE", "STALE_OUTLINE",
    "STALE_DASH", "STALE_GAP", "STALE_WIDTH", "colour_of", "state_name", "cue", "cue_named",
    "stale_cue", "legend", "palette_order", "text_colour", "text_colour_on", "shares",
    "is_failure", "is_finished", "contrast", "luminance",
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
# Border style per state (solid, dashed, dotted or bold): the four end states that are not
# successes each take a different one, and so do Mapped and Looped.
BORDER = {
    "Pending": "dotted", "Scheduled": "dotted", "Paused": "dashed", "Resume": "dashed",
    "Retrying": "dashed", "Running": "bold", "Success": "solid", "Cached": "solid",
    "Mapped": "solid", "Skipped": "dotted", "Looped": "dashed", "Cancelled": "solid",
    "Failed": "bold", "TimedOut": "dotted", "TriggerFailed": "dashed",
    "ValidationFailed": "bold",
}
ICON = {  # one glyph per state, different for every state
    "Pending": "○", "Scheduled": "…", "Paused": "‖", "Resume": "▷", "Retrying": "↺",
    "Running": "◐", "Success": "✓", "Cached": "≡", "Mapped": "▤", "Skipped": "↷",
    "Looped": "↻", "Cancelled": "∅", "Failed": "✗", "TimedOut": "◷", "TriggerFailed": "⊘",
    "ValidationFailed": "!",
}
NOT_RUN = "#e0e0e0"  # a task with no state yet in the run shown
NOT_RUN_NAME = "not run"  # how such a task is counted and listed
# Edges, edge labels and node borders: >= 4.5:1 against white and against black.
LINE = "#767676"
# A stale task's ring: >= 4:1 against white and against black, unlike any state's fill.
STALE = "stale"  # its name in the legend
STALE_OUTLINE = "#b36b00"
STALE_DASH = "4,2"  # SVG stroke-dasharray, in points
STALE_GAP = 3.5  # points between the shape and its ring
STALE_WIDTH = 1.6  # points
_FAILURES = frozenset({"Failed", "TimedOut", "TriggerFailed", "ValidationFailed"})
_FINISHED = _FAILURES | {"Success", "Cached", "Mapped", "Skipped", "Looped", "Cancelled"}


def _known(state: Any) -> str | None:
    """The nearest class name of ``state``'s class tree that the palette lists."""
    for cls in type(state).__mro__:
        if cls.__name__ in COLOURS:
            return cls.__name__
    return None


def colour_of(state: Any) -> str:
    """The fill colour of ``state`` (None: the task has no state yet)."""
    known = None if state is None else _known(state)
    return NOT_RUN if known is None else COLOURS[known]


def state_name(state: Any) -> str:
    """``Success``, ``TriggerFailed``, ... or ``not run``."""
    return NOT_RUN_NAME if state is None else type(state).__name__


def cue(state: Any) -> dict:
    """How a node in ``state`` looks: ``{"state", "fill", "text", "border", "icon"}`` (a new
    dict each call; None is a task not run yet: grey, solid, no icon)."""
    known = None if state is None else _known(state)
    entry = cue_named(known or NOT_RUN_NAME)
    entry["state"] = state_name(state)
    return entry


def cue_named(name: str) -> dict:
    """``cue`` of a state known only by its class name (``"Failed"``, ``"not run"``); a name
    the palette does not list looks like a task not run."""
    fill = COLOURS.get(name, NOT_RUN)
    return {"state": name, "fill": fill, "text": text_colour(fill),
            "border": BORDER.get(name, "solid"), "icon": ICON.get(name, "")}


def stale_cue(why: str, text: str) -> dict:
    """How a stale task's node is marked: ``{"why", "text", "outline", "dash", "gap",
    "width"}``; ``why`` is ``"edited"``, ``"outdated"`` or ``"below X"``, ``text`` the
    sentence its tooltip and panel show."""
    return {"why": why, "text": text, "outline": STALE_OUTLINE, "dash": STALE_DASH,
            "gap": STALE_GAP, "width": STALE_WIDTH}


def legend(states_on_show: Iterable, stale: bool = False) -> list:
    """``[[state, fill, border, icon], ...]``, one entry per state name in
    ``states_on_show`` (names, repeated or not, in any order), in palette order, "not run" last;
    with ``stale``, then ``["stale", STALE_OUTLINE, "stale", ""]`` (a ring, not a fill).

    >>> legend(["Failed", "Success", "Failed"])
    [['Success', '#28a745', 'solid', '✓'], ['Failed', '#eb0000', 'bold', '✗']]
    """
    names = sorted(set(states_on_show), key=palette_order)
    entries = [[name, c["fill"], c["border"], c["icon"]] for name in names
               for c in (cue_named(name),)]
    return entries + ([[STALE, STALE_OUTLINE, STALE, ""]] if stale else [])


def is_failure(name: str) -> bool:
    """Whether the state class called ``name`` is a failure (Failed or one of its kinds)."""
    return name in _FAILURES or _is_kind(name, "Failed")


def is_finished(name: str) -> bool:
    """Whether the state class called ``name`` is finished (a success, failure, ...)."""
    return name in _FINISHED or _is_kind(name, "Finished")


def _is_kind(name: str, base: str) -> bool:
    from flowbook.engine import state

    cls = getattr(state, name, None)
    return isinstance(cls, type) and issubclass(cls, getattr(state, base))


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a ``#rrggbb`` colour: 0 (black) to 1 (white)."""
    channels = []
    for i in (1, 3, 5):
        c = int(colour[i:i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(one: str, other: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours, from 1 to 21.

    >>> round(contrast("#ffffff", "#000000"), 1)
    21.0
    """
    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_colour(fill: str) -> str:
    """Black or white, whichever contrasts more with ``fill`` (a ``#rrggbb`` colour); the
    better of the two always reaches 4.5:1."""
    return _TEXT.get(fill) or _text_colour(fill)


def text_colour_on(fills: list) -> str:
    """Black or white, whichever reads better on the worst of several ``fills`` (stripes)."""
    if len(set(fills)) == 1:
        return text_colour(fills[0])
    black = min(contrast(fill, "#000000") for fill in fills)
    white = min(contrast(fill, "#ffffff") for fill in fills)
    return "#000000" if black >= white else "#ffffff"


def _text_colour(fill: str) -> str:
    if contrast(fill, "#000000") >= contrast(fill, "#ffffff"):
        return "#000000"
    return "#ffffff"


_TEXT = {fill: _text_colour(fill) for fill in [*COLOURS.values(), NOT_RUN]}


_RANK = {name: i for i, name in enumerate([*COLOURS, NOT_RUN_NAME])}


def palette_order(name: str) -> tuple:
    """Sort key of a state name: palette order, "not run" last, unknown names after it."""
    return (_RANK.get(name, len(_RANK)), name)


def shares(states: list) -> list:
    """``[(colour, fraction), ...]`` of a mapped task's children, one entry per state kind,
    in palette order (so the same mix always draws the same way)."""
    counts = Counter(state_name(s) for s in states)
    order = sorted(counts, key=palette_order)
    colours = {state_name(s): colour_of(s) for s in states}
    return [(colours[name], counts[name] / len(states)) for name in order]
