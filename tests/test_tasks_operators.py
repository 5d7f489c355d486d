import pytest

from builders import returns
from flowbook import Flow, Parameter
from flowbook.tasks.core import operators


def result_of(build):
    """The result of the task ``build(five, two)`` makes from two tasks returning 5 and 2."""
    with Flow("operators") as flow:
        made = build(returns(5, name="five")(), returns(2, name="two")())
    return flow.run().result[made].result


@pytest.mark.parametrize("build, expected", [
    (lambda a, b: a + b, 7), (lambda a, b: a - b, 3), (lambda a, b: a * b, 10),
    (lambda a, b: a / b, 2.5), (lambda a, b: a // b, 2), (lambda a, b: a % b, 1),
    (lambda a, b: a ** b, 25), (lambda a, b: a > b, True), (lambda a, b: a >= b, True),
    (lambda a, b: a < b, False), (lambda a, b: a <= b, False),
])
def test_arithmetic_and_comparisons_of_two_tasks_are_tasks_of_their_results(build, expected):
    assert result_of(build) == expected


@pytest.mark.parametrize("build, expected", [
    (lambda a, b: 1 + a, 6), (lambda a, b: 1 - a, -4), (lambda a, b: 3 * a, 15),
    (lambda a, b: 10 / a, 2.0), (lambda a, b: 11 // a, 2), (lambda a, b: 11 % a, 1),
    (lambda a, b: 2 ** a, 32), (lambda a, b: 0 & a, 0),
])
def test_a_plain_value_on_the_left_is_the_first_operand(build, expected):
    assert result_of(build) == expected


@pytest.mark.parametrize("build, expected", [
    (lambda a, b: a.is_equal(5), True), (lambda a, b: a.is_not_equal(b), True),
    (lambda a, b: a.not_(), False), (lambda a, b: a.or_(b), 5), (lambda a, b: a & b, 2),
])
def test_named_logical_operators_are_tasks(build, expected):
    assert result_of(build) == expected


def test_equality_of_tasks_stays_identity():
    first, second = returns(1), returns(1)
    assert first == first and first != second and len({first, second}) == 2


def test_an_operator_adds_its_task_below_both_operands():
    with Flow("f") as flow:
        five, two = returns(5, name="five")(), returns(2, name="two")()
        total = five + two
    assert isinstance(total, operators.Add) and flow.upstream_tasks(total) == {five, two}


def test_a_plain_operand_becomes_a_constant_of_the_operator_task():
    with Flow("f") as flow:
        total = Parameter("x") + 1
    assert flow.constants[total] == {"y": 1}
    assert flow.run(parameters={"x": 2}).result[total].result == 3


def test_a_pipe_between_tasks_is_a_state_edge():
    with Flow("f") as flow:
        first, second = returns(1, name="first"), returns(2, name="second")
        assert (first | second) is second
    assert flow.upstream_tasks(second) == {first}
    assert {e.key for e in flow.edges} == {None}


def test_a_pipe_from_a_plain_list_puts_the_gathered_list_upstream():
    from flowbook.tasks.core import List

    with Flow("f") as flow:
        first, second = returns(1, name="first"), returns(2, name="second")
        assert ([first] | second) is second
    (gathered,) = flow.upstream_tasks(second)
    assert isinstance(gathered, List) and flow.upstream_tasks(gathered) == {first}


def test_an_operator_outside_a_flow_says_to_build_it_in_one():
    with pytest.raises(ValueError, match="with Flow"):
        returns(1) + 1


def test_get_attr_follows_a_dotted_path():
    import types

    value = types.SimpleNamespace(inner=types.SimpleNamespace(x=3))
    assert operators.GetAttr().run(value, "inner.x") == 3


def test_getattr_gives_its_default_for_a_missing_attribute():
    from types import SimpleNamespace

    value = SimpleNamespace(a=1)
    assert operators.GetAttr(default="init").run(value, "missing") == "init"
    assert operators.GetAttr(default="init").run(value, "missing", "call") == "call"
    assert operators.GetAttr().run(value, "a", default="unused") == 1
    with pytest.raises(AttributeError):
        operators.GetAttr().run(value, "missing")


def test_an_item_of_a_task_is_kept_as_the_task_is(tmp_path):
    from flowbook import task
    from flowbook.engine.results import LocalResult

    @task(checkpoint=False)
    def pair():
        return 1, 2

    @task(result=LocalResult(dir=str(tmp_path)))
    def kept():
        return [3, 4]

    with Flow("items") as flow:
        first, second = pair()[0], kept()[1]
    assert first.checkpoint is False and second.result.dir == str(tmp_path)
    assert flow.run().result[second].result == 4
