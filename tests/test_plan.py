"""The frozen plan of a flow (flowbook/core/plan.py): read-only, made once per version of the
flow, constants as edges, unique names, cycles named; and a run follows its own plan, so
editing the flow while it runs cannot corrupt it."""

import dataclasses
import subprocess
import sys
import textwrap

import pytest
from builders import returns

from flowbook import Flow, FlowCycleError, task
from flowbook.engine import state as st
from flowbook.errors import UserError
from flowbook.executors import LocalDaskExecutor, LocalExecutor
from flowbook.tasks.core import Constant


@pytest.fixture(params=["local", "threads"])
def executor(request):
    return LocalExecutor() if request.param == "local" else LocalDaskExecutor(num_workers=2)


def two_task_flow():
    """up -> down (down takes up's result as ``x``); returns (flow, up, down)."""
    with Flow("two") as flow:
        up = returns(1, name="up")()
        down = task(lambda x: x + 1, name="down")(up)
    return flow, up, down


# -- immutable ---------------------------------------------------------------------------

@pytest.mark.parametrize("field", ["edges_to", "edges_from", "inputs", "constants", "names"])
def test_the_plans_mappings_are_read_only(field):
    flow, up, _ = two_task_flow()
    with pytest.raises(TypeError):
        getattr(flow.plan(), field)[up] = ()


def test_the_plans_fields_cannot_be_replaced():
    flow, _, _ = two_task_flow()
    with pytest.raises(dataclasses.FrozenInstanceError):
        flow.plan().order = ()


def test_the_plans_edge_lists_are_tuples():
    flow, up, down = two_task_flow()
    plan = flow.plan()
    assert type(plan.edges_to[down]) is tuple and type(plan.edges_from[up]) is tuple


# -- one plan per version of the flow ----------------------------------------------------

def test_the_same_plan_is_returned_while_the_flow_does_not_change():
    flow, _, _ = two_task_flow()
    assert flow.plan() is flow.plan()


def test_running_the_flow_keeps_its_plan():
    flow, _, _ = two_task_flow()
    plan = flow.plan()
    flow.run()
    assert flow.plan() is plan and flow.last_run.plan is plan


def add_a_task(flow, up, down):
    flow.add_task(returns(2, name="extra"))


def add_an_edge(flow, up, down):
    flow.add_edge(up, down)


def add_a_constant_argument(flow, up, down):
    flow.set_dependencies(down, keyword_tasks={"y": 5})


def choose_reference_tasks(flow, up, down):
    flow.set_reference_tasks([up])


def remove_a_task(flow, up, down):
    flow.remove_task(down)


@pytest.mark.parametrize("change", [add_a_task, add_an_edge, add_a_constant_argument,
                                    choose_reference_tasks, remove_a_task])
def test_changing_the_flow_gives_a_new_plan(change):
    flow, up, down = two_task_flow()
    before = flow.plan()
    change(flow, up, down)
    after = flow.plan()
    assert after is not before and after is flow.plan()


def test_a_new_plan_shows_the_change_and_the_old_one_does_not():
    flow, up, down = two_task_flow()
    before = flow.plan()
    flow.remove_task(down)
    assert down in before and down not in flow.plan()


# -- what a plan holds -------------------------------------------------------------------

def test_constant_arguments_are_edges_in_inputs_with_success_states():
    with Flow("constants") as flow:
        t = task(lambda x, y: x + y, name="add")(1, y=10)
    plan = flow.plan()
    constant_edges = [e for e in plan.inputs[t] if e in plan.constants]
    assert sorted(e.key for e in constant_edges) == ["x", "y"]
    assert all(isinstance(e.upstream_task, Constant) for e in constant_edges)
    results = {e.key: plan.constants[e] for e in constant_edges}
    assert all(type(s) is st.Success for s in results.values())
    assert {k: s.result for k, s in results.items()} == {"x": 1, "y": 10}


def test_constant_arguments_are_not_edges_between_tasks():
    with Flow("constants") as flow:
        t = task(lambda x: x, name="one")(1)
    plan = flow.plan()
    assert plan.edges_to[t] == () and plan.tasks == (t,)


def test_the_plan_names_tasks_uniquely():
    with Flow("names") as flow:
        a, b, c = returns(1, name="load")(), returns(2, name="load")(), returns(3, name="x")()
    assert dict(flow.plan().names) == {a: "load", b: "load-2", c: "x"}


def test_the_order_puts_every_task_after_its_upstream_tasks():
    with Flow("order") as flow:
        last = task(lambda x, y: x, name="last")
        middle = passthrough_task("middle")
        first = returns(1, name="first")
        flow.add_edge(middle, last, key="x")
        flow.add_edge(first, middle, key="x")
        flow.add_edge(first, last, key="y")
    order = flow.plan().order
    assert order.index(first) < order.index(middle) < order.index(last)


def passthrough_task(name):
    return task(lambda x: x, name=name)


def test_terminal_and_reference_tasks_default_to_the_tasks_nothing_waits_for():
    flow, up, down = two_task_flow()
    plan = flow.plan()
    assert plan.terminal == {down} and plan.reference == {down}


def test_chosen_reference_tasks_are_the_plans_reference_tasks():
    flow, up, down = two_task_flow()
    flow.set_reference_tasks([up])
    assert flow.plan().reference == {up} and flow.plan().terminal == {down}


def test_a_cycle_raises_flow_cycle_error_naming_its_tasks():
    flow, up, down = two_task_flow()
    flow.add_edge(down, up)
    with pytest.raises(FlowCycleError) as caught:
        flow.plan()
    assert set(caught.value.cycle) == {up, down}
    assert "Cycle found: flow 'two' has a cycle" in str(caught.value)
    assert "up" in str(caught.value) and "down" in str(caught.value)


def test_a_flow_cycle_error_is_a_user_error_and_a_value_error():
    assert issubclass(FlowCycleError, UserError) and issubclass(FlowCycleError, ValueError)


# -- editing the flow while it runs ------------------------------------------------------

def test_a_task_added_by_a_running_task_does_not_run_in_that_run(executor):
    added = returns("late", name="added")

    def grow():
        flow.add_task(added)
        flow.add_edge(first, added)
        return "grew"

    with Flow("grows") as flow:
        first = task(grow, name="first")()
    state = flow.run(executor=executor)
    assert state.is_successful() and set(state.result) == {first}
    assert added not in flow.last_run.states and added in flow.tasks


def test_the_next_run_runs_a_task_added_during_the_previous_one(executor):
    added = returns("late", name="added")

    def grow():
        if added not in flow.tasks:
            flow.add_edge(first, added)
        return "grew"

    with Flow("grows") as flow:
        first = task(grow, name="first")()
    flow.run(executor=executor)
    state = flow.run(executor=executor)
    assert state.is_successful() and state.result[added].result == "late"


def test_a_task_removed_by_a_running_task_still_runs_in_that_run(executor):
    def shrink():
        flow.remove_task(down)
        return 1

    with Flow("shrinks") as flow:
        up = task(shrink, name="up")()
        down = task(lambda x: x + 1, name="down")(up)
    state = flow.run(executor=executor)
    assert state.is_successful() and state.result[down].result == 2
    assert down not in flow.tasks


# -- no import cycle ---------------------------------------------------------------------

def test_importing_the_task_module_does_not_import_flowbooks_own_tasks():
    # `import flowbook.core.task` runs flowbook/__init__.py first, which imports everything;
    # the package is stubbed so that only core/task.py's own imports are loaded.
    code = textwrap.dedent("""
        import importlib.util, sys, types
        spec = importlib.util.find_spec("flowbook")
        package = types.ModuleType("flowbook")
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules["flowbook"] = package
        import flowbook.core.task
        print(sorted(m for m in sys.modules if m.startswith("flowbook.")))
    """)
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    assert "flowbook.core.task" in loaded and "flowbook.tasks" not in loaded


def test_flowbooks_own_tasks_import_on_their_own():
    code = textwrap.dedent("""
        import importlib.util, sys, types
        spec = importlib.util.find_spec("flowbook")
        package = types.ModuleType("flowbook")
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules["flowbook"] = package
        import flowbook.tasks.core
        print(flowbook.tasks.core.GetItem.__module__)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "flowbook.core.task"


@pytest.mark.parametrize("change", ["add_edge", "remove_edge", "remove_task", "add_task"])
def test_changing_the_flow_after_a_plan_leaves_that_plans_edges_as_they_were(change):
    a, b, c = returns(1), returns(2), returns(3)
    flow = Flow("shared")
    first = flow.add_edge(a, b)
    flow.add_task(c)
    plan = flow.plan()
    before = {t: (plan.edges_to[t], plan.edges_from[t]) for t in plan.tasks}
    {"add_edge": lambda: flow.add_edge(c, b),
     "remove_edge": lambda: flow.remove_edge(first),
     "remove_task": lambda: flow.remove_task(a),
     "add_task": lambda: flow.add_task(returns(4))}[change]()
    assert {t: (plan.edges_to[t], plan.edges_from[t]) for t in plan.tasks} == before
    assert flow.plan() is not plan


def test_the_plan_keeps_the_order_tasks_were_added_in():
    flow = Flow("order")
    a, b, c = (task(lambda: 1, name=n) for n in "cab")
    for t in (a, b, c):
        flow.add_task(t)
    assert flow.plan().tasks == (a, b, c)


def test_tasks_added_after_their_upstream_tasks_run_in_the_order_added():
    with Flow("added") as flow:
        a = returns(1, name="a")()
        b = returns(2, name="b")()
        c = passthrough_task("c")(b)
        d = passthrough_task("d")(a)
    assert flow.plan().order == (a, b, c, d)  # already an order: kept as it is


def test_a_task_added_before_its_upstream_task_comes_after_it_in_the_order():
    flow = Flow("late")
    first, second = returns(1, name="first"), passthrough_task("second")
    flow.add_task(second)
    flow.add_task(first)
    flow.add_edge(first, second, key="x")
    assert flow.plan().order == (first, second)
    assert flow.run().result[second].result == 1


def test_a_task_without_constant_arguments_has_none_in_the_plan():
    with Flow("c") as flow:
        up = returns(1, name="up")()
        down = task(lambda x, y: x + y, name="down")(up, 2)
    plan = flow.plan()
    assert plan.constants_of[up] == ()
    assert [(e.key, s.result) for e, s in plan.constants_of[down]] == [("y", 2)]
    assert up not in dict(plan.constants_of)  # kept only for the tasks given some
