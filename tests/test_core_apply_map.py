import pytest

from flowbook import Flow, Parameter, case, merge, task, unmapped
from flowbook.utilities.tasks import apply_map


@task
def inc(x):
    return x + 1


@task
def add(x, y):
    return x + y


@task
def is_even(x):
    return x % 2 == 0


def results(flow, *tasks, **parameters):
    state = flow.run(**parameters)
    return [state.result[t].result for t in tasks]


def test_every_task_the_function_builds_is_mapped():
    with Flow("chain") as flow:
        out = apply_map(lambda x: inc(inc(x)), [1, 2, 3])
    assert results(flow, out) == [[3, 4, 5]]
    assert all(e.mapped for t in flow.tasks for e in flow.edges_to(t))


def test_an_unmapped_argument_goes_whole_to_each_element():
    with Flow("unmapped") as flow:
        out = apply_map(lambda x, y: add(x, y), [1, 2], y=unmapped(10))
    assert results(flow, out) == [[11, 12]]
    assert flow.constants[out] == {"y": 10}


def test_the_function_may_return_several_tasks():
    with Flow("pair") as flow:
        a, b = apply_map(lambda x, y: (inc(x), inc(y)), [0, 1], [10, 11])
    assert results(flow, a, b) == [[1, 2], [11, 12]]


def test_a_task_reading_no_argument_is_mapped_over_the_arguments_too():
    with Flow("constant inside") as flow:
        out = apply_map(lambda x: (inc(x), inc(100))[1], [1, 2, 3])
    assert results(flow, out) == [[101, 101, 101]]


def test_a_case_inside_the_function_decides_per_element():
    def func(x):
        with case(is_even(x), True):
            bigger = add(x, 1)
        return merge(bigger, x)

    with Flow("branches") as flow:
        out = apply_map(func, range(4))
    assert results(flow, out) == [[1, 1, 3, 3]]


def test_apply_map_inside_a_case_is_skipped_with_it():
    with Flow("outer case") as flow:
        with case(Parameter("go"), True):
            out = apply_map(inc, [1, 2])
    assert results(flow, out, go=True) == [[2, 3]]
    assert flow.run(go=False).result[out].is_skipped()


def test_a_function_taking_flow_builds_in_the_flow_given():
    flow = Flow("imperative")
    out = apply_map(lambda x, flow: inc.copy().bind(x, flow=flow), [1, 2], flow=flow)
    assert results(flow, out) == [[2, 3]]


def test_apply_map_needs_a_flow():
    with pytest.raises(ValueError, match="couldn't infer a flow"):
        apply_map(inc, [1])


def test_a_value_that_is_not_a_sequence_is_refused():
    with Flow("scalar"), pytest.raises(TypeError, match="non-sequence object of type `int`"):
        apply_map(inc, 1)


def test_mapping_again_inside_the_function_is_refused():
    with Flow("nested"), pytest.raises(ValueError, match="inside a mapped context"):
        apply_map(lambda x: inc.map(x), [1, 2])
