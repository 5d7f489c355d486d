"""One plan of a flow laid out by ``dot``: the SVG a widget recolours, made once per shape.

The live view and the static picture of a widget share one ``Layout``; a flow too big to
draw, or no Graphviz, gives a layout without an SVG that says why (``problem``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flowbook.widget.drawing import DrawingError, draw, render_svg
from flowbook.widget.svg import ColourableSvg

__all__ = ["Layout", "lay_out"]


@dataclass(frozen=True)
class Layout:
    """One plan of the flow laid out by dot."""

    plan: Any = None  # the Plan laid out (None: none yet)
    names: dict = field(default_factory=dict)  # Task -> unique name in that plan
    static: ColourableSvg | None = None  # the layout (None: not drawn, see problem)
    problem: str = ""  # why it is not drawn ("": it is, or there is nothing to draw yet)


def lay_out(plan: Any, most: int) -> Layout:
    """``plan`` laid out by dot, unless it has more than ``most`` tasks (dot would take
    seconds, the SVG megabytes) or cannot be drawn."""
    names = dict(plan.names)
    if len(names) > most:
        return Layout(plan, names, None, (
            f"The flow has {len(names)} tasks; flowbook draws flows of up to "
            f"{most}. The status line and the task panel still work."))
    try:
        svg = render_svg(draw(plan, names=names))
    except DrawingError as exc:
        return Layout(plan, names, None, str(exc))
    return Layout(plan, names, ColourableSvg(svg, list(names.values())))
