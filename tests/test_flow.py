import pytest

from builders import passthrough, returns
from flowbook import Flow, FlowCycleError, Parameter, task
from flowbook.errors import UserRuntimeError


def test_functional_api_records_data_edges():
    a, b = returns(1, name="a"), passthrough(name="b")
    with Flow("f") as flow:
        x = a()
        y = b(x)
    (edge,) = flow.edges
    assert (edge.upstream_task, edge.downstream_task, edge.key) == (x, y, "x")


def test_upstream_tasks_adds_state_only_edges():
    with Flow("f") as flow:
        x = returns(1, name="a")()
        y = returns(2, name="b")(upstream_tasks=[x])
    (edge,) = flow.edges
    assert edge.key is None and flow.upstream_tasks(y) == {x}


def test_plain_arguments_become_constants_not_tasks():
    with Flow("f") as flow:
        y = passthrough()(x=5)
    assert list(flow.tasks) == [y] and flow.constants[y] == {"x": 5}


def test_a_list_holding_tasks_becomes_a_list_task():
    with Flow("f") as flow:
        a = returns(1, name="a")()
        y = passthrough()(x=[a, 2])
    (lst,) = flow.upstream_tasks(y)
    assert lst.name == "List" and flow.run().result[y].result == [1, 2]


def test_imperative_api_builds_the_same_graph():
    flow = Flow("f")
    a, b, c = returns(1, name="a"), passthrough(name="b"), passthrough(name="c")
    flow.add_task(a)
    flow.set_dependencies(b, keyword_tasks={"x": a})
    c.set_upstream(b, flow=flow, key="x")
    d = returns(0, name="d")
    a.set_downstream(d, flow=flow)
    state = flow.run()
    assert state.result[c].result == 1 and flow.upstream_tasks(d) == {a}


def test_add_edge_refuses_a_task_as_its_own_upstream():
    a = returns(1)
    with pytest.raises(ValueError, match="cannot be its own upstream"):
        Flow("f").add_edge(a, a)


def test_an_argument_set_twice_is_refused():
    flow = Flow("f")
    a, b = returns(1, name="a"), passthrough()
    flow.add_edge(a, b, key="x")
    with pytest.raises(ValueError, match="argument 'x' of task 'passthrough' is already set"):
        flow.add_edge(returns(2), b, key="x")


def test_a_cycle_is_an_error_naming_the_tasks():
    flow = Flow("loop")
    a, b, c = returns(1, name="a"), returns(1, name="b"), returns(1, name="c")
    flow.add_edge(a, b)
    flow.add_edge(b, c)
    flow.add_edge(c, a)
    with pytest.raises(FlowCycleError) as err:
        flow.run()
    assert {t.name for t in err.value.cycle} == {"a", "b", "c"}
    assert "flow 'loop' has a cycle" in str(err.value)


def test_terminal_tasks_are_the_default_reference_tasks():
    with Flow("f") as flow:
        a = returns(1, name="a")()
        b = passthrough()(a)
    assert flow.reference_tasks() == flow.terminal_tasks() == {b}


def test_set_reference_tasks_refuses_a_task_outside_the_flow():
    flow = Flow("etl")
    with pytest.raises(ValueError, match="task 'stray' is not in flow 'etl'"):
        flow.set_reference_tasks([returns(1, name="stray")])


def test_empty_reference_tasks_restore_the_default():
    with Flow("f") as flow:
        a = returns(1, name="a")()
        b = passthrough()(a)
    flow.set_reference_tasks([a])
    flow.set_reference_tasks([])
    assert flow.reference_tasks() == {b}


def test_parameters_cannot_have_upstream_tasks():
    flow = Flow("f")
    with pytest.raises(ValueError, match="parameter 'p' cannot have upstream"):
        flow.add_edge(returns(1), Parameter("p"))


def test_two_parameters_with_one_name_are_refused():
    flow = Flow("f")
    flow.add_task(Parameter("p"))
    with pytest.raises(ValueError, match="already has a parameter named 'p'"):
        flow.add_task(Parameter("p"))


def test_add_task_refuses_non_tasks():
    with pytest.raises(TypeError, match="wrap a function with @task"):
        Flow("f").add_task(print)


def test_remove_task_drops_its_edges():
    with Flow("f") as flow:
        a = returns(1, name="a")()
        b = passthrough()(a)
    flow.remove_task(a)
    assert list(flow.tasks) == [b] and not flow.edges and flow.root_tasks() == {b}


def test_sorted_tasks_puts_upstream_first():
    with Flow("f") as flow:
        a = returns(1, name="a")()
        b = passthrough(name="b")(a)
        c = passthrough(name="c")(b)
    assert flow.sorted_tasks() == (a, b, c)


def test_a_flow_needs_a_name():
    with pytest.raises(ValueError, match="non-empty name"):
        Flow("")


def test_tasks_used_across_flows_stay_separate():
    @task
    def f():
        return 1

    with Flow("one") as one:
        f()
    with Flow("two") as two:
        f()
    assert not set(one.tasks) & set(two.tasks)


def test_result_dir_set_later_is_checked_too():
    from flowbook.errors import UserTypeError

    flow = Flow("later")
    flow.result_dir = "results"
    assert flow.result_dir == "results"
    with pytest.raises(UserTypeError, match="flow 'later': result_dir must be a folder path"):
        flow.result_dir = 3
    assert flow.result_dir == "results"


def test_running_a_flow_while_building_one_says_to_run_it_after_the_block():
    with pytest.raises(UserRuntimeError, match="after the `with Flow"):
        with Flow("inside") as flow:
            flow.run()
