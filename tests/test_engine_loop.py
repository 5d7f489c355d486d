"""The scheduling loop (flowbook/engine/loop.py): what it does around a run, whichever the
executor: the objects made before a run kept out of the GC's full collections while it
runs, and each task run's changes applied in order, on the loop's thread or from a pool
thread, with a state handler's word final."""

import gc

import pytest

from flowbook import Flow, task, triggers
from flowbook.engine import loop
from flowbook.engine import state as st
from flowbook.executors import LocalDaskExecutor, LocalExecutor


@pytest.fixture(params=["local", "threads"])
def executor(request):
    return LocalExecutor() if request.param == "local" else LocalDaskExecutor(num_workers=2)


def kinds(history):
    return [type(s).__name__ for s in history]


def freeze_counts_seen(tasks, executor=None):
    """Run a flow of ``tasks`` tasks, each noting gc.get_freeze_count() as it runs."""
    seen = []

    @task
    def look():
        seen.append(gc.get_freeze_count())

    with Flow("f") as flow:
        for _ in range(tasks):
            look()
    flow.run(executor=executor)
    return seen


def test_objects_made_before_a_big_run_are_frozen_while_it_runs_and_thawed_after(
        executor, monkeypatch):
    monkeypatch.setattr(loop, "FREEZE_FROM", 2)  # a flow of two tasks counts as big here
    assert gc.get_freeze_count() == 0
    seen = freeze_counts_seen(2, executor)
    assert seen[0] > 0  # the flow's tasks and edges among them
    assert gc.get_freeze_count() == 0


def test_a_small_run_leaves_the_heap_alone():
    assert freeze_counts_seen(1) == [0]


def test_a_freeze_made_before_the_run_is_left_as_it_was(monkeypatch):
    monkeypatch.setattr(loop, "FREEZE_FROM", 1)
    with Flow("f") as flow:
        task(lambda: 1, name="one")()
    gc.freeze()
    try:
        flow.run()
        assert gc.get_freeze_count() > 0  # not thawed by the run (a few may have been freed)
    finally:
        gc.unfreeze()


def test_every_change_of_a_task_run_is_applied_in_order(executor):
    @task
    def fails():
        raise ValueError("no")

    with Flow("f") as flow:
        up = fails()
        down = task(lambda x: x, name="down")(up)
        after = task(lambda x: x, name="after", trigger=triggers.all_failed)(down)
    state = flow.run(executor=executor)
    run = flow.last_run
    assert kinds(run.task_history(up)) == ["Pending", "Running", "Failed"]
    assert kinds(run.task_history(down)) == ["Pending", "TriggerFailed"]
    assert kinds(run.task_history(after)) == ["Pending", "Running", "Success"]
    assert state.is_successful()  # the reference task, after, succeeded


def test_a_state_handler_replaces_the_state_a_task_run_goes_on_from(executor):
    def to_failed(task_, old, new):
        return st.Failed("the handler said no") if new.is_successful() else new

    with Flow("f") as flow:
        up = task(lambda: 1, name="up", state_handlers=[to_failed])()
        down = task(lambda x: x, name="down")(up)
    flow.run(executor=executor)
    run = flow.last_run
    assert kinds(run.task_history(up)) == ["Pending", "Running", "Failed"]
    assert run.task_history(up)[-1].message == "the handler said no"
    assert kinds(run.task_history(down)) == ["Pending", "TriggerFailed"]
