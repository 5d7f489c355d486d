"""The executor protocol as a base class (flowbook/executors/base.py)."""

from contextlib import contextmanager

import dask_tasks
import pytest

from flowbook import Flow, task
from flowbook.executors import Executor, LocalDaskExecutor, LocalExecutor, is_executor
from flowbook.executors.base import Done


def test_the_base_executor_says_which_methods_a_subclass_must_give():
    with pytest.raises(NotImplementedError, match="Executor.submit.*submit\\(\\) and wait"):
        Executor().submit(print)


class Tracking(LocalExecutor):
    """A LocalExecutor noting the name of each call submitted to it."""

    def __init__(self, calls):
        super().__init__()
        self.calls = calls

    def submit(self, *args, **kwargs):
        self.calls.append(kwargs["name"])
        return super().submit(*args, **kwargs)


def test_a_subclass_of_local_executor_sees_every_submission():
    calls = []
    with Flow("f") as flow:
        task(lambda: 1, name="one")()
    assert flow.run(executor=Tracking(calls)).is_successful() and calls == ["one"]


def test_a_constant_runs_in_the_loop_without_the_executor():
    calls = []
    with Flow("f") as flow:
        total = task(lambda xs: sum(xs), name="total")([1, 2])
    state = flow.run(executor=Tracking(calls))
    assert state.result[total].result == 3 and calls == ["total"]


def test_every_executor_has_the_members_the_loop_uses():
    assert is_executor(Executor()) and is_executor(LocalExecutor())
    assert not is_executor(object())


def test_an_executor_shows_its_class():
    assert repr(Executor()) == "<Executor: Executor>"


def wrapping(inner):
    """An Executor handing its calls to ``inner``, as Prefect 1 users wrap one: no result()."""

    class Wrapper(Executor):
        @contextmanager
        def start(self):
            with inner.start():
                yield

        def submit(self, *args, **kwargs):
            return inner.submit(*args, **kwargs)

        def wait(self, handles):
            return inner.wait(handles)

    return Wrapper()


def test_a_subclass_giving_only_submit_and_wait_gets_results_from_the_handles():
    with Flow("f") as flow:
        squares = task(dask_tasks.square).map([1, 2, 3])
    state = flow.run(executor=wrapping(LocalDaskExecutor("processes", num_workers=1)))
    assert state.result[squares].result == [1, 4, 9]


def test_a_done_handle_gives_its_value_or_raises_its_error():
    assert Executor().result(Done(3)) == 3
    with pytest.raises(KeyError, match="lost"):
        Executor().result(Done(error=KeyError("lost")))


def test_a_handle_without_result_is_refused_naming_the_way_out():
    with pytest.raises(TypeError, match="no result\\(\\) method.*give result\\(\\) too"):
        Executor().result(object())
