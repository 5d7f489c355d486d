"""Result (a value and where it is kept) and NoResult (no value at all)."""

import pytest

from flowbook.engine.result import NoResult, Result, ResultNotImplementedError
from flowbook.engine.serializers import JSONSerializer, PickleSerializer


def test_a_result_holds_its_value_and_location():
    r = Result(3, location="x.txt")
    assert (r.value, r.location) == (3, "x.txt")


def test_the_default_serializer_is_pickle():
    assert isinstance(Result().serializer, PickleSerializer)


def test_format_fills_a_template_location_in_a_copy():
    r = Result(location="{task_name}-{map_index}.pkl")
    assert r.format(task_name="load", map_index=2).location == "load-2.pkl"
    assert r.location == "{task_name}-{map_index}.pkl"


def test_format_calls_a_callable_location_with_the_keywords():
    r = Result(location=lambda **kw: f"out/{kw['x']}")
    assert r.location is None
    assert r.format(x=5).location == "out/5"


def test_format_without_a_location_gives_a_new_default_location_each_time():
    r = Result()
    first, second = r.format().location, r.format().location
    assert first.endswith(".prefect_result") and first != second


def test_from_value_is_a_copy_with_the_value_and_no_location():
    r = Result(1, location="a")
    new = r.from_value(2)
    assert (new.value, new.location, r.value) == (2, None, 1)


def test_at_points_a_copy_at_a_target_template():
    r = Result(location="old").at("{task_name}.pkl")
    assert r.format(task_name="t").location == "t.pkl"


def test_at_a_callable_target_formats_through_it():
    r = Result(location="old").at(lambda **kw: "from-callable")
    assert r.format().location == "from-callable"


def test_results_of_one_type_with_equal_fields_are_equal():
    assert Result(1, location="a") == Result(1, location="a")


def test_results_with_other_values_differ():
    assert Result(1) != Result(2)


def test_results_of_other_serializers_differ():
    assert Result(1) != Result(1, serializer=JSONSerializer())


def test_result_repr_shows_type_and_value():
    assert repr(Result([1])) == "<Result: [1]>"


@pytest.mark.parametrize("call", [lambda r: r.read("x"), lambda r: r.write(1),
                                  lambda r: r.exists("x")])
def test_the_base_result_cannot_store_and_says_which_result_can(call):
    with pytest.raises(ResultNotImplementedError, match="LocalResult"):
        call(Result())


def test_no_result_equals_only_itself_and_its_type():
    assert NoResult == type(NoResult)() and NoResult != Result()


def test_no_result_reads_as_no_result():
    assert (repr(NoResult), str(NoResult), NoResult.value) == ("<No result>", "NoResult", None)


# -- a task's and a flow's result option (result.checked), and states holding Results ---------

def test_a_task_with_a_target_points_its_result_there():
    from flowbook import task
    from flowbook.engine.results import LocalResult

    @task(target="{x}.pkl", result=LocalResult(dir="."))
    def t(x):
        return x

    assert t.result.location == "{x}.pkl" and t.target == "{x}.pkl"


def test_a_target_given_through_task_args_moves_the_result_too():
    from flowbook import Flow, task
    from flowbook.engine.results import LocalResult

    @task
    def t():
        return 1

    with Flow("f"):
        copy = t(task_args=dict(target="there", result=LocalResult(dir=".")))
    assert copy.result.location == "there" and t.result is None


def test_a_target_other_than_the_results_location_wins_with_a_warning():
    from flowbook.engine.result import checked

    with pytest.warns(UserWarning, match="the target is used"):
        assert checked(Result(location="a"), "b", "task 't'").location == "b"


def test_a_result_that_is_not_a_result_is_refused_naming_the_owner():
    from flowbook import Flow
    from flowbook.errors import UserTypeError

    with pytest.raises(UserTypeError, match="flow 'f': result must be a Result"):
        Flow("f", result="results/")


def test_a_target_that_is_neither_text_nor_function_is_refused():
    from flowbook import Task
    from flowbook.errors import UserTypeError

    with pytest.raises(UserTypeError, match="task 'Task': target must be a str template"):
        Task(target=3)


def test_a_parameter_keeps_a_prefect_result():
    from flowbook import Parameter
    from flowbook.engine.results import PrefectResult

    assert isinstance(Parameter("p").result, PrefectResult)


def test_a_state_given_a_result_holds_its_value():
    from flowbook.engine.state import Success

    state = Success(result=Result(5, location="x"))
    assert (state.result, state._result.location) == (5, "x")


def test_a_state_without_a_result_holds_no_result():
    from flowbook.engine.state import Skipped

    assert Skipped()._result is NoResult and Skipped().result is None


def test_a_state_with_a_plain_value_wraps_it_in_a_result():
    from flowbook.engine.state import Success

    assert Success(result=None)._result == Result(None)


def test_a_states_changed_value_is_no_longer_at_the_old_location():
    from flowbook.engine.state import Success

    state = Success(result=Result([1], location="x"))
    state.result = [2]
    assert state._result == Result([2])


def test_validate_asks_every_validator():
    assert Result(1, validators=[lambda r: r.value == 1, lambda r: True]).validate()
    assert not Result(1, validators=[lambda r: False]).validate()
    assert Result(1).validate() and Result(1).run_validators


def test_validate_warns_when_run_validators_is_off(caplog):
    Result(1, validators=[lambda r: True], run_validators=False).validate()
    assert "run_validators" in caplog.text


def test_the_result_classes_live_in_the_base_module_too():
    from flowbook.engine.result import base

    assert base.Result is Result and base.NoResult is NoResult
