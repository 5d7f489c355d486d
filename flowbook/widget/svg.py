"""A flow's SVG laid out once by ``dot`` and coloured for each redraw without ``dot``.

``dot`` is the slow part of drawing; how nodes look is the only thing that changes while a
flow runs. ``ColourableSvg`` cuts the laid-out SVG (``drawing.draw`` without states) into
fixed text and holes, and fills the holes on every ``render``.

- ``layout()``: the SVG the live view recolours. Every task is
  ``<g id="fb<i>" class="node"><title>UNIQUE NAME</title><ellipse|polygon fill=... stroke=...>
  <text fill=...>label</text></g>`` with the exact unique name, escaped, as its title; fills
  are grey, borders solid, no icons. Edges are ``<g class="edge">``. No comments, no XML
  prolog: it can be put inline in HTML.
- ``render(nodes)``: the same SVG as a static picture (nbconvert, GitHub, a reopened
  notebook), coloured from the widget's ``nodes`` (unique name -> ``palette.cue`` entry plus
  ``children``). Each node gets its fill, a readable label colour, its border
  (``stroke-dasharray`` / ``stroke-width``), its icon in a badge at its top right
  (``<g class="flowbook-badge">``: a circle in the state's fill holding the glyph), and a
  mapped task a bar of its children's states (``<g class="flowbook-children">``) with a
  count above it (``<text class="flowbook-count">``: "8/100 failed", or "37/100 done"), so
  failures show at a glance without the widget. A stale task (``stale``: a
  ``palette.stale_cue``) gets a dashed ring around its shape (``<g class="flowbook-stale">``).
  Renders 1,000 nodes in a few milliseconds.
"""

from __future__ import annotations

import html
import re
from typing import Mapping

from flowbook.widget.palette import LINE, cue, is_failure, is_finished, text_colour

__all__ = ["ColourableSvg"]

_NODE = re.compile(r'<g id="fb(\d+)" class="node">(.*?)</g>', re.DOTALL)
_TITLE = re.compile(r"<title>.*?</title>", re.DOTALL)
_SHAPE = re.compile(r'<(ellipse|polygon) fill="[^"]*"([^>]*?)/>')  # the node's filled shape
_FILL = re.compile(r'fill="[^"]*"')
_ATTR = re.compile(r'(\w+)="([^"]*)"')
_TEXT = re.compile(r"<text ([^>]*)>")
_TEXT_FILL = re.compile(r'\s*fill="[^"]*"')
_COMMENT = re.compile(r"<!--.*?-->\n?", re.DOTALL)

BORDER = {  # a cue's border -> attributes added to the node's shape
    "solid": "",
    "dashed": ' stroke-dasharray="5,2"',
    "dotted": ' stroke-dasharray="0.5,2.5" stroke-linecap="round" stroke-width="1.6"',
    "bold": ' stroke-width="2.6"',
}
BAR_HEIGHT = 5.0  # points; the children's bar at the bottom of a mapped task's box
BAR_MARGIN = 4.0  # points between the bar and the box's border
BADGE_RADIUS = 6.5  # points
ICON_FONT = "DejaVu Sans,Segoe UI Symbol,Apple Symbols,Helvetica,Arial,sans-serif"


class ColourableSvg:
    """The SVG of one graph shape with holes for how each node looks.

    ``names[i]`` is the unique name of the node drawn with ``id="fb<i>"``.
    """

    def __init__(self, svg: str, names: list):
        self.names = list(names)  # unique task names, by node index
        self._pieces: list = []  # fixed str, or (kind, node index) for a hole
        self._badges: dict = {}  # node index -> (x, y) of its icon's badge
        self._bars: dict = {}  # node index -> (x, y, width) of a box's children's bar
        self._rings: dict = {}  # node index -> (kind, x, y, w, h): around all its shapes
        svg = _COMMENT.sub("", svg[svg.index("<svg"):])
        done = 0
        for match in _NODE.finditer(svg):
            self._pieces.append(svg[done:match.start(2)])
            self._cut_node(int(match.group(1)), match.group(2))
            done = match.end(2)
        self._pieces.append(svg[done:])

    def _cut_node(self, index: int, body: str) -> None:
        body = _TITLE.sub(lambda m: f"<title>{html.escape(self.names[index])}</title>", body, 1)
        shape = _SHAPE.search(body)
        if shape is None:  # not drawn filled: nothing to recolour
            self._pieces.append(body)
            return
        self._measure(index, shape.group(1), dict(_ATTR.findall(shape.group(2))))
        self._rings[index] = _outline(body)
        fill = _FILL.search(body, shape.start())
        self._pieces += [body[:fill.start()], ("fill", index),
                         body[fill.end():shape.end(2)], ("border", index)]
        rest, done = body[shape.end(2):], 0
        for text in _TEXT.finditer(rest):
            attrs = _TEXT_FILL.sub("", text.group(1))
            self._pieces += [rest[done:text.start()] + f"<text {attrs} ", ("text", index), ">"]
            done = text.end()
        self._pieces += [rest[done:], ("extra", index)]

    def _measure(self, index: int, kind: str, attrs: dict) -> None:
        """Where the node's badge and (for a box) its children's bar go."""
        if kind == "ellipse":
            cx, cy, rx, ry = (float(attrs[k]) for k in ("cx", "cy", "rx", "ry"))
            self._badges[index] = (cx + 0.707 * rx, cy - 0.707 * ry)
            return
        xs, ys = [], []
        for pair in attrs["points"].split():
            x, y = pair.split(",")
            xs.append(float(x))
            ys.append(float(y))
        left, right, top, bottom = min(xs), max(xs), min(ys), max(ys)
        self._badges[index] = (right, top)
        inner = left + BAR_MARGIN, right - BAR_MARGIN
        self._bars[index] = (inner[0], bottom - BAR_MARGIN - BAR_HEIGHT,
                             max(inner[1] - inner[0], 0.0))

    def layout(self) -> str:
        """The SVG for the live view: every node grey, solid, without icons or bars."""
        return self.render({})

    def render(self, nodes: Mapping) -> str:
        """The SVG with each node as ``nodes[unique name]`` says: ``fill``, ``text`` (label
        colour; default: the readable one), ``border``, ``icon``, ``children``
        (``{"total": n, "counts": [[state, count, colour], ...]}`` or None) and ``stale``
        (``palette.stale_cue`` or None). A name missing from ``nodes`` is drawn as a task
        not run."""
        neutral = cue(None)
        holes: dict = {"fill": [], "text": [], "border": [], "extra": []}
        for index, name in enumerate(self.names):
            entry = nodes.get(name) or neutral
            fill = entry.get("fill") or neutral["fill"]
            text = entry.get("text") or text_colour(fill)
            holes["fill"].append(f'fill="{fill}"')
            holes["text"].append(f'fill="{text}"')
            holes["border"].append(BORDER.get(entry.get("border"), ""))
            holes["extra"].append(self._extra(index, entry, fill, text))
        return "".join(piece if piece.__class__ is str else holes[piece[0]][piece[1]]
                       for piece in self._pieces)

    def _extra(self, index: int, entry: Mapping, fill: str, text: str) -> str:
        """What is drawn over a node: its stale ring, its children's bar and count, its
        icon's badge."""
        stale = entry.get("stale")
        out = _ring(self._rings[index], stale) if stale and index in self._rings else ""
        children = entry.get("children")
        if children and children.get("total") and index in self._bars:
            out += _bar(self._bars[index], children, text)
        icon = entry.get("icon")
        if icon and index in self._badges:
            x, y = self._badges[index]
            out += (f'<g class="flowbook-badge"><circle cx="{x:.2f}" cy="{y:.2f}" '
                    f'r="{BADGE_RADIUS:g}" fill="{fill}" stroke="{LINE}"/><text '
                    f'text-anchor="middle" x="{x:.2f}" y="{y + 3.2:.2f}" '
                    f'font-family="{ICON_FONT}" font-size="9" fill="{text}">'
                    f"{html.escape(icon)}</text></g>\n")
        return out


_ANY_SHAPE = re.compile(r'<(ellipse|polygon) ([^>]*?)/>')


def _outline(body: str) -> tuple:
    """(kind, x, y, w, h): the box around every shape of a node (a reference task has a
    second, outer border), ``kind`` "ellipse" or "rect"."""
    kind, xs, ys = "rect", [], []
    for shape in _ANY_SHAPE.finditer(body):
        attrs = dict(_ATTR.findall(shape.group(2)))
        if shape.group(1) == "ellipse":
            kind = "ellipse"
            cx, cy, rx, ry = (float(attrs[k]) for k in ("cx", "cy", "rx", "ry"))
            xs += [cx - rx, cx + rx]
            ys += [cy - ry, cy + ry]
        else:
            for pair in attrs.get("points", "").split():
                x, y = pair.split(",")
                xs.append(float(x))
                ys.append(float(y))
    return kind, min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def _ring(box: tuple, stale: Mapping) -> str:
    """A stale task's dashed ring, ``stale["gap"]`` points around its shape."""
    kind, x, y, w, h = box
    gap = stale["gap"]
    look = (f'fill="none" stroke="{stale["outline"]}" stroke-width="{stale["width"]:g}" '
            f'stroke-dasharray="{stale["dash"]}"')
    if kind == "ellipse":
        shape = (f'<ellipse cx="{x + w / 2:.2f}" cy="{y + h / 2:.2f}" rx="{w / 2 + gap:.2f}" '
                 f'ry="{h / 2 + gap:.2f}" {look}/>')
    else:
        shape = (f'<rect x="{x - gap:.2f}" y="{y - gap:.2f}" width="{w + 2 * gap:.2f}" '
                 f'height="{h + 2 * gap:.2f}" rx="{gap:g}" {look}/>')
    return f'<g class="flowbook-stale">{shape}</g>\n'


def _bar(box: tuple, children: Mapping, text: str) -> str:
    """A mapped task's children: one rect per state, as wide as its share, and the count
    of failed children (or of finished ones) above."""
    x, y, width = box
    total = children["total"]
    rects, failed, finished = [], 0, 0
    for name, count, colour in children["counts"]:
        w = width * count / total
        rects.append(f'<rect x="{x:.2f}" y="{y:.2f}" width="{w:.2f}" height="{BAR_HEIGHT:g}" '
                     f'fill="{colour}" stroke="none"/>')
        x += w
        failed += count if is_failure(name) else 0
        finished += count if is_finished(name) else 0
    words = f"{failed}/{total} failed" if failed else f"{finished}/{total} done"
    centre = box[0] + width / 2
    return (f'<g class="flowbook-children">{"".join(rects)}</g>\n'
            f'<text class="flowbook-count" text-anchor="middle" x="{centre:.2f}" '
            f'y="{y - 2.5:.2f}" font-family="{ICON_FONT}" font-size="8" fill="{text}">'
            f"{words}</text>\n")
