"""User mistakes (flowbook/errors.py): each raises a UserError, which is also the built-in
exception Python code expects, and says what was wrong."""

import pytest
from builders import raises, returns

from flowbook import Flow, FlowCycleError, Parameter, task
from flowbook.engine.in_progress import RunInProgressError
from flowbook.errors import (
    UserConnectionError, UserError, UserLookupError, UserRuntimeError, UserTypeError,
    UserValueError,
)
from flowbook.executors import DaskExecutor, LocalDaskExecutor, LocalExecutor


def failed_flow():
    """A flow whose one task failed in its latest run."""
    with Flow("failing") as flow:
        raises(name="boom")()
    flow.run()
    return flow


@pytest.mark.parametrize("error, builtin", [
    (UserValueError, ValueError), (UserTypeError, TypeError), (UserLookupError, LookupError),
    (UserRuntimeError, RuntimeError), (UserConnectionError, ConnectionError),
])
def test_each_user_error_is_also_the_builtin_error(error, builtin):
    assert issubclass(error, UserError) and issubclass(error, builtin)


def test_retrying_an_unknown_task_name_is_a_user_value_error():
    flow = failed_flow()
    with pytest.raises(UserValueError, match="no task named 'nope'"):
        flow.retry("nope")


def test_a_cycle_is_a_user_value_error():
    with Flow("loop") as flow:
        a, b = returns(1, name="a"), returns(2, name="b")
        flow.add_edge(a, b)
        flow.add_edge(b, a)
    with pytest.raises(FlowCycleError) as caught:
        flow.run()
    assert isinstance(caught.value, UserValueError)


def test_an_executor_class_instead_of_an_instance_is_a_user_type_error():
    with Flow("f") as flow:
        returns(1)()
    with pytest.raises(UserTypeError, match=r"LocalExecutor\(\)"):
        flow.run(executor=LocalExecutor)


def test_something_that_is_no_executor_is_a_user_type_error():
    with Flow("f") as flow:
        returns(1)()
    with pytest.raises(UserTypeError, match="cannot run tasks"):
        flow.run(executor="threads")


def test_an_unknown_parameter_is_a_user_value_error_naming_it():
    with Flow("f") as flow:
        task(lambda n: n, name="use")(Parameter("n", default=1))
    with pytest.raises(UserValueError, match=r"unknown parameters \['m'\]"):
        flow.run(parameters={"m": 2})


def test_a_missing_required_parameter_is_a_user_value_error_naming_it():
    with Flow("f") as flow:
        task(lambda n: n, name="use")(Parameter("n"))
    with pytest.raises(UserValueError, match=r"required parameters \['n'\]"):
        flow.run()


@pytest.mark.parametrize("options", [{"scheduler": "nope"}, {"num_workers": 0},
                                     {"num_workers": "4"}])
def test_bad_local_dask_executor_options_are_user_value_errors(options):
    with pytest.raises(UserValueError, match="LocalDaskExecutor"):
        LocalDaskExecutor(**options)


def test_a_dask_address_that_is_not_an_address_is_a_user_value_error():
    with pytest.raises(UserValueError, match="not a scheduler address"):
        DaskExecutor(address="localhost")


def test_retrying_when_nothing_failed_is_a_user_value_error():
    with Flow("fine") as flow:
        returns(1)()
    flow.run()
    with pytest.raises(UserValueError, match="no failed task to retry"):
        flow.retry()


def test_retrying_a_task_that_did_not_fail_is_a_user_value_error_naming_it():
    with Flow("mixed") as flow:
        returns(1, name="fine")()
        raises(name="boom")()
    flow.run()
    with pytest.raises(UserValueError, match="'fine' did not fail"):
        flow.retry("fine")


def test_retrying_a_flow_that_never_ran_is_a_user_value_error():
    with Flow("new") as flow:
        returns(1)()
    with pytest.raises(UserValueError, match="has not run yet"):
        flow.retry()


def test_resuming_when_nothing_is_paused_is_a_user_value_error():
    with Flow("fine") as flow:
        returns(1)()
    flow.run()
    with pytest.raises(UserValueError, match="no paused task to resume"):
        flow.resume()


def test_a_run_in_progress_error_is_a_user_runtime_error():
    assert issubclass(RunInProgressError, UserRuntimeError)
    assert issubclass(RunInProgressError, UserError)


def test_a_flow_without_a_name_is_a_user_value_error():
    with pytest.raises(UserValueError):
        Flow("")


def test_adding_something_that_is_no_task_is_a_user_type_error():
    with pytest.raises(UserTypeError, match="add_task takes a Task"):
        Flow("f").add_task(print)
