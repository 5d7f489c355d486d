from builders import returns
from flowbook import Flow, task
from flowbook.engine import state as st
from flowbook.tasks.control_flow import CompareValue, ifelse, merge, switch


def ifelse_flow(condition, with_false=True):
    no = returns("no", name="no")  # made outside the block: left out, it is no unused task
    with Flow("ifelse") as flow:
        yes = returns("yes", name="yes")
        ifelse(returns(condition, name="cond"), yes, no if with_false else None)
    return flow, yes, no


def test_ifelse_runs_the_true_task_on_a_truthy_condition():
    flow, yes, no = ifelse_flow([0])
    states = flow.run().result
    assert type(states[yes]) is st.Success and type(states[no]) is st.Skipped


def test_ifelse_runs_the_false_task_on_a_falsy_condition():
    flow, yes, no = ifelse_flow("")
    states = flow.run().result
    assert type(states[yes]) is st.Skipped and type(states[no]) is st.Success


def test_ifelse_adds_a_bool_and_one_comparison_per_branch():
    flow, _, _ = ifelse_flow(True)
    names = sorted(t.name for t in flow.tasks)
    assert names == ['CompareValue: "False"', 'CompareValue: "True"', "as_bool", "cond", "no",
                     "yes"]


def test_ifelse_without_a_false_task_adds_no_branch_for_it():
    flow, yes, no = ifelse_flow(False, with_false=False)
    assert no not in flow.tasks and len(flow.tasks) == 4
    assert type(flow.run().result[yes]) is st.Skipped


def test_switch_runs_only_the_case_equal_to_the_condition():
    with Flow("switch") as flow:
        cases = {v: returns(v, name=v) for v in "abc"}
        switch(returns("b", name="cond")(), cases)
    states = flow.run().result
    assert {v: type(states[t]) for v, t in cases.items()} == {
        "a": st.Skipped, "b": st.Success, "c": st.Skipped}


def test_switch_comparisons_are_tagged_switch():
    with Flow("switch") as flow:
        switch(returns(1)(), {1: returns(1, name="one")})
    compare = next(t for t in flow.tasks if isinstance(t, CompareValue))
    assert compare.tags == {"switch"}


def test_switch_outside_a_flow_says_how_to_give_one():
    import pytest

    with pytest.raises(ValueError, match="outside a flow.*flow="):
        switch(returns(1), {1: returns(1)})


def test_switch_on_a_list_of_tasks_skips_the_list_not_its_items():
    from flowbook.tasks.core import List

    with Flow("switch") as flow:
        items = [returns(1, name="one"), returns(2, name="two")]
        switch(returns("x", name="cond")(), {"y": items})
    gathered = next(t for t in flow.tasks if isinstance(t, List))
    states = flow.run().result
    assert type(states[gathered]) is st.Skipped
    assert all(type(states[t]) is st.Success for t in items)


def test_mapped_ifelse_and_merge_choose_per_child():
    even = task(lambda: "even", name="even")
    odd = task(lambda: "odd", name="odd")
    with Flow("mapped") as flow:
        parity = task(lambda x: x % 2 == 0, name="is_even").map([1, 2, 3])
        ifelse(parity, even, odd, mapped=True)
        joined = merge(even, odd, mapped=True)
    assert flow.run().result[joined].result == ["odd", "even", "odd"]


def test_merge_keeps_task_options_given_to_it():
    with Flow("merge") as flow:
        joined = merge(returns(1)(), checkpoint=False)
    assert joined.checkpoint is False and joined in flow.tasks
