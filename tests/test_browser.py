"""The widget in a real browser, in JupyterLab 4 and in Notebook 7 (every test runs in both: its
id ends in [lab] or [notebook]), driven by Playwright and Debian's Chromium (the fixtures of
jupyter_servers.py: servers on 127.0.0.1, never `playwright install`).

Most tests share one notebook and kernel per UI (``workbook``): each runs the cells it needs,
once, and looks at their outputs. Restarting a kernel and reopening a saved notebook get
notebooks of their own. Every wait is on a condition of the page, never on time.
Screenshots go to build/test-artifacts/browser/<ui>/, after each step and on failure.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import shutil
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Error as PlaywrightError, Expect  # noqa: E402
from playwright.sync_api import TimeoutError as PageTimeout  # noqa: E402

from flowbook.widget.palette import COLOURS  # noqa: E402
from jupyter_servers import (  # noqa: E402,F401 - fixtures are used by name
    WAIT_MS, chromium, jupyter_server, new_page, open_notebook, page, run_cell, trust)

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "build" / "test-artifacts" / "browser"
GREEN, RED, PAUSED, RUNNING = (COLOURS["Success"], COLOURS["Failed"], COLOURS["Paused"],
                               COLOURS["Running"])
TRIGGER_FAILED = COLOURS["TriggerFailed"]
HOSTILE = "<img src=x onerror=alert(1)>"
expect = Expect()  # Playwright's expect, with this module's own generous timeout
expect.set_options(timeout=WAIT_MS)
KERNEL = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

# The shared notebook: name -> source. A test runs the cells it needs (and "setup" first).
CELLS = {
    "setup": '''import threading
import flowbook
from flowbook import Flow, task, triggers

HOSTILE = "<img src=x onerror=alert(1)>"
fixed = {}  # task name -> True: the task that reads it stops failing
gate = threading.Event()  # publish waits for it: set by a cell while a button's run goes on''',
    "spark": '''@task
def create_cluster():
    return "cluster"

@task
def run_job(cluster):
    raise RuntimeError("job failed")

@task
def report(result):
    return result

with Flow("spark") as spark:
    report(run_job(create_cluster()))
spark.run()
flowbook.show(spark)''',
    "first run": '''@task
def extract():
    return [1, 2, 3]

@task
def load(rows):
    if not fixed.get("load"):
        raise ConnectionError("database is down")
    return len(rows)

with Flow("etl") as etl:
    load(extract())
state = etl.run()
flowbook.show(state)''',
    "second run": '''fixed["load"] = True
flowbook.show(etl.run())''',
    "magic run": '''%load_ext flowbook
@task
def fetch():
    return 1

@task
def store(x):
    if not fixed.get("store"):
        raise ConnectionError("bucket is gone")
    return x

with Flow("nightly") as nightly:
    store(fetch())
%flow run nightly''',
    "magic rerun": '''fixed["store"] = True
nightly.run()
flowbook.show(nightly)''',
    "big": '''@task
def ok(x=0):
    return x

@task
def boom(x=0):
    raise RuntimeError("boom")

with Flow("big") as big:
    first = boom()
    for i in range(299):
        ok(first if i < 150 else None)
big.run()
flowbook.show(big)''',
    "map": '''@task
def numbers():
    return list(range(100))

@task
def check(x):
    if x % 12 == 5:  # 5, 17, ..., 89: 8 of 100
        raise ValueError(f"bad {x}")
    return x

with Flow("map") as mapping:
    check.map(numbers())
mapping.run()
flowbook.show(mapping)''',
    "paused": '''@task
def prepare():
    return "rows"

@task(trigger=triggers.manual_only)
def approve(rows):
    return rows

@task
def publish(rows):
    gate.wait(timeout=600)
    return rows

with Flow("release") as release:
    publish(approve(prepare()))
release.run()
flowbook.show(release)''',
    "open gate": "gate.set()",
    "failed": '''@task
def read():
    return 1

@task
def write(x):
    if not fixed.get("write"):
        raise ConnectionError("disk is full")
    return x

with Flow("backup") as backup:
    write(read())
backup.run()
flowbook.show(backup)''',
    "fix write": 'fixed["write"] = True',
    "hostile": '''@task(name=HOSTILE)
def hostile():
    return 1

@task
def after(x):
    return x

with Flow(HOSTILE) as hostile_flow:
    after(hostile())
hostile_flow.run()
flowbook.show(hostile_flow)''',
    "what if": '''@task
def fetch_rows():
    return [1, 2]

@task
def train(rows):
    return len(rows)

@task
def publish_model(n):
    return n

with Flow("model") as model:
    publish_model(train(fetch_rows()))
model.run()
flowbook.show(model)''',
    "breakpoint": '''@task
def stage_one():
    return 1

@task
def stage_two(x):
    return x + 1

@task
def stage_three(x):
    return x + 1

with Flow("stages") as stages:
    stage_three(stage_two(stage_one()))
stages.run(breakpoints=["stage_two"])
flowbook.show(stages)''',
    "stale raw": "%%task raw --flow edits\n[3, 1, 2]",  # "magic run" loads the extension
    "stale cleaned": "%%task cleaned --flow edits\nsorted(raw)",
    "stale summary": "%%task summary --flow edits\nlen(cleaned)",
    "stale run": "%flow run edits",
}
NEEDS = {"second run": ["first run"], "magic rerun": ["magic run"], "open gate": ["paused"],
         "fix write": ["failed"],
         "stale run": ["magic run", "stale raw", "stale cleaned", "stale summary"]}

# A notebook of its own (a kernel to restart, a notebook to save): the spark flow alone.
SPARK = CELLS["setup"] + "\n\n" + CELLS["spark"]

# In the page: the fill of task NAME's shape in VIEW (a .flowbook-view).
FILL = """([view, name]) => {
  const g = [...view.querySelectorAll('g.node[data-task]')].find(n => n.dataset.task === name);
  const shape = g && [...g.querySelectorAll('.fb-shape')]
    .find(s => s.getAttribute('fill') && s.getAttribute('fill') !== 'none');
  return shape ? shape.getAttribute('fill') : null;
}"""

# In the page: the widths of VIEW's drawing and of its output, and the nodes drawn outside
# its viewport.
FITS = """(view) => {
  const svg = view.querySelector('.fb-viewport > svg').getBoundingClientRect();
  const area = view.closest('.jp-OutputArea-output').getBoundingClientRect();
  const port = view.querySelector('.fb-viewport').getBoundingClientRect();
  const outside = [...view.querySelectorAll('g.node[data-task]')].filter(g => {
    const r = g.getBoundingClientRect();
    return r.left < port.left - 0.5 || r.right > port.right + 0.5
      || r.top < port.top - 0.5 || r.bottom > port.bottom + 0.5;
  }).map(g => g.dataset.task);
  return {svg: svg.width, area: area.width, outside};
}"""

# In the page: the WCAG 2 contrast of a view's edges, edge labels and node labels with what is
# under them: the output's effective background (the first opaque one up the ancestors, with
# the translucent ones above it blended in), or, for a node's label, its node's fill.
CONTRAST = """(view) => {
  const parse = (css) => {
    const m = /rgba?\\(([^)]+)\\)/.exec(css || '');
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) => [0, 1, 2].map(i => top[i] * top[3] + under[i] * (1 - top[3]))
    .concat([1]);
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    return layers.reverse().reduce((under, layer) => over(layer, under), [255, 255, 255, 1]);
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (fg, bg) => {
    const [hi, lo] = [lum(over(fg, bg)), lum(bg)].sort((a, b) => b - a);
    return (hi + 0.05) / (lo + 0.05);
  };
  const svg = view.querySelector('.fb-viewport svg');
  const bg = background(svg);
  const least = (items) => Math.min(...items);
  const edges = [...svg.querySelectorAll('g.edge path')]
    .map(p => ratio(parse(getComputedStyle(p).stroke), bg));
  const edgeLabels = [...svg.querySelectorAll('g.edge text')]
    .map(t => ratio(parse(getComputedStyle(t).fill), bg));
  const nodeLabels = [...svg.querySelectorAll('g.node[data-task]')].map(g => {
    const shape = [...g.querySelectorAll('.fb-shape')]
      .find(s => getComputedStyle(s).fill !== 'none');
    const fill = shape ? over(parse(getComputedStyle(shape).fill), bg) : bg;
    return least([...g.querySelectorAll(':scope > text')]
      .map(t => ratio(parse(getComputedStyle(t).fill), fill)));
  });
  return {background: bg, edges: edges.length, edgeLabels: edgeLabels.length,
          edge: least(edges), edgeLabel: least(edgeLabels), nodeLabel: least(nodeLabels)};
}"""


# ------------------------------------------------------------------ notebooks and screenshots

def notebook(sources: list) -> dict:
    """An nbformat 4 notebook of code cells with the ``sources``, for the python3 kernel."""
    cells = [{"cell_type": "code", "execution_count": None, "id": f"cell{i}", "metadata": {},
              "outputs": [], "source": source} for i, source in enumerate(sources)]
    return {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": KERNEL}}


class Shots:
    """Screenshots of one test: ``take(step)`` after a step; ``failed()`` when it failed."""

    def __init__(self, server, test: str):
        self.server = server
        self.folder = ARTIFACTS / server.ui
        self.folder.mkdir(parents=True, exist_ok=True)
        self.test = re.sub(r"\[.*\]$", "", test)
        self.page = None  # the page the test shows; set by the test (or by Workbook)
        self.count = 0

    def take(self, step: str, target=None) -> None:
        """Screenshot the page after ``step``, with ``target`` (a locator) scrolled into view."""
        if target is not None:
            target.scroll_into_view_if_needed()
        self.count += 1
        self.page.screenshot(path=str(self.folder / f"{self.test}-{self.count}-{step}.png"))

    def failed(self) -> None:
        """The page, its console and the server's log, as they were when the test failed."""
        if self.page is not None and not self.page.is_closed():
            with contextlib.suppress(PlaywrightError):  # a broken page: the log still helps
                self.page.screenshot(path=str(self.folder / f"{self.test}-FAILED.png"))
        (self.folder / f"{self.test}-FAILED-console.txt").write_text(
            "\n".join(getattr(self.page, "console", [])))
        shutil.copyfile(self.server.log, self.folder / f"{self.test}-FAILED-server.log")


@pytest.fixture(scope="module")
def artifacts(jupyter_server) -> Path:
    """build/test-artifacts/browser/<ui>/, emptied of an earlier run's screenshots."""
    folder = ARTIFACTS / jupyter_server.ui
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def shots(request, jupyter_server, artifacts):
    """The test's Shots; a screenshot (and the console) of its page if it failed."""
    taken = Shots(jupyter_server, request.node.name)
    failures = request.session.testsfailed
    yield taken
    if request.session.testsfailed > failures:  # this test's call failed (logged before now)
        taken.failed()


class Workbook:
    """The shared notebook open in a page of its own: cells run once, on demand."""

    def __init__(self, page, server):
        self.page, self.server = page, server
        self.names = list(CELLS)
        self.ran: set = set()

    def cell(self, name: str):
        return self.page.locator(".jp-Notebook .jp-Cell").nth(self.names.index(name))

    def run(self, name: str) -> None:
        """Run cell ``name`` (and the cells it needs) unless it ran already."""
        for needed in ["setup", *NEEDS.get(name, []), name]:
            if needed not in self.ran:
                run_cell(self.page, self.names.index(needed))
                self.ran.add(needed)

    def view(self, name: str, nth: int = 0):
        """The live view ``nth`` of cell ``name``, run if needed, once its drawing is in."""
        self.run(name)
        view = self.cell(name).locator(".flowbook-view").nth(nth)
        expect(view.locator("g.node[data-task]").first).to_be_attached()
        return view


@pytest.fixture(scope="module")
def workbook(jupyter_server, chromium):
    """The shared notebook of this UI open in a page (a browser context of its own)."""
    (jupyter_server.root / "workbook.ipynb").write_text(json.dumps(notebook(list(CELLS.values()))))
    page = new_page(chromium)
    try:
        open_notebook(page, jupyter_server, "workbook.ipynb")
        yield Workbook(page, jupyter_server)
    finally:
        page.context.close()


@pytest.fixture
def book(workbook, shots):
    """The shared notebook, its screenshots going to the test's Shots."""
    shots.page = workbook.page
    return workbook


# ------------------------------------------------------------------ small page helpers

def node(view, name: str):
    """Task ``name``'s node in ``view`` (names are matched exactly, hostile ones too)."""
    return view.locator(f"g.node[data-task={json.dumps(name)}]")


def panel(view):
    """The selected task's panel (the HTML Python sends has .fb-panel parts of its own)."""
    return view.locator(".fb-panel-area > .fb-panel")


def wait_for_fill(view, name: str, fill: str) -> None:
    try:
        view.page.wait_for_function(f"([view, name, fill]) => ({FILL})([view, name]) === fill",
                                    arg=[view.element_handle(), name, fill], timeout=WAIT_MS)
    except PageTimeout:
        now = view.evaluate(f"(view, name) => ({FILL})([view, name])", name)
        raise AssertionError(f"{name} never became {fill}; its fill is {now}") from None


def fill_of(view, name: str) -> str:
    return view.page.evaluate(f"([view, name]) => ({FILL})([view, name])",
                              [view.element_handle(), name])


def svg_width(view) -> float:
    return view.locator(".fb-viewport > svg").evaluate("svg => svg.getBoundingClientRect().width")


# ------------------------------------------------------------------ 1. selecting a task

def test_clicking_a_node_shows_why_it_did_not_run_in_the_panel(book, shots):
    view = book.view("spark")
    node(view, "report").click()
    expect(panel(view)).to_contain_text("all_successful runs when every upstream task succeeded")
    expect(panel(view)).to_contain_text("run_job is Failed")
    expect(node(view, "report")).to_have_class(re.compile(r"\bfb-selected\b"))
    shots.take("report-selected", view)


def test_tab_to_a_node_and_enter_selects_it(book, shots):
    view = book.view("spark")
    view.locator(".fb-search").click()  # a start inside the view, before the drawing
    for _ in range(20):
        book.page.keyboard.press("Tab")
        if view.evaluate("(v, name) => document.activeElement?.dataset?.task === name",
                         "run_job"):
            break
    else:
        raise AssertionError("Tab never reached the node run_job")
    shots.take("run_job-focused", view)
    book.page.keyboard.press("Enter")
    expect(panel(view)).to_contain_text("RuntimeError: job failed")
    expect(node(view, "run_job")).to_have_class(re.compile(r"\bfb-selected\b"))
    shots.take("run_job-selected", view)


# ------------------------------------------------------------------ 2. one run per picture

def test_a_later_run_does_not_change_an_earlier_cells_picture(book, shots):
    first = book.view("first run")
    wait_for_fill(first, "load", RED)
    shots.take("first-run", first)
    second = book.view("second run")
    wait_for_fill(second, "load", GREEN)  # the second run ended: any change would be in
    assert fill_of(first, "load") == RED
    expect(first.locator(".fb-run-number")).to_have_text("run 1")
    expect(second.locator(".fb-run-number")).to_have_text("run 2")
    shots.take("second-run", second)


def test_the_output_of_flow_run_keeps_showing_its_run(book, shots):
    shown = book.view("magic run")
    wait_for_fill(shown, "store", RED)
    later = book.view("magic rerun")
    wait_for_fill(later, "store", GREEN)
    assert fill_of(shown, "store") == RED
    expect(shown.locator(".fb-run-number")).to_have_text("run 1")
    shots.take("after-a-later-run", shown)


# ------------------------------------------------------------------ 3. a big flow

def test_a_300_task_flow_fits_the_output_width_on_first_show(book, shots):
    view = book.view("big")
    expect(view.locator("g.node[data-task]")).to_have_count(300)
    try:  # the view fits the drawing once the output has its width: wait for that
        book.page.wait_for_function(
            f"view => {{ const f = ({FITS})(view); "
            "return f.svg > 0 && f.svg <= f.area && f.outside.length === 0; }",
            arg=view.element_handle(), timeout=WAIT_MS)
    except PageTimeout:
        fit = view.evaluate(FITS)
        raise AssertionError(f"the drawing is {fit['svg']:.0f} px wide in an output of "
                             f"{fit['area']:.0f} px; {len(fit['outside'])} nodes are outside "
                             f"the viewport") from None
    shots.take("first-show", view)


def test_zoom_in_enlarges_the_drawing_and_fit_returns_it(book, shots):
    view = book.view("big")
    port = view.locator(".fb-viewport")
    view.get_by_role("button", name="fit to width").click()
    fitted, zoom = svg_width(view), port.get_attribute("data-zoom")
    view.get_by_role("button", name="zoom in").click()
    expect(port).not_to_have_attribute("data-zoom", zoom)
    assert svg_width(view) == pytest.approx(fitted * 1.25, rel=0.02)
    assert int(port.get_attribute("data-zoom")) > int(zoom)
    shots.take("zoomed-in", view)
    view.get_by_role("button", name="fit to width").click()
    expect(port).to_have_attribute("data-zoom", zoom)
    assert svg_width(view) == pytest.approx(fitted, rel=0.01)
    shots.take("fitted", view)


# ------------------------------------------------------------------ 4. a map

def test_a_map_with_8_failed_children_says_8_failed_in_its_node_and_status(book, shots):
    view = book.view("map")
    expect(node(view, "check").locator(".fb-bar-label")).to_contain_text(re.compile(r"\b8 ✗"))
    expect(view.locator('.fb-count[title="Failed"]')).to_have_text(re.compile(r"^\s*8 Failed$"))
    shots.take("map", view)


# ------------------------------------------------------------------ 5. actions

def test_a_300_task_flow_with_one_failure_shows_at_most_two_global_buttons(book, shots):
    view = book.view("big")
    buttons = view.locator(".fb-global-actions button")
    expect(buttons.first).to_be_visible()
    assert buttons.count() <= 2
    expect(buttons).to_have_text(["Retry failed (1)"])
    shots.take("global-buttons", view)


def test_resume_all_continues_the_run_in_the_background(book, shots):
    view = book.view("paused")
    wait_for_fill(view, "approve", PAUSED)
    resume = view.locator(".fb-global-actions button", has_text="Resume all (1)")
    resume.click()
    wait_for_fill(view, "approve", GREEN)
    wait_for_fill(view, "publish", RUNNING)  # it waits for the gate: the run goes on ...
    shots.take("resumed", view)
    book.run("open gate")  # ... and the kernel runs a cell meanwhile, which lets it end
    wait_for_fill(view, "publish", GREEN)
    shots.take("finished", view)


def test_retry_in_a_fixed_tasks_panel_turns_it_green(book, shots):
    view = book.view("failed")
    wait_for_fill(view, "write", RED)
    book.run("fix write")
    node(view, "write").click()
    retry = view.locator(".fb-task-actions button", has_text=re.compile(r"^Retry$"))
    retry.click()
    wait_for_fill(view, "write", GREEN)
    shots.take("retried", view)


def test_a_hostile_task_name_is_shown_as_text_and_runs_no_script(book, shots):
    view = book.view("hostile")
    hostile = node(view, HOSTILE)
    expect(hostile.locator(":scope > text")).to_have_text(HOSTILE)
    expect(view.locator(".fb-status .fb-flow")).to_have_text(HOSTILE)
    hostile.click()
    expect(panel(view)).to_contain_text(HOSTILE)
    assert view.locator("img").count() == 0  # no element was made from the name
    assert book.page.dialogs == []
    shots.take("hostile-selected", view)


# ------------------------------------------------------------------ 6. what if, and stepping

def test_what_if_a_click_fails_a_task_and_leaving_restores_the_run(book, shots):
    view = book.view("what if")
    wait_for_fill(view, "train", GREEN)
    toggle = view.locator(".fb-what-if-toggle")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(view.locator(".fb-what-if-hint")).to_contain_text("click a task to change how")
    node(view, "train").click()
    wait_for_fill(view, "train", RED)
    wait_for_fill(view, "publish_model", TRIGGER_FAILED)
    expect(view.locator(".fb-what-if-line")).to_have_text(
        "What if: train Failed → flow Failed (real run: Success)")
    expect(node(view, "train").locator(".fb-set-mark")).to_have_attribute("visibility",
                                                                           "visible")
    expect(panel(view)).to_contain_text("What if (a simulation)")
    expect(view.locator(".fb-global-actions button")).to_have_count(0)
    shots.take("train-failed", view)
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    wait_for_fill(view, "train", GREEN)
    wait_for_fill(view, "publish_model", GREEN)
    expect(view.locator(".fb-what-if-line")).to_have_count(0)
    shots.take("the-run-again", view)


def test_a_run_at_a_breakpoint_shows_step_which_runs_one_task(book, shots):
    view = book.view("breakpoint")
    wait_for_fill(view, "stage_two", PAUSED)
    buttons = view.locator(".fb-global-actions button")
    expect(buttons).to_have_text(["Step", "Continue"])
    shots.take("at-the-breakpoint", view)
    buttons.first.click()
    wait_for_fill(view, "stage_two", GREEN)
    wait_for_fill(view, "stage_three", PAUSED)  # stepping: it stops before the next one
    expect(buttons).to_have_text(["Step", "Continue"])
    node(view, "stage_three").click()
    expect(panel(view)).to_contain_text("The run stopped before it started, at a breakpoint")
    shots.take("stepped", view)


# ------------------------------------------------------------------ 6b. stale tasks

def replace_last_line(book, name: str, text: str) -> None:
    """Type over the last line of cell ``name``'s source, as a person editing it would."""
    cell = book.cell(name)
    cell.locator(".jp-InputArea-editor").click()
    book.page.keyboard.press("Control+End")
    book.page.keyboard.press("Shift+Home")
    book.page.keyboard.insert_text(text)
    expect(cell.locator(".jp-InputArea-editor")).to_contain_text(text)


def test_a_task_cell_run_again_with_other_code_rings_its_node_and_says_edited(book, shots):
    view = book.view("stale run")
    wait_for_fill(view, "summary", GREEN)
    expect(node(view, "cleaned")).to_have_attribute("aria-label", "cleaned: Success")
    shots.take("ran", view)
    replace_last_line(book, "stale cleaned", "sorted(raw, reverse=True)")
    run_cell(book.page, book.names.index("stale cleaned"))
    cleaned = node(view, "cleaned")
    expect(cleaned).to_have_attribute("aria-label", "cleaned: Success, stale (edited)")
    expect(cleaned.locator(".fb-stale-ring")).to_have_attribute("visibility", "visible")
    expect(node(view, "summary")).to_have_attribute(
        "aria-label", "summary: Success, stale (below cleaned)")
    expect(node(view, "raw")).to_have_attribute("aria-label", "raw: Success")
    assert fill_of(view, "cleaned") == GREEN  # its state's look stays
    cleaned.hover()
    expect(view.locator(".fb-tooltip")).to_contain_text(
        "edited since it ran: its result is from the old code; run the flow again")
    expect(view.locator(".fb-legend")).to_contain_text("stale")
    shots.take("edited", view)


# ------------------------------------------------------------------ 7. a saved notebook

@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> dict:
    """The spark notebook executed by nbclient, with its outputs as flowbook displays them
    (and the widget state nbclient stores in the notebook's metadata)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    book = nbformat.from_dict(notebook([SPARK]))
    nbclient.NotebookClient(book, timeout=180, kernel_name="python3", resources={
        "metadata": {"path": str(tmp_path_factory.mktemp("executed"))}}).execute()
    return json.loads(nbformat.writes(book))


def open_saved(page, server, name: str, book: dict, *, trusted: bool, kernel: bool):
    """Save ``book`` as ``name`` and open it; its cell's outputs. ``trusted``: signed, as
    ``jupyter trust`` does. ``kernel``: the UI starts a fresh kernel for it (which knows
    none of its widgets), else none: told neither its kernelspec nor its language, the UI
    asks which kernel to start, and the answer is "No Kernel"."""
    book = copy.deepcopy(book)
    book["metadata"]["saved_as"] = name  # two copies never share a signature
    if not kernel:
        del book["metadata"]["kernelspec"], book["metadata"]["language_info"]
    (server.root / name).write_text(json.dumps(book))
    if trusted:
        trust(server, name)
    open_notebook(page, server, name, kernel=kernel)
    if not kernel:
        page.locator(".jp-Dialog", has_text="Select Kernel").locator(".jp-mod-reject").click()
        expect(page.locator(".jp-Dialog")).to_have_count(0)
        assert [s for s in server.api("GET", "api/sessions") if s["path"] == name] == []
    return page.locator(".jp-Notebook .jp-Cell").first.locator(".jp-OutputArea")


def expect_the_picture(outputs) -> None:
    """The static picture shows, drawn, and no live view or widget placeholder does."""
    picture = outputs.locator(".flowbook-static img")
    expect(picture).to_be_visible()
    outputs.page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                                   arg=picture.element_handle(), timeout=WAIT_MS)
    expect(outputs.locator(".flowbook-live")).to_have_count(0)
    for placeholder in outputs.get_by_text(
            re.compile("Error displaying widget|Loading widget|model not found")).all():
        expect(placeholder).to_be_hidden()


def test_a_saved_notebook_reopened_untrusted_without_a_kernel_shows_its_picture(
        jupyter_server, page, shots, executed):
    shots.page = page
    outputs = open_saved(page, jupyter_server, "saved-untrusted.ipynb", executed,
                         trusted=False, kernel=False)
    # Untrusted, the widget's output is not rendered as a widget: its empty text is.
    expect(outputs.locator('.jp-OutputArea-output[data-mime-type="text/plain"]')
           ).to_be_attached()
    expect_the_picture(outputs)
    shots.take("untrusted", outputs)


def test_a_saved_notebook_reopened_trusted_without_a_kernel_shows_its_picture(
        jupyter_server, page, shots, executed):
    shots.page = page
    outputs = open_saved(page, jupyter_server, "saved-trusted.ipynb", executed,
                         trusted=True, kernel=False)
    # Trusted, the widget's output waits for a kernel that does not come.
    expect(outputs.get_by_text("Loading widget")).to_be_attached()
    expect_the_picture(outputs)
    shots.take("trusted", outputs)


def test_a_saved_notebook_reopened_with_a_fresh_kernel_shows_its_picture_not_a_dead_view(
        jupyter_server, page, shots, executed):
    shots.page = page
    outputs = open_saved(page, jupyter_server, "saved-reopened.ipynb", executed,
                         trusted=True, kernel=True)
    # The UI restores the widget from the state nbclient saved, with no comm; once its view
    # rendered (marked live or restored) ...
    expect(outputs.locator(".flowbook-restored, .flowbook-live")).to_be_attached()
    expect_the_picture(outputs)  # ... it must have left the picture, since nothing answers it
    shots.take("fresh-kernel", outputs)


# ------------------------------------------------------------------ 8. a kernel restart

def spark_page(page, server, name: str):
    """Notebook ``name`` of the spark flow, open and run in ``page``; its live view."""
    (server.root / name).write_text(json.dumps(notebook([SPARK])))
    open_notebook(page, server, name)
    run_cell(page, 0)
    view = page.locator(".flowbook-view")
    expect(view).to_have_attribute("data-connected", "yes")  # the kernel answered its hello
    expect(view.locator(".fb-global-actions button")).to_be_enabled()
    return view


def expect_disconnected(view) -> None:
    expect(view).to_have_attribute("data-connected", "no")
    expect(view.locator(".fb-disconnected")).to_be_visible()
    for button in view.locator(".fb-global-actions button, .fb-task-actions button").all():
        expect(button).to_be_disabled()


def test_a_kernel_restart_from_the_menu_disconnects_the_old_widget(jupyter_server, page,
                                                                    shots):
    shots.page = page
    view = spark_page(page, jupyter_server, "restart-menu.ipynb")
    node(view, "report").click()  # its panel's buttons too
    expect(view.locator(".fb-task-actions button").first).to_be_enabled()
    shots.take("before-restart", view)
    page.evaluate("() => { window.jupyterapp.commands.execute('kernelmenu:restart'); }")
    page.locator(".jp-Dialog .jp-mod-accept").click()  # "Restart Kernel?"
    expect_disconnected(view)
    shots.take("after-restart", view)


def test_after_a_restart_elsewhere_a_click_on_an_action_disconnects_the_widget(
        jupyter_server, page, shots):
    shots.page = page
    view = spark_page(page, jupyter_server, "restart-rest.ipynb")
    session = [s for s in jupyter_server.api("GET", "api/sessions")
               if s["path"] == "restart-rest.ipynb"]
    # Answers once the new kernel is up. The page's connection to it may still be on its way
    # (its sockets reconnect to the new kernel, and a message sent before they do is lost):
    # round trips through the page's own kernel connection, each sent again until one comes
    # back, wait for that, so the click's hello is sure to reach the new kernel.
    jupyter_server.api("POST", f"api/kernels/{session[0]['kernel']['id']}/restart", timeout=120)
    page.evaluate("""async () => {
        const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
        const pause = (ms) => new Promise((done) => setTimeout(() => done(false), ms));
        for (let attempt = 0; attempt < 60; attempt++) {
            const sent = kernel.requestExecute({ code: "1", silent: true }).done;
            if (await Promise.race([sent.then(() => true), pause(2000)])) return;
        }
        throw new Error("the page never reached the restarted kernel");
    }""")
    view.locator(".fb-global-actions button").click()  # the new kernel does not answer it
    expect_disconnected(view)
    shots.take("after-click", view)


# ------------------------------------------------------------------ 9. the dark theme

def test_the_dark_theme_keeps_edges_and_labels_legible(book, shots):
    view = book.view("spark")
    page = book.page
    try:
        page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', "
                      "{theme: 'JupyterLab Dark'})")
        expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "false")
        page.wait_for_function(f"view => ({CONTRAST})(view).background[0] < 64",
                               arg=view.element_handle(), timeout=WAIT_MS)  # its CSS is in
        shots.take("dark", view)
        contrast = view.evaluate(CONTRAST)
        (shots.folder / f"{shots.test}-contrast.json").write_text(json.dumps(contrast))
        assert contrast["edges"] > 0 and contrast["edgeLabels"] > 0, contrast
        assert contrast["edge"] >= 3, contrast
        assert contrast["edgeLabel"] >= 3, contrast
        assert contrast["nodeLabel"] >= 3, contrast
    finally:  # the theme is a user setting of the server: the next page would be dark too
        page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', "
                      "{theme: 'JupyterLab Light'})")
        expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "true")
