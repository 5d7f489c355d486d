"""Chaining (flowbook/engine/chaining.py): on an executor that chains, a task is submitted as
soon as its upstream tasks are submitted, and the kernel still applies every report, in
dependency order, with the same states and events as the loop's own path.

Two executors that chain: `Cluster`, in this process, whose `wait()` runs every call it can
and hands them back downstream first (so holding a report back is tested every time), and
the session's Dask deployment (`dask_deployment`). Nothing here depends on timing: what was
submitted before what is read from the executors' own records.
"""

import threading

import dask_tasks
import pytest
import rough_tasks
from interrupting import WAIT, interrupt_when

from flowbook import Flow, task, triggers
from flowbook.engine import chaining, remote
from flowbook.engine import state as st
from flowbook.engine.events import TaskStateChanged
from flowbook.engine.remote import Report
from flowbook.executors import DaskExecutor, Executor, LocalDaskExecutor, LocalExecutor
from flowbook.executors.pickled import call_pickled, pack, unpack
from flowbook.utilities.debug import raise_on_exception


class Call:
    """One call submitted to a Cluster."""

    def __init__(self, name, payload, after):
        self.name = name  # the task's name
        self.payload = payload  # pack(fn, args): it travels by pickle, as to a Dask worker
        self.after = after  # the Calls it runs after
        self.outcome = None  # what call_pickled sent back, once run
        self.lost = False  # it did not come back (a lost worker), nor did those after it

    def run(self, lose):
        self.lost = self.name in lose or any(c.lost for c in self.after)
        if not self.lost:
            self.outcome = call_pickled(self.payload, *[c.outcome for c in self.after])

    def result(self):
        if self.lost:
            raise remote.NotDelivered("could not finish on the test cluster",
                                      RuntimeError("worker lost"))
        return unpack(self.outcome, "test worker")


class Cluster(Executor):
    """An executor that chains, in this process. ``wait()`` runs every call whose calls
    before it have run, in the order submitted, and hands them back last first: a chained
    call comes back before the calls it ran after. ``lose``: names of tasks whose calls (and
    the calls after them) do not come back. ``log``: ("submit", name, [names after]) and
    ("back", [names]) in the order they happened."""

    remote = True
    chains = True

    def __init__(self, lose=()):
        self.lose = set(lose)
        self.pending = []  # Calls not run yet
        self.log = []

    def submit(self, fn, *args, name=""):
        return self.submit_after((), fn, *args, name=name)

    def submit_after(self, after, fn, *args, name=""):
        call = Call(name, pack(fn, args, "test worker"), list(after))
        self.log.append(("submit", name, [c.name for c in after]))
        self.pending.append(call)
        return call

    def wait(self, handles):
        ran = []
        while True:
            runnable = [c for c in self.pending if all(a not in self.pending for a in c.after)]
            if not runnable:
                break
            for call in runnable:
                self.pending.remove(call)
                call.run(self.lose)
                ran.append(call)
        assert ran, "the loop waited with nothing left to run"
        self.log.append(("back", [c.name for c in ran]))
        return ran[::-1]

    def submitted(self):
        return [(name, after) for kind, name, *after in self.log if kind == "submit"
                for after in after]


class Unchained(DaskExecutor):
    """A DaskExecutor that does not chain: the loop's own path on the same cluster."""

    chains = False


class Recording(DaskExecutor):
    """A DaskExecutor keeping what it submitted (and after which tasks) and gave back."""

    def __init__(self, address):
        super().__init__(address)
        self.log = []

    def submit_after(self, after, fn, *args, name=""):
        self.log.append(("submit", name, [c.key.rsplit("-", 1)[0] for c in after]))
        return super().submit_after(after, fn, *args, name=name)

    def wait(self, handles):
        finished = super().wait(handles)
        self.log.append(("back", sorted(c.key.rsplit("-", 1)[0] for c in finished)))
        return finished


@pytest.fixture
def dask(dask_deployment):
    return Recording(dask_deployment.address)


def trace(flow, executor, **options):
    """Run ``flow``; per task name: its TaskStateChanged events (state name, message), its
    history and its final state; and the names of tasks in the order of all events."""
    events = []
    stop = flow.subscribe(lambda e: events.append(e) if isinstance(e, TaskStateChanged) else None)
    try:
        state = flow.run(executor=executor, **options)
    finally:
        stop()
    per_task = {}
    for e in events:
        per_task.setdefault(e.task.name, []).append((type(e.new).__name__, e.new.message))
    run = flow.last_run
    history = {t.name: [type(s).__name__ for s in run.task_history(t)] for t in run.states}
    final = {t.name: (type(s).__name__, s.message) for t, s in run.states.items()}
    return {"events": per_task, "history": history, "final": final,
            "flow": type(state).__name__, "order": [e.task.name for e in events]}


def same_trace(chained, other):
    assert {k: v for k, v in chained.items() if k != "order"} == {
        k: v for k, v in other.items() if k != "order"}


def chain(*bodies, **options):
    """A flow of tasks each taking the one before: ``(name, fn, kwargs)`` per link."""
    with Flow("chain") as flow:
        x = None
        for name, fn, kwargs in bodies:
            x = task(fn, name=name, **kwargs)(*(() if x is None else (x,)))
    return flow


def one():
    return 1


def inc(x):
    return x + 1


def boom(x=None):
    raise ValueError("boom")


# -- which executors chain -----------------------------------------------------------------------

def test_only_the_dask_executor_chains():
    executors = [LocalExecutor(), LocalDaskExecutor(), LocalDaskExecutor("processes"),
                 DaskExecutor("tcp://127.0.0.1:8786")]
    assert [e.chains for e in executors] == [False, False, False, True]


def test_an_executor_that_does_not_chain_refuses_submit_after():
    with pytest.raises(NotImplementedError, match="does not chain"):
        LocalExecutor().submit_after([], one)


# -- in this process: order, holding back, what cannot travel ----------------------------------

def test_a_chain_is_submitted_whole_before_any_call_comes_back():
    cluster = Cluster()
    flow = chain(("a", one, {}), ("b", inc, {}), ("c", inc, {}))
    state = flow.run(executor=cluster)
    assert [s.result for s in state.result.values()] == [1, 2, 3]
    assert cluster.log[:4] == [("submit", "a", []), ("submit", "b", ["a"]),
                               ("submit", "c", ["b"]), ("back", ["a", "b", "c"])]


def test_reports_back_downstream_first_are_applied_upstream_first_as_on_the_local_executor():
    flow = chain(("a", one, {}), ("b", inc, {}), ("c", inc, {}), ("d", inc, {}))
    chained, local = trace(flow, Cluster()), trace(flow, LocalExecutor())
    same_trace(chained, local)
    assert chained["order"] == local["order"] == ["a", "a", "b", "b", "c", "c", "d", "d"]


def test_a_diamond_chains_the_join_after_both_branches():
    cluster = Cluster()
    with Flow("diamond") as flow:
        a = task(one, name="a")()
        b, c = task(inc, name="b")(a), task(inc, name="c")(a)
        d = task(lambda x, y: x + y, name="d")(b, c)
    state = flow.run(executor=cluster)
    assert state.result[d].result == 4
    assert ("d", ["b", "c"]) in cluster.submitted()
    same_trace(trace(flow, Cluster()), trace(flow, LocalExecutor()))


def test_a_task_below_a_finished_one_and_one_in_flight_chains_on_the_one_in_flight():
    cluster = Cluster()
    with Flow("f") as flow:
        a = task(one, name="a")()
        b = task(inc, name="b")(a)
        c = task(lambda x, y: x * y, name="c")(a, b)
    runs = flow.run(executor=cluster, task_states={a: st.Success(result=5)})
    assert runs.result[c].result == 30
    assert cluster.submitted() == [("b", []), ("c", ["b"])]


def test_failure_trigger_failure_and_always_run_below_it_as_on_the_local_executor():
    flow = chain(("bad", boom, {}), ("after", inc, {}),
                 ("cleanup", dask_tasks.where, {"trigger": triggers.always_run}))
    chained, local = trace(flow, Cluster()), trace(flow, LocalExecutor())
    same_trace(chained, local)
    assert [chained["final"][n][0] for n in ("bad", "after", "cleanup")] == [
        "Failed", "TriggerFailed", "Success"]


def test_a_skip_propagates_down_a_chain_as_on_the_local_executor():
    flow = chain(("s", dask_tasks.skip_me, {}), ("b", inc, {}), ("c", inc, {}))
    chained = trace(flow, Cluster())
    same_trace(chained, trace(flow, LocalExecutor()))
    assert [chained["final"][n][0] for n in "sbc"] == ["Skipped"] * 3


def test_a_retrying_upstream_holds_its_downstream_until_it_succeeds():
    flaky = {"max_retries": 1, "retry_delay": 0}
    flow = chain(("flaky", dask_tasks.fail_first_run, flaky), ("b", inc, {}), ("c", inc, {}))
    cluster = Cluster()
    chained = trace(flow, cluster)
    same_trace(chained, trace(flow, LocalExecutor()))
    assert chained["events"]["flaky"][-1][0] == "Success"
    assert chained["order"][-5:] == ["flaky", "b", "b", "c", "c"]
    # b and c were chained in the first pass, did not start, and were chained again
    assert cluster.submitted().count(("b", ["flaky"])) == 2


def test_a_paused_upstream_keeps_its_downstream_pending():
    with Flow("f") as flow:
        gate = task(dask_tasks.square, name="gate", trigger=triggers.manual_only)(3)
        b = task(inc, name="b")(gate)
    chained = trace(flow, Cluster())
    same_trace(chained, trace(flow, LocalExecutor()))
    assert chained["final"]["gate"][0] == "Paused" and "b" not in chained["final"]
    assert flow.resume(gate).result[b].result == 10


def test_a_lost_upstream_call_fails_naming_it_and_the_downstream_trigger_decides():
    flow = chain(("a", one, {}), ("b", inc, {}), ("c", inc, {}),
                 ("cleanup", dask_tasks.where, {"trigger": triggers.always_run}))
    cluster = Cluster(lose={"b"})
    state = flow.run(executor=cluster)
    final = {t.name: s for t, s in state.result.items()}
    assert type(final["b"]) is st.Failed
    assert final["b"].message == ("Task 'b' could not finish on the test cluster: "
                                  "RuntimeError('worker lost')")
    assert type(final["c"]) is st.TriggerFailed
    assert type(final["cleanup"]) is st.Success  # always_run, after c's TriggerFailed
    assert [k for k in cluster.submitted() if k[0] == "c"] == [("c", ["b"]), ("c", [])]


def test_a_result_that_cannot_come_back_fails_its_task_and_always_run_below_runs():
    flow = chain(("make_lock", dask_tasks.lock, {}),
                 ("cleanup", dask_tasks.where, {"trigger": triggers.always_run}))
    state = flow.run(executor=Cluster())
    final = {t.name: s for t, s in state.result.items()}
    assert type(final["make_lock"]) is st.Failed
    assert "cannot be sent back" in final["make_lock"].message
    assert type(final["cleanup"]) is st.Success


def test_a_task_that_cannot_be_sent_fails_naming_the_culprit_as_without_chaining():
    with Flow("f") as flow:
        a = task(one, name="a")()
        b = task(lambda x, y: x, name="use_lock")(a, threading.Lock())
        c = task(inc, name="c")(b)
    cluster = Cluster()
    state = flow.run(executor=cluster)
    assert type(state.result[b]) is st.Failed and "argument 'y'" in state.result[b].message
    assert type(state.result[c]) is st.TriggerFailed and state.result[a].result == 1


def test_a_body_raising_keyboard_interrupt_stops_the_run_and_nothing_finished_is_lost(tmp_path):
    marks = str(tmp_path / "calls")
    with Flow("f") as flow:
        a = task(one, name="a")()
        t = task(rough_tasks.interrupt_first_time, name="t")(marks, a)
        c = task(lambda x: x + "!", name="c")(t)
    with pytest.raises(KeyboardInterrupt, match="'t'.*Dask worker"):
        flow.run(executor=Cluster())
    states = flow.last_run.states
    assert states[a].result == 1 and type(states[t]) is st.Cancelled
    assert type(states[c]) is st.Cancelled  # it was submitted: it counts as started
    assert flow.retry(executor=Cluster()).result[c].result == "went on!"


@pytest.mark.parametrize("options", [
    {"breakpoints": ["b"]}, {"reuse": True},
])
def test_runs_that_look_at_each_task_before_it_starts_do_not_chain(options):
    cluster = Cluster()
    flow = chain(("a", one, {}), ("b", inc, {}), ("c", inc, {}))
    flow.run(executor=cluster, **options)
    assert all(not after for _, after in cluster.submitted())


def test_a_run_raising_task_errors_does_not_chain():
    cluster = Cluster()
    flow = chain(("a", one, {}), ("bad", boom, {}), ("c", inc, {}))
    with raise_on_exception(), pytest.raises(ValueError, match="boom"):
        flow.run(executor=cluster)
    assert cluster.submitted() == [("a", []), ("bad", [])]


def test_mapped_tasks_and_tasks_below_them_take_the_loops_path():
    cluster = Cluster()
    with Flow("f") as flow:
        a = task(lambda: [1, 2], name="a")()
        m = task(inc, name="m").map(a)
        total = task(lambda xs: sum(xs), name="total")(m)
        after = task(inc, name="after")(total)
    state = flow.run(executor=cluster)
    assert state.result[after].result == 6
    assert [k for k in cluster.submitted() if k[1]] == [("after", ["total"])]


def test_a_task_below_one_with_state_handlers_waits_for_its_report():
    def double(task, old, new):  # the state applied is not the one reported
        return st.Success(result=new.result * 2) if new.is_successful() else None

    cluster = Cluster()
    with Flow("f") as flow:
        a = task(one, name="a", state_handlers=[double])()
        b = task(inc, name="b")(a)
    state = flow.run(executor=cluster)
    assert state.result[b].result == 3 and cluster.submitted() == [("a", []), ("b", [])]


# -- where a chained call runs ------------------------------------------------------------------

def shipped_run(fn, *args):
    """A TaskRun of ``fn`` below a task ``up``, as it arrives where it runs, and its edge."""
    from flowbook.engine.flow_run import FlowRun

    with Flow("f") as flow:
        up = task(one, name="up")()
        t = task(fn)(up, *args)
    run = FlowRun(flow, {}, {}, LocalExecutor(), {})
    tr = run.task_run(t, run)
    edges = [e for e in tr.upstream if e.upstream_task is up]
    return pickle_round_trip((tr, edges))  # as they travel: in one pickle


def pickle_round_trip(obj):
    import pickle

    import cloudpickle

    return pickle.loads(cloudpickle.dumps(obj))


def test_run_chained_runs_on_the_upstream_report_and_reports_every_state():
    tr, edges = shipped_run(inc)
    report = chaining.run_chained(tr, [edges], Report([st.Running(), st.Success(result=4)]))
    assert [type(s).__name__ for s in report.states] == ["Running", "Success"]
    assert report.states[-1].result == 5 and report.away


@pytest.mark.parametrize("upstream", [
    Report([st.Running(), st.Retrying(start_time=0.0, run_count=1)]),
    Report([st.Running(), st.Paused()]),
    Report([st.Running()], problem="ran on a Dask worker, but its result cannot be sent back"),
    Report([st.Running()], interrupted=True),
    Report([]),
    "a _Raised or _Unloadable outcome",
])
def test_run_chained_does_not_start_when_its_upstream_did_not_finish_plainly(upstream):
    tr, edges = shipped_run(inc)
    assert chaining.run_chained(tr, [edges], upstream) is None


def test_run_chained_leaves_the_trigger_to_the_task_run():
    tr, edges = shipped_run(inc)
    report = chaining.run_chained(tr, [edges], Report([st.Failed("no")]))
    assert [type(s).__name__ for s in report.states] == ["TriggerFailed"]


# -- on a Dask cluster ---------------------------------------------------------------------------

def test_on_dask_a_chain_is_submitted_before_its_first_task_comes_back(dask):
    with Flow("f") as flow:
        a = task(dask_tasks.square, name="a")(2)
        b = task(dask_tasks.square, name="b")(a)
        c = task(dask_tasks.square, name="c")(b)
    state = flow.run(executor=dask)
    assert state.result[c].result == 256
    assert dask.log[:3] == [("submit", "a", []), ("submit", "b", ["a"]),
                            ("submit", "c", ["b"])]
    assert dask.log[3][0] == "back"


def dask_flows():
    """Flows whose states and events must be those of the LocalExecutor."""
    with Flow("diamond") as diamond:
        a = task(dask_tasks.square, name="a")(2)
        b, c = task(dask_tasks.square, name="b")(a), task(dask_tasks.square, name="c")(a)
        task(dask_tasks.total, name="d")([b, c])
    with Flow("failure") as failure:
        bad = task(dask_tasks.needs_file, name="bad")("/no/such/file")
        after = task(dask_tasks.square, name="after")(bad)
        task(dask_tasks.where, name="cleanup", trigger=triggers.always_run)(after)
    with Flow("skip") as skip:
        s = task(dask_tasks.skip_me, name="s")()
        task(dask_tasks.square, name="c")(task(dask_tasks.where, name="b")(s))
    with Flow("retry") as retry:
        flaky = task(dask_tasks.fail_first_run, name="flaky", max_retries=1,
                     retry_delay=0)()
        task(dask_tasks.square, name="c")(task(dask_tasks.square, name="b")(flaky))
    return [diamond, failure, skip, retry]


@pytest.mark.parametrize("flow", dask_flows(), ids=lambda f: f.name)
def test_on_dask_states_and_events_are_those_of_the_local_executor(dask, flow):
    chained, local = trace(flow, dask), trace(flow, LocalExecutor())
    same_trace(chained, local)
    assert any(entry[2] for entry in dask.log if entry[0] == "submit")  # something chained


def test_on_dask_a_retrying_upstream_runs_its_downstream_only_after_it_succeeds(dask):
    flow = dask_flows()[3]
    chained = trace(flow, dask)
    assert chained["order"][-5:] == ["flaky", "b", "b", "c", "c"]
    assert chained["events"]["flaky"][-1][0] == "Success"


def test_on_dask_an_upstream_that_cannot_travel_ends_its_downstream_as_without_chaining(
        dask, dask_deployment):
    with Flow("f") as flow:
        a = task(dask_tasks.square, name="a")(2)
        bad = task(dask_tasks.lock, name="make_lock")(a)
        task(dask_tasks.where, name="cleanup", trigger=triggers.always_run)(bad)
        task(dask_tasks.square, name="sq")(bad)
        use = task(dask_tasks.square, name="use_lock")(threading.Lock())
        task(dask_tasks.square, name="after_lock")(use)
    chained = trace(flow, dask)
    unchained = trace(flow, Unchained(dask_deployment.address))
    same_trace(chained, unchained)
    assert chained["final"]["make_lock"][0] == "Failed"
    assert chained["final"]["cleanup"][0] == "Success"
    assert chained["final"]["sq"][0] == "TriggerFailed"
    assert ("submit", "cleanup", ["make_lock"]) in dask.log  # chained, did not start, ran


def test_on_dask_an_interrupt_cancels_the_chain_in_flight_and_retry_finishes_it(dask, tmp_path):
    firsts, started, release = (str(tmp_path / n) for n in ("first", "started", "release"))
    with Flow("f") as flow:
        first = task(rough_tasks.count, name="first")(firsts)
        slow = task(rough_tasks.start_then_wait_for, name="slow")(started, release, WAIT,
                                                                   upstream_tasks=[first])
        after = task(dask_tasks.square, name="after")(2, upstream_tasks=[slow])
    def slow_started_after_first_was_applied():
        # (slow may start on a worker before first's report reaches the kernel; a report
        # in transit when the interrupt lands is not applied, and first would run again)
        run = flow.last_run
        done = run is not None and run.states.get(first)
        return bool(done) and done.is_successful() and (tmp_path / "started").exists()

    try:
        with interrupt_when(slow_started_after_first_was_applied), \
                pytest.raises(KeyboardInterrupt):
            flow.run(executor=dask)
    finally:
        (tmp_path / "release").touch()
    states = flow.last_run.states
    assert states[first].result == 1  # finished: kept
    assert type(states[slow]) is st.Cancelled and type(states[after]) is st.Cancelled
    assert ("submit", "after", ["slow"]) in dask.log and dask.client is None
    state = flow.retry(executor=dask)
    assert state.result[after].result == 4 and rough_tasks.calls(firsts) == 1
