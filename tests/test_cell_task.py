"""A cell's code as a task: what it reads, what it returns, how it is compiled."""

import pytest

from flowbook.engine import signals
from flowbook.notebook.cell_task import CellTask


def cell(source, name="t", namespace=None, **options):
    return CellTask(name, source, {} if namespace is None else namespace, **options)


def test_reads_are_the_names_the_body_uses_from_outside():
    t = cell("import math\nx = cluster.upper()\ny = [v * scale for v in data]\nmath.pi")
    assert {"cluster", "data", "scale"} <= t.reads
    assert "upper" not in t.reads  # attributes are not names
    assert "v" not in t.reads  # a comprehension's own variable


def test_reads_include_globals_used_inside_nested_functions():
    t = cell("def helper():\n    return rows\nhelper()")
    assert "rows" in t.reads


def test_a_nested_functions_own_parameters_are_not_reads():
    t = cell("f = lambda rows: rows\nf(1)")
    assert "rows" not in t.reads


def test_the_last_expression_is_the_result():
    assert cell("a = 2\na * 21").run() == 42


def test_an_explicit_return_anywhere_is_the_result():
    assert cell("if True:\n    return 'early'\n'late'").run() == "early"


def test_a_body_ending_in_a_statement_returns_none():
    assert cell("x = 1").run() is None


def test_an_empty_body_returns_none():
    assert cell("").run() is None


def test_inputs_shadow_notebook_names_of_the_same_name():
    t = cell("cluster + '!'", namespace={"cluster": "<the Task object>"})
    t.set_inputs(["cluster"])
    assert t.run(cluster="spark") == "spark!"


def test_other_names_resolve_in_the_notebook_namespace_at_run_time():
    ns = {"scale": 2}
    t = cell("scale * 10", namespace=ns)
    ns["scale"] = 3
    assert t.run() == 30


def test_signals_raised_in_the_body_propagate():
    t = cell("raise signals.SKIP('nothing to do')", namespace={"signals": signals})
    with pytest.raises(signals.SKIP):
        t.run()


def test_a_syntax_error_reports_the_line_of_the_body():
    with pytest.raises(SyntaxError) as info:
        cell("x = 1\nif x:\n    1 +\n")
    assert info.value.lineno == 3


def test_an_await_at_top_level_is_a_syntax_error_now_not_at_run_time():
    with pytest.raises(SyntaxError):
        cell("await thing()")


def test_tracebacks_show_the_cell_source():
    import traceback

    t = cell("x = 1\nraise ValueError('boom')", name="job")
    with pytest.raises(ValueError) as info:
        t.run()
    text = "".join(traceback.format_exception(info.value))
    assert '"<%%task job>", line 2' in text
    assert "raise ValueError('boom')" in text


def test_pickling_leaves_the_notebook_namespace_behind():
    cloudpickle = pytest.importorskip("cloudpickle")
    ns = {"big": object(), "factor": 3}
    t = cell("factor * x", namespace=ns)
    t.set_inputs(["x"])
    copy = cloudpickle.loads(cloudpickle.dumps(t))
    assert copy.run(x=2) == 6
    assert "_namespace" not in copy.__dict__
