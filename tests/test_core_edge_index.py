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


def test_a_chain_keeps_one_tuple_of_one_edge_per_task_and_direction():
    with Flow("chain") as flow:
        last = returns(0)()
        for _ in range(3):
            last = passthrough()(last)
    assert {len(edges) for edges in flow._edges_to.values()} == {0, 1}
    assert all(type(edges) is tuple for edges in flow._edges_from.values())
