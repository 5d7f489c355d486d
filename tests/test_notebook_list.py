"""`%flow list` (flowbook/notebook/report.py task_table): every task, and which are stale
(``notebook.stale``) and why, with what to do."""

from __future__ import annotations

from builders import cell_flow

from flowbook.notebook.authoring import define_task
from flowbook.notebook.report import task_table

EDITED_NOTE = ("stale: edited since the flow ran, or below such a task; %flow run runs them "
               "again")


def cells():
    return cell_flow(run=True)


def stale_column(table: str) -> dict:
    """{task: its stale cell} of a task table with a stale column ("" for a task not stale)."""
    lines = table.splitlines()
    start = lines[0].index("stale")
    return {line.split()[0]: line[start:].strip() for line in lines[1:]
            if line and not line.startswith(("stale:", "outdated:"))}


def test_nothing_stale_adds_no_column_and_no_note():
    flow, _ = cells()
    table = task_table(flow)
    assert table.splitlines()[0].split() == ["task", "kind", "inputs", "trigger", "state"]
    assert len(table.splitlines()) == 5


def test_a_cell_run_again_with_other_code_lists_it_edited_and_what_is_below():
    flow, ns = cells()
    define_task(flow, "cleaned", "sorted(raw, reverse=True)", ns)
    table = task_table(flow)
    assert table.splitlines()[0].split()[-1] == "stale"
    assert stale_column(table) == {"raw": "", "cleaned": "edited", "report": "below cleaned",
                                   "other": ""}
    assert table.splitlines()[-1] == EDITED_NOTE


def test_running_the_flow_again_drops_the_column():
    flow, ns = cells()
    define_task(flow, "raw", "[3, 1, 2, 0]", ns)
    assert set(stale_column(task_table(flow)).values()) == {"", "edited", "below raw",
                                                            "below cleaned"}
    flow.run()
    assert "stale" not in task_table(flow)


def _notebook(source: str, namespace: dict) -> None:
    exec(compile(source, "<cell>", "exec"), namespace)


def test_an_at_task_function_redefined_since_the_flow_was_built_is_listed_outdated():
    ns: dict = {}
    _notebook("from flowbook import task, Flow\n"
              "@task\ndef total(rows):\n    return sum(rows)\n"
              "@task\ndef show(n):\n    return f'{n} in all'\n"
              "with Flow('etl') as etl:\n    out = show(total([1, 2, 3]))\n", ns)
    _notebook("@task\ndef total(rows):\n    return max(rows)\n", ns)
    table = task_table(ns["etl"])
    assert stale_column(table) == {"total": "outdated", "show": "below total"}
    assert table.splitlines()[-1] == ("outdated: the flow holds an older definition of "
                                      "total(); run the cell that builds the flow")
    assert EDITED_NOTE not in table


# ------------------------------------------------------------------ %flow list in IPython



def run(ip, cell: str) -> None:
    res = ip.run_cell(cell, store_history=False)
    if res.error_before_exec or res.error_in_exec:
        raise res.error_before_exec or res.error_in_exec


def test_flow_list_after_a_task_cell_run_again_shows_it_stale(ip, capsys):
    run(ip, "%%task raw\n[3, 1, 2]")
    run(ip, "%%task cleaned\nsorted(raw)")
    run(ip, "%flow run")
    run(ip, "%%task raw\n[3, 1, 2, 5]")
    capsys.readouterr()
    run(ip, "%flow list")
    printed = capsys.readouterr().out
    assert stale_column(printed) == {"raw": "edited", "cleaned": "below raw"}
    assert printed.rstrip().splitlines()[-1] == EDITED_NOTE
