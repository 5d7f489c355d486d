"""Re-running only what changed (issue 14), in a real kernel: notebooks built here, executed by
nbclient, whose tasks count their calls in a file. ``%flow run`` after an edit runs the edited
task and what its change reaches, says why, and a restarted kernel with a ``result_dir`` runs
nothing again."""

from __future__ import annotations

import re

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

# Each task appends its name to calls.txt (in the kernel's folder: a restart keeps it);
# ran() prints the names appended since the kernel's last ran(), as "ran: a b" or "ran: -".
SETUP = ["%load_ext flowbook",
         "import pathlib\n"
         "import flowbook\n"
         "from flowbook.notebook.report import run_summary\n"
         "CALLS = pathlib.Path('calls.txt')\n"
         "CALLS.touch()\n"
         "_seen = len(CALLS.read_text().split())\n"
         "def tick(name):\n"
         "    with CALLS.open('a') as file:\n"
         "        file.write(name + '\\n')\n"
         "def ran():\n"
         "    global _seen\n"
         "    names = CALLS.read_text().split()\n"
         "    print('ran:', ' '.join(names[_seen:]) or '-')\n"
         "    _seen = len(names)"]
A = "%%task a\ntick('a')\n[1, 2, 3]"
B = "%%task b\ntick('b')\n[x * 2 for x in a]"
C = "%%task c\ntick('c')\nsum(b)"
RUN = "%flow run"
RAN = "ran()"
SUMMARY = "print(run_summary(flowbook.notebook_flow()))"  # the table %flow run prints in a terminal


def execute(cells: list, folder) -> list:
    """Run ``cells`` in a fresh kernel working in ``folder``; each cell's printed and
    displayed text (its value, such as the state ``%flow run`` returns, left out)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3", store_widget_state=False,
                            resources={"metadata": {"path": str(folder)}}).execute()
    return ["\n".join(out.get("text", "") or out.get("data", {}).get("text/plain", "")
                      for out in cell.outputs if out.output_type != "execute_result")
            for cell in nb.cells]


def after(texts: list, cells: list, source: str, nth: int = 1) -> str:
    """The output of the ``nth`` cell whose source is ``source``."""
    found = [t for c, t in zip(cells, texts) if c == source]
    return found[nth - 1]


def shown(run_output: str) -> dict:
    """Task name -> (state, message) from the picture ``%flow run`` shows in a notebook."""
    rows = re.findall(r"^  ([A-Za-z_]\w*) +(\w+) *(.*)$", run_output, re.MULTILINE)
    return {name: (state, message.strip()) for name, state, message in rows}


def notes(summary: str) -> dict:
    """Task name -> its third column ("reused: ..." / "ran: <why>") in a reusing run's table."""
    rows = re.findall(r"^  ([A-Za-z_]\w*) +(\w+) *(.*)$", summary, re.MULTILINE)
    return {name: note.strip() for name, _, note in rows}


def test_editing_the_middle_cell_runs_it_and_what_is_below_and_says_why(tmp_path):
    cells = SETUP + [A, B, C, RUN, RAN, "%%task b\ntick('b')\n[x * 3 for x in a]", RUN, RAN,
                     SUMMARY, RUN, RAN]
    texts = execute(cells, tmp_path)
    assert [after(texts, cells, RAN, n) for n in (1, 2, 3)] == [
        "ran: a b c\n", "ran: b c\n", "ran: -\n"]
    second = shown(after(texts, cells, RUN, 2))
    assert second["a"] == ("Cached", "Reused: code and inputs unchanged since run 1.")
    assert second["b"][0] == second["c"][0] == "Success"
    assert notes(after(texts, cells, SUMMARY)) == {
        "a": "reused: code and inputs unchanged since run 1",
        "b": "ran: code changed",
        "c": "ran: input changed: b"}
    third = shown(after(texts, cells, RUN, 3))
    assert third["c"] == ("Cached", "Reused: code and inputs unchanged since run 2.")


def test_editing_the_first_cell_runs_all_three_and_run_all_runs_everything(tmp_path):
    cells = SETUP + [A, B, C, RUN, RAN, "%%task a\ntick('a')\n[4, 5]", RUN, RAN, SUMMARY,
                     "%flow run --all", RAN]
    texts = execute(cells, tmp_path)
    assert after(texts, cells, RAN, 2) == "ran: a b c\n"
    assert notes(after(texts, cells, SUMMARY)) == {
        "a": "ran: code changed", "b": "ran: input changed: a", "c": "ran: input changed: b"}
    assert after(texts, cells, RAN, 3) == "ran: a b c\n"  # nothing changed, --all runs all
    assert {s for s, _ in shown(after(texts, cells, "%flow run --all")).values()} == {"Success"}


def test_changing_a_parameter_runs_only_what_reads_it(tmp_path):
    cells = SETUP + [
        "flowbook.notebook_flow().add_task(flowbook.Parameter('n', default=1))",
        "%%task scaled\ntick('scaled')\nn * 10",
        "%%task label\ntick('label')\n'total'",
        "%%task total\ntick('total')\nf'{label}: {scaled}'",
        "%flow run --param n=1", RAN, "%flow run --param n=3", RAN, SUMMARY,
        "%flow run --param n=3", RAN, "print(total.name, flowbook.notebook_flow().last_state"
                                       ".result[total].result)"]
    texts = execute(cells, tmp_path)
    assert [sorted(after(texts, cells, RAN, n).split()) for n in (1, 2, 3)] == [
        ["label", "ran:", "scaled", "total"], ["ran:", "scaled", "total"], ["-", "ran:"]]
    assert notes(after(texts, cells, SUMMARY)) == {
        "n": "", "label": "reused: code and inputs unchanged since run 1",
        "scaled": "ran: input changed: n", "total": "ran: input changed: scaled"}
    assert texts[-1] == "total total: 30\n"


def test_after_a_kernel_restart_with_a_result_dir_nothing_runs_again(tmp_path):
    results = tmp_path / "results"
    cells = SETUP + [f"flowbook.notebook_flow().result_dir = {str(results)!r}",
                     A, B, C, RUN, RAN, SUMMARY]
    first = execute(cells, tmp_path)
    assert after(first, cells, RAN) == "ran: a b c\n"
    counted = (tmp_path / "calls.txt").read_text()

    edit = "%%task b\ntick('b')\n[x * 3 for x in a]"
    cells_again = cells + [edit, RUN, RAN, SUMMARY]
    again = execute(cells_again, tmp_path)  # a new kernel: the same cells, then b edited
    assert after(again, cells_again, RAN) == "ran: -\n"
    assert (tmp_path / "calls.txt").read_text() == counted + "b\nc\n"  # only the edit's
    assert shown(after(again, cells_again, RUN)) == {
        name: ("Cached", "Result loaded from its checkpoint.") for name in "abc"}
    assert notes(after(again, cells_again, SUMMARY)) == {
        name: "reused: result loaded from its checkpoint" for name in "abc"}
    # the restarted kernel's reusing runs start from the checkpoints' results
    assert after(again, cells_again, RAN, 2) == "ran: b c\n"
    assert notes(after(again, cells_again, SUMMARY, 2)) == {
        "a": "reused: code and inputs unchanged since run 1",
        "b": "ran: code changed", "c": "ran: input changed: b"}


def test_flow_run_in_a_kernel_prints_why_each_task_ran(tmp_path):
    cells = SETUP + [A, B, C, RUN, "%%task b\ntick('b')\n[x * 3 for x in a]", RUN]
    texts = execute(cells, tmp_path)
    shown = after(texts, cells, RUN, 2)
    assert "reused 1: a\nran 2: b (code changed), c (input changed: b)" in shown


def test_with_a_result_dir_an_edited_helper_function_runs_its_task_again(tmp_path):
    parse = "def parse(text):\n    tick('parse')\n    return text.split({!r})"
    cells = SETUP + [f"flowbook.notebook_flow().result_dir = {str(tmp_path / 'results')!r}",
                     parse.format(","), "%%task fields\nparse('1,2;3')", RUN,
                     parse.format(";"), RUN, RAN,
                     "print(flowbook.notebook_flow().last_state.result[fields].result)"]
    texts = execute(cells, tmp_path)
    assert after(texts, cells, RAN) == "ran: parse parse\n"
    assert texts[-1] == "['1,2', '3']\n"


def test_a_cell_changing_its_input_gives_the_same_outcome_at_every_run(tmp_path):
    cells = SETUP + ["%%task rows\n[1, 2, 3]", "%%task more\nrows.append(4)\nlen(rows)",
                     RUN, RUN, RUN,
                     "print(flowbook.notebook_flow().last_state.result[more].result)"]
    assert execute(cells, tmp_path)[-1] == "4\n"
