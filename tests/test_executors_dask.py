"""LocalDaskExecutor's schedulers and DaskExecutor's arguments (flowbook/executors/dask.py):
the spellings and options Prefect 1's executors of these names take."""

import os
import threading

import dask_tasks
import pytest
import rough_tasks
from interrupting import interrupt_when

from flowbook import Flow, task
from flowbook.engine import state as st
from flowbook.executors import DaskExecutor, Executor, LocalDaskExecutor


def run_where(executor):
    with Flow("f") as flow:
        t = task(dask_tasks.where)()
    return flow.run(executor=executor).result[t]


# -- LocalDaskExecutor: schedulers -------------------------------------------------------------

@pytest.mark.parametrize("spelling, scheduler", [
    ("sync", "synchronous"), ("single-threaded", "synchronous"), ("Synchronous", "synchronous"),
    ("threading", "threads"), ("multiprocessing", "processes"), ("processes", "processes"),
])
def test_local_dask_executor_takes_dasks_spellings_of_its_schedulers(spelling, scheduler):
    assert LocalDaskExecutor(scheduler=spelling).scheduler == scheduler


def test_an_unknown_scheduler_is_refused_naming_the_known_ones():
    with pytest.raises(ValueError, match="'nope'.*'sync'.*DaskExecutor"):
        LocalDaskExecutor(scheduler="nope")


def test_dask_settings_other_than_num_workers_are_refused_by_name():
    with pytest.raises(TypeError, match="pool.*num_workers="):
        LocalDaskExecutor(pool=object())


def test_the_sync_scheduler_runs_tasks_in_the_calling_thread():
    result = run_where(LocalDaskExecutor(scheduler="sync")).result
    assert result["thread"] == threading.get_ident()


def test_the_processes_scheduler_runs_task_bodies_in_other_processes():
    result = run_where(LocalDaskExecutor(scheduler="processes", num_workers=1)).result
    assert result["pid"] != os.getpid()


def test_the_processes_scheduler_is_remote_and_the_others_are_not():
    remote = {s: LocalDaskExecutor(s).remote for s in ("sync", "threads", "processes")}
    assert remote == {"sync": False, "threads": False, "processes": True}


def test_mapped_children_on_processes_gather_in_order_and_states_come_back():
    with Flow("f") as flow:
        squares = task(dask_tasks.square).map(list(range(5)))
    state = flow.run(executor=LocalDaskExecutor("processes", num_workers=2))
    assert state.result[squares].result == [0, 1, 4, 9, 16]
    history = flow.last_run.task_history(squares, 3)
    assert [type(s).__name__ for s in history] == ["Pending", "Running", "Success"]


def test_an_argument_that_cannot_be_sent_to_a_process_fails_the_task_naming_it():
    with Flow("f") as flow:
        t = task(dask_tasks.square, name="use_lock")(threading.Lock())
    state = flow.run(executor=LocalDaskExecutor("processes", num_workers=1)).result[t]
    assert type(state) is st.Failed
    assert "worker process" in state.message and "argument 'x'" in state.message


def test_an_interrupt_while_processes_run_ends_their_processes_and_cancels_the_flow(tmp_path):
    started, release = tmp_path / "started", tmp_path / "release"
    executor = LocalDaskExecutor("processes", num_workers=1)
    with Flow("f") as flow:
        t = task(rough_tasks.start_then_wait_for)(str(started), str(release), 10)
    with interrupt_when(started.exists), pytest.raises(KeyboardInterrupt):
        flow.run(executor=executor)
    release.touch()
    assert type(flow.last_state) is st.Cancelled
    assert type(flow.last_run.states[t]) is st.Cancelled and executor._pool is None


# -- DaskExecutor: arguments -------------------------------------------------------------------

def test_an_inproc_address_is_a_scheduler_address():
    address = "inproc://10.0.0.1/4242/1"
    assert DaskExecutor(address).address == address


def test_a_dotted_cluster_class_name_is_imported_when_the_run_starts():
    executor = DaskExecutor(cluster_class="no_such_module_here.Cluster")
    with pytest.raises(ValueError, match="'no_such_module_here.Cluster' cannot be imported"):
        with executor.start():
            pass


def test_a_local_cluster_is_quiet_unless_debug():
    quiet = DaskExecutor(cluster_class="distributed.LocalCluster")
    loud = DaskExecutor(debug=True)
    assert (quiet.debug, loud.debug) == (False, True)


def test_tasks_on_an_inproc_cluster_run_in_this_process_by_pickle():
    from distributed import Client

    with Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=":0",
                set_as_default=False) as client:
        executor = DaskExecutor(client.scheduler.address)
        result = run_where(executor).result
        with Flow("f") as flow:
            t = task(dask_tasks.lock, name="make_lock")()
        failed = flow.run(executor=executor).result[t]
    assert result["pid"] == os.getpid() and result["thread"] != threading.get_ident()
    assert type(failed) is st.Failed and "cannot be sent back" in failed.message


def test_dask_keys_are_named_after_tasks_and_a_wrapping_executor_gets_results():
    from distributed import Client

    keys = []

    class Wrapper(Executor):  # gives no result(): each DaskCall answers for its own
        def start(self):
            return inner.start()

        def submit(self, *args, **kwargs):
            call = inner.submit(*args, **kwargs)
            keys.append(call.key)
            return call

        def wait(self, handles):
            return inner.wait(handles)

    with Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=":0",
                set_as_default=False) as client:
        inner = DaskExecutor(client.scheduler.address)
        with Flow("f") as flow:
            total = task(dask_tasks.total)(task(dask_tasks.square).map([1, 2, 3]))
        state = flow.run(executor=Wrapper())
    assert state.result[total].result == 14
    assert sorted({key.split("-")[0] for key in keys}) == ["square", "total"]


def test_a_call_submitted_after_others_runs_on_what_they_returned_and_all_come_back():
    import operator

    from distributed import Client

    with Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=":0",
                set_as_default=False) as client:
        executor = DaskExecutor(client.scheduler.address)
        with executor.start():
            square = executor.submit(dask_tasks.square, 3, name="square")
            added = executor.submit_after([square], operator.add, 1, name="add")
            back = []
            while len(back) < 2:
                back += executor.wait([square, added])
            outcomes = {call.key.split("-")[0]: executor.result(call) for call in back}
    assert outcomes == {"square": 9, "add": 10}


def test_a_call_that_errs_on_the_cluster_and_the_calls_after_it_are_not_delivered():
    import operator

    from distributed import Client

    from flowbook.engine.remote import NotDelivered

    def gone():
        raise BaseException("the worker gave up on it")  # erred on the cluster, not a state

    with Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=":0",
                set_as_default=False) as client:
        executor = DaskExecutor(client.scheduler.address)
        with executor.start():
            lost = executor.submit(gone, name="gone")
            after = executor.submit_after([lost], operator.add, 1, name="after")
            fine = executor.submit(dask_tasks.square, 2, name="fine")
            back = []
            while len(back) < 3:
                back += executor.wait([lost, after, fine])
            for call in (lost, after):
                with pytest.raises(NotDelivered, match="could not finish on the Dask cluster"):
                    executor.result(call)
            assert executor.result(fine) == 4
