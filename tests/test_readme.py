"""Every code block of README.md and docs/semantics.md runs as a reader would run it.

- A ```python block without magics runs on its own, in a fresh Python process started in an
  empty folder (blocks are independent: each builds what it uses).
- The ```python blocks with magics (a line starting with ``%``, or ``name = %...``) are the
  cells of one notebook per file, run in order in a real kernel.
- A ```bash block is not run; each command must be one this repository provides (a target
  of the Makefile, pip installing this project with extras it has).
- ```text shows output or a layout; it is never run. A block that is Python but must not run
  here says why on the line before it: ``<!-- not run: REASON -->``; it is still compiled.
A block without a language, or with another, fails: nothing is left out silently.
A comment showing a state's repr in full (``state = flow.run()   # <Failed: "...">``, or a
notebook cell's last line ``state   # <Failed: "...">``) is checked against the real one.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ("README.md", "docs/semantics.md")
FENCE = re.compile(r"^```(\S*)\s*$")
NOT_RUN = re.compile(r"^<!-- not run: (?P<reason>\S.*?) -->$")
MAGIC = re.compile(r"^\s*(?:[A-Za-z_]\w*\s*=\s*)?%", re.MULTILINE)
KINDS = ("python", "bash", "text")
# `name = ...  # <State: "message">` (or `name  # <...>` ending a cell): a repr the reader is shown
SHOWN = re.compile(r'^(?P<name>[A-Za-z_]\w*)\b.*#\s*(?P<repr><\w+: ".*">)\s*$')


@dataclass(frozen=True)
class Block:
    document: str     # the file, relative to the repository
    line: int         # the line of its opening fence, from 1
    language: str     # what follows the opening ```
    source: str       # the code, without the fences
    not_run: str      # the reason given by a <!-- not run: ... --> line before it, or ""

    @property
    def where(self) -> str:
        return f"{self.document}:{self.line}"

    @property
    def has_magics(self) -> bool:
        return bool(MAGIC.search(self.source))


def blocks_of(document: str) -> list:
    lines = (ROOT / document).read_text(encoding="utf-8").splitlines()
    found, start = [], None
    for i, line in enumerate(lines):
        fence = FENCE.match(line)
        if fence is None:
            continue
        if start is None:
            start, language = i, fence.group(1)
            continue
        marker = NOT_RUN.match(lines[start - 1]) if start else None
        found.append(Block(document, start + 1, language, "\n".join(lines[start + 1:i]) + "\n",
                           marker.group("reason") if marker else ""))
        start = None
    assert start is None, f"{document}:{start + 1}: a code block is never closed"
    return found


BLOCKS = [b for doc in DOCUMENTS for b in blocks_of(doc)]
SCRIPTS = [b for b in BLOCKS if b.language == "python" and not b.has_magics and not b.not_run]


def test_every_block_says_what_it_is():
    unknown = [f"{b.where} ```{b.language}" for b in BLOCKS if b.language not in KINDS]
    assert not unknown, ("blocks must be ```python (run), ```bash (checked) or ```text "
                         f"(shown only): {unknown}")
    marked = [b.where for b in BLOCKS if b.not_run and b.language != "python"]
    assert not marked, f"only a python block needs a 'not run' reason: {marked}"


def test_a_block_not_run_still_compiles():
    for block in BLOCKS:
        if block.not_run:
            compile(block.source, block.where, "exec")


@pytest.mark.parametrize("block", SCRIPTS, ids=[b.where for b in SCRIPTS])
def test_the_python_block_runs(block, tmp_path):
    checks = "".join(f"assert repr({m['name']}) == {m['repr']!r}, repr({m['name']})\n"
                     for m in map(SHOWN.match, block.source.splitlines()) if m)
    done = subprocess.run([sys.executable, "-c", block.source + checks], cwd=tmp_path, text=True,
                          capture_output=True, timeout=60)
    assert done.returncode == 0, f"{block.where} raised:\n{done.stderr}"


@pytest.mark.parametrize("document", [d for d in DOCUMENTS
                                      if any(b.has_magics for b in blocks_of(d))])
def test_the_notebook_blocks_run_in_a_kernel(document, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    cells = [b for b in blocks_of(document) if b.language == "python" and b.has_magics
             and not b.not_run]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(b.source.rstrip("\n"))
                                         for b in cells])
    client = nbclient.NotebookClient(nb, timeout=60, kernel_name="python3",
                                     allow_errors=True,
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    for block, cell in zip(cells, nb.cells):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, (f"{block.where} raised {errors[0].ename}: {errors[0].evalue}\n"
                            + block.source)
        shown = SHOWN.match(block.source.rstrip("\n").splitlines()[-1])
        if shown:
            (result,) = [o for o in cell.outputs if o.output_type == "execute_result"]
            assert result.data["text/plain"] == shown["repr"], block.where


def _make_targets() -> set:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z][\w-]*):", text, re.MULTILINE))


def _extras() -> set:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return set(tomllib.load(f)["project"]["optional-dependencies"])


def _command_problem(words: list) -> str | None:
    """Why the command is not one this repository provides, or None."""
    if words[:1] == ["make"]:
        missing = [t for t in words[1:] if "=" not in t and t not in _make_targets()]
        return f"no make target {missing}" if missing else None
    if words[:2] == ["pip", "install"]:
        targets = [w for w in words[2:] if not w.startswith("-")]
        for target in targets:
            path, _, extras = target.partition("[")
            if path != ".":
                return f"pip installs {target!r}, not this project ('.')"
            unknown = set(extras.rstrip("]").split(",")) - _extras() - {""}
            if unknown:
                return f"pyproject.toml has no extras {sorted(unknown)}"
        return None if targets else "pip install of nothing"
    if words[:3] in (["apt-get", "install", "graphviz"], ["sudo", "apt-get", "install"]):
        return None
    if words[:1] == ["cd"]:
        return None
    return "not a command this test knows: add it to _command_problem if it is right"


def test_the_bash_blocks_name_commands_of_this_repository():
    problems = []
    for block in (b for b in BLOCKS if b.language == "bash"):
        for line in block.source.splitlines():
            words = shlex.split(line, comments=True)
            if words and (problem := _command_problem(words)):
                problems.append(f"{block.where}: {line.strip()}: {problem}")
    assert not problems, "\n".join(problems)


def test_the_links_of_the_documents_lead_to_files_of_the_repository():
    missing = []
    for document in DOCUMENTS:
        text = (ROOT / document).read_text(encoding="utf-8")
        targets = re.findall(r"\]\(([^)\s]+)\)", text) + re.findall(r"`(\.\./[^`\s]+)`", text)
        for target in targets:
            path = target.split("#")[0]
            if not path or re.match(r"[a-z]+:", path):
                continue
            if not (ROOT / document).parent.joinpath(path).resolve().is_relative_to(ROOT):
                missing.append(f"{document}: {target} is outside the repository")
            elif not (ROOT / document).parent.joinpath(path).exists():
                missing.append(f"{document}: {target} does not exist")
    assert not missing, "\n".join(missing)
