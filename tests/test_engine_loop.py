"""The scheduling loop (flowbook/engine/loop.py): what it does around a run, whichever the
executor: the objects made before a run kept out of the GC's full collections while it
runs, and each task run's changes applied in order, on the loop's thread or from a pool
thread, with a state handler's word final."""

import gc
from datetime import timedelta

import pytest

from flowbook import Flow, task, triggers
from flowbook.engine import loop
from flowbook.engine.simulate import simulate
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


# -- plain tasks go straight to their bodies (_Pass.run_plain) ---------------------------------

def catalog_flow(result_dir=None):
    """A flow of most kinds of task and outcome: plain tasks that succeed, fail, skip, loop,
    retry, print and read the context, and tasks that are not plain or follow one that failed
    or skipped."""
    from flowbook import Parameter, context
    from flowbook.engine import signals

    attempts = []

    def twice():
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("first attempt")
        return len(attempts)

    def loops():
        n = context.get("task_loop_count", 1)
        if n < 3:
            raise signals.LOOP(result=n)
        return n

    def skips():
        raise signals.SKIP("not today")

    def writes():
        print("hello")
        context["leak"] = "set by writes"
        return context.task_name, context.task_run_count, context.map_index

    def reads(x):
        return context.get("leak"), context.task_full_name, x

    def fails():
        raise ValueError("no")

    with Flow("catalog", result_dir=result_dir) as flow:
        p = Parameter("p", default=2)
        doubled = task(lambda p: p * 2, name="doubled")(p)
        failed = task(fails, name="fails")()
        task(lambda x: x, name="after_failed")(failed)
        task(lambda x: "ran", name="any_failed", trigger=triggers.any_failed)(failed)
        skipped = task(skips, name="skips")()
        task(lambda x: x, name="after_skip")(skipped)
        task(twice, name="twice", max_retries=1, retry_delay=timedelta(0))()
        task(loops, name="loops")()
        task(lambda x, y: x + y, name="constant")(doubled, 5)
        task(lambda x: x + 1, name="mapped").map([1, 2, 3])
        task(lambda: 1, name="handled", state_handlers=[lambda t, old, new: new])()
        reads_ = task(reads, name="reads")
        reads_(task(writes, name="writes")())
    return flow


def outcomes(flow):
    """Task name -> every state of its run (mapped children's too): kind, message, result."""
    run = flow.last_run

    def seen(history):
        return [(type(s).__name__, str(s.message),
                 repr(s.result) if isinstance(s.result, BaseException) else s.result)
                for s in history]

    found = {}
    for t in flow.tasks:
        found[t.name] = seen(run.task_history(t))
        state = run.states.get(t)
        if state is not None and state.is_mapped():
            found[t.name].append([seen(run.task_history(t, i))
                                  for i in range(len(state.map_states))])
    printed = {t.name: out.stdout for (t, _), out in run.outputs.items()}
    return type(flow.last_state).__name__, found, printed


def test_plain_tasks_run_directly_with_the_same_outcomes_as_every_step_gives(monkeypatch):
    catalog = catalog_flow()
    catalog.run()
    direct = outcomes(catalog)
    monkeypatch.setattr(loop._Pass, "run_plain", lambda self, task: False)
    stepped = catalog_flow()
    stepped.run()
    assert outcomes(stepped) == direct
    kind, found, printed = direct
    assert kind == "Failed"  # fails and after_failed are reference tasks
    assert found["reads"][-1][2] == (None, "reads", ("writes", 1, None))  # nothing leaked
    assert printed["writes"] == "hello\n"
    assert [k for k, *_ in found["twice"]] == ["Pending", "Running", "Failed", "Retrying",
                                               "Running", "Success"]
    assert [k for k, *_ in found["loops"]] == ["Pending", "Running", "Looped", "Running",
                                               "Looped", "Running", "Success"]


def test_only_plain_tasks_whose_upstream_tasks_succeeded_skip_the_steps(monkeypatch):
    from flowbook.engine import remote

    stepped = []
    every_step = remote.run_task

    def noted(tr):
        stepped.append(tr.task.name if tr.map_index is None else f"{tr.task.name}[child]")
        return every_step(tr)

    monkeypatch.setattr(remote, "run_task", noted)
    catalog_flow().run()
    # Not plain (a trigger, a state handler, a parameter's result), an upstream not a plain
    # Success (a failure, a skip), a retry (it has a state), mapped children
    assert sorted(set(stepped)) == ["after_failed", "after_skip", "any_failed", "handled",
                                    "mapped[child]", "p", "twice"]
    assert stepped.count("twice") == 1  # its first attempt went straight to its body


@pytest.mark.parametrize("why", ["result_dir", "threads", "simulated"])
def test_every_task_takes_every_step_where_results_are_kept_or_bodies_run_elsewhere(
        why, monkeypatch, tmp_path):
    from flowbook.engine import remote

    stepped = []
    every_step = remote.run_task
    monkeypatch.setattr(remote, "run_task", lambda tr: stepped.append(tr) or every_step(tr))
    with Flow("f", result_dir=str(tmp_path) if why == "result_dir" else None) as flow:
        task(lambda: 1, name="one", checkpoint=False)()
    if why == "simulated":
        simulate(flow)
    else:
        flow.run(executor=LocalDaskExecutor(num_workers=1) if why == "threads" else None)
    assert len(stepped) == 1
