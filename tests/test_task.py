import datetime

import pytest

from flowbook import Flow, Task, task, triggers
from flowbook.core.task import FunctionTask


def test_decorator_keeps_the_function_as_run():
    @task
    def add(x, y):
        return x + y

    assert add.name == "add" and add.run(1, 2) == 3


def test_decorator_with_options():
    @task(name="renamed", max_retries=2, retry_delay=datetime.timedelta(seconds=3))
    def f():
        return 1

    assert (f.name, f.max_retries) == ("renamed", 2)
    assert f.retry_delay == datetime.timedelta(seconds=3)


def test_task_called_as_a_function_of_a_function():
    t = task(lambda: 1, name="one")
    assert t.name == "one" and t.run() == 1


def test_default_trigger_is_all_successful():
    assert task(lambda: 1).trigger is triggers.all_successful


def test_max_retries_needs_a_retry_delay():
    with pytest.raises(ValueError, match="needs a retry_delay"):
        task(lambda: 1, max_retries=2)


def test_retry_delay_needs_max_retries():
    with pytest.raises(ValueError, match="`max_retries` argument greater than 0"):
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
    retried = task(lambda: 1, retry_on=KeyError, max_retries=1, retry_delay=0)
    assert retried.retry_on == {KeyError}
    with pytest.raises(TypeError, match="retry_on"):
        task(lambda: 1, retry_on="KeyError", max_retries=1, retry_delay=0)


def test_retry_on_needs_max_retries():
    with pytest.raises(ValueError, match="retry_on is set"):
        task(lambda: 1, retry_on=KeyError)


def test_reserved_argument_names_are_refused():
    with pytest.raises(ValueError, match="reserved"):
        @task
        def f(upstream_tasks):
            pass


def test_calling_a_task_outside_a_flow_says_how_to_run_it():
    @task
    def f():
        return 1

    with pytest.raises(ValueError, match=r"outside of a Flow context.*`f\.run\(\.\.\.\)`"):
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
    with pytest.raises(AttributeError, match="does not have colour as an attribute"):
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


def test_tasks_take_the_tags_of_the_context():
    from flowbook.context import context

    with context(tags=["nightly"]):
        t = Task(tags=["etl"])
    assert t.tags == {"etl", "nightly"}


def test_a_copy_keeps_its_tags_and_adds_those_of_task_args():
    t = Task(tags=["etl"])
    assert t.copy(tags=["new"]).tags == {"etl", "new"}


def test_a_copy_of_a_task_with_a_slug_gets_another_slug():
    assert Task(slug="load").copy().slug == "load-copy"


def test_copying_a_task_wired_in_the_flow_being_built_warns():
    a, b = Task(), Task()
    with Flow("x") as flow:
        a.set_downstream(b)
        with pytest.warns(UserWarning, match="copy has none of them"):
            flow.add_task(a.copy())


def test_task_args_durations_are_kept_as_timedeltas():
    t = task(lambda: 1, name="t").copy(max_retries=1, retry_delay=2)
    assert t.retry_delay == datetime.timedelta(seconds=2)


def test_state_handlers_are_a_list():
    def handler(t, old, new):
        pass

    assert Task().state_handlers == [] and Task(state_handlers=[handler]).state_handlers == [
        handler]


def test_cache_validator_defaults_to_never_use_without_cache_for():
    from flowbook.engine import cache_validators

    assert Task().cache_validator is cache_validators.never_use
    assert Task(cache_for=60).cache_validator is cache_validators.duration_only


def test_a_cache_validator_without_cache_for_warns():
    from flowbook.engine import cache_validators

    with pytest.warns(UserWarning, match="will not be cached"):
        Task(cache_validator=cache_validators.all_inputs)


def test_nout_comes_from_a_tuple_return_annotation():
    from typing import Tuple

    @task
    def pair() -> Tuple[int, int]:
        return 1, 2

    assert pair.nout == 2


def test_a_task_without_nout_is_not_iterable():
    with Flow("x"), pytest.raises(TypeError, match="Task is not iterable.*nout=N"):
        a, b = task(lambda: (1, 2), name="pair")()


def test_a_mapped_copy_has_no_nout():
    with Flow("x"), pytest.raises(TypeError, match="Task is not iterable"):
        a, b = task(lambda x: (x, x), name="pair", nout=2).map([1, 2])


def test_set_dependencies_returns_the_task_for_chaining():
    a, b = Task(), Task()
    with Flow("x"):
        assert a.set_downstream(b) is a and b.set_upstream(a) is b


def test_set_dependencies_without_a_flow_says_how_to_give_one():
    with pytest.raises(ValueError, match="No Flow was passed.*flow=..."):
        Task().set_upstream(Task())


def test_pipe_calls_the_other_task_with_this_one_first():
    @task
    def inc(x, by):
        return x + by

    with Flow("x") as flow:
        out = task(lambda: 1, name="one")().pipe(inc, by=2)
    assert flow.run().result[out].result == 3


def test_inputs_and_outputs_are_read_from_run():
    class Add(Task):
        def run(self, x, y: int = 1) -> int:
            return x + y

    assert Add().inputs()["y"] == dict(type=int, required=False, default=1)
    assert Add().outputs() is int


def test_a_subclass_setting_a_reserved_attribute_before_init_is_warned():
    class Sets(Task):
        def __init__(self):
            self.tags = ["mine"]
            super().__init__()

    with pytest.warns(UserWarning, match="`Sets` sets a `tags` attribute"):
        Sets()


def test_task_run_name_is_kept():
    assert Task(task_run_name="load-{x}").task_run_name == "load-{x}"


# -- memory (issue 16): options at their defaults are read from the class -----------------

def test_a_call_keeps_only_what_differs_from_the_defaults_in_its_copy():
    @task
    def inc(x):
        """Adds one."""
        return x + 1

    with Flow("f"):
        copy = inc(1)
    assert set(vars(copy)) <= {"_signature", "run", "name", "state_handlers"}
    assert (copy.max_retries, copy.trigger, copy.tags, copy.slug) == (
        0, triggers.all_successful, set(), None)
    assert copy.__doc__ == "Adds one." and copy.__wrapped__ is inc.run


def test_an_option_set_on_a_copy_leaves_the_original_and_the_class_alone():
    t = task(lambda: 1, name="t")
    copy = t.copy(max_retries=2, retry_delay=0, tags=["a"])
    assert (copy.max_retries, copy.tags) == (2, {"a"})
    assert (t.max_retries, t.tags, Task.max_retries, Task.tags) == (0, set(), 0, set())


def test_an_option_a_subclass_gives_at_class_level_is_still_set_by_init():
    class Retried(Task):
        max_retries = 3
        tags = frozenset({"class"})

    assert (Retried().max_retries, Retried().tags) == (0, set())


def test_a_default_set_by_a_subclass_before_init_is_overwritten_too():
    class Sets(Task):
        def __init__(self):
            self.nout = 2
            super().__init__()

    with pytest.warns(UserWarning, match="sets a `nout` attribute"):
        assert Sets().nout is None


def test_a_task_class_without_a_docstring_of_its_function_has_none():
    t = task(lambda: 1)
    assert t.__doc__ is None and task.__doc__ and "FunctionTask" in FunctionTask.__doc__


def test_function_task_class_has_no_wrapped():
    import inspect

    assert not hasattr(FunctionTask, "__wrapped__")
    assert str(inspect.signature(FunctionTask)).startswith("(fn")


def test_a_pickled_copy_keeps_its_options_and_its_defaults():
    import pickle

    from tests import dask_tasks

    t = task(dask_tasks.square, name="sq").copy(max_retries=1, retry_delay=0)
    back = pickle.loads(pickle.dumps(t))
    assert (back.max_retries, back.retry_delay.total_seconds(), back.trigger, back.name) == (
        1, 0, triggers.all_successful, t.name)
