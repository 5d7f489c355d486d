"""Make docs/widget.png, the README's picture of the widget: a flow run in JupyterLab on
127.0.0.1, driven by Debian's Chromium (tests/jupyter_servers.py), the view's element shot.

    .venv/bin/python docs/screenshot.py
"""
import pathlib
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import nbformat  # noqa: E402
from jupyter_servers import CHROMIUM, CHROMIUM_ARGS, open_notebook, run_cell, serving  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

CODE = '''import flowbook
from flowbook import Flow, task, triggers

@task
def extract():
    return list(range(12))

@task
def clean(x):
    if x in (3, 7):
        raise ValueError(f"row {x} is malformed")
    return x

@task(trigger=triggers.all_finished)
def report(rows):
    return "report"

@task(trigger=triggers.manual_only)
def publish(rows):
    return rows

@task
def load(rows):
    raise ConnectionError("database is down")

@task(trigger=triggers.always_run)
def notify(a, b):
    return "sent"

with Flow("etl") as flow:
    rows = extract()
    cleaned = clean.map(rows)
    r = report(cleaned)
    notify(publish(rows), load(rows))
state = flow.run()
w = flowbook.show(state)
w.selected = "load"
w'''
home = pathlib.Path(tempfile.mkdtemp())
(home / "root").mkdir()
nb = nbformat.v4.new_notebook()
nb.cells = [nbformat.v4.new_code_cell(CODE)]
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
nbformat.write(nb, home / "root" / "shot.ipynb")
with serving("lab", home) as server:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1100})
        page.set_default_timeout(90000)
        open_notebook(page, server, "shot.ipynb")
        run_cell(page, 0)
        view = page.locator(".flowbook-view").first
        view.wait_for()
        page.locator('.flowbook-view .fb-panel').filter(has_text="database is down").first.wait_for()
        view.screenshot(path=str(ROOT / "docs" / "widget.png"))
        browser.close()
print("ok")
