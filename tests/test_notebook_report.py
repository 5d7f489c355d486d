"""The one-line summary a %%task cell prints: a name the code reads that nothing defines is
listed, with the close task name it may have meant."""

import sys

import pytest

from flowbook import Flow
from flowbook.notebook.authoring import define_task
from flowbook.notebook.report import task_summary


def summary_of(flow, ns, name, source, **options):
    return task_summary(flow, define_task(flow, name, source, ns, **options), ns)


def test_a_misspelt_task_name_is_offered():
    flow, ns = Flow("etl"), {}
    define_task(flow, "cleaned", "[1, 2]", ns)
    line = summary_of(flow, ns, "report", "len(claened)")
    assert line.endswith("not defined yet: claened (did you mean cleaned?)")


def test_a_name_close_to_nothing_is_listed_without_a_hint():
    flow, ns = Flow("etl"), {}
    define_task(flow, "cleaned", "[1, 2]", ns)
    assert summary_of(flow, ns, "report", "len(rows)").endswith("not defined yet: rows")


def test_each_undefined_name_gets_its_own_hint():
    flow, ns = Flow("etl"), {}
    define_task(flow, "cleaned", "[1, 2]", ns)
    define_task(flow, "raw", "[3]", ns)
    line = summary_of(flow, ns, "report", "claened + rw + later")
    assert line.endswith("not defined yet: claened (did you mean cleaned?), later, "
                         "rw (did you mean raw?)")


def test_a_task_name_is_offered_before_a_close_notebook_name():
    flow, ns = Flow("etl"), {"cleaner": print}
    define_task(flow, "cleaned", "[1, 2]", ns)
    line = summary_of(flow, ns, "report", "len(claened)")
    assert line.endswith("claened (did you mean cleaned?)")


def test_a_notebook_name_is_offered_when_no_task_name_is_close():
    flow, ns = Flow("etl"), {"parse_rows": str.split}
    assert summary_of(flow, ns, "report", "pars_rows('a b')").endswith(
        "not defined yet: pars_rows (did you mean parse_rows?)")


def test_ipython_own_names_and_private_names_are_never_offered():
    flow, ns = Flow("etl"), {"Out": {}, "_rows": [], "get_ipython": None}
    line = summary_of(flow, ns, "report", "Ou, rows, get_ipytho")
    assert line.endswith("not defined yet: Ou, get_ipytho, rows")


def test_the_task_itself_is_never_offered():
    flow, ns = Flow("etl"), {}
    assert summary_of(flow, ns, "total", "totl + 1").endswith("not defined yet: totl")


def test_a_name_the_cell_reads_from_a_task_gets_no_note():
    flow, ns = Flow("etl"), {}
    define_task(flow, "cleaned", "[1, 2]", ns)
    assert "not defined" not in summary_of(flow, ns, "report", "len(cleaned)")


def test_a_misspelt_upstream_task_is_offered():
    flow, ns = Flow("etl"), {}
    define_task(flow, "submitted", "1", ns)
    line = summary_of(flow, ns, "tear_down", "2", upstream=["submited"])
    assert "waiting for tasks not defined yet: submited (did you mean submitted?)" in line


def test_a_task_of_a_flow_built_with_task_functions_is_offered():
    from flowbook import task

    @task
    def load():
        return [1, 2, 3]

    with Flow("etl") as flow:
        load()
    ns = {}
    assert summary_of(flow, ns, "total", "sum(lod)").endswith(
        "not defined yet: lod (did you mean load?)")


# -- through the magic, in a real IPython shell --------------------------------------------

@pytest.fixture
def ip():
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    from flowbook.notebook import registry

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    main = sys.modules["__main__"]  # the shell replaces it; later tests (Dask) need it back
    shell = InteractiveShell.instance(config=config)
    shell.reset(new_session=False)
    registry._FLOWS.clear()
    shell.run_cell("%load_ext flowbook", store_history=False)
    yield shell
    registry._FLOWS.clear()
    shell.reset(new_session=False)
    InteractiveShell.clear_instance()
    sys.modules["__main__"] = main


def test_a_task_cell_says_which_task_a_misspelt_name_may_mean(ip, capsys):
    for cell in ("%%task cleaned\n[1, 2]", "%%task report\nlen(claened)"):
        result = ip.run_cell(cell, store_history=False)
        assert result.success, result.error_in_exec or result.error_before_exec
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == ("report in flow 'notebook' | inputs: none | trigger: all_successful | "
                    "not defined yet: claened (did you mean cleaned?)")


def test_a_cells_own_variables_are_not_undefined():
    from flowbook import Flow
    from flowbook.notebook.authoring import define_task
    from flowbook.notebook.report import task_summary

    flow, ns = Flow("own"), {}
    define_task(flow, "rows", "[1, 2]", ns)
    total = define_task(flow, "total", "n = len(rows)\nn * 10 + missin", ns)
    assert task_summary(flow, total, ns).endswith("not defined yet: missin")
    again = define_task(flow, "again", "rows = sorted(rows)\nrows", ns)  # an input, rebound
    assert "not defined" not in task_summary(flow, again, ns)
    assert flow.run().result[again].result == [1, 2]
