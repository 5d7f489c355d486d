import datetime

import pytest

from flowbook import Flow, Task, task, triggers


def test_decorator_keeps_the_function_as_run():
    @task
    def add(x, y):
        return x + y

    assert add.name == "add" and add.run(1, 2) == 3


def test_decorator_with_options():
    @task(name="renamed", max_retries=2, retry_delay=datetime.timedelta(seconds=3))
    def f():
        return 1

    assert (f.name, f.max_retries, f.retry_delay) == ("renamed", 2, 3.0)


def test_task_called_as_a_function_of_a_function():
    t = task(lambda: 1, name="one")
    assert t.name == "one" and t.run() == 1


def test_default_trigger_is_all_successful():
    assert task(lambda: 1).trigger is triggers.all_successful


def test_max_retries_needs_a_retry_delay():
    with pytest.raises(ValueError, match="needs a retry_delay"):
        task(lambda: 1, max_retries=2)


def test_retry_delay_needs_max_retries():
    with pytest.raises(ValueError, match="needs max_retries"):
        task(lambda: 1, retry_delay=5)


def test_trigger_must_be_callable_and_the_error_names_the_task():
    with pytest.raises(TypeError, match="task 'f'.*not callable"):
        @task(trigger="always_run")
        def f():
            pass


def test_negative_timeout_is_refused():
    with pytest.raises(ValueError, match="timeout"):
        task(lambda: 1, timeout=-1)


def test_retry_on_takes_exception_classes():
    assert task(lambda: 1, retry_on=KeyError).retry_on == (KeyError,)
    with pytest.raises(TypeError, match="retry_on"):
        task(lambda: 1, retry_on="KeyError")


def test_reserved_argument_names_are_refused():
    with pytest.raises(ValueError, match="reserved"):
        @task
        def f(upstream_tasks):
            pass


def test_calling_a_task_outside_a_flow_says_how_to_run_it():
    @task
    def f():
        return 1

    with pytest.raises(ValueError, match=r"outside a flow.*f\.run\(\.\.\.\)"):
        f()


def test_calling_inside_a_flow_adds_a_copy():
    @task
    def f():
        return 1

    with Flow("x") as flow:
        a, b = f(), f()
    assert a is not f and b is not a and set(flow.tasks) == {a, b}


def test_task_args_renames_the_copy():
    @task
    def f():
        return 1

    with Flow("x"):
        a = f(task_args=dict(name="first"))
    assert a.name == "first" and f.name == "f"


def test_unknown_task_args_are_refused():
    with pytest.raises(AttributeError, match="no attribute 'colour'"):
        task(lambda: 1).copy(colour="red")


def test_wrong_arguments_name_the_task():
    @task
    def f(x):
        return x

    with Flow("x"), pytest.raises(TypeError, match="task 'f'"):
        f(1, 2)


def test_subclass_with_run_method():
    class Add(Task):
        def run(self, x, y=1):
            return x + y

    with Flow("x") as flow:
        t = Add()(x=1)
    assert flow.run().result[t].result == 2


def test_on_failure_is_called_with_the_failed_state():
    seen = []

    @task(on_failure=lambda t, s: seen.append((t.name, type(s).__name__)))
    def boom():
        raise ValueError("x")

    with Flow("x") as flow:
        boom()
    flow.run()
    assert seen == [("boom", "Failed")]
