import threading
from datetime import datetime, timezone

import pendulum
import pytest

from flowbook import Flow, Parameter, task
from flowbook.context import context
from flowbook.engine.clock import FakeClock
from flowbook.executors import LocalDaskExecutor


def test_values_are_read_by_attribute_item_and_get():
    with context(x=1):
        assert context.x == 1 and context["x"] == 1 and context.get("x") == 1
        assert "x" in context


def test_values_are_restored_after_the_block():
    with context(x=1):
        with context(x=2):
            assert context.x == 2
        assert context.x == 1
    assert context.get("x") is None


def test_missing_attribute_names_the_way_out():
    with pytest.raises(AttributeError, match=r"context.get\('nope'\)"):
        context.nope


def test_context_is_per_thread():
    seen = []
    with context(x=1):
        t = threading.Thread(target=lambda: seen.append(context.get("x")))
        t.start()
        t.join()
    assert seen == [None]


# -- what a task run reads -----------------------------------------------------------------

NOON = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)  # 2026 is not a leap year


def seen(key, **run):
    """``context.get(key)`` as a task of a one-task flow reads it."""

    @task(name="reads", slug="reads-1", tags=["t"])
    def reads():
        return context.get(key)

    flow = Flow("ctx", tasks=[reads])
    return flow.run(**run).result[reads].result


def test_values_set_around_flow_run_reach_the_tasks():
    with context(my_name="marvin"):
        assert seen("my_name") == "marvin"


def test_values_set_around_flow_run_reach_tasks_on_threads():
    with context(my_name="marvin"):
        assert seen("my_name", executor=LocalDaskExecutor(num_workers=2)) == "marvin"


def test_the_context_given_to_flow_run_wins_over_the_one_around_it():
    with context(date="outer"):
        assert seen("date", context={"date": "inner"}) == "inner"


def test_dates_come_from_the_runs_clock():
    clock = FakeClock(start=NOON.timestamp())
    assert seen("date", clock=clock) == NOON
    assert seen("scheduled_start_time", clock=clock) == NOON
    assert seen("today", clock=clock) == "2026-03-01"
    assert seen("yesterday", clock=clock) == "2026-02-28"
    assert seen("tomorrow_nodash", clock=clock) == "20260302"


def test_a_date_given_as_an_iso_string_dates_the_run():
    with context(date="2026-03-01T12:00:00+00:00"):
        assert seen("date") == NOON
        assert seen("yesterday_nodash") == "20260228"


def test_a_date_string_is_read_by_pendulum_as_prefect_reads_it():
    with context(date="2026-03-01 12:00:00"):
        date = seen("date")
    assert isinstance(date, pendulum.DateTime) and date == NOON
    assert date.add(days=1).to_date_string() == "2026-03-02"


def test_a_plain_datetime_given_as_date_becomes_a_pendulum_datetime():
    with context(date=datetime(2026, 3, 1, 12, 0)):  # naive: UTC
        date = seen("date")
    assert isinstance(date, pendulum.DateTime) and date == NOON


def test_an_unparsable_date_warns_and_the_clock_dates_the_run(caplog):
    clock = FakeClock(start=NOON.timestamp())
    with context(date="foobar"):
        assert seen("tomorrow", clock=clock) == "2026-03-02"
        assert seen("date", clock=clock) == "foobar"
    assert "date='foobar' could not be parsed into a pendulum `DateTime` object" in caplog.text


def test_the_run_and_the_task_are_named():
    assert seen("flow_name") == "ctx"
    assert seen("task_name") == "reads"
    assert seen("task_slug") == "reads-1"
    assert seen("task_tags") == frozenset({"t"})
    assert isinstance(seen("flow_run_name"), str)


def test_the_date_and_scheduled_start_time_are_pendulum_datetimes():
    assert isinstance(seen("scheduled_start_time"), pendulum.DateTime)
    assert isinstance(seen("date"), pendulum.DateTime)


def test_parameters_include_defaults():
    @task
    def params():
        return context.parameters

    with Flow("p") as flow:
        t = params(upstream_tasks=[Parameter("y", default=99), Parameter("z", default=19)])
    assert flow.run(parameters={"y": 42}).result[t].result == {"y": 42, "z": 19}


def test_parameters_set_in_the_context_fill_required_ones():
    x = Parameter("x")
    flow = Flow("p", tasks=[x])
    assert flow.run(context={"parameters": {"x": 5}}).result[x].result == 5


def test_parameters_passed_win_over_those_in_the_context():
    x = Parameter("x")
    flow = Flow("p", tasks=[x])
    with context(parameters={"x": 5, "other": 1}):
        assert flow.run(parameters={"x": 2}).result[x].result == 2


def test_copy_is_a_plain_dict_of_the_values():
    with context(x=1):
        copied = context.copy()
    assert copied == {"x": 1} and type(copied) is dict


# -- while a flow is built ---------------------------------------------------------------

def test_the_flow_being_built_is_in_the_context():
    with Flow("outer") as outer:
        assert context.flow is outer
        with Flow("inner") as inner:
            assert context.flow is inner
        assert context.flow is outer
    assert "flow" not in context


def test_values_set_while_building_end_with_the_block():
    with Flow("f"):
        context.name = "f"
        with Flow("g"):
            context.name = "g"
        assert context.name == "f"
    assert "name" not in context


def test_a_flow_run_name_given_to_run_is_in_the_context():
    @task
    def name():
        return context.flow_run_name

    flow = Flow("named", tasks=[name])
    assert flow.run(flow_run_name="nightly").result[name].result == "nightly"


def test_a_task_run_is_named_from_its_template_and_inputs():
    @task(task_run_name="{flow_name}-{x}")
    def named(x):
        return context.task_run_name

    with Flow("runs") as flow:
        t = named.map([1, 2])
    assert flow.run().result[t].result == ["runs-1", "runs-2"]


def test_a_task_run_is_named_by_a_function_of_its_inputs():
    @task(task_run_name=lambda **fields: f"row {fields['x']}")
    def named(x):
        return context.task_run_name

    with Flow("runs") as flow:
        t = named(7)
    assert flow.run().result[t].result == "row 7"


def test_setdefault_and_update_last_until_the_block_ends():
    with context():
        assert context.setdefault("a", 5) == 5 and context.setdefault("a", 10) == 5
        context.update(b=2)
        assert (context.a, context.b) == (5, 2)
    assert "a" not in context and "b" not in context


def test_the_context_unpacks_as_keywords():
    with context(task_name="load"):
        assert "{task_name}".format(**context) == "load"
