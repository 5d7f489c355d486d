"""binder/ sets up what the tutorials need: flowbook and every module the notebooks import,
installed into a fresh virtual environment the way Binder (repo2docker) does it."""

import ast
import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"


def notebook_imports():
    """Top-level modules imported by the tutorial notebooks' code cells."""
    from IPython.core.inputtransformer2 import TransformerManager

    to_python = TransformerManager().transform_cell  # %magics -> plain Python calls
    modules = set()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] != "code":
                continue
            for node in ast.walk(ast.parse(to_python("".join(cell["source"])))):
                if isinstance(node, ast.Import):
                    modules.update(a.name.split(".")[0] for a in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    modules.add(node.module.split(".")[0])
    return sorted(modules)


def test_binder_files_exist_and_ask_for_graphviz():
    assert "graphviz" in (BINDER / "apt.txt").read_text().split()
    assert os.access(BINDER / "postBuild", os.X_OK)


def test_notebooks_import_something_to_check():
    assert {"flowbook", "time"} <= set(notebook_imports())


@pytest.mark.timeout(900)
def test_binder_installs_flowbook_and_what_the_notebooks_import(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
           "VIRTUAL_ENV": str(venv), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run(pip + ["-r", str(BINDER / "requirements.txt")], check=True, env=env,
                   cwd=ROOT)
    subprocess.run([str(BINDER / "postBuild")], check=True, env=env, cwd=ROOT)
    modules = notebook_imports() + ["jupyterlab", "ipywidgets", "graphviz", "distributed",
                                    "flowbook.notebook.magics", "flowbook.widget"]
    script = ("import importlib, sys\n"
              f"for m in {modules!r}:\n"
              "    importlib.import_module(m)\n"
              "import flowbook\n"
              "print(flowbook.__file__)\n")
    out = subprocess.run([str(venv / "bin" / "python"), "-c", script], check=True, env=env,
                         cwd=tmp_path, capture_output=True, text=True).stdout
    assert str(ROOT / "flowbook") in out
