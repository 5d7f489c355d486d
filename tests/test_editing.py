"""Flow.replace and Flow.update (flowbook/core/editing.py)."""

import pytest

from builders import passthrough, returns
from flowbook import Flow, Parameter


def test_replace_moves_the_edges_of_the_old_task_to_the_new_one():
    with Flow("f") as flow:
        a = returns(1, name="a")()
        b = passthrough(name="b")(a)
    new = returns(2, name="new")
    flow.replace(a, new)
    assert flow.tasks == {new, b} and flow.upstream_tasks(b) == {new}
    assert flow.run().result[b].result == 2


def test_replace_moves_a_chosen_reference_task():
    a, b, new = returns(1, name="a"), returns(1, name="b"), returns(1, name="new")
    flow = Flow("f", tasks=[a, b], reference_tasks=[a])
    flow.replace(a, new)
    assert flow.reference_tasks() == {new}


def test_replace_with_a_value_makes_it_a_constant_argument():
    with Flow("f") as flow:
        x = Parameter("x")
        y = passthrough()(x)
    flow.replace(x, 7)
    assert flow.constants[y] == {"x": 7} and flow.run().result[y].result == 7


def test_replace_refuses_a_task_outside_the_flow():
    with pytest.raises(ValueError, match="was not found in Flow"):
        Flow("f").replace(returns(1), returns(2))


def test_update_adds_the_tasks_edges_and_constants_of_another_flow():
    with Flow("other") as other:
        b = passthrough(name="b")(x=5)
        c = passthrough(name="c")(b)
    flow = Flow("f")
    flow.update(other)
    assert flow.tasks == {b, c} and flow.edges == other.edges
    assert flow.run().result[c].result == 5


def test_update_merging_parameters_keeps_one_parameter_per_name():
    with Flow("other") as other:
        theirs = Parameter("x")
        b = passthrough(name="b")(theirs)
    with Flow("f") as flow:
        mine = Parameter("x")
        c = passthrough(name="c")(mine)
    flow.update(other, merge_parameters=True)
    assert flow.parameters() == {theirs} and flow.upstream_tasks(c) == {theirs}
    assert flow.run(x=1).result[b].result == 1


def test_update_merging_reference_tasks_joins_them():
    a, b = returns(1, name="a"), returns(1, name="b")
    other = Flow("other", tasks=[a, b], reference_tasks=[a])
    flow = Flow("f", tasks=[b], reference_tasks=[b])
    flow.update(other, merge_reference_tasks=True)
    assert flow.reference_tasks() == {a, b}
