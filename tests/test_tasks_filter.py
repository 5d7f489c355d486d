import logging

from flowbook import Flow, task, triggers
from flowbook.tasks.control_flow import FilterTask


def test_filter_drops_none_and_exceptions_by_default():
    assert FilterTask().run([None, 0, "", ValueError(), 5]) == [0, "", 5]


def test_filter_keeps_what_its_filter_func_accepts():
    assert FilterTask(filter_func=lambda r: r != 5).run([None, 5, 1]) == [None, 1]


def test_filter_runs_after_failures_and_skips_by_default():
    filtered = FilterTask()
    assert filtered.trigger is triggers.all_finished
    assert filtered.skip_on_upstream_skip is False


def test_filter_options_can_be_overridden():
    filtered = FilterTask(trigger=triggers.manual_only, skip_on_upstream_skip=True)
    assert filtered.trigger is triggers.manual_only and filtered.skip_on_upstream_skip


def test_filter_logs_what_log_func_makes_of_the_kept_items(caplog):
    filtered = FilterTask(log_func=lambda kept: f"kept {kept}")
    with caplog.at_level(logging.INFO):
        filtered.run([1, None, 2])
    assert "kept [1, 2]" in caplog.text


def test_filter_of_a_mapped_task_keeps_the_children_that_succeeded():
    @task
    def invert(x):
        return 1 / x

    with Flow("filter") as flow:
        kept = FilterTask()(invert.map([1, 0, 4]))
    assert flow.run().result[kept].result == [1.0, 0.25]

