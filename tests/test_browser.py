"""The live widget in a real browser: JupyterLab on 127.0.0.1, driven by Playwright and Debian's
Chromium (/usr/bin/chromium; never `playwright install`).

The notebook shows a flow's widget, runs the flow, and the test clicks Resume and Retry in the
page. Screenshots go to build/test-artifacts/browser/ (after each step, and on failure).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "build" / "test-artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
HOSTILE = "<img src=x onerror=alert(1)>"
GREEN, RED, PAUSED, NOT_RUN = "#28a745", "#eb0000", "#99a8e8", "#e0e0e0"
WAIT_MS = 90_000  # generous: the machine is shared

CELLS = [
    # 0: the flow and its widget
    '''import flowbook
from flowbook import Flow, task, triggers

fixed = {"load": False}

@task
def extract():
    return [1, 2, 3]

@task(trigger=triggers.manual_only)
def approve(rows):
    return rows

@task
def publish(rows):
    return len(rows)

@task
def load(rows):
    if not fixed["load"]:
        raise ConnectionError("database is down")
    return len(rows)

@task(name="<img src=x onerror=alert(1)>")
def hostile(rows):
    return rows

with Flow("browser") as flow:
    rows = extract()
    publish(approve(rows))
    load(rows)
    hostile(rows)
flowbook.show(flow)''',
    # 1: run it (approve pauses, load fails)
    "state = flow.run()\nstate",
    # 2: fix what load reads
    'fixed["load"] = True',
]

NODE_FILLS = """() => {
  const fills = {};
  for (const g of document.querySelectorAll('.flowbook-widget g.node')) {
    const shape = g.querySelector('ellipse, polygon');
    fills[g.querySelector('title').textContent] = shape ? shape.getAttribute('fill') : null;
  }
  return fills;
}"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_notebook(path: Path) -> None:
    cells = [{"cell_type": "code", "execution_count": None, "id": f"cell{i}", "metadata": {},
              "outputs": [], "source": source} for i, source in enumerate(CELLS)]
    notebook = {"cells": cells, "nbformat": 4, "nbformat_minor": 5, "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                       "language": "python"}}}
    path.write_text(json.dumps(notebook))


def _write_settings(settings: Path) -> None:
    """Lab settings for a quiet, deterministic page: no news or update prompts, and every
    cell kept rendered (no windowing), so the widget stays in the DOM."""
    files = {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
            {"fetchNews": "false", "checkForUpdates": False},
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings":
            {"windowingMode": "none"},
    }
    for name, value in files.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(value))


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab serving a temp dir on 127.0.0.1 with a token; stopped at the end."""
    if not Path(CHROMIUM).exists() or shutil.which("dot") is None:
        pytest.fail("the browser test needs /usr/bin/chromium and Graphviz's dot; "
                    "`make system` installs them (apt-get install chromium graphviz)")
    home = tmp_path_factory.mktemp("lab")
    (home / "notebooks").mkdir()
    _write_notebook(home / "notebooks" / "widget.ipynb")
    _write_settings(home / "settings")
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"),
               JUPYTER_DATA_DIR=str(home / "data"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               IPYTHONDIR=str(home / "ipython"), JUPYTER_PLATFORM_DIRS="1")
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={home / 'notebooks'}",
               f"--LabApp.user_settings_dir={home / 'settings'}",
               f"--LabApp.workspaces_dir={home / 'workspaces'}",
               "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = open(home / "lab.log", "w")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(base, token, server, home / "lab.log")
        yield {"base": base, "token": token, "log": home / "lab.log"}
    finally:
        _stop(server)
        log.close()


def _wait_until_serving(base: str, token: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within 120 s:\n{log.read_text()[-3000:]}")


def _stop(server: subprocess.Popen) -> None:
    """Stop the server and its kernels (its own process group)."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)


@pytest.fixture
def page(lab, tmp_path):
    """A Chromium page with a fresh profile, logged in to the lab; screenshots on failure."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS,
            headless=True, viewport={"width": 1400, "height": 1400})
        context.set_default_timeout(WAIT_MS)
        page = context.pages[0] if context.pages else context.new_page()
        page.dialogs = []  # a script that ran from a task name would open one
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        try:
            yield page
        finally:
            context.close()


@contextlib.contextmanager
def screenshot_on_failure(page):
    try:
        yield
    except BaseException:
        page.screenshot(path=str(ARTIFACTS / "failure.png"), full_page=True)
        raise


def _run_cell(page, index: int) -> None:
    """Shift+Enter in cell ``index``, then wait until it ran. A keypress that came before the
    kernel was connected leaves the prompt at [ ] (never [*]): press again."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    prompt = cell.locator(".jp-InputArea-prompt").element_handle()
    for _ in range(4):
        cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        try:
            page.wait_for_function("el => /\\[(\\*|\\d+)\\]/.test(el.textContent)",
                                   arg=prompt, timeout=15_000)
            break
        except playwright_api.TimeoutError:
            continue
    page.wait_for_function("el => /\\[\\d+\\]/.test(el.textContent)", arg=prompt,
                           timeout=WAIT_MS)


def _wait_for_fills(page, expected: dict) -> None:
    try:
        page.wait_for_function(
            f"expected => {{ const fills = ({NODE_FILLS})(); return Object.entries(expected)"
            ".every(([name, fill]) => fills[name] === fill); }", arg=expected, timeout=WAIT_MS)
    except playwright_api.TimeoutError:
        actual = page.evaluate(NODE_FILLS)
        raise AssertionError(f"node fills never became {expected}; they are {actual}") from None


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


@pytest.mark.timeout(300)
def test_the_widget_follows_the_run_and_its_buttons_resume_and_retry(lab, page):
    with screenshot_on_failure(page):
        page.goto(f"{lab['base']}/lab/tree/widget.ipynb?token={lab['token']}")
        page.locator(".jp-Notebook .jp-Cell").first.wait_for()
        page.get_by_text(re.compile(r"\| Idle")).first.wait_for()  # the kernel is connected
        _run_cell(page, 0)
        page.locator(".flowbook-widget svg g.node").first.wait_for()
        _wait_for_fills(page, {"extract": NOT_RUN, "approve": NOT_RUN, HOSTILE: NOT_RUN})

        _run_cell(page, 1)
        _wait_for_fills(page, {"extract": GREEN, "approve": PAUSED, "publish": NOT_RUN,
                               "load": RED, HOSTILE: GREEN})
        _shot(page, "1-after-run.png")

        page.get_by_role("button", name="Resume approve").click()
        _wait_for_fills(page, {"approve": GREEN, "publish": GREEN, "load": RED})
        _shot(page, "2-after-resume.png")

        _run_cell(page, 2)
        page.get_by_role("button", name="Retry load").click()
        _wait_for_fills(page, {"load": GREEN, "approve": GREEN, "publish": GREEN})
        page.locator(".flowbook-status", has_text="All reference tasks succeeded").wait_for()

        widget = page.locator(".flowbook-widget")
        widget.locator("select").select_option(label=HOSTILE)
        page.locator(".flowbook-panel .flowbook-task b", has_text=HOSTILE).wait_for()
        node_texts = page.evaluate("""() => [...document.querySelectorAll(
            '.flowbook-widget g.node text')].map(t => t.textContent)""")
        assert HOSTILE in node_texts  # the name is text in the drawing ...
        assert widget.locator("img").count() == 0  # ... and no element was made from it
        assert page.dialogs == []
        _shot(page, "3-after-retry.png")
