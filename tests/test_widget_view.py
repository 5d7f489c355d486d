"""The widget's ES module (flowbook/widget/static/view.js) in a real browser, without Jupyter.

Debian's Chromium (/usr/bin/chromium, never `playwright install`) opens a blank page holding a
fake anywidget model written in JS; the real view.js is imported as a module and rendered into
an 800 px wide "output". Drawings are real Graphviz SVGs. Every wait is on a condition.
Screenshots go to build/test-artifacts/view/, one per test.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="the browser tests need Playwright: pip install playwright")
graphviz = pytest.importorskip("graphviz")

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "flowbook" / "widget" / "static"
ARTIFACTS = ROOT / "build" / "test-artifacts" / "view"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
GREEN, RED, GREY, BLUE = "#28a745", "#eb0000", "#e0e0e0", "#3d67ff"
LEGEND = [["Success", GREEN, "solid", "✓"], ["Failed", RED, "bold", "✗"],
          ["not run", GREY, "dotted", ""]]
DARK = {  # JupyterLab 4's dark theme (theme-dark-extension/index.css)
    "--jp-layout-color0": "#111", "--jp-layout-color1": "#212121",
    "--jp-layout-color2": "#424242", "--jp-border-color1": "#616161",
    "--jp-ui-font-color1": "rgba(255,255,255,.87)", "--jp-ui-font-color2": "rgba(255,255,255,.54)",
    "--jp-content-font-color1": "#fff", "--jp-brand-color1": "#2196f3",
}
LIGHT = {  # and its light theme
    "--jp-layout-color0": "white", "--jp-layout-color1": "white",
    "--jp-layout-color2": "#eee", "--jp-border-color1": "#bdbdbd",
    "--jp-ui-font-color1": "rgba(0,0,0,.87)", "--jp-ui-font-color2": "rgba(0,0,0,.54)",
    "--jp-content-font-color1": "rgba(0,0,0,.87)", "--jp-brand-color1": "#1976d2",
}

if not Path(CHROMIUM).exists() or not shutil.which("dot"):
    pytest.skip(f"the view tests need Debian's Chromium at {CHROMIUM} and Graphviz's `dot` "
                "(apt-get install chromium graphviz)", allow_module_level=True)

# The fake anywidget model: the API view.js may use, recording what the view does with it.
# `update` is a change coming from Python; `set` is the view's own (recorded in `sets`).
HARNESS = """<!doctype html><html><head><meta charset="utf-8"></head>
<body style="margin:8px"><div id="theme"><div id="out" style="width:800px"></div></div>
<script>
window.makeModel = (initial) => {
  const state = {...initial}, listeners = new Map();
  return {
    sent: [], callbacks: [], sets: [], saves: 0,
    get: (key) => state[key],
    set(key, value) {
      state[key] = value; this.sets.push([key, value]); this.emit(`change:${key}`);
    },
    update(key, value) { state[key] = value; this.emit(`change:${key}`); },
    on(event, cb) { listeners.set(event, [...(listeners.get(event) || []), cb]); },
    off(event, cb) { listeners.set(event, (listeners.get(event) || []).filter((c) => c !== cb)); },
    count: (event) => (listeners.get(event) || []).length,
    emit(event, ...args) { for (const cb of [...(listeners.get(event) || [])]) cb(...args); },
    save_changes() { this.saves += 1; },
    send(message, callbacks) { this.sent.push(message); this.callbacks.push(callbacks); },
  };
};
window.mount = (traits) => {
  window.model = makeModel(traits);
  window.cleanup = window.viewModule.default.render({model, el: document.getElementById('out')});
};
</script></body></html>"""

LOAD_MODULE = """async (source) => {
  const url = URL.createObjectURL(new Blob([source], {type: 'text/javascript'}));
  window.viewModule = await import(url);
}"""


# ---------------------------------------------------------------- drawings and traits

def _svg(graph) -> str:
    return graph.pipe(format="svg", encoding="utf-8")


@pytest.fixture(scope="module")
def small_svg() -> str:
    """extract -> transform (mapped) -> load, extract -> report; laid out like flowbook's."""
    graph = graphviz.Digraph(
        graph_attr={"bgcolor": "transparent"},
        node_attr={"style": "filled", "fillcolor": GREY, "fontsize": "11"},
        edge_attr={"fontsize": "9", "color": "#555555", "fontcolor": "#555555"})
    graph.node("extract", id="fb0")
    graph.node("transform", label="transform <map>", id="fb1", shape="box", height="0.65")
    graph.node("load", id="fb2")
    graph.node("report", id="fb3")
    graph.edge("extract", "transform", label="rows", style="bold")
    graph.edge("transform", "load", label="rows")
    graph.edge("extract", "report", style="dashed")
    return _svg(graph)


@pytest.fixture(scope="module")
def big_svg() -> str:
    """300 tasks: 30 chains of 10, wider than the output."""
    graph = graphviz.Digraph(node_attr={"style": "filled", "fillcolor": GREY})
    for chain in range(30):
        for step in range(10):
            graph.node(f"c{chain}_{step}", id=f"fb{chain * 10 + step}")
            if step:
                graph.edge(f"c{chain}_{step - 1}", f"c{chain}_{step}")
    return _svg(graph)


def _synthetic_svg(count: int) -> str:
    """`count` Graphviz-shaped nodes in a grid, without running dot (only recolouring reads it)."""
    nodes = "".join(
        f'<g id="fb{i}" class="node"><title>t{i}</title>'
        f'<ellipse fill="{GREY}" stroke="black" cx="{i % 40 * 60 + 30}" cy="-{i // 40 * 40 + 20}" '
        f'rx="27" ry="18"/><text text-anchor="middle" x="{i % 40 * 60 + 30}" '
        f'y="-{i // 40 * 40 + 17}" font-size="11">t{i}</text></g>' for i in range(count))
    return (f'<svg width="2400pt" height="1000pt" viewBox="0 0 2400 1000" '
            f'xmlns="http://www.w3.org/2000/svg"><g class="graph" transform="translate(0 1000)">'
            f'{nodes}</g></svg>')


def entry(state="not run", fill=GREY, text="#000000", border="dotted", icon="", message="",
          duration=None, children=None, set=None, stale=None) -> dict:
    return {"state": state, "fill": fill, "text": text, "border": border, "icon": icon,
            "message": message, "duration": duration, "children": children, "set": set,
            "stale": stale}


def failed(**more) -> dict:
    return entry("Failed", RED, "#ffffff", "bold", "✗", **more)


def succeeded(**more) -> dict:
    return entry("Success", GREEN, "#ffffff", "solid", "✓", **more)


def traits(svg: str = "", nodes: dict | None = None, **more) -> dict:
    values = {
        "svg": svg, "nodes": nodes or {}, "selected": "", "panel": "", "actions": [],
        "status": {"flow": "etl", "state": "not run yet", "message": "", "fill": GREY,
                   "counts": [], "elapsed": "", "run": None},
        "runs": [], "run": 0, "follow": True, "timeline": {}, "view": "graph", "busy": False,
        "problem": "", "output": "", "legend": LEGEND, "what_if": False, "outcomes": {},
    }
    values.update(more)
    return values


# ---------------------------------------------------------------- the browser

@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    """A fresh page with the harness, view.css and view.js; screenshotted when the test ends."""
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    errors: list = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_content(HARNESS)
    page.add_style_tag(content=(STATIC / "view.css").read_text("utf-8"))
    page.evaluate(LOAD_MODULE, (STATIC / "view.js").read_text("utf-8"))
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    page.close()
    assert not errors, f"errors in the page: {errors}"


def mount(page, values: dict) -> None:
    page.evaluate("(values) => mount(values)", values)


def update(page, trait: str, value) -> None:
    """A change of one trait, as Python would send it."""
    page.evaluate("([trait, value]) => model.update(trait, value)", [trait, value])


def node(page, name: str):
    return page.locator(f'.flowbook-view g.node[data-task="{name}"]')


def model_value(page, key: str):
    return page.evaluate("(key) => model.get(key)", key)


SMALL_NODES = {
    "extract": succeeded(duration=0.42, message="3 rows"),
    "transform": entry("Mapped", BLUE, "#ffffff", "solid", "⋯", children={
        "total": 100, "counts": [["Success", 92, GREEN], ["Failed", 8, RED]]}),
    "load": failed(message="database is down", duration=63.2),
    "report": entry(),
}


# ---------------------------------------------------------------- selecting

def test_click_on_a_node_selects_it(page, small_svg):
    mount(page, traits(small_svg, SMALL_NODES))
    node(page, "load").click()
    assert model_value(page, "selected") == "load"
    assert page.evaluate("model.saves") >= 1
    playwright_api.expect(node(page, "load")).to_have_class(re.compile(r"\bfb-selected\b"))


def test_enter_on_a_focused_node_selects_it(page, small_svg):
    mount(page, traits(small_svg, SMALL_NODES))
    node(page, "report").focus()
    page.keyboard.press("Enter")
    assert model_value(page, "selected") == "report"
    assert page.evaluate("model.saves") >= 1


def test_nodes_are_buttons_named_with_their_state(page, small_svg):
    mount(page, traits(small_svg, SMALL_NODES))
    load = node(page, "load")
    assert load.get_attribute("tabindex") == "0"
    assert load.get_attribute("role") == "button"
    assert load.get_attribute("aria-label") == "load: Failed"


def test_selected_from_python_is_outlined_and_scrolled_into_view(page, big_svg):
    mount(page, traits(big_svg))
    page.click(".fb-zoom-buttons button[title='zoom in']")  # c25_5 is then off view
    for _ in range(4):
        page.click(".fb-zoom-buttons button[title='zoom in']")
    update(page, "selected", "c25_5")
    playwright_api.expect(node(page, "c25_5")).to_have_class(re.compile(r"\bfb-selected\b"))
    assert _inside(page, ".fb-viewport", '.fb-viewport g.node[data-task="c25_5"]')


# ---------------------------------------------------------------- recolouring

def test_recolour_changes_fill_without_replacing_the_svg(page, small_svg):
    mount(page, traits(small_svg, {"load": entry()}))
    page.evaluate("window.drawn = document.querySelector('.fb-viewport svg')")
    update(page, "nodes", {"load": failed()})
    shape = node(page, "load").locator("ellipse")
    assert shape.get_attribute("fill") == RED
    assert shape.get_attribute("stroke-width") == "2.5"  # "bold": a cue beyond colour
    assert node(page, "load").locator("text").first.get_attribute("fill") == "#ffffff"
    assert node(page, "load").locator(".fb-badge text").text_content() == "✗"
    playwright_api.expect(node(page, "load")).to_have_class(re.compile(r"\bfb-state-Failed\b"))
    assert page.evaluate("window.drawn === document.querySelector('.fb-viewport svg')")


def test_recolour_keeps_the_zoom(page, small_svg):
    mount(page, traits(small_svg, {"load": entry()}))
    page.click(".fb-zoom-buttons button[title='zoom in']")
    zoom = page.get_attribute(".fb-viewport", "data-zoom")
    update(page, "nodes", {"load": failed()})
    assert page.get_attribute(".fb-viewport", "data-zoom") == zoom


def test_recolour_touches_only_the_nodes_that_changed(page):
    nodes = {f"t{i}": entry() for i in range(1000)}
    mount(page, traits(_synthetic_svg(1000), nodes))
    touched = page.evaluate("""(nodes) => {
      const changed = new Set();
      const watch = new MutationObserver((records) => records.forEach((r) =>
        changed.add(r.target.closest('g.node').dataset.task)));
      watch.observe(document.querySelector('.fb-viewport svg'),
                    {attributes: true, childList: true, subtree: true, characterData: true});
      model.update('nodes', nodes);
      const late = watch.takeRecords().map((r) => r.target.closest('g.node').dataset.task);
      const seen = [...changed, ...late];
      watch.disconnect();
      return [...new Set(seen)];
    }""", {**nodes, "t500": failed()})
    assert touched == ["t500"]


def test_a_mapped_node_shows_its_failed_children(page, small_svg):
    mount(page, traits(small_svg, SMALL_NODES))
    bar = node(page, "transform").locator(".fb-bar")
    assert "8 ✗" in bar.locator("text").text_content()
    track = float(bar.locator(".fb-bar-track").get_attribute("width"))
    failed_part = float(bar.locator("rect[data-state='Failed']").get_attribute("width"))
    assert failed_part == pytest.approx(track * 0.08)


def test_hovering_a_node_shows_its_state_message_and_duration(page, small_svg):
    mount(page, traits(small_svg, SMALL_NODES))
    node(page, "load").hover()
    tooltip = page.locator(".fb-tooltip")
    playwright_api.expect(tooltip).to_be_visible()
    playwright_api.expect(tooltip).to_contain_text("load")
    playwright_api.expect(tooltip).to_contain_text("Failed")
    playwright_api.expect(tooltip).to_contain_text("database is down")
    playwright_api.expect(tooltip).to_contain_text("1 min 3 s")
    node(page, "transform").hover()
    playwright_api.expect(tooltip).to_contain_text("8 Failed")


def test_durations_read_naturally(page):
    formatted = page.evaluate(
        "() => [0.00001, 0.00042, 0.42, 1.234, 12.34, 63.2, 7325, null]"
        ".map(viewModule.formatDuration)")
    assert formatted == ["< 0.1 ms", "0.4 ms", "420 ms", "1.23 s", "12 s", "1 min 3 s",
                         "2 h 2 min", ""]


# ---------------------------------------------------------------- zoom and pan

def _box(page, selector: str) -> dict:
    return page.evaluate("""(selector) => {
      const r = document.querySelector(selector).getBoundingClientRect();
      return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};
    }""", selector)


def _inside(page, outer: str, inner: str) -> bool:
    return page.evaluate("""([outer, inner]) => {
      const box = document.querySelector(outer);
      const o = box.getBoundingClientRect();
      const right = o.left + box.clientLeft + box.clientWidth;
      const bottom = o.top + box.clientTop + box.clientHeight;
      return [...document.querySelectorAll(inner)].every((el) => {
        const r = el.getBoundingClientRect();
        return r.left >= o.left - 0.5 && r.right <= right + 0.5
          && r.top >= o.top - 0.5 && r.bottom <= bottom + 0.5;
      });
    }""", [outer, inner])


def test_first_show_fits_300_nodes_to_the_outputs_width(page, big_svg):
    mount(page, traits(big_svg))
    assert page.locator(".fb-viewport g.node").count() == 300
    svg, output = _box(page, ".fb-viewport svg"), _box(page, "#out")
    assert svg["right"] - svg["left"] <= output["right"] - output["left"]
    assert _inside(page, ".fb-viewport", ".fb-viewport g.node")


def test_a_small_drawing_is_not_enlarged(page, small_svg):
    mount(page, traits(small_svg))
    assert page.get_attribute(".fb-viewport", "data-zoom") == "100"


def test_zoom_buttons_change_the_scale_and_fit_restores_it(page, big_svg):
    mount(page, traits(big_svg))
    fitted = int(page.get_attribute(".fb-viewport", "data-zoom"))
    page.click("button[title='zoom in']")
    assert int(page.get_attribute(".fb-viewport", "data-zoom")) > fitted
    page.click("button[title='fit to width']")
    assert int(page.get_attribute(".fb-viewport", "data-zoom")) == fitted
    page.click("button[title='zoom out']")
    assert int(page.get_attribute(".fb-viewport", "data-zoom")) < fitted


def test_ctrl_wheel_zooms_around_the_pointer(page, big_svg):
    mount(page, traits(big_svg))
    fitted = int(page.get_attribute(".fb-viewport", "data-zoom"))
    target = _box(page, '.fb-viewport g.node[data-task="c5_5"]')
    x, y = (target["left"] + target["right"]) / 2, (target["top"] + target["bottom"]) / 2
    page.mouse.move(x, y)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -300)
    page.keyboard.up("Control")
    page.wait_for_function(f"+document.querySelector('.fb-viewport').dataset.zoom > {fitted}")
    after = _box(page, '.fb-viewport g.node[data-task="c5_5"]')
    assert after["left"] <= x <= after["right"] and after["top"] <= y <= after["bottom"]


def test_dragging_pans_and_does_not_select(page, big_svg):
    mount(page, traits(big_svg))
    for _ in range(4):
        page.click("button[title='zoom in']")
    start = _box(page, '.fb-viewport g.node[data-task="c2_2"]')
    page.mouse.move(start["left"] + 5, start["top"] + 5)
    page.mouse.down()
    page.mouse.move(start["left"] - 100, start["top"] - 60, steps=5)
    page.mouse.up()
    assert page.evaluate("document.querySelector('.fb-viewport').scrollLeft") > 0
    assert model_value(page, "selected") == ""


# ---------------------------------------------------------------- toolbar

def test_search_highlights_and_enter_selects_the_next_match(page, big_svg):
    mount(page, traits(big_svg))
    page.fill(".fb-search", "c12_")
    playwright_api.expect(page.locator(".fb-viewport g.node.fb-match")).to_have_count(10)
    playwright_api.expect(page.locator(".fb-search-count")).to_have_text("10 found")
    page.press(".fb-search", "Enter")
    assert model_value(page, "selected") == "c12_0"
    page.press(".fb-search", "Enter")
    assert model_value(page, "selected") == "c12_1"
    assert _inside(page, ".fb-viewport", '.fb-viewport g.node[data-task="c12_1"]')


def test_status_line_shows_flow_state_counts_and_run(page, small_svg):
    status = {"flow": "etl", "state": "Failed", "message": "1 task failed", "fill": RED,
              "counts": [["Success", 93, GREEN], ["Failed", 9, RED]], "elapsed": "1.2 s", "run": 2}
    mount(page, traits(small_svg, SMALL_NODES, status=status))
    playwright_api.expect(page.locator(".fb-status")).to_have_text(
        re.compile(r"etl.*Failed: 1 task failed.*93 Success.*9 Failed.*1\.2 s.*run 2"))


RUNS = [{"number": 1, "state": "Failed", "fill": RED, "label": "run 1 · Failed"},
        {"number": 2, "state": "Success", "fill": GREEN, "label": "run 2 · Success"}]


def test_picking_an_older_run_sets_run_and_stops_following(page, small_svg):
    mount(page, traits(small_svg, runs=RUNS, run=2, follow=True))
    playwright_api.expect(page.locator(".fb-follow")).to_be_checked()
    page.select_option(".fb-runs", "1")
    assert model_value(page, "run") == 1
    assert model_value(page, "follow") is False
    assert page.evaluate("model.saves") >= 1


def test_follow_latest_is_bound_to_follow(page, small_svg):
    mount(page, traits(small_svg, runs=RUNS, run=1, follow=False))
    page.check(".fb-follow")
    assert model_value(page, "follow") is True
    assert model_value(page, "run") == 2


ACTIONS = [
    {"id": "resume_all", "label": "Resume all (1)", "scope": "global", "style": "primary",
     "title": "resumes approve", "task": ""},
    {"id": "retry:load", "label": "Retry", "scope": "task", "style": "warning",
     "title": "runs load again", "task": "load"},
]


def test_action_buttons_send_their_action(page, small_svg):
    mount(page, traits(small_svg, SMALL_NODES, actions=ACTIONS, selected="load"))
    page.evaluate("model.emit('msg:custom', {type: 'hello', kernel: 'k'})")
    page.click(".fb-global-actions button")
    page.click(".fb-task-actions button")
    sent = page.evaluate("model.sent")
    # each click also asks the kernel side again whether it still knows this widget
    assert sent == [{"type": "hello"}, {"type": "hello"}, {"type": "action", "id": "resume_all"},
                    {"type": "hello"}, {"type": "action", "id": "retry:load"}]
    assert page.get_attribute(".fb-task-actions button", "title") == "runs load again"


def test_action_buttons_are_disabled_while_busy(page, small_svg):
    mount(page, traits(small_svg, actions=ACTIONS, selected="load"))
    page.evaluate("model.emit('msg:custom', {type: 'hello'})")
    update(page, "busy", True)
    for button in page.locator(".fb-action").all():
        playwright_api.expect(button).to_be_disabled()
    update(page, "busy", False)
    for button in page.locator(".fb-action").all():
        playwright_api.expect(button).to_be_enabled()


def test_view_toggle_sets_view(page, small_svg):
    mount(page, traits(small_svg))
    page.click(".fb-view-button[data-view='timeline']")
    assert model_value(page, "view") == "timeline"
    playwright_api.expect(page.locator(".fb-viewport")).to_be_hidden()
    playwright_api.expect(page.locator(".fb-timeline")).to_be_visible()


# ---------------------------------------------------------------- panel, timeline, theme

def test_panel_problem_output_and_legend_are_shown(page, small_svg):
    mount(page, traits(small_svg, panel="<h4>load</h4><p>Failed: &lt;b&gt;</p>",
                       problem="Graphviz is missing", output="printed by the run"))
    playwright_api.expect(page.locator(".fb-panel h4")).to_have_text("load")
    playwright_api.expect(page.locator(".fb-panel p")).to_have_text("Failed: <b>")
    playwright_api.expect(page.locator(".fb-problem")).to_have_text("Graphviz is missing")
    playwright_api.expect(page.locator(".fb-output")).to_have_text("printed by the run")
    playwright_api.expect(page.locator(".fb-legend")).to_contain_text("✗ Failed")
    colour = page.evaluate("getComputedStyle(document.querySelector('.fb-problem')).color")
    assert _rgba(colour)[0] > 150 and _rgba(colour)[1] < 100, f"the problem is not red: {colour}"


def test_no_drawing_hides_the_graph_and_the_rest_works(page):
    mount(page, traits("", panel="<p>panel</p>", actions=ACTIONS, selected="load"))
    playwright_api.expect(page.locator(".fb-viewport")).to_be_hidden()
    playwright_api.expect(page.locator(".fb-panel")).to_have_text("panel")
    playwright_api.expect(page.locator(".fb-task-actions button")).to_have_text("Retry")


TIMELINE = {"start": 1000.0, "end": 1010.0, "rows": [
    {"task": "extract", "segments": [[1000.0, 1001.0, "Running", BLUE],
                                     [1001.0, 1001.5, "Success", GREEN]]},
    {"task": "load", "segments": [[1001.5, 1004.0, "Running", BLUE],
                                  [1004.0, 1010.0, "Failed", RED]]},
]}


def test_timeline_draws_a_row_per_task_and_a_click_selects(page, small_svg):
    mount(page, traits(small_svg, view="timeline", timeline=TIMELINE))
    rows = page.locator(".fb-timeline .fb-row")
    playwright_api.expect(rows).to_have_count(2)
    playwright_api.expect(rows.nth(1).locator(".fb-row-name")).to_have_text("load")
    assert rows.nth(1).locator(".fb-segment").nth(1).get_attribute("title") == "Failed"
    playwright_api.expect(page.locator(".fb-axis .fb-tick").first).to_have_text("0 s")
    rows.nth(1).click()
    assert model_value(page, "selected") == "load"
    playwright_api.expect(rows.nth(1)).to_have_class(re.compile(r"\bfb-selected\b"))
    failed_bar = _box(page, ".fb-row[data-task='load'] .fb-segment:nth-child(2)")
    track = _box(page, ".fb-row[data-task='load'] .fb-track")
    width = track["right"] - track["left"]
    assert failed_bar["right"] - failed_bar["left"] == pytest.approx(width * 0.6, abs=1.5)


def _rgba(css: str) -> tuple:
    numbers = [float(n) for n in re.findall(r"[\d.]+", css)]
    return (*numbers[:3], numbers[3] if len(numbers) > 3 else 1.0)


def _luminance(rgb: tuple) -> float:
    def linear(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(foreground: str, background: str) -> float:
    """WCAG contrast of a (possibly translucent) colour drawn on an opaque background."""
    fg, bg = _rgba(foreground), _rgba(background)
    alpha = fg[3]
    seen = tuple(alpha * f + (1 - alpha) * b for f, b in zip(fg[:3], bg[:3]))
    light, dark = sorted((_luminance(seen), _luminance(bg)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_edges_labels_and_borders_contrast_with_the_theme(page, small_svg, theme):
    variables = ";".join(f"{k}:{v}" for k, v in (DARK if theme == "dark" else LIGHT).items())
    page.evaluate("(style) => document.getElementById('theme').setAttribute('style', style)",
                  variables)
    mount(page, traits(small_svg, SMALL_NODES))
    colours = page.evaluate("""() => {
      const css = (selector, name) => getComputedStyle(document.querySelector(selector))[name];
      return {
        background: css('.fb-viewport', 'backgroundColor'),
        edge: css('.fb-viewport g.edge path', 'stroke'),
        arrow: css('.fb-viewport g.edge polygon', 'fill'),
        label: css('.fb-viewport g.edge text', 'fill'),
        border: css('.fb-viewport g.node[data-task="report"] .fb-shape', 'stroke'),
      };
    }""")
    background = colours.pop("background")
    assert _rgba(background)[3] == 1.0, f"the drawing's background is not opaque: {background}"
    if theme == "dark":
        assert _luminance(_rgba(background)) < 0.05, f"not the dark theme's: {background}"
    for part, colour in colours.items():
        ratio = _contrast(colour, background)
        assert ratio >= 3, f"{theme}: {part} {colour} on {background} has contrast {ratio:.2f}"


# ---------------------------------------------------------------- stale tasks

STALE_OUTLINE = "#b36b00"
EDITED = {"why": "edited", "text": "edited since it ran: its result is from the old code; run "
          "the flow again", "outline": STALE_OUTLINE, "dash": "4,2", "gap": 3.5, "width": 1.6}
STALE_LEGEND = ["stale", STALE_OUTLINE, "stale", ""]


def test_a_stale_task_wears_a_dashed_ring_keeps_its_fill_and_says_why(page, small_svg):
    nodes = {**SMALL_NODES, "extract": succeeded(stale=EDITED)}
    mount(page, traits(small_svg, nodes, legend=[*LEGEND, STALE_LEGEND]))
    extract = node(page, "extract")
    ring = extract.locator(".fb-stale-ring")
    playwright_api.expect(ring).to_have_attribute("visibility", "visible")
    assert ring.get_attribute("stroke") == STALE_OUTLINE
    assert ring.get_attribute("stroke-dasharray") == "4,2"
    shape = extract.locator("ellipse.fb-shape")
    assert shape.get_attribute("fill") == GREEN  # the state's look stays
    assert float(ring.get_attribute("rx")) == pytest.approx(
        float(shape.get_attribute("rx")) + 3.5)
    playwright_api.expect(extract).to_have_class(re.compile(r"\bfb-stale\b"))
    assert extract.get_attribute("aria-label") == "extract: Success, stale (edited)"
    assert node(page, "load").locator(".fb-stale-ring").count() == 0
    extract.hover()
    playwright_api.expect(page.locator(".fb-tooltip .fb-tip-stale")).to_have_text(
        " " + EDITED["text"])
    playwright_api.expect(page.locator(".fb-legend .fb-legend-stale")).to_have_text(" stale")


def test_a_task_run_again_loses_its_ring(page, small_svg):
    mount(page, traits(small_svg, {**SMALL_NODES, "extract": succeeded(stale=EDITED)}))
    update(page, "nodes", SMALL_NODES)
    extract = node(page, "extract")
    playwright_api.expect(extract.locator(".fb-stale-ring")).to_have_attribute("visibility",
                                                                               "hidden")
    playwright_api.expect(extract).not_to_have_class(re.compile(r"\bfb-stale\b"))
    assert extract.get_attribute("aria-label") == "extract: Success"


def test_a_stale_box_gets_a_rectangular_ring(page, small_svg):
    transform = {**SMALL_NODES["transform"], "stale": {**EDITED, "why": "below extract"}}
    mount(page, traits(small_svg, {**SMALL_NODES, "transform": transform}))
    ring = node(page, "transform").locator("rect.fb-stale-ring")
    playwright_api.expect(ring).to_have_attribute("visibility", "visible")
    assert node(page, "transform").get_attribute("aria-label") == (
        "transform: Mapped, stale (below extract)")


def test_the_ring_of_a_reference_task_goes_around_its_double_border(page):
    graph = graphviz.Digraph(node_attr={"style": "filled", "fillcolor": GREY})
    graph.node("decides", id="fb0", peripheries="2")
    mount(page, traits(_svg(graph), {"decides": succeeded(stale=EDITED)}))
    radii = node(page, "decides").evaluate(
        "(g) => [...g.querySelectorAll('ellipse')].map((e) => [e.getAttribute('class'), "
        "+e.getAttribute('rx')])")
    ring = [rx for kind, rx in radii if kind == "fb-stale-ring"]
    borders = [rx for kind, rx in radii if kind != "fb-stale-ring"]
    assert len(borders) == 2 and ring == [pytest.approx(max(borders) + 3.5)]


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_stale_ring_contrasts_with_the_theme(page, small_svg, theme):
    variables = ";".join(f"{k}:{v}" for k, v in (DARK if theme == "dark" else LIGHT).items())
    page.evaluate("(style) => document.getElementById('theme').setAttribute('style', style)",
                  variables)
    mount(page, traits(small_svg, {**SMALL_NODES, "report": entry(stale=EDITED)}))
    colours = page.evaluate("""() => {
      const css = (selector, name) => getComputedStyle(document.querySelector(selector))[name];
      return [css('.fb-viewport', 'backgroundColor'),
              css('g.node[data-task="report"] .fb-stale-ring', 'stroke')];
    }""")
    ratio = _contrast(colours[1], colours[0])
    assert ratio >= 3, f"{theme}: the ring {colours[1]} on {colours[0]} has contrast {ratio:.2f}"


# ---------------------------------------------------------------- the kernel connection

def test_hello_is_sent_at_render_and_its_answer_marks_connected(page, small_svg):
    mount(page, traits(small_svg))
    assert page.evaluate("model.sent") == [{"type": "hello"}]
    page.evaluate("model.emit('msg:custom', {type: 'hello', kernel: 'k'})")
    assert page.get_attribute(".flowbook-view", "data-connected") == "yes"


def test_buttons_wait_for_the_kernel_to_answer_hello(page, small_svg):
    mount(page, traits(small_svg, actions=ACTIONS, selected="load"))
    playwright_api.expect(page.locator(".fb-global-actions button")).to_be_disabled()
    page.evaluate("model.emit('msg:custom', {type: 'hello'})")
    playwright_api.expect(page.locator(".fb-global-actions button")).to_be_enabled()


def test_a_hello_handled_without_an_answer_means_no_kernel_knows_the_widget(page, small_svg):
    mount(page, traits(small_svg, actions=ACTIONS, selected="load"))
    # the kernel handled the hello (went idle) and said nothing: restarted, or never there
    page.evaluate("model.callbacks[0].iopub.status({content: {execution_state: 'busy'}})")
    assert page.get_attribute(".flowbook-view", "data-connected") is None  # not yet known
    page.evaluate("model.callbacks[0].iopub.status({content: {execution_state: 'idle'}})")
    notice = page.locator(".fb-disconnected")
    playwright_api.expect(notice).to_have_text(
        "This widget is not connected to a running kernel: re-run the cell")
    assert page.get_attribute(".flowbook-view", "data-connected") == "no"
    playwright_api.expect(page.locator(".fb-task-actions button")).to_be_disabled()
    page.evaluate("model.emit('msg:custom', {type: 'hello'})")  # a later answer after all
    playwright_api.expect(notice).to_be_hidden()
    playwright_api.expect(page.locator(".fb-task-actions button")).to_be_enabled()


def test_a_hello_answered_before_idle_keeps_the_view_connected(page, small_svg):
    mount(page, traits(small_svg, actions=ACTIONS, selected="load"))
    page.evaluate("model.emit('msg:custom', {type: 'hello'})")
    page.evaluate("model.callbacks[0].iopub.status({content: {execution_state: 'idle'}})")
    assert page.get_attribute(".flowbook-view", "data-connected") == "yes"


def test_cleanup_stops_listening_to_the_model(page, small_svg):
    mount(page, traits(small_svg))
    assert page.evaluate("model.count('change:nodes')") == 1
    page.evaluate("cleanup()")
    assert page.evaluate("model.count('change:nodes') + model.count('msg:custom')") == 0
    assert page.locator(".flowbook-view").count() == 0


@pytest.mark.parametrize("told_by", ["the connected trait", "the flowbook-disconnected event"])
def test_a_view_told_it_is_disconnected_disables_its_buttons(page, small_svg, told_by):
    mount(page, traits(small_svg, actions=ACTIONS, selected="load"))
    page.evaluate("model.emit('msg:custom', {type: 'hello', kernel: 'k'})")
    if told_by == "the connected trait":
        update(page, "connected", False)
    else:
        page.evaluate("document.querySelector('.flowbook-view')"
                      ".dispatchEvent(new CustomEvent('flowbook-disconnected'))")
    playwright_api.expect(page.locator(".fb-disconnected")).to_be_visible()
    playwright_api.expect(page.locator(".fb-global-actions button")).to_be_disabled()


# ---------------------------------------------------------------- the What-if mode

HINT = "What if: click a task to change how it ends; the rest follows the rules."


def connected(page) -> None:
    page.evaluate("model.emit('msg:custom', {type: 'hello', kernel: 'k'})")


def test_the_what_if_toggle_sets_what_if_and_shows_its_hint_and_reset(page, small_svg):
    mount(page, traits(small_svg, SMALL_NODES))
    toggle = page.locator(".fb-what-if-toggle")
    playwright_api.expect(toggle).to_be_disabled()  # no kernel has answered yet
    connected(page)
    playwright_api.expect(toggle).to_have_attribute("aria-pressed", "false")
    playwright_api.expect(page.locator(".fb-what-if-hint")).to_be_hidden()
    toggle.click()
    assert model_value(page, "what_if") is True and page.evaluate("model.saves") >= 1
    update(page, "status", {**traits()["status"], "what_if": "What if: nothing changed yet",
                            "hint": HINT})
    playwright_api.expect(toggle).to_have_attribute("aria-pressed", "true")
    playwright_api.expect(page.locator(".fb-what-if-hint")).to_have_text(HINT)
    playwright_api.expect(page.locator(".fb-what-if-reset")).to_be_disabled()  # nothing set
    assert page.get_attribute(".flowbook-view", "data-what-if") == "on"
    playwright_api.expect(page.locator(".fb-view-button[data-view='timeline']")).to_be_disabled()
    toggle.click()
    assert model_value(page, "what_if") is False
    playwright_api.expect(page.locator(".fb-what-if-hint")).to_be_hidden()


def test_in_what_if_mode_a_click_or_enter_selects_and_sends_a_what_if_message(page, small_svg):
    mount(page, traits(small_svg, SMALL_NODES, what_if=True))
    connected(page)
    node(page, "load").click()
    assert model_value(page, "selected") == "load"
    node(page, "report").focus()
    page.keyboard.press("Enter")
    assert model_value(page, "selected") == "report"
    sent = [m for m in page.evaluate("model.sent") if m["type"] != "hello"]
    assert sent == [{"type": "what_if", "task": "load"}, {"type": "what_if", "task": "report"}]


def test_out_of_what_if_mode_a_click_only_selects(page, small_svg):
    mount(page, traits(small_svg, SMALL_NODES))
    connected(page)
    node(page, "load").click()
    assert [m for m in page.evaluate("model.sent") if m["type"] != "hello"] == []


def test_a_task_set_by_hand_is_marked_and_reset_clears_the_outcomes(page, small_svg):
    nodes = {**SMALL_NODES, "load": failed(set="Failed")}
    status = {**traits()["status"], "state": "Failed",
              "what_if": "What if: load Failed → flow Failed (real run: Success)", "hint": HINT}
    mount(page, traits(small_svg, nodes, what_if=True, outcomes={"load": "Failed"},
                       status=status))
    connected(page)
    mark = node(page, "load").locator(".fb-set-mark")
    playwright_api.expect(mark).to_have_attribute("visibility", "visible")
    assert mark.locator("text").text_content() == "if"
    assert node(page, "load").get_attribute("aria-label") == "load: Failed (what if: set to Failed)"
    playwright_api.expect(node(page, "load")).to_have_class(re.compile(r"\bfb-set\b"))
    assert node(page, "extract").locator(".fb-set-mark").count() == 0
    playwright_api.expect(page.locator(".fb-what-if-line")).to_have_text(
        "What if: load Failed → flow Failed (real run: Success)")
    playwright_api.expect(page.locator(".fb-legend")).to_contain_text("set by you")
    page.click(".fb-what-if-reset")
    assert model_value(page, "outcomes") == {}
    update(page, "nodes", {**SMALL_NODES, "load": succeeded()})  # Python's answer
    playwright_api.expect(mark).to_have_attribute("visibility", "hidden")
    playwright_api.expect(node(page, "load")).not_to_have_class(re.compile(r"\bfb-set\b"))


def test_leaving_what_if_mode_drops_its_line_and_legend_entry(page, small_svg):
    status = {**traits()["status"], "what_if": "What if: nothing changed yet", "hint": HINT}
    mount(page, traits(small_svg, SMALL_NODES, what_if=True, status=status))
    playwright_api.expect(page.locator(".fb-what-if-line")).to_be_visible()
    update(page, "what_if", False)
    update(page, "status", traits()["status"])
    playwright_api.expect(page.locator(".fb-what-if-line")).to_have_count(0)
    playwright_api.expect(page.locator(".fb-legend")).not_to_contain_text("set by you")
    assert page.get_attribute(".flowbook-view", "data-what-if") == "off"


def test_the_tooltip_of_a_node_follows_its_new_state(page, small_svg):
    mount(page, traits(small_svg, SMALL_NODES))
    node(page, "report").hover()
    tooltip = page.locator(".fb-tooltip")
    playwright_api.expect(tooltip).to_contain_text("not run")
    update(page, "nodes", {**SMALL_NODES, "report": failed(set="Failed")})
    playwright_api.expect(tooltip).to_contain_text("Failed")
    playwright_api.expect(tooltip).to_contain_text("what if: set to Failed")
