"""Execute every tutorial notebook in a fresh kernel, without a screen (``make lab`` headless).

Each executed notebook, outputs included, is written to ``build/notebooks/``, with the DAG
drawings it produced as ``<notebook>-<n>.svg`` beside it; the script exits non-zero when a
notebook raises.
"""

from __future__ import annotations

import pathlib
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE.parent / "build" / "notebooks"


def drawings(nb: nbformat.NotebookNode) -> list:
    """The SVG pictures among the notebook's outputs, in order."""
    return [out["data"]["image/svg+xml"] for cell in nb.cells if cell.cell_type == "code"
            for out in cell.get("outputs", ()) if "image/svg+xml" in out.get("data", {})]


def run(path: pathlib.Path) -> int:
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("widgets", None)
    # No widget state stored: a notebook reopened without its kernel shows each widget's static
    # picture (and no view rebuilt from a stale copy of the page's code that can do nothing).
    NotebookClient(nb, timeout=600, kernel_name="python3", store_widget_state=False,
                   resources={"metadata": {"path": str(HERE)}}).execute()
    nbformat.write(nb, OUT / path.name)
    pictures = drawings(nb)
    for i, svg in enumerate(pictures, 1):
        (OUT / f"{path.stem}-{i}.svg").write_text(svg)
    print(f"executed {path.name} -> {OUT / path.name} ({len(pictures)} DAG drawings)")
    return len(pictures)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    notebooks = sorted(HERE.glob("[0-9]*.ipynb"))
    try:
        for path in notebooks:
            run(path)
    except CellExecutionError as exc:
        print(f"a notebook failed: {exc}", file=sys.stderr)
        return 1
    print(f"{len(notebooks)} notebooks ran; open them with `make lab HEADLESS=0` on a machine "
          "with a browser")
    return 0


if __name__ == "__main__":
    sys.exit(main())
