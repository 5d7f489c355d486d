import pytest

from builders import returns
from flowbook import Flow, Task, task
from flowbook.tasks.core import Constant, Dict, List, Set, Tuple


def run_one(build):
    """The result of the task ``build()`` adds to a flow."""
    with Flow("collections") as flow:
        made = build()
    return flow.run().result[made].result


@pytest.mark.parametrize("gather, expected", [(List, [1, "b", 1]), (Tuple, (1, "b", 1)),
                                              (Set, {1, "b"})])
def test_a_collection_task_binds_positional_arguments_in_order(gather, expected):
    assert run_one(lambda: gather().bind(returns(1)(), "b", 1)) == expected


def test_a_list_keeps_the_order_of_more_than_ten_items():
    assert run_one(lambda: List().bind(*range(12))) == list(range(12))


def test_a_dict_task_pairs_keys_and_values():
    assert run_one(lambda: Dict().bind(keys=["a", "b"], values=[returns(1)(), 2])) == {
        "a": 1, "b": 2}


def test_a_dict_task_refuses_keys_and_values_of_two_lengths():
    with pytest.raises(ValueError, match="2 keys but 1 values"):
        Dict(name="d").run(keys=["a", "b"], values=[1])


@pytest.mark.parametrize("value, gather", [([0], List), ((0,), Tuple), ({0}, Set),
                                           ({"k": 0}, Dict)])
def test_a_collection_argument_holding_a_task_becomes_its_collection_task(value, gather):
    @task
    def total(x):
        return x

    with Flow("f") as flow:
        one = returns(1, name="one")()
        made = total(type(value)(one if v == 0 else v for v in value) if not isinstance(
            value, dict) else {"k": one})
    (up,) = flow.upstream_tasks(made)
    assert type(up) is gather and up.auto_generated
    assert flow.run().result[made].result == type(value)(
        1 if v == 0 else v for v in value) if not isinstance(value, dict) else {"k": 1}


def test_a_constant_is_named_for_a_short_value_and_for_its_type_otherwise():
    assert (Constant(3).name, Constant("a long text").name) == ("3", "Constant[str]")


def test_a_constant_returns_its_value():
    assert Constant([1, 2]).run() == [1, 2]


def test_function_task_is_what_the_task_decorator_makes():
    from flowbook.tasks.core.function import FunctionTask

    made = task(lambda x: x + 1, name="inc")
    assert isinstance(made, FunctionTask) and made.run(1) == 2


def test_positional_arguments_become_inputs_arg_1_arg_2_as_in_prefect_1():
    first, second = Task(name="first"), Task(name="second")
    with Flow("keys") as flow:
        gathered = List().bind(first, second)
    assert {e.key for e in flow.edges_to(gathered)} == {"arg_1", "arg_2"}
