"""A flow's SVG laid out once by ``dot`` and recoloured for each redraw without ``dot``.

``dot`` is the slow part of drawing; colours are the only thing that changes while a flow
runs. ``ColourableSvg`` cuts the laid-out SVG into fixed text and holes (a node's fill, its
label's colour, a mapped task's bar of children) and fills the holes on every ``render``.
Node titles are rewritten to the exact unique names, escaped.
"""

from __future__ import annotations

import html
import re

from flowbook.widget.palette import text_colour

__all__ = ["ColourableSvg"]

_NODE = re.compile(r'<g id="fb(\d+)" class="node">(.*?)</g>', re.DOTALL)
_TITLE = re.compile(r"<title>.*?</title>", re.DOTALL)
_FIRST_FILL = re.compile(r'fill="[^"]*"')
_TEXT = re.compile(r"<text ([^>]*)>")
_TEXT_FILL = re.compile(r'\s*fill="[^"]*"')
_POINTS = re.compile(r'points="([^"]*)"')
_COMMENT = re.compile(r"<!--.*?-->\n?", re.DOTALL)

BAR_HEIGHT = 5.0  # points; the children's bar at the bottom of a mapped task's box
BAR_MARGIN = 4.0  # points between the bar and the box's border


class ColourableSvg:
    """The SVG of one graph shape with holes for colours.

    ``names[i]`` is the unique name of the node drawn with ``id="fb<i>"``.
    """

    def __init__(self, svg: str, names: list):
        self.names = list(names)  # unique task names, by node index
        self._pieces: list = []  # fixed str, or (kind, node index) for a hole
        self._bars: dict = {}  # node index -> (x, y, width) of a mapped task's bar
        svg = _COMMENT.sub("", svg[svg.index("<svg"):])
        done = 0
        for match in _NODE.finditer(svg):
            self._pieces.append(svg[done:match.start(2)])
            self._cut_node(int(match.group(1)), match.group(2))
            done = match.end(2)
        self._pieces.append(svg[done:])

    def _cut_node(self, index: int, body: str) -> None:
        body = _TITLE.sub(lambda m: f"<title>{html.escape(self.names[index])}</title>", body, 1)
        fill = _FIRST_FILL.search(body)
        if fill is None:  # not drawn filled: nothing to recolour
            self._pieces.append(body)
            return
        points = _POINTS.search(body, fill.end())
        if points is not None and body.startswith("<polygon", body.rfind("<", 0, fill.start())):
            self._bars[index] = _bar_box(points.group(1))
        self._pieces += [body[:fill.start()], ("fill", index)]
        rest, done = body[fill.end():], 0
        for i, text in enumerate(_TEXT.finditer(rest)):
            if i == 0:
                self._pieces += [rest[done:text.start()], ("bar", index)]
                done = text.start()
            attrs = _TEXT_FILL.sub("", text.group(1))
            self._pieces += [rest[done:text.start()] + f"<text {attrs} ", ("text", index), ">"]
            done = text.end()
        self._pieces.append(rest[done:])

    def render(self, fills: list, bars: dict | None = None) -> str:
        """The SVG with node ``i`` filled with ``fills[i]``; ``bars`` maps a node index to
        ``[(colour, fraction), ...]`` for the bar of a mapped task's children."""
        bars = bars or {}
        out = []
        for piece in self._pieces:
            if piece.__class__ is str:
                out.append(piece)
                continue
            kind, index = piece
            if kind == "fill":
                out.append(f'fill="{fills[index]}"')
            elif kind == "text":
                out.append(f'fill="{text_colour(fills[index])}"')
            elif index in bars and index in self._bars:
                out.append(_bar(self._bars[index], bars[index]))
        return "".join(out)


def _bar_box(points: str) -> tuple:
    """``(x, y, width)`` of the bar inside a box given by its polygon points."""
    xs, ys = [], []
    for pair in points.split():
        x, y = pair.split(",")
        xs.append(float(x))
        ys.append(float(y))
    left, right, bottom = min(xs) + BAR_MARGIN, max(xs) - BAR_MARGIN, max(ys) - BAR_MARGIN
    return left, bottom - BAR_HEIGHT, max(right - left, 0.0)


def _bar(box: tuple, parts: list) -> str:
    x, y, width = box
    rects = []
    for colour, fraction in parts:
        w = width * fraction
        rects.append(f'<rect x="{x:.2f}" y="{y:.2f}" width="{w:.2f}" height="{BAR_HEIGHT:g}" '
                     f'fill="{colour}" stroke="none"/>')
        x += w
    return f'<g class="flowbook-children">{"".join(rects)}</g>\n'
