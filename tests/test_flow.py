import pytest

from builders import passthrough, raises, returns
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


def test_tasks_and_edges_compare_as_sets_and_iterate_in_the_order_added():
    flow = Flow("f")
    a, b, c = returns(1, name="a"), returns(1, name="b"), returns(1, name="c")
    edges = flow.chain(c, a, b)
    assert flow.tasks == {a, b, c} and list(flow.tasks) == [c, a, b]
    assert flow.edges == set(edges) and list(flow.edges) == edges


def test_iterating_a_flow_gives_its_tasks_upstream_first():
    flow = Flow("f")
    a, b = returns(1, name="a"), passthrough(name="b")
    flow.add_task(b)
    flow.add_edge(a, b, key="x")
    assert list(flow) == [a, b]


def test_flows_with_the_same_name_tasks_edges_and_reference_tasks_are_equal():
    a, b = returns(1, name="a"), returns(1, name="b")
    one, two = Flow("f"), Flow("f")
    for flow in (one, two):
        flow.add_edge(a, b)
    assert one == two
    one.set_reference_tasks([a])
    assert one != two


def test_a_copy_keeps_slugs_given_after_a_removal():
    from flowbook import Task

    x, z, y = Task("b"), Task("b"), Task("y", slug="b-1")
    flow = Flow("f", tasks=[x, z])
    flow.remove_task(x)
    flow.add_task(y)  # b-1 is free again
    assert flow.copy().slugs == flow.slugs == {z: "b-2", y: "b-1"}


def test_a_copy_is_equal_and_changes_apart():
    flow = Flow("f")
    a, b = returns(1, name="a"), returns(1, name="b")
    flow.add_edge(a, b)
    copied = flow.copy()
    assert copied == flow and copied.slugs == flow.slugs
    flow.add_task(returns(2, name="c"))
    assert copied != flow and len(copied.tasks) == 2


def test_on_failure_is_called_with_the_flow_and_its_failed_state():
    seen = []
    flow = Flow("f", tasks=[raises(name="boom")], on_failure=lambda f, s: seen.append((f, s)))
    state = flow.run()
    assert seen == [(flow, state)] and state.is_failed()


def test_state_handlers_must_be_a_list():
    with pytest.raises(TypeError, match="state_handlers should be iterable"):
        Flow("f", state_handlers=lambda *a: None)


def test_terminal_state_handler_gets_the_reference_states_and_may_change_the_state():
    def handler(flow, state, reference_states):
        assert {s.result for s in reference_states} == {1}
        state.message = "custom"
        return state

    flow = Flow("f", tasks=[returns(1)], terminal_state_handler=handler)
    assert flow.run().message == "custom"


def test_a_terminal_state_handler_returning_none_keeps_the_state():
    flow = Flow("f", tasks=[returns(1)], terminal_state_handler=lambda *a: None)
    assert flow.run().message == "All reference tasks succeeded."


def test_get_tasks_keeps_the_tasks_matching_every_condition():
    flow = Flow("f")
    a = flow.add_task(returns(1, name="a", tags=["x", "y"]))
    flow.add_task(returns(1, name="a", tags=["x"]))
    flow.add_task(passthrough(name="b", tags=["x", "y"]))
    assert flow.get_tasks(name="a", tags=["x", "y"]) == [a]
    assert flow.get_tasks(slug=flow.slugs[a]) == [a]


def test_get_tasks_by_type():
    from flowbook.tasks.core import Constant

    flow = Flow("f")
    c = flow.add_task(Constant(1))
    flow.add_task(returns(1))
    assert flow.get_tasks(task_type=Constant) == [c]


def test_add_edge_with_validate_checks_the_key_against_the_task():
    with pytest.raises(TypeError, match="task 'returns' cannot take argument 'x'"):
        Flow("f").add_edge(returns(1, name="a"), returns(2), key="x", validate=True)


def test_add_edge_with_validate_finds_a_cycle_at_once():
    flow = Flow("f")
    a, b = returns(1, name="a"), returns(1, name="b")
    flow.add_edge(a, b)
    with pytest.raises(FlowCycleError, match="Cycle found"):
        flow.add_edge(b, a, validate=True)


def test_a_constant_edge_is_returned_and_kept_as_a_constant():
    flow = Flow("f")
    b = passthrough()
    edge = flow.add_edge(5, b, key="x")
    assert edge.key == "x" and flow.constants[b] == {"x": 5} and not flow.edges


def test_set_dependencies_makes_plain_values_tasks():
    flow = Flow("f")
    b = passthrough()
    flow.set_dependencies(b, upstream_tasks=[2], downstream_tasks=[3], keyword_tasks={"x": 4})
    assert len(flow.tasks) == 3 and flow.constants[b] == {"x": 4}


def test_edges_of_a_task_outside_the_flow_are_an_error():
    with pytest.raises(ValueError, match="task 'stray' is not in flow 'f'"):
        Flow("f").edges_to(returns(1, name="stray"))


def test_sorted_tasks_from_root_tasks_keeps_those_and_the_tasks_below():
    flow = Flow("f")
    a, b, c, d = (returns(1, name=n) for n in "abcd")
    flow.chain(a, b, c)
    flow.add_task(d)
    assert flow.sorted_tasks(root_tasks=[b]) == (b, c)


def test_sorted_tasks_from_a_task_outside_the_flow_is_an_error():
    with pytest.raises(ValueError, match="was not found in Flow"):
        Flow("f").sorted_tasks(root_tasks=[returns(1)])


def test_validate_finds_edges_to_tasks_taken_out_of_flow_tasks():
    flow = Flow("f")
    a, b = returns(1, name="a"), returns(1, name="b")
    flow.add_edge(a, b)
    flow.tasks.remove(b)
    with pytest.raises(ValueError, match="edges refer to tasks not contained"):
        flow.validate()


def test_validate_finds_reference_tasks_taken_out_of_flow_tasks():
    a = returns(1, name="a")
    flow = Flow("f", tasks=[a], reference_tasks=[a])
    flow.tasks.remove(a)
    with pytest.raises(ValueError, match="reference tasks are not contained"):
        flow.validate()


def test_run_takes_parameters_as_keywords():
    with Flow("f") as flow:
        x = Parameter("x")
        y = passthrough()(x)
    assert flow.run(x=3).result[y].result == 3


def test_run_refuses_keywords_that_are_not_parameters():
    with pytest.raises(TypeError, match="unexpected keywords nope"):
        Flow("f").run(nope=1)


def test_run_refuses_return_tasks():
    with pytest.raises(ValueError, match="`return_tasks` keyword cannot be provided"):
        Flow("f").run(return_tasks=[])


def test_a_finished_state_given_to_run_is_the_result_and_nothing_runs():
    from flowbook.engine.state import Failed

    calls = []
    a = task(lambda: calls.append(1), name="a")
    flow = Flow("f", tasks=[a])
    state = flow.run(state=Failed("given"))
    assert state.message == "given" and calls == [] and state.result[a].is_pending()


def test_a_second_parameter_of_one_name_is_refused_by_its_slug():
    flow = Flow("f", tasks=[Parameter("p")])
    with pytest.raises(ValueError, match='slug "p" already exists'):
        flow.add_task(Parameter("p"))
    assert len(flow.slugs) == 1
