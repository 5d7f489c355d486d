"""Recolouring a laid-out SVG without dot (flowbook/widget/svg.py)."""

import graphviz
import pytest

from flowbook import Flow, task
from flowbook.core.naming import unique_names
from flowbook.widget.drawing import draw, render_svg
from flowbook.widget.svg import ColourableSvg


@pytest.fixture
def laid_out():
    """A three-task flow (one mapped, with an HTML-looking name), laid out once."""
    @task
    def numbers():
        return [1, 2]

    @task(name="<i>square</i>")
    def square(x):
        return x * x

    @task(name="sum")
    def total(xs):
        return sum(xs)

    with Flow("f") as flow:
        total(square.map(numbers()))
    names = list(unique_names(flow).values())
    return ColourableSvg(render_svg(draw(flow)), names)


def test_render_fills_each_node_without_running_dot(laid_out, monkeypatch):
    def no_dot(*args, **kwargs):
        raise AssertionError("dot ran again")

    monkeypatch.setattr(graphviz.Digraph, "pipe", no_dot)
    svg = laid_out.render(["#111111", "#222222", "#333333"])
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    for colour in ("#111111", "#222222", "#333333"):
        assert f'fill="{colour}" stroke=' in svg


def test_node_titles_are_the_exact_unique_names_escaped(laid_out):
    svg = laid_out.render(["#ffffff"] * 3)
    assert "<title>numbers</title>" in svg and "<title>sum</title>" in svg
    assert "<title>&lt;i&gt;square&lt;/i&gt;</title>" in svg and "<i>" not in svg


def test_labels_turn_white_on_dark_fills(laid_out):
    dark = laid_out.render(["#003ccb"] * 3)
    light = laid_out.render(["#e0e0e0"] * 3)
    assert dark.count('fill="#ffffff">') == 3 and light.count('fill="#000000">') == 3


def test_a_mapped_node_gets_a_bar_of_its_childrens_states(laid_out):
    svg = laid_out.render(["#28a745"] * 3, {1: [("#28a745", 0.75), ("#eb0000", 0.25)]})
    bar = svg[svg.index('<g class="flowbook-children">'):]
    bar = bar[:bar.index("</g>")]
    assert bar.count("<rect") == 2 and 'fill="#eb0000"' in bar
    assert laid_out.render(["#28a745"] * 3).count("flowbook-children") == 0
