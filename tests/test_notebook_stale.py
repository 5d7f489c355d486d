"""Stale tasks (flowbook/notebook/stale.py): a %%task cell edited since its task ran, an @task
function redefined since the flow was built, and what lies below them."""

from __future__ import annotations

import sys
import warnings

import pytest
from builders import cell_flow

from flowbook.notebook import stale
from flowbook.notebook.authoring import define_task


def cells():
    return cell_flow(run=False)


def names(tasks) -> list:
    return [t.name for t in tasks]


def test_an_edited_cell_makes_its_task_and_what_is_below_stale_until_it_runs():
    flow, ns = cells()
    flow.run()
    assert flow.stale() == []
    define_task(flow, "cleaned", "sorted(raw, reverse=True)", ns)
    assert names(flow.stale()) == ["cleaned", "report"]
    assert stale.why_stale(flow, ns["cleaned"]) == "edited"
    assert stale.why_stale(flow, ns["report"]) == "below cleaned"
    assert stale.why_stale(flow, ns["raw"]) is None
    flow.run()
    assert flow.stale() == []


def test_the_same_code_again_or_a_task_never_run_is_not_stale():
    flow, ns = cells()
    define_task(flow, "cleaned", "sorted(raw, reverse=True)", ns)  # not run yet: nothing old
    assert flow.stale() == []
    flow.run()
    define_task(flow, "cleaned", "sorted(raw, reverse=True)", ns)  # the cell run again as is
    assert flow.stale() == []


def test_editing_twice_before_a_run_stays_stale():
    flow, ns = cells()
    flow.run()
    define_task(flow, "cleaned", "sorted(raw, reverse=True)", ns)
    define_task(flow, "cleaned", "sorted(raw)", ns)  # back to the code that ran: still edited
    assert names(flow.stale()) == ["cleaned", "report"]


def _notebook(source: str, namespace: dict) -> None:
    exec(compile(source, "<cell>", "exec"), namespace)


def test_a_flow_built_before_an_at_task_function_was_redefined_is_outdated_and_warns():
    ns: dict = {}
    _notebook("from flowbook import task, Flow\n"
              "@task\ndef total(rows):\n    return sum(rows)\n"
              "@task\ndef show(n):\n    return f'{n} in all'\n", ns)
    _notebook("with Flow('etl') as etl:\n    out = show(total([1, 2, 3]))\n", ns)
    flow = ns["etl"]
    assert flow.stale() == []
    _notebook("@task\ndef total(rows):\n    return max(rows)\n", ns)  # the cell, edited
    assert names(flow.stale()) == ["total", "show"]
    total = flow.get_tasks("total")[0]
    assert stale.why_stale(flow, total) == "outdated"
    with pytest.warns(UserWarning, match=r"flow 'etl' was built with an older definition of "
                                         r"total\(\): its cell was run again since, and this "
                                         r"run uses the old code; run the cell that builds "
                                         r"the flow again"):
        stale.warn_outdated(flow)
    _notebook("with Flow('etl') as etl:\n    out = show(total([1, 2, 3]))\n", ns)
    assert ns["etl"].stale() == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stale.warn_outdated(ns["etl"])


def test_a_function_redefined_with_the_same_code_is_not_outdated():
    ns: dict = {}
    cell = "from flowbook import task, Flow\n@task\ndef total(rows):\n    return sum(rows)\n"
    _notebook(cell, ns)
    _notebook("with Flow('etl') as etl:\n    out = total([1, 2])\n", ns)
    _notebook(cell, ns)
    assert ns["etl"].stale() == []


def test_a_run_in_ipython_warns_about_an_outdated_flow():
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    main = sys.modules["__main__"]
    shell = InteractiveShell.instance(config=config)
    try:
        shell.run_cell("from flowbook import task, Flow\n"
                       "@task\ndef total(rows):\n    return sum(rows)\n")
        shell.run_cell("with Flow('etl') as etl:\n    out = total([1, 2, 3])\n")
        shell.run_cell("@task\ndef total(rows):\n    return max(rows)\n")
        with pytest.warns(UserWarning, match=r"older definition of total\(\)"):
            shell.run_cell("state = etl.run()")
        assert shell.user_ns["state"].result[shell.user_ns["out"]].result == 6  # the old code
    finally:
        InteractiveShell.clear_instance()
        sys.modules["__main__"] = main


def test_a_what_if_simulation_leaves_an_edit_stale():
    from flowbook.engine.simulate import simulate

    flow, ns = cells()
    flow.run()
    define_task(flow, "cleaned", "sorted(raw, reverse=True)", ns)
    simulate(flow, {})
    assert names(flow.stale()) == ["cleaned", "report"]
