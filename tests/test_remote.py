"""Task runs that travel by pickle (flowbook/engine/remote.py), without a cluster: the "worker"
is this process unpickling the task run and calling `run_reported`, as a Dask worker would;
the kernel applies the report with `apply_report`."""

import pickle
import threading

import cloudpickle
import dask_tasks

from flowbook import Flow, task
from flowbook.engine import remote
from flowbook.engine import state as st
from flowbook.engine.flow_run import FlowRun
from flowbook.engine.task_run import Collector
from flowbook.executors import LocalExecutor, _call_pickled


def task_run(fn, *args, **options):
    """A TaskRun of ``fn`` (its arguments as constants) in a fresh FlowRun, and the run."""
    with Flow("f") as flow:
        t = task(fn, **options)(*args)
    run = FlowRun(flow, {}, {}, LocalExecutor(), {})
    return run.task_run(t, run), run


def travel(tr, run):
    """Send ``tr`` to the "worker", run it there, bring the report back and apply it."""
    shipped = pickle.loads(cloudpickle.dumps(tr))
    report = pickle.loads(cloudpickle.dumps(remote.run_reported(shipped)))
    return remote.apply_report(run, tr, report)


def kinds(states):
    return [type(s).__name__ for s in states]


def test_a_task_run_that_travels_applies_its_states_in_order_in_the_kernel():
    tr, run = task_run(dask_tasks.square, 7)
    seen = []
    run.flow.subscribe(lambda e: seen.append(type(e.new).__name__))
    final = travel(tr, run)
    assert type(final) is st.Success and final.result == 49
    assert kinds(run.task_history(tr.task)) == ["Pending", "Running", "Success"]
    assert seen == ["Running", "Success"]


def test_state_handlers_of_a_travelling_task_run_in_the_kernel():
    threads = []

    def handler(task, old, new):
        threads.append((threading.get_ident(), type(new).__name__))

    tr, run = task_run(dask_tasks.square, 3, state_handlers=[handler])
    travel(tr, run)
    assert threads == [(threading.get_ident(), "Running"), (threading.get_ident(), "Success")]


def test_a_state_handler_that_replaces_a_reported_state_has_the_last_word():
    def refuse(task, old, new):
        return st.Skipped("not today") if new.is_running() else None

    tr, run = task_run(dask_tasks.square, 3, state_handlers=[refuse])
    final = travel(tr, run)
    assert type(final) is st.Skipped
    assert kinds(run.task_history(tr.task)) == ["Pending", "Skipped"]


def test_the_shipped_task_run_leaves_its_history_and_reporter_behind():
    tr, _ = task_run(dask_tasks.square, 2)
    tr.state = st.Pending("again")
    tr.state.previous = st.Failed("earlier", result=ValueError("x"))
    shipped = pickle.loads(cloudpickle.dumps(tr))
    assert shipped.state.previous is None and type(shipped.reporter) is Collector
    assert shipped.setting.outputs == {} and [e.key for e in shipped.upstream] == ["x"]


def test_a_task_run_that_cannot_be_sent_fails_naming_the_argument():
    tr, run = task_run(dask_tasks.square, threading.Lock(), name="use_lock")
    try:
        cloudpickle.dumps(tr)
    except Exception as exc:
        refused = remote.NotDelivered("could not be sent to the Dask worker", exc, sending=True)
    state = remote.apply_report(run, tr, remote.undelivered(tr, refused))
    assert type(state) is st.Failed and state.message.startswith("Task 'use_lock' could not")
    assert "argument 'x'" in state.message


def test_a_call_that_did_not_come_back_fails_the_task_naming_it_and_the_error():
    tr, run = task_run(dask_tasks.square, 2, name="sq")
    lost = remote.NotDelivered("could not finish on the Dask cluster", RuntimeError("died"))
    state = remote.apply_report(run, tr, remote.undelivered(tr, lost))
    assert type(state) is st.Failed
    assert "'sq'" in state.message and "died" in state.message


def test_a_worker_that_cannot_load_the_call_says_so_instead_of_raising():
    payload = cloudpickle.dumps((len, ([1, 2],)))
    assert pickle.loads(_call_pickled(payload)) == 2
    refused = pickle.loads(_call_pickled(b"not a pickle"))
    assert "UnpicklingError" in refused.error or "pickle" in refused.error.lower()


def test_a_call_raising_on_a_worker_comes_back_as_that_error_not_as_a_task_failure():
    def engine_bug():
        raise TypeError("unsupported operand")

    sent_back = pickle.loads(_call_pickled(cloudpickle.dumps((engine_bug, ()))))
    assert type(sent_back).__name__ == "_Raised" and isinstance(sent_back.error, TypeError)


def test_a_result_that_cannot_be_pickled_keeps_the_states_before_it_and_fails():
    tr, run = task_run(dask_tasks.lock, name="make_lock")
    state = travel(tr, run)
    assert type(state) is st.Failed and "cannot be sent back" in state.message
    assert kinds(run.task_history(tr.task)) == ["Pending", "Running", "Failed"]


def test_what_the_body_printed_comes_back_and_adds_to_earlier_output(capsys):
    tr, run = task_run(dask_tasks.shout, "once")
    travel(tr, run)
    again, _ = task_run(dask_tasks.shout, "twice")
    again.task = tr.task  # the same task, run a second time in the same run
    travel(again, run)
    assert run.outputs[(tr.task, None)].stdout == "worker says once\nworker says twice\n"


def test_what_the_body_logged_comes_back_and_adds_to_earlier_records():
    tr, run = task_run(dask_tasks.log_line, "once")
    travel(tr, run)
    again, _ = task_run(dask_tasks.log_line, "twice")
    again.task = tr.task  # the same task, run a second time in the same run
    travel(again, run)
    log = run.outputs[(tr.task, None)].log
    assert "worker logs once\n" in log and log.endswith("worker logs twice\n")


def test_a_chained_call_gets_what_the_calls_before_it_sent_back_as_values():
    def engine_bug():
        raise TypeError("unsupported operand")

    def kinds_of(*outcomes):
        return [type(o).__name__ for o in outcomes]

    counted = _call_pickled(cloudpickle.dumps((len, ([1, 2],))))
    raised = _call_pickled(cloudpickle.dumps((engine_bug, ())))
    sent = pickle.loads(_call_pickled(cloudpickle.dumps((kinds_of, ("given",))), counted,
                                      raised, b"not a pickle"))
    assert sent == ["str", "int", "_Raised", "_Unloadable"]
