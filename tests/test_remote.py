"""Task runs that travel by pickle (flowbook/engine/remote.py), without a cluster: the "worker"
is this process calling `run_packed` on the bytes, as a Dask worker would."""

import pickle

import dask_tasks

from flowbook import Flow, task
from flowbook.engine import remote
from flowbook.engine import state as st
from flowbook.engine.flow_run import FlowRun
from flowbook.engine.task_run import TaskRun
from flowbook.executors import LocalExecutor


def task_run(fn, *args, **options):
    """A TaskRun of ``fn`` (its arguments as constants) in a fresh FlowRun, and the run."""
    with Flow("f") as flow:
        t = task(fn, **options)(*args)
    run = FlowRun(flow, {}, {}, LocalExecutor(), {})
    from flowbook.engine.upstream import upstream_states

    return TaskRun(t, st.Pending(), upstream_states(run, t), None, run), run


def travel(tr):
    """Pack, run "on the worker", and settle in the kernel; returns the last state."""
    return remote.settle(tr, remote.run_packed(remote.pack(tr)))


def kinds(states):
    return [type(s).__name__ for s in states]


def test_a_task_run_that_travels_records_its_states_in_order_in_the_kernel():
    tr, run = task_run(dask_tasks.square, 7)
    seen = []
    run.flow.subscribe(lambda e: seen.append(type(e.new).__name__))
    final = travel(tr)
    assert type(final) is st.Success and final.result == 49
    assert kinds(run.task_history(tr.task)) == ["Pending", "Running", "Success"]
    assert seen == ["Running", "Success"]


def test_the_shipped_states_leave_their_history_behind():
    tr, _ = task_run(dask_tasks.square, 2)
    old = st.Failed("earlier", result=ValueError("x"))
    tr.state = st.Pending("again")
    tr.state.previous = old
    shipped = pickle.loads(remote.pack(tr))
    assert shipped.state.previous is None and type(shipped.run) is remote.WorkerRun


def test_a_task_run_that_cannot_be_packed_becomes_a_report_naming_the_argument():
    import threading

    tr, _ = task_run(dask_tasks.square, threading.Lock(), name="use_lock")
    report = remote.pack(tr)
    assert isinstance(report, remote.Report) and "argument 'x'" in report.problem
    state = remote.settle(tr, report)
    assert type(state) is st.Failed and state.message.startswith("Task 'use_lock' could not")


def test_a_future_that_raised_fails_the_task_naming_it_and_the_error():
    tr, _ = task_run(dask_tasks.square, 2, name="sq")
    state = remote.settle(tr, RuntimeError("worker died"))
    assert type(state) is st.Failed
    assert "'sq'" in state.message and "worker died" in state.message


def test_states_the_kernel_cannot_load_fail_the_task():
    tr, _ = task_run(dask_tasks.square, 2, name="sq")
    state = remote.settle(tr, b"not a pickle")
    assert type(state) is st.Failed and "cannot be loaded in the kernel" in state.message


def test_a_result_that_cannot_be_pickled_keeps_the_states_before_it_and_fails():
    tr, run = task_run(dask_tasks.lock, name="make_lock")
    state = travel(tr)
    assert type(state) is st.Failed and "cannot be sent back" in state.message
    assert kinds(run.task_history(tr.task)) == ["Pending", "Running", "Failed"]


def test_what_the_body_printed_comes_back_and_adds_to_earlier_output(capsys):
    tr, run = task_run(dask_tasks.shout, "once")
    travel(tr)
    again, _ = task_run(dask_tasks.shout, "twice")
    again.task, again.run = tr.task, run  # the same task, run a second time
    travel(again)
    assert run.outputs[(tr.task, None)].stdout == "worker says once\nworker says twice\n"
