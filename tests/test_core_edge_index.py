"""The Flow's edge indexes (flowbook/core/edge_index.py): a tuple per task and direction,
a list past a few edges, tuples again for the plan that shares them."""

import pytest
from builders import passthrough, returns

from flowbook import Flow


@pytest.mark.parametrize("n", [1, 8, 9, 30])
def test_many_edges_into_and_out_of_one_task_keep_their_order_and_come_out_as_tuples(n):
    hub, ups, downs = returns(0, name="hub"), [], []
    flow = Flow("hub")
    for i in range(n):
        ups.append(flow.add_edge(returns(i, name=f"u{i}"), hub))
        downs.append(flow.add_edge(hub, returns(i, name=f"d{i}")))
    flow.remove_edge(ups[n // 2])
    flow.remove_edge(downs[0])
    plan = flow.plan()
    assert plan.edges_to[hub] == tuple(e for e in ups if e is not ups[n // 2])
    assert plan.edges_from[hub] == tuple(downs[1:])
    assert all(type(edges) is tuple for index in (plan.edges_to, plan.edges_from)
               for edges in index.values())
    last = flow.add_edge(returns(9, name="late"), hub)  # after the plan: the flow's own copy
    assert flow.edges_to(hub) == {*plan.edges_to[hub], last} and last not in plan.edges_to[hub]


def test_each_link_of_a_chain_is_one_tuple_of_one_edge_both_ways():
    with Flow("chain") as flow:
        last = returns(0)()
        for _ in range(3):
            last = passthrough()(last)
    assert {len(edges) for edges in flow._edges_to.values()} == {0, 1}
    for edge in flow.edges:
        into, out = flow._edges_to[edge.downstream_task], flow._edges_from[edge.upstream_task]
        assert into == (edge,) and into is out
    assert flow.plan().edges_to[last] == (edge,)


def test_an_edge_first_one_way_only_gets_a_tuple_of_its_own_each_way():
    a, b, c = returns(1, name="a"), returns(2, name="b"), returns(3, name="c")
    flow = Flow("f")
    ab, ac = flow.add_edge(a, b), flow.add_edge(a, c)
    assert flow._edges_from[a] == (ab, ac) and flow._edges_to[c] == (ac,)
    flow.remove_edge(ab)
    assert (flow._edges_from[a], flow._edges_to[b], flow._edges_to[c]) == ((ac,), (), (ac,))


def test_flow_tasks_is_the_index_of_the_edges_into_each_task():
    a, b = returns(1, name="a"), returns(2, name="b")
    flow = Flow("f")
    ab = flow.add_edge(a, b)
    assert flow.tasks == {a, b} and list(flow.tasks) == [a, b]
    assert flow.tasks._members is flow._edges_to and flow._edges_to[b] == (ab,)


def test_a_task_added_to_flow_tasks_directly_after_a_plan_leaves_that_plan_alone():
    a, b = returns(1, name="a"), returns(2, name="b")
    flow = Flow("f", tasks=[a])
    plan = flow.plan()
    flow.tasks.add(b)
    assert plan.tasks == (a,) and b not in plan
    assert flow.edges_to(b) == set() and flow.edges_from(b) == set()
    flow._version += 1  # (a direct change is not noticed by the flow)
    assert flow.plan().tasks == (a, b)
    flow.tasks.discard(a)
    assert flow.plan().tasks == (a, b) and a not in flow._edges_from


def test_a_flow_pickled_with_three_containers_per_task_loads():
    from flowbook.core.flow import Flow as FlowClass
    from flowbook.core.ordered_set import OrderedSet

    a, b = returns(1, name="a"), returns(2, name="b")
    flow = Flow("f")
    ab = flow.add_edge(a, b)
    state = flow.__getstate__()  # as an earlier flowbook pickled it:
    state.update(tasks=OrderedSet([a, b]), _edges_to={a: [], b: [ab]},
                 _edges_from={a: [ab], b: []}, _edges_shared=False)
    old = FlowClass.__new__(FlowClass)
    old.__setstate__(state)
    assert old.edges_to(b) == {ab} and old.edges_from(a) == {ab} and list(old.tasks) == [a, b]
    assert old.plan().edges_to[b] == (ab,)
    c = returns(3, name="c")
    old.add_edge(b, c)
    assert old.plan().order == (a, b, c)


def test_a_pickled_flow_keeps_its_index():
    import cloudpickle

    with Flow("chain") as flow:
        last = passthrough()(returns(0)())
    flow.plan()  # shared with the plan, which is not pickled
    back = cloudpickle.loads(cloudpickle.dumps(flow))
    assert [len(back.edges_to(t)) for t in back.tasks] == [0, 1]
    assert back.tasks._shared is False and back.run().is_successful()
    assert last.name in {t.name for t in back.tasks}
