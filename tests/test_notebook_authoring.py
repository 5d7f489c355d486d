"""Notebooks written with %%task cells (and @task cells) run in a real kernel."""

import pathlib

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

HERE = pathlib.Path(__file__).resolve().parent / "notebooks"


def execute(name):
    """Run the notebook top to bottom in a fresh kernel; returns it, outputs included."""
    nb = nbformat.read(HERE / name, as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(HERE)}}).execute()
    return nb


def text_of(nb):
    return "\n".join(out.get("text", "") or out.get("data", {}).get("text/plain", "")
                     for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs)


def outputs_of(nb, source):
    (cell,) = [c for c in nb.cells if c.cell_type == "code" and c.source == source]
    return cell.outputs


def test_spark_notebook_of_task_cells_tears_down_and_follows_the_job():
    nb = execute("spark_cells.ipynb")
    text = text_of(nb)
    assert ("first: Failed {'tear_down': 'Success', 'cluster': 'Success', "
            "'submitted': 'Failed'}") in text
    # fixed through the flag it reads, retried: the same three tasks, the job succeeds
    assert "retried: Success job done on spark://cluster-1 | 3 tasks" in text
    assert "tear_down  %%task  cluster  always_run      Success" in text
    # %flow run showed a static picture, then the live widget; the picture has the final
    # colours, and an HTML image of itself for frontends that show no SVG or widget
    picture, view = outputs_of(nb, "state = %flow run")
    assert "application/vnd.jupyter.widget-view+json" in view.data
    assert '<div class="flowbook-static"><img' in picture.data["text/html"]
    svg = picture.data["image/svg+xml"]
    assert '<title>submitted</title>\n<ellipse fill="#eb0000"' in svg
    assert '<title>tear_down</title>\n<ellipse fill="#28a745"' in svg


def test_notebook_mixing_task_functions_and_task_cells():
    text = text_of(execute("mixed_cells.ipynb"))
    assert "loading [0, 10, 20, 30]" in text
    assert "run: Success loaded 60" in text
    assert "rebuilt: [0, 100]" in text
