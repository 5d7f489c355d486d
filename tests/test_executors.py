"""Executors (flowbook/executors/) and the scheduling loop running tasks concurrently.

Concurrency is shown by rendezvous (a task that can only finish while another runs) and by
the order of run events, never by how fast something went. The Dask tests run on the
session's deployment: a `dask scheduler` and `dask worker` started as separate processes
(`dask_deployment` in conftest.py, tests/dask_deployment.py).
"""

import os
import subprocess
import sys
import threading
import time

import dask_tasks
import pytest
import rough_tasks
from interrupting import interrupt_when

from flowbook import Flow, Parameter, task, triggers
from flowbook.engine import state as st
from flowbook.engine.events import TaskStateChanged
from flowbook.executors import DaskExecutor, LocalDaskExecutor, LocalExecutor

RENDEZVOUS = 10  # seconds a task waits for its partner before giving up (a failure)


def meet(n):
    """A task body that returns only once ``n`` bodies of it run at the same time."""
    barrier = threading.Barrier(n, timeout=RENDEZVOUS)
    return task(lambda x=None: barrier.wait() is not None, name="meet")


def kinds(states):
    return [type(s).__name__ for s in states]


@pytest.fixture
def threads():
    return LocalDaskExecutor(num_workers=4)


@pytest.fixture
def dask(dask_deployment):
    return DaskExecutor(address=dask_deployment.address)


# -- choosing an executor -------------------------------------------------------------------

def test_the_default_executor_runs_tasks_in_the_calling_thread():
    here = threading.get_ident()
    with Flow("f") as flow:
        t = task(dask_tasks.where)()
    state = flow.run()
    assert state.result[t].result["thread"] == here
    assert isinstance(flow.last_run.executor, LocalExecutor)


def test_something_that_is_not_an_executor_is_refused_with_the_executors_to_use():
    with Flow("f") as flow:
        task(dask_tasks.where)()
    with pytest.raises(TypeError, match="LocalDaskExecutor()"):
        flow.run(executor="threads")


def test_dask_executor_takes_an_address_or_a_cluster_not_both():
    with pytest.raises(ValueError, match="not both"):
        DaskExecutor(address="tcp://127.0.0.1:8786", cluster_kwargs={"n_workers": 1})


def test_an_executor_running_one_flow_refuses_a_second_at_the_same_time(threads):
    with Flow("f") as flow:
        task(dask_tasks.where)()
    with threads.start(), pytest.raises(RuntimeError, match="executor of its own"):
        flow.run(executor=threads)


def test_an_unreachable_scheduler_address_is_an_error_naming_it_and_the_way_out():
    executor = DaskExecutor(address="tcp://127.0.0.1:9", client_kwargs={"timeout": "1s"})
    with Flow("f") as flow:
        task(dask_tasks.where)()
    with pytest.raises(ConnectionError, match="127.0.0.1:9.*dask scheduler"):
        flow.run(executor=executor)
    assert flow.last_run is None  # nothing ran: the flow's latest run is still the one before


def test_importing_flowbook_and_its_executors_does_not_import_dask():
    code = ("import sys, flowbook, flowbook.executors; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_synchronous_local_dask_executor_runs_tasks_in_the_calling_thread():
    here = threading.get_ident()
    with Flow("f") as flow:
        t = task(dask_tasks.where)()
    state = flow.run(executor=LocalDaskExecutor(scheduler="synchronous"))
    assert state.result[t].result["thread"] == here


# -- threads: concurrency ---------------------------------------------------------------------

def test_independent_tasks_run_at_the_same_time_on_threads(threads):
    meeting = meet(2)
    with Flow("f") as flow:
        a, b = meeting(task_args=dict(name="a")), meeting(task_args=dict(name="b"))
    state = flow.run(executor=threads)
    assert type(state) is st.Success and state.result[a].result and state.result[b].result


def test_a_task_starts_when_its_upstream_finishes_not_when_the_others_do(threads):
    # `follow` must run while `wait_for_follow` still runs: it sets the event that one awaits.
    started = threading.Event()

    @task
    def first():
        return 1

    @task
    def follow(x):
        started.set()
        return x

    @task
    def wait_for_follow():
        if not started.wait(RENDEZVOUS):
            raise TimeoutError("follow never started while this task ran")
        return "saw it"

    with Flow("f") as flow:
        f = follow(first())
        w = wait_for_follow()
    state = flow.run(executor=threads)
    assert state.result[w].result == "saw it" and state.result[f].result == 1


def test_mapped_children_run_at_the_same_time_on_threads(threads):
    meeting = meet(3)
    with Flow("f") as flow:
        m = meeting.map([1, 2, 3])
    state = flow.run(executor=threads)
    assert type(state.result[m]) is st.Mapped
    assert kinds(state.result[m].map_states) == ["Success"] * 3


def test_a_mapped_task_gathers_its_children_in_order_on_threads(threads):
    with Flow("f") as flow:
        squares = task(dask_tasks.square).map(list(range(20)))
        t = task(dask_tasks.total)(squares)
    state = flow.run(executor=threads)
    assert state.result[squares].result == [x * x for x in range(20)]
    assert state.result[t].result == sum(x * x for x in range(20))


def test_running_events_of_overlapping_tasks_come_before_either_success(threads):
    meeting = meet(2)
    with Flow("f") as flow:
        meeting(task_args=dict(name="a")), meeting(task_args=dict(name="b"))
    seen = []
    flow.subscribe(lambda e: isinstance(e, TaskStateChanged) and seen.append(
        (e.task.name, type(e.new).__name__)))
    flow.run(executor=threads)
    first_success = min(i for i, (_, kind) in enumerate(seen) if kind == "Success")
    running_before = {name for name, kind in seen[:first_success] if kind == "Running"}
    assert running_before == {"a", "b"}


# -- threads: thread safety -------------------------------------------------------------------

def test_every_change_of_many_concurrent_tasks_is_recorded_and_published_once(threads):
    with Flow("f") as flow:
        m = task(dask_tasks.square).map(list(range(300)))
    events = []
    flow.subscribe(events.append)
    state = flow.run(executor=threads)
    children = state.result[m].map_states
    assert kinds(children) == ["Success"] * 300
    assert [c.result for c in children] == [x * x for x in range(300)]
    child_events = [e for e in events if isinstance(e, TaskStateChanged) and e.map_index is not None]
    assert len(child_events) == 600  # Running and Success for each child
    assert flow.last_run.changes == len([e for e in events if isinstance(e, TaskStateChanged)])
    assert all(kinds(flow.last_run.task_history(m, i)) == ["Pending", "Running", "Success"]
               for i in range(300))


def test_subscribers_get_one_event_at_a_time_from_concurrent_tasks(threads):
    inside, most = [0], [0]
    guard = threading.Lock()

    def slow_subscriber(event):
        with guard:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.001)  # widens the window in which a second event could arrive
        with guard:
            inside[0] -= 1

    with Flow("f") as flow:
        task(dask_tasks.square).map(list(range(40)))
    flow.subscribe(slow_subscriber)
    flow.run(executor=threads)
    assert most[0] == 1


def test_concurrent_tasks_keep_apart_what_they_print(threads):
    meeting = meet(2)

    @task
    def talk(word):
        print(f"{word} before")
        meeting.run()  # both bodies print, then meet, then print again
        print(f"{word} after")

    with Flow("f") as flow:
        talk.map(["left", "right"])
    flow.run(executor=threads)
    printed = {i: out.stdout for (t, i), out in flow.last_run.outputs.items()}
    assert printed == {0: "left before\nleft after\n", 1: "right before\nright after\n"}


# -- threads: retries, timeouts, pauses, interrupts -----------------------------------------

def test_retry_delay_is_waited_and_the_task_reruns_on_threads(threads):
    with Flow("f") as flow:
        t = task(dask_tasks.fail_first_run, max_retries=1, retry_delay=0.05)()
    state = flow.run(executor=threads)
    history = flow.last_run.task_history(t)
    assert state.result[t].result == 2
    assert kinds(history) == ["Pending", "Running", "Failed", "Retrying", "Running", "Success"]
    retrying, rerun = history[3], history[4]
    assert rerun.timestamp >= retrying.start_at


def test_timeout_gives_timed_out_on_threads(threads):
    release = threading.Event()  # set once the run is over: the body cannot end before

    @task(timeout=0.05)
    def blocked():
        return release.wait(RENDEZVOUS)

    with Flow("f") as flow:
        t = blocked()
    try:
        state = flow.run(executor=threads)
    finally:
        release.set()
    assert type(state.result[t]) is st.TimedOut


def test_pause_then_resume_continues_on_the_runs_executor(threads):
    with Flow("f") as flow:
        gate = task(dask_tasks.square, trigger=triggers.manual_only)(3)
    assert type(flow.run(executor=threads).result[gate]) is st.Paused
    state = flow.resume()
    assert state.result[gate].result == 9 and flow.last_run.executor is threads


def test_retry_can_continue_on_another_executor(threads, tmp_path):
    ready = tmp_path / "ready"
    with Flow("f") as flow:
        t = task(dask_tasks.needs_file)(str(ready))
    assert type(flow.run().result[t]) is st.Failed
    ready.touch()
    state = flow.retry(executor=threads)
    assert state.result[t].result == "found" and flow.last_run.executor is threads


def test_an_interrupt_while_threads_run_cancels_the_flow_and_reaches_the_caller(threads):
    started, release = threading.Event(), threading.Event()

    @task
    def hang():
        started.set()
        release.wait(RENDEZVOUS)

    with Flow("f") as flow:
        hang()
    try:
        with interrupt_when(started), pytest.raises(KeyboardInterrupt):
            flow.run(executor=threads)
    finally:
        release.set()
    assert type(flow.last_state) is st.Cancelled and "flow.retry()" in flow.last_state.message


def test_an_error_of_flowbook_in_a_worker_thread_reaches_the_caller(threads, monkeypatch):
    from flowbook.engine import remote

    def broken(tr):
        raise RuntimeError("engine bug")

    monkeypatch.setattr(remote, "run_task", broken)
    with Flow("f") as flow:
        task(dask_tasks.where)()
    with pytest.raises(RuntimeError, match="engine bug"):
        flow.run(executor=threads)
    assert type(flow.last_state) is st.Failed


# -- dask: where and how tasks run ------------------------------------------------------------

def test_dask_runs_task_bodies_in_the_separate_worker_processes(dask, dask_deployment):
    import psutil

    with Flow("f") as flow:
        t = task(dask_tasks.where)()
    pid = flow.run(executor=dask).result[t].result["pid"]
    workers = psutil.Process(dask_deployment.worker.pid).children(recursive=True)
    assert pid in {p.pid for p in workers} and pid != os.getpid()


def test_tasks_on_dask_run_at_the_same_time(dask, tmp_path):
    with Flow("f") as flow:  # each returns True only if it met the other while it ran
        a = task(dask_tasks.meet_at, name="a")(str(tmp_path), "a", ["b"], RENDEZVOUS)
        b = task(dask_tasks.meet_at, name="b")(str(tmp_path), "b", ["a"], RENDEZVOUS)
    state = flow.run(executor=dask)
    assert state.result[a].result is True and state.result[b].result is True


def test_mapped_children_fan_out_on_dask_and_gather_in_order(dask):
    with Flow("f") as flow:
        squares = task(dask_tasks.square).map(list(range(8)))
        t = task(dask_tasks.total)(squares)
    state = flow.run(executor=dask)
    assert state.result[squares].result == [x * x for x in range(8)]
    assert state.result[t].result == 140


def test_dask_states_are_recorded_and_published_in_the_kernel(dask):
    with Flow("f") as flow:
        t = task(dask_tasks.square)(4)
    threads_seen, changes = set(), []

    def note(event):
        threads_seen.add(threading.get_ident())
        if isinstance(event, TaskStateChanged):
            changes.append((type(event.old).__name__, type(event.new).__name__))

    flow.subscribe(note)
    flow.run(executor=dask)
    assert threads_seen == {threading.get_ident()}
    assert changes == [("Pending", "Running"), ("Running", "Success")]
    assert kinds(flow.last_run.task_history(t)) == ["Pending", "Running", "Success"]


def test_what_a_task_prints_on_a_worker_comes_back_to_the_kernel(dask):
    with Flow("f") as flow:
        t = task(dask_tasks.shout)("hello")
    flow.run(executor=dask)
    assert flow.last_run.outputs[(t, None)].stdout == "worker says hello\n"


def test_parameters_and_context_reach_tasks_on_dask(dask):
    from flowbook import context

    @task
    def read(x):
        return x, context.get("flow_name"), context.get("task_full_name"), context.get("extra")

    with Flow("ctx") as flow:
        t = read.map(Parameter("xs"))
    state = flow.run(parameters={"xs": [1, 2]}, executor=dask, context={"extra": "e"})
    assert state.result[t].result == [(1, "ctx", "read[0]", "e"), (2, "ctx", "read[1]", "e")]


def test_values_set_around_flow_run_and_log_records_travel_on_dask(dask):
    from flowbook import context

    @task
    def read():
        context.get("logger").info("on a worker")
        return context.get("team")

    with Flow("ctx") as flow:
        t = read()
    with context(team="data"):
        state = flow.run(executor=dask)
    assert state.result[t].result == "data"
    assert "INFO - flowbook.read | on a worker\n" in flow.last_run.outputs[(t, None)].log


def test_a_cached_result_is_reused_by_a_later_run_on_dask(dask):
    with Flow("f") as flow:
        t = task(dask_tasks.where, cache_for=60, cache_key="test_executors.where")()
    first = flow.run(executor=dask).result[t]
    second = flow.run(executor=dask).result[t]
    assert type(second) is st.Cached and second.result == first.result


def test_skip_signal_and_downstream_skip_on_dask(dask):
    with Flow("f") as flow:
        s = task(dask_tasks.skip_me)()
        after = task(dask_tasks.square)(s)
    state = flow.run(executor=dask)
    assert type(state.result[s]) is st.Skipped and type(state.result[after]) is st.Skipped


# -- dask: what cannot travel -----------------------------------------------------------------

def test_a_result_that_cannot_come_back_from_a_worker_fails_the_task_naming_it(dask):
    with Flow("f") as flow:
        t = task(dask_tasks.lock, name="make_lock")()
    state = flow.run(executor=dask).result[t]
    assert type(state) is st.Failed
    assert "'make_lock'" in state.message and "cannot be sent back" in state.message
    assert "LocalDaskExecutor" in state.message  # the way out


def test_an_argument_that_cannot_be_sent_fails_the_task_naming_it(dask):
    with Flow("f") as flow:
        t = task(dask_tasks.square, name="use_lock")(threading.Lock())
    state = flow.run(executor=dask).result[t]
    assert type(state) is st.Failed
    assert "'use_lock'" in state.message and "argument 'x'" in state.message
    assert "cannot be pickled" in state.message


def test_an_unpicklable_parameter_is_named_as_the_culprit(dask):
    with Flow("f") as flow:
        t = task(dask_tasks.square)(Parameter("p"))
    state = flow.run(parameters={"p": threading.Lock()}, executor=dask)
    assert "parameter 'p'" in state.result[t].message


def test_a_task_whose_module_the_workers_cannot_import_fails_naming_it(dask, tmp_path,
                                                                      monkeypatch):
    (tmp_path / "kernel_only_module.py").write_text("def here():\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import kernel_only_module

    with Flow("f") as flow:
        t = task(kernel_only_module.here, name="here")()
    state = flow.run(executor=dask).result[t]
    assert type(state) is st.Failed
    assert "'here'" in state.message and "kernel_only_module" in state.message
    assert "import" in state.message


def test_an_upstream_failure_that_cannot_travel_still_reaches_its_downstream_trigger(dask):
    with Flow("f") as flow:
        bad = task(dask_tasks.lock, name="make_lock")()
        cleanup = task(dask_tasks.where, trigger=triggers.always_run)(bad)
    state = flow.run(executor=dask)
    assert type(state.result[bad]) is st.Failed and type(state.result[cleanup]) is st.Success


# -- dask: retries, timeouts, pauses --------------------------------------------------------

def test_retries_on_dask_count_attempts_and_succeed(dask):
    with Flow("f") as flow:
        t = task(dask_tasks.fail_first_run, max_retries=1, retry_delay=0.05)()
    state = flow.run(executor=dask)
    assert state.result[t].result == 2
    assert kinds(flow.last_run.task_history(t)) == [
        "Pending", "Running", "Failed", "Retrying", "Running", "Success"]


def test_timeout_gives_timed_out_on_dask(dask, tmp_path):
    started, release = tmp_path / "started", tmp_path / "release"
    with Flow("f") as flow:  # the body cannot end before the run is over and releases it
        t = task(rough_tasks.start_then_wait_for, timeout=0.1)(
            str(started), str(release), RENDEZVOUS)
    try:
        assert type(flow.run(executor=dask).result[t]) is st.TimedOut
    finally:
        release.touch()


def test_pause_resume_and_retry_on_dask(dask, tmp_path):
    ready = tmp_path / "ready"
    with Flow("f") as flow:
        gate = task(dask_tasks.square, trigger=triggers.manual_only)(3)
        bad = task(dask_tasks.needs_file)(str(ready), upstream_tasks=[gate])
    assert type(flow.run(executor=dask).result[gate]) is st.Paused
    state = flow.resume()
    assert state.result[gate].result == 9 and type(state.result[bad]) is st.Failed
    ready.touch()
    assert flow.retry().result[bad].result == "found"


def test_an_interrupt_while_dask_runs_cancels_the_flow_and_reaches_the_caller(dask, tmp_path):
    started, release = tmp_path / "started", tmp_path / "release"
    with Flow("f") as flow:
        task(rough_tasks.start_then_wait_for)(str(started), str(release), RENDEZVOUS)
    try:
        with interrupt_when(started.exists), pytest.raises(KeyboardInterrupt):
            flow.run(executor=dask)
    finally:
        release.touch()  # the body Dask cannot stop ends now, freeing its worker thread
    assert type(flow.last_state) is st.Cancelled and dask.client is None


# -- dask: its own cluster --------------------------------------------------------------------

def test_without_an_address_a_run_starts_a_local_cluster_on_127_0_0_1_and_closes_it():
    executor = DaskExecutor(cluster_kwargs={"n_workers": 1, "threads_per_worker": 1})
    with Flow("f") as flow:
        t = task(dask_tasks.square)(5)
    clusters = []
    flow.subscribe(lambda e: not clusters and executor.client is not None and clusters.append(
        (executor.client.cluster, executor.client.scheduler.address)))
    assert flow.run(executor=executor).result[t].result == 25
    (cluster, address), = clusters
    assert address.startswith("tcp://127.0.0.1:")
    assert cluster.status.name == "closed" and executor.client is None


def test_a_local_cluster_without_processes_runs_tasks_in_the_kernel_process_by_pickle():
    executor = DaskExecutor(cluster_kwargs={"n_workers": 1, "processes": False})
    with Flow("f") as flow:
        t = task(dask_tasks.lock, name="make_lock")()
    state = flow.run(executor=executor).result[t]
    assert type(state) is st.Failed and "cannot be sent back" in state.message


def test_an_executor_class_instead_of_an_instance_says_so():
    with Flow("cls") as flow:
        task(lambda: 1, name="one")()
    with pytest.raises(TypeError, match=r"is a class; pass an instance, LocalDaskExecutor\(\)"):
        flow.run(executor=LocalDaskExecutor)


@pytest.mark.parametrize("kwargs, message", [
    ({"address": "nonsense"}, "is not a scheduler address"),
    ({"cluster_kwargs": 3}, "cluster_kwargs must be a dict"),
    ({"cluster_class": "nope"}, "cluster_class must be a cluster class"),
])
def test_bad_dask_executor_arguments_are_named(kwargs, message):
    with pytest.raises((TypeError, ValueError), match=message):
        DaskExecutor(**kwargs)
