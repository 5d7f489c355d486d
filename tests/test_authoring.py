"""Adding, redefining and removing cell tasks: the flow stays whole, mistakes change nothing."""

import random

import pytest

from flowbook import Flow, triggers
from flowbook.notebook.authoring import (CellError, connect_pending, define_task, find_task,
                                         remove_task, reset_flow, resolve_trigger)
from tests.builders import returns


@pytest.fixture
def flow():
    return Flow("nb")


@pytest.fixture
def ns():
    return {}


def edges(flow):
    return {(e.upstream_task.name, e.downstream_task.name, e.key) for e in flow.edges}


def result(state, task):
    return state.result[task].result


def test_a_read_of_another_task_becomes_a_data_edge(flow, ns):
    define_task(flow, "cluster", "'spark'", ns)
    define_task(flow, "job", "cluster + ':job'", ns)
    assert edges(flow) == {("cluster", "job", "cluster")}
    assert result(flow.run(), ns["job"]) == "spark:job"


def test_defining_a_task_binds_its_name_in_the_namespace(flow, ns):
    t = define_task(flow, "cluster", "1", ns)
    assert ns["cluster"] is t and t in flow.tasks


def test_a_task_read_before_it_exists_gets_its_edge_when_defined(flow, ns):
    define_task(flow, "report", "len(rows)", ns)
    assert edges(flow) == set()
    define_task(flow, "rows", "[1, 2]", ns)
    assert edges(flow) == {("rows", "report", "rows")}
    assert result(flow.run(), ns["report"]) == 2


def test_redefinition_keeps_the_same_node_and_recomputes_its_edges(flow, ns):
    define_task(flow, "a", "1", ns)
    define_task(flow, "b", "2", ns)
    first = define_task(flow, "c", "a + 10", ns)
    again = define_task(flow, "c", "b + 10", ns)
    assert again is first and len(flow.tasks) == 3
    assert edges(flow) == {("b", "c", "b")}
    assert result(flow.run(), first) == 12


def test_redefinition_keeps_edges_to_tasks_that_read_it(flow, ns):
    define_task(flow, "a", "1", ns)
    define_task(flow, "b", "a * 2", ns)
    define_task(flow, "a", "5", ns)
    assert edges(flow) == {("a", "b", "a")}
    assert result(flow.run(), ns["b"]) == 10


def test_redefinition_takes_new_options(flow, ns):
    define_task(flow, "t", "1", ns, trigger="all_successful")
    t = define_task(flow, "t", "1", ns, trigger="always_run", max_retries=2, retry_delay=0,
                    timeout=3)
    assert (t.trigger, t.max_retries, t.retry_delay.total_seconds(), t.timeout) == (
        triggers.always_run, 2, 0.0, 3.0)


def test_redefinition_without_options_takes_the_defaults_again(flow, ns):
    define_task(flow, "t", "1", ns, trigger="always_run", max_retries=2, retry_delay=0,
                timeout=3)
    t = define_task(flow, "t", "1", ns)
    assert (t.trigger, t.max_retries, t.retry_delay, t.timeout) == (
        triggers.all_successful, 0, None, None)


def test_ten_redefinitions_in_any_order_keep_node_and_edge_counts(flow, ns):
    cells = {"a": "1", "b": "a + 1", "c": "a + b", "d": "c * 2", "e": "d - a"}
    for name in random.Random(7).sample(list(cells), len(cells)):
        define_task(flow, name, cells[name], ns)
    expected = edges(flow)
    rng = random.Random(11)
    for _ in range(10):
        name = rng.choice(list(cells))
        define_task(flow, name, cells[name], ns)
        assert len(flow.tasks) == 5 and edges(flow) == expected
    assert result(flow.run(), ns["e"]) == 5


def test_upstream_names_are_state_only_edges(flow, ns):
    define_task(flow, "setup", "print('ready')", ns)
    define_task(flow, "work", "42", ns, upstream=["setup"])
    assert edges(flow) == {("setup", "work", None)}


def test_an_upstream_name_defined_later_gets_its_edge_then(flow, ns):
    define_task(flow, "work", "42", ns, upstream=["setup"])
    define_task(flow, "setup", "None", ns)
    assert edges(flow) == {("setup", "work", None)}


def test_a_task_that_reads_itself_gets_no_self_edge(flow, ns):
    define_task(flow, "count", "1", ns)
    define_task(flow, "count", "count if isinstance(count, int) else 0", ns)
    assert edges(flow) == set()


def test_a_cycle_is_refused_naming_it_and_the_flow_is_unchanged(flow, ns):
    define_task(flow, "a", "1", ns)
    define_task(flow, "b", "a + 1", ns)
    before = (list(flow.tasks), edges(flow), ns["a"].source)
    with pytest.raises(CellError, match="cycle in flow 'nb': (a -> b -> a|b -> a -> b)"):
        define_task(flow, "a", "b + 1", ns)
    assert (list(flow.tasks), edges(flow), ns["a"].source) == before


def test_a_new_task_closing_a_cycle_with_waiting_reads_is_refused(flow, ns):
    define_task(flow, "a", "b + 1", ns)  # waits for b
    with pytest.raises(CellError, match="cycle"):
        define_task(flow, "b", "a + 1", ns)
    assert list(t.name for t in flow.tasks) == ["a"] and "b" not in ns


def test_a_syntax_error_names_the_cell_line_and_changes_nothing(flow, ns):
    define_task(flow, "a", "1", ns)
    with pytest.raises(CellError, match=r"syntax error in %%task a, line 3 of the cell"):
        define_task(flow, "a", "x = 1\n  y = 2", ns)
    assert ns["a"].source == "1"


@pytest.mark.parametrize("name", ["1abc", "with space", "class", "", "a-b"])
def test_a_name_that_is_not_an_identifier_is_refused(flow, ns, name):
    with pytest.raises(CellError, match="not a valid task name"):
        define_task(flow, name, "1", ns)
    assert not flow.tasks


def test_a_name_taken_by_a_task_not_from_a_cell_is_refused(flow, ns):
    flow.add_task(returns(1, name="load"))
    with pytest.raises(CellError, match="already has a task named 'load'.*%flow remove load"):
        define_task(flow, "load", "2", ns)


def test_reading_a_name_several_tasks_have_is_refused(flow, ns):
    flow.add_task(returns(1, name="load"))
    flow.add_task(returns(2, name="load"))
    with pytest.raises(CellError, match="several tasks named 'load'"):
        define_task(flow, "use", "load", ns)


def test_retries_need_a_delay_named_as_the_option(flow, ns):
    with pytest.raises(CellError, match="--max-retries 2 needs --retry-delay"):
        define_task(flow, "t", "1", ns, max_retries=2)
    with pytest.raises(CellError, match="--retry-delay needs --max-retries"):
        define_task(flow, "t", "1", ns, retry_delay=1)


def test_a_negative_timeout_is_refused(flow, ns):
    with pytest.raises(CellError, match="timeout must be a number of seconds"):
        define_task(flow, "t", "1", ns, timeout=-1)


def test_reference_option_adds_and_dropping_it_removes(flow, ns):
    define_task(flow, "job", "1", ns, reference=True)
    define_task(flow, "cleanup", "job", ns)
    assert flow.reference_tasks() == {ns["job"]}
    define_task(flow, "job", "1", ns)
    assert flow.reference_tasks() == {ns["cleanup"]}  # back to the terminal tasks


def test_remove_drops_the_task_and_readers_wait_for_a_new_one(flow, ns):
    define_task(flow, "a", "1", ns)
    define_task(flow, "b", "a + 1", ns)
    remove_task(flow, "a", ns)
    assert "a" not in ns and edges(flow) == set() and ns["b"].inputs == ()
    define_task(flow, "a", "10", ns)
    assert result(flow.run(), ns["b"]) == 11


def test_remove_of_an_unknown_task_lists_the_tasks(flow, ns):
    define_task(flow, "a", "1", ns)
    with pytest.raises(CellError, match="no task named 'zzz'; its tasks are: a"):
        remove_task(flow, "zzz", ns)


def test_reset_empties_the_flow_and_forgets_its_runs(flow, ns):
    define_task(flow, "a", "1", ns, reference=True)
    flow.run()
    reset_flow(flow, ns)
    assert not flow.tasks and not flow.edges and flow.last_run is None and "a" not in ns


def test_connect_pending_links_tasks_added_by_other_means(flow, ns):
    define_task(flow, "report", "rows * 2", ns)
    flow.add_task(returns(21, name="rows"))
    added = connect_pending(flow)
    assert [(u.name, d.name, k) for u, d, k in added] == [("rows", "report", "rows")]
    assert result(flow.run(), ns["report"]) == 42


@pytest.mark.parametrize("expr, expected", [
    ("always_run", triggers.always_run),
    ("manual_only", triggers.manual_only),
])
def test_trigger_names_resolve_to_builtin_triggers(expr, expected):
    assert resolve_trigger(expr, {}) is expected


def test_a_trigger_call_is_evaluated():
    trig = resolve_trigger("some_successful(at_least=2)", {})
    assert "at least 2" in trig.rule


def test_a_notebook_function_can_be_a_trigger():
    def mine(upstream_states):
        return True

    assert resolve_trigger("mine", {"mine": mine}) is mine


def test_an_unknown_trigger_lists_the_valid_ones():
    with pytest.raises(CellError, match="unknown trigger 'nope'.*always_run.*manual_only"):
        resolve_trigger("nope", {})


def test_a_trigger_that_is_not_callable_is_refused():
    with pytest.raises(CellError, match="not a trigger function"):
        resolve_trigger("x", {"x": 3})


def test_find_task_names_the_ambiguity(flow):
    flow.add_task(returns(1, name="x"))
    flow.add_task(returns(1, name="x"))
    with pytest.raises(CellError, match="2 tasks named 'x'"):
        find_task(flow, "x")


def test_trigger_names_are_triggers_only():
    from flowbook.notebook.authoring import TRIGGER_NAMES

    assert "all_successful" in TRIGGER_NAMES and "manual_only" in TRIGGER_NAMES
    assert not {"truth_table", "describe", "upstream_state_list"} & set(TRIGGER_NAMES)
