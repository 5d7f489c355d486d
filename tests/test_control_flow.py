from builders import raises, returns
from flowbook import Flow, case, merge, task
from flowbook.engine import signals
from flowbook.engine import state as st


def branch_flow(value):
    with Flow("branch") as flow:
        cond = returns(value, name="cond")()
        with case(cond, "a"):
            a = returns("A", name="on_a")()
        with case(cond, "b"):
            b = returns("B", name="on_b")()
        joined = merge(a, b)
    return flow, a, b, joined


def test_case_runs_the_matching_branch_and_skips_the_other():
    flow, a, b, _ = branch_flow("a")
    states = flow.run().result
    assert type(states[a]) is st.Success and type(states[b]) is st.Skipped


def test_merge_returns_the_result_of_the_branch_that_ran():
    flow, _, _, joined = branch_flow("b")
    assert flow.run().result[joined].result == "B"


def test_merge_is_skipped_when_every_branch_is():
    flow, a, b, joined = branch_flow("neither")
    assert type(flow.run().result[joined]) is st.Skipped


def test_tasks_depending_on_a_case_task_are_skipped_with_it():
    with Flow("f") as flow:
        cond = returns(False, name="cond")()
        with case(cond, True):
            first = returns(1, name="first")()
            second = task(lambda x: x, name="second")(first)
    states = flow.run().result
    assert type(states[second]) is st.Skipped
    assert flow.upstream_tasks(second) == {first}


def test_case_value_cannot_be_a_task():
    import pytest

    with pytest.raises(TypeError, match="plain value"):
        case(returns(1), returns(2))


def test_merge_of_a_failed_branch_fails_by_trigger():
    with Flow("f") as flow:
        joined = merge(raises(name="broken")(), returns(1)())
    assert type(flow.run().result[joined]) is st.TriggerFailed


def test_skip_signal_skips_a_whole_branch():
    with Flow("f") as flow:
        first = raises(signals.SKIP("not today"), name="first")()
        later = task(lambda x: x, name="later")(first)
    assert type(flow.run().result[later]) is st.Skipped


def test_case_value_that_is_a_task_is_refused_with_prefects_words():
    import pytest

    with pytest.raises(TypeError, match="`value` cannot be a task"):
        case(returns(1), returns(2))


def test_an_open_case_block_is_the_context_case():
    from flowbook import context

    with Flow("f"):
        outer, inner = case(returns(1)(), 1), case(returns(2)(), 2)
        with outer:
            with inner:
                assert context["case"] is inner
            assert context["case"] is outer
        assert "case" not in context


def test_a_parameter_first_used_in_a_case_block_stays_a_root():
    from flowbook import Parameter

    with Flow("f") as flow:
        x = Parameter("x", default=1)
        with case(returns(True, name="cond")(), True):
            inside = task(lambda v: v, name="inside")(x)
    assert flow.upstream_tasks(x) == set()
    assert flow.run().result[inside].result == 1


def test_one_case_block_refuses_tasks_of_two_flows():
    import pytest

    first, second = Flow("first"), Flow("second")
    with pytest.raises(ValueError, match="Multiple flows.*'second'"):
        with case(returns(True), True):
            first.add_task(returns(1, name="a"))
            second.add_task(returns(2, name="b"))
