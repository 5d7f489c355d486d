"""The live DAG widget: a flow drawn by Graphviz, coloured by state as it runs.

``flowbook.show(flow)`` (or ``flow.widget()``) returns a ``FlowWidget``; ``flow.visualize()``
returns a ``graphviz.Digraph``. Modules: ``palette`` (state colours), ``drawing`` (flow and
states -> Digraph), ``svg`` (recolouring a laid-out SVG), ``tracking`` (following runs from
their events), ``explain`` and ``panel`` (the text shown), ``actions`` (its buttons),
``what_if`` (the What-if mode's simulations), ``staleness`` (tasks older than the
notebook's code), ``flow_widget`` (the ipywidgets view) with ``layout`` (a plan laid out
once), ``picture`` (its static picture) and ``running`` (its actions, in the background).
ipywidgets and graphviz are imported only when a widget or drawing is made.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FlowWidget", "draw"]


def __getattr__(name: str) -> Any:
    if name == "FlowWidget":
        from flowbook.widget.flow_widget import FlowWidget

        return FlowWidget
    if name == "draw":
        from flowbook.widget.drawing import draw

        return draw
    raise AttributeError(f"module 'flowbook.widget' has no attribute {name!r}")
