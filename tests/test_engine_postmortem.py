"""After a task failed: its inputs, its exception, pdb at the failure and a cell to run it."""

import io
import pdb
import threading

import pytest

from flowbook import Flow, task
from flowbook.engine import postmortem
from flowbook.engine.clock import FakeClock
from flowbook.errors import UserValueError
from flowbook.notebook import authoring

WAIT = 30


@task
def rows():
    return [4, 0, 2]


@task
def scale(values, factor):
    return [factor / v for v in values]


@task
def invert(x):
    return 1 / x


def etl():
    """rows -> scale(values=rows, factor=8): fails dividing by the 0."""
    with Flow("etl") as flow:
        scaled = scale(rows(), factor=8)
    flow.run()
    return flow, scaled


def mapped():
    """invert mapped over [1, 0, 2, 0]: children 1 and 3 fail."""
    with Flow("mapped") as flow:
        inverted = invert.map([1, 0, 2, 0])
    flow.run()
    return flow, inverted


# -- inputs -----------------------------------------------------------------------------

def test_inputs_are_the_upstream_results_and_the_constants():
    flow, scaled = etl()
    assert flow.inputs(scaled) == {"values": [4, 0, 2], "factor": 8}


def test_inputs_take_a_task_name():
    flow, _ = etl()
    assert flow.inputs("scale") == {"values": [4, 0, 2], "factor": 8}


def test_inputs_of_a_mapped_child_are_its_elements():
    flow, _ = mapped()
    assert flow.inputs("invert", map_index=2) == {"x": 2}
    assert flow.inputs("invert[2]") == {"x": 2}


def test_inputs_of_a_mapped_task_without_an_index_are_its_first_failed_childs():
    flow, _ = mapped()
    assert flow.inputs("invert") == {"x": 0}
    assert postmortem.load_cell(flow.last_run, "invert").startswith("# inputs of invert[1]'s")


def test_inputs_after_a_retry_are_those_of_the_latest_run():
    attempts = []

    @task
    def source():
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("no data yet")
        return [5, 0]

    with Flow("retried") as flow:
        scaled = scale(source(), factor=1)
    flow.run()
    flow.retry()
    assert flow.inputs(scaled) == {"values": [5, 0], "factor": 1}


def test_a_mapped_child_named_twice_must_agree():
    flow, _ = mapped()
    with pytest.raises(UserValueError, match=r"invert\[2\] names child 2, but map_index is 1"):
        flow.inputs("invert[2]", map_index=1)


def test_a_task_named_with_brackets_is_found_by_its_name():
    @task(nout=2)
    def pair():
        return 1, 2

    with Flow("items") as flow:
        first, _ = pair()
        invert(first)
    flow.run()
    assert flow.inputs("pair[0]") == {"task_result": (1, 2), "key": 0}


# -- failure ----------------------------------------------------------------------------

def test_failure_is_the_exception_the_task_raised():
    flow, scaled = etl()
    exc = postmortem.failure(flow.last_run, scaled)
    assert isinstance(exc, ZeroDivisionError) and exc.__traceback__ is not None


def test_failure_is_that_of_the_last_attempt_after_retries():
    attempts = []

    @task(max_retries=2, retry_delay=10)
    def flaky():
        attempts.append(1)
        raise ValueError(f"attempt {len(attempts)}")

    with Flow("flaky") as flow:
        flaky()
    flow.run(clock=FakeClock())
    assert str(postmortem.failure(flow.last_run, "flaky")) == "attempt 3"


def test_failure_of_a_mapped_child():
    flow, _ = mapped()
    assert isinstance(postmortem.failure(flow.last_run, "invert[3]"), ZeroDivisionError)


# -- what is refused ----------------------------------------------------------------------

def test_a_flow_that_never_ran_is_refused():
    with Flow("fresh") as flow:
        rows()
    with pytest.raises(UserValueError, match="flow 'fresh' has not run yet"):
        flow.inputs("rows")


def test_a_task_added_after_the_run_has_not_run():
    flow, scaled = etl()
    flow.add_task(invert.copy())
    with pytest.raises(UserValueError, match="task 'invert' has not run in the latest run of "
                                             "flow 'etl'; run the flow first"):
        flow.inputs("invert")


def test_an_unknown_task_is_refused():
    flow, _ = etl()
    with pytest.raises(UserValueError, match="flow 'etl' has no task named 'nope'"):
        flow.inputs("nope")


def test_debug_refuses_a_task_that_succeeded_and_points_at_its_inputs():
    flow, _ = etl()
    with pytest.raises(UserValueError, match=r"^rows succeeded; nothing to debug — "
                                             r"flow.inputs\('rows'\) gives its inputs$"):
        flow.debug("rows")


def test_debug_refuses_a_trigger_failed_task_it_has_no_exception_of_its_own():
    with Flow("etl") as flow:
        invert(scale(rows(), factor=8))
    flow.run()
    with pytest.raises(UserValueError, match="'invert' did not run its code: it is "
                                             "TriggerFailed .* debug 'scale', the upstream"):
        flow.debug("invert")


def test_a_mapped_task_with_no_failed_child_asks_for_one():
    with Flow("fine") as flow:
        invert.map([1, 2])
    flow.run()
    with pytest.raises(UserValueError, match=r"mapped into 2 children and none failed; name "
                                             r"one, e.g. invert\[0\]"):
        flow.inputs("invert")


def test_a_child_out_of_range_is_refused():
    flow, _ = mapped()
    with pytest.raises(UserValueError, match="mapped into 4 children; there is no child 7"):
        flow.inputs("invert", map_index=7)


def test_an_index_of_a_task_that_is_not_mapped_is_refused():
    flow, _ = etl()
    with pytest.raises(UserValueError, match="'scale' is not mapped"):
        flow.inputs("scale", map_index=0)


def test_debug_refuses_an_exception_without_a_traceback_and_points_at_load():
    flow, scaled = etl()
    postmortem.failure(flow.last_run, scaled).with_traceback(None)  # as back from Dask
    with pytest.raises(UserValueError, match=r"has no traceback: .*`%flow load scale`"):
        flow.debug(scaled)


def test_debug_refuses_a_timed_out_task():
    clock, release = FakeClock(), threading.Event()

    @task(timeout=1)
    def slow():
        clock.advance(2)
        release.wait(WAIT)

    with Flow("slow") as flow:
        slow()
    try:
        flow.run(clock=clock)
    finally:
        release.set()
    with pytest.raises(UserValueError, match="'slow' timed out .* `%flow load slow`"):
        flow.debug("slow")


# -- pdb ------------------------------------------------------------------------------------

def debugged(flow, task_, commands):
    """What pdb printed, debugging ``task_`` with ``commands``, after the line before it."""
    out = io.StringIO()
    postmortem.debug(flow.last_run, task_, pdb_class=pdb.Pdb, stdin=io.StringIO(commands),
                     stdout=out)
    return out.getvalue()


def test_debug_shows_the_inputs_in_the_failed_frame():
    flow, scaled = etl()
    printed = debugged(flow, scaled, "p values\np factor\nq\n")
    assert printed.startswith("debugging scale: ZeroDivisionError('division by zero') in its "
                              "code, inputs in scope: values, factor; q quits\n")
    assert "(Pdb) [4, 0, 2]\n(Pdb) 8\n" in printed


def test_debug_stops_in_the_tasks_frame_when_the_error_is_deeper():
    def divide(a, b):
        return a / b

    @task
    def ratio(top):
        return divide(top, 0)

    with Flow("deep") as flow:
        ratio(top=3)
    flow.run()
    printed = debugged(flow, "ratio", "p top\nwhere\nq\n")
    assert "(Pdb) 3\n" in printed
    where = printed.split("(Pdb) 3\n")[1]
    assert where.index("> ") < where.index("divide()")  # ratio's frame is the current one
    assert "run_task" not in where  # flowbook's frames above the task are left out


def test_debug_of_a_mapped_child_says_which():
    flow, _ = mapped()
    assert debugged(flow, "invert", "p x\nq\n").startswith("debugging invert[1]: ")


# -- the loaded cell ------------------------------------------------------------------------

def test_a_loaded_function_task_redefines_it_and_calls_it():
    flow, scaled = etl()
    assert postmortem.load_cell(flow.last_run, scaled) == (
        "# inputs of scale's latest run (Failed: ZeroDivisionError('division by zero'))\n"
        "values = [4, 0, 2]\n"
        "factor = 8\n"
        "@task\n"
        "def scale(values, factor):\n"
        "    return [factor / v for v in values]\n"
        "scale.run(values=values, factor=factor)\n"
        "# then re-run the cell that builds the flow, and run the flow again: it keeps\n"
        "# the scale it was built with, so flow.retry() alone runs the old code\n")


def test_a_loaded_function_task_fails_the_same_way():
    flow, scaled = etl()
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        exec(postmortem.load_cell(flow.last_run, scaled), {"task": task})


def test_values_that_are_no_short_literal_are_read_from_the_flow():
    @task
    def big():
        return list(range(100))

    @task
    def first_gap(numbers, since):
        return numbers.index(-1)

    with Flow("gaps") as flow:
        first_gap(big(), since=object())
    flow.run()
    text = postmortem.load_cell(flow.last_run, "first_gap", flow_variable="gaps")
    assert ("numbers = gaps.inputs('first_gap')['numbers']\n"
            "since = gaps.inputs('first_gap')['since']\n") in text
    with pytest.raises(ValueError, match="-1 is not in list"):
        exec(text, {"task": task, "gaps": flow})


def test_a_notebook_flow_without_a_variable_is_reached_through_flowbook():
    flow, _ = etl()
    text = postmortem.load_cell(flow.last_run, "scale", flow_variable=None)
    assert "import flowbook" not in text  # every input is a short literal
    with Flow("objects") as other:
        invert(x=object())
    other.run()
    text = postmortem.load_cell(other.last_run, "invert", flow_variable=None)
    assert "import flowbook\nx = flowbook.notebook_flow('objects').inputs('invert')['x']" in text


def test_an_input_named_like_the_flow_variable_is_assigned_last():
    cells, ns = Flow("cells"), {}
    authoring.define_task(cells, "flow", "object()", ns)
    authoring.define_task(cells, "other", "object()", ns)
    authoring.define_task(cells, "sum_", "flow + other", ns)
    cells.run()
    text = postmortem.load_cell(cells.last_run, "sum_", flow_variable="flow")
    assert text.splitlines()[1:3] == ["other = flow.inputs('sum_')['other']",
                                      "flow = flow.inputs('sum_')['flow']"]


def cell_flow(body):
    """A flow of %%task cells: raw is [6, 0], clean runs ``body``; run once."""
    flow, ns = Flow("cells"), {}
    authoring.define_task(flow, "raw", "[6, 0]", ns)
    authoring.define_task(flow, "clean", body, ns)
    flow.run()
    return flow, ns


def test_a_loaded_cell_task_is_its_body_after_its_inputs():
    flow, _ = cell_flow("total = 0\n[12 / x for x in raw]")
    assert postmortem.load_cell(flow.last_run, "clean") == (
        "# inputs of clean's latest run (Failed: ZeroDivisionError('division by zero'))\n"
        "raw = [6, 0]\n"
        "total = 0\n"
        "[12 / x for x in raw]\n"
        "# then copy the fix into the %%task clean cell, run it, and flow.retry()\n")


def test_a_loaded_cell_task_fails_the_same_way_in_the_notebook():
    flow, ns = cell_flow("[12 / x for x in raw]")
    with pytest.raises(ZeroDivisionError):
        exec(postmortem.load_cell(flow.last_run, "clean"), ns)


def test_a_cell_task_that_returns_is_loaded_as_a_function_returning_its_last_value():
    flow, _ = cell_flow("if not raw:\n    return []\n[12 / x for x in raw]")
    text = postmortem.load_cell(flow.last_run, "clean")
    assert ("def clean_body(raw):\n"
            "    if not raw:\n"
            "        return []\n"
            "    return [12 / x for x in raw]\n"
            "clean_body(raw=raw)\n") in text
    with pytest.raises(ZeroDivisionError):
        exec(text, {})
    ns = {}
    exec(text.replace("6, 0", "6, 3"), ns)
    assert ns["clean_body"]([6, 3]) == [2.0, 4.0]


def test_a_task_class_without_code_to_load_is_refused():
    with Flow("items") as flow:
        pair = rows()
        invert(pair[1])
    flow.run()
    with pytest.raises(UserValueError, match=r"'rows\[1\]' is a GetItem, not an @task "
                                             r"function or a %%task cell"):
        postmortem.load_cell(flow.last_run, "rows[1]")


def test_a_task_of_a_lambda_is_refused():
    with Flow("lambdas") as flow:
        task(lambda: 1 / 0, name="oops")()
    flow.run()
    with pytest.raises(UserValueError, match="'oops' runs a lambda, not a def"):
        postmortem.load_cell(flow.last_run, "oops")


def test_short_literals_are_written_and_everything_else_is_not():
    assert postmortem._literal([1, "a", (2.5, None), {"k": b"v"}]) == \
        "[1, 'a', (2.5, None), {'k': b'v'}]"
    assert postmortem._literal(set()) == "set()"
    for value in (float("nan"), list(range(1000)), "x" * 300, object(), [object()]):
        assert postmortem._literal(value) is None
    looped = []
    looped.append(looped)
    assert postmortem._literal(looped) is None


def test_the_flow_variable_is_a_name_bound_to_the_flow():
    flow, other = Flow("a"), Flow("b")
    assert postmortem.flow_variable(flow, {"_": flow, "f": flow, "flow": flow}) == "flow"
    assert postmortem.flow_variable(flow, {"x": other, "f": flow}) == "f"
    assert postmortem.flow_variable(flow, {"g": flow, "f": flow}, preferred="f") == "f"
    assert postmortem.flow_variable(flow, {"f": other}) is None
