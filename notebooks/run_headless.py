"""Execute every tutorial notebook in a fresh kernel, without a screen (``make lab`` headless).

Each executed notebook, outputs included, is written to ``build/notebooks/``; the script
exits non-zero when a notebook raises.
"""

from __future__ import annotations

import pathlib
import sys

import nbformat
from nbclient import NotebookClient

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE.parent / "build" / "notebooks"


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    notebooks = sorted(HERE.glob("[0-9]*.ipynb"))
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(HERE)}}).execute()
        nbformat.write(nb, OUT / path.name)
        print(f"executed {path.name} -> {OUT / path.name}")
    print(f"{len(notebooks)} notebooks ran; open them with `make lab HEADLESS=0` on a machine "
          "with a browser")
    return 0


if __name__ == "__main__":
    sys.exit(main())
