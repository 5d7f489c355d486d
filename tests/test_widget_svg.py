"""Colouring a laid-out SVG without dot (flowbook/widget/svg.py)."""

import html
import re
import xml.etree.ElementTree as ET

import graphviz
import pytest

from flowbook import Flow, task
from flowbook.core.naming import unique_names
from flowbook.engine import state
from flowbook.widget.drawing import draw, render_svg
from flowbook.widget.palette import COLOURS, NOT_RUN, cue
from flowbook.widget.svg import ColourableSvg

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def laid_out():
    """A three-task flow (one mapped, with an HTML-looking name), laid out once."""
    @task
    def numbers():
        return [1, 2]

    @task(name=HOSTILE)
    def square(x):
        return x * x

    @task(name="sum")
    def total(xs):
        return sum(xs)

    with Flow("f") as flow:
        total(square.map(numbers()))
    names = list(unique_names(flow).values())
    return ColourableSvg(render_svg(draw(flow)), names)


def nodes_in(**states):
    """The widget's ``nodes`` entries: unique name -> cue of a state."""
    return {name: cue(s) for name, s in states.items()}


def node(svg, name):
    """The markup of the node titled ``name``."""
    title = f"<title>{html.escape(name)}</title>"
    start = svg.index(title)
    end = svg.find('<g id="', start)
    return svg[start:] if end == -1 else svg[start:end]


def test_render_fills_each_node_without_running_dot(laid_out, monkeypatch):
    def no_dot(*args, **kwargs):
        raise AssertionError("dot ran again")

    monkeypatch.setattr(graphviz.Digraph, "pipe", no_dot)
    svg = laid_out.render(nodes_in(numbers=state.Success(), sum=state.Failed()))
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert '<ellipse fill="#28a745" stroke=' in node(svg, "numbers")
    assert '<ellipse fill="#eb0000" stroke=' in node(svg, "sum")
    assert f'<polygon fill="{NOT_RUN}" stroke=' in node(svg, HOSTILE)  # not in nodes: not run


def test_titles_are_the_exact_unique_names_escaped(laid_out):
    svg = laid_out.render({})
    titles = re.findall(r'<g id="fb(\d+)" class="node">\s*<title>(.*?)</title>', svg)
    assert {int(i): html.unescape(t) for i, t in titles} == dict(enumerate(laid_out.names))
    assert HOSTILE not in svg and "<img" not in svg
    ET.fromstring(svg)  # well-formed


def test_layout_is_grey_with_solid_borders_and_no_icons_or_bars(laid_out):
    svg = laid_out.layout()
    assert set(re.findall(r'<(?:ellipse|polygon) fill="(#[0-9a-f]{6})" stroke', svg)) \
        == {NOT_RUN, "#767676"}  # nodes grey; arrow heads in the line colour
    for extra in ("stroke-dasharray", "flowbook-badge", "flowbook-children", "<!--", "<?xml"):
        assert extra not in svg
    assert laid_out.layout() == laid_out.render({})


def test_labels_turn_white_on_dark_fills_and_black_on_light_ones(laid_out):
    dark = laid_out.render({n: cue(state.Mapped()) for n in laid_out.names})
    light = laid_out.render({})
    assert dark.count('fill="#ffffff">') == 3 + 3  # three labels, three badge icons
    assert light.count('fill="#000000">') == 3


def test_each_border_cue_changes_the_nodes_outline(laid_out):
    def outline(state_):
        shape = node(laid_out.render(nodes_in(sum=state_)), "sum").split("\n")[1]
        return shape[shape.index("cx="):]

    looks = {name: outline(getattr(state, name)())
             for name in ("Failed", "TriggerFailed", "TimedOut", "Cancelled")}
    assert len(set(looks.values())) == 4
    assert 'stroke-width="2.6"' in looks["Failed"]
    assert 'stroke-dasharray="5,2"' in looks["TriggerFailed"]
    assert "stroke-linecap" in looks["TimedOut"]


def test_the_state_icon_is_drawn_in_a_badge_at_the_nodes_top_right(laid_out):
    svg = node(laid_out.render(nodes_in(sum=state.TimedOut())), "sum")
    badge = re.search(r'<g class="flowbook-badge"><circle cx="([\d.-]+)" cy="([\d.-]+)" '
                      r'r="6.5" fill="#ff4e33" stroke="#767676"/>.*?>◷</text></g>', svg)
    ellipse = re.search(r'cx="([\d.-]+)" cy="([\d.-]+)"', svg)
    assert badge, svg
    assert float(badge[1]) > float(ellipse[1]) and float(badge[2]) < float(ellipse[2])


def test_a_mapped_task_with_8_failed_children_of_100_shows_8_failed(laid_out):
    entry = {**cue(state.Mapped()), "children": {"total": 100, "counts": [
        ["Success", 92, COLOURS["Success"]], ["Failed", 8, COLOURS["Failed"]]]}}
    svg = node(laid_out.render({HOSTILE: entry}), HOSTILE)
    bar = re.search(r'<g class="flowbook-children">(.*?)</g>', svg)[1]
    widths = [float(w) for w in re.findall(r'width="([\d.]+)"', bar)]
    assert re.findall(r'fill="(#\w+)"', bar) == [COLOURS["Success"], COLOURS["Failed"]]
    assert widths[0] / widths[1] == pytest.approx(92 / 8, rel=0.01)
    assert re.search(r'class="flowbook-count"[^>]*>8/100 failed</text>', svg)


def test_a_mapped_task_without_failures_counts_its_finished_children(laid_out):
    entry = {**cue(state.Running()), "children": {"total": 10, "counts": [
        ["Running", 3, COLOURS["Running"]], ["Success", 6, COLOURS["Success"]],
        ["TriggerFailed", 0, COLOURS["TriggerFailed"]], ["not run", 1, NOT_RUN]]}}
    svg = laid_out.render({HOSTILE: entry})
    assert ">6/10 done</text>" in svg


def test_render_of_a_thousand_nodes_gives_each_its_cue():
    @task
    def step(x=None):
        return x

    with Flow("big") as flow:
        previous = step()
        for _ in range(999):
            previous = step(x=previous)
    names = list(unique_names(flow).values())
    picture = ColourableSvg(render_svg(draw(flow)), names)
    kinds = [getattr(state, name)() for name in COLOURS]
    svg = picture.render({n: cue(kinds[i % len(kinds)]) for i, n in enumerate(names)})
    assert svg.count('class="node"') == 1000 and svg.count("flowbook-badge") == 1000
    assert svg.count('<ellipse fill="#eb0000"') == len(range(12, 1000, len(kinds)))
