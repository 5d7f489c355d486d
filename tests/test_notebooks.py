"""The tutorial notebooks run top to bottom in a real kernel and teach what they say."""

import pathlib

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"


def execute(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return "\n".join(
        out.get("text", "") or out.get("data", {}).get("text/plain", "")
        for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs)


def test_quickstart_tears_down_the_cluster_and_follows_the_reference_task():
    text = execute("00-quickstart.ipynb")
    assert "run_spark_job        Failed" in text
    assert "tear_down_cluster    Success" in text
    assert '<Success: "All reference tasks succeeded.">' in text
    assert '<Failed: "Some reference tasks failed.">' in text
    assert "saw: [('run_spark_job', 'Failed')]" in text
