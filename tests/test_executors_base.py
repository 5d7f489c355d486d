"""The executor protocol as a base class (flowbook/executors/base.py)."""

import pytest

from flowbook import Flow, task
from flowbook.executors import Executor, LocalExecutor, is_executor


def test_the_base_executor_says_which_methods_a_subclass_must_give():
    with pytest.raises(NotImplementedError, match="Executor.submit.*submit\\(\\) and wait"):
        Executor().submit(print)


def test_a_subclass_of_local_executor_sees_every_submission():
    calls = []

    class Tracking(LocalExecutor):
        def submit(self, *args, **kwargs):
            calls.append(kwargs["name"])
            return super().submit(*args, **kwargs)

    with Flow("f") as flow:
        task(lambda: 1, name="one")()
    assert flow.run(executor=Tracking()).is_successful() and calls == ["one"]


def test_every_executor_has_the_members_the_loop_uses():
    assert is_executor(Executor()) and is_executor(LocalExecutor())
    assert not is_executor(object())


def test_an_executor_shows_its_class():
    assert repr(Executor()) == "<Executor: Executor>"
