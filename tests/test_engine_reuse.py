"""Re-running only what changed (flowbook/engine/reuse.py): what a reusing run reuses, the
reason each task that runs again gives, and that reuse never changes an outcome."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from reference import runner
from reference.dags import dags, render

from flowbook import Flow, Parameter, task, triggers
from flowbook.engine import reuse
from flowbook.engine import state as st
from flowbook.engine.clock import FakeClock


@pytest.fixture(autouse=True)
def fresh_store():
    reuse.forget()
    yield
    reuse.forget()


class Chain:
    """a -> b -> c with call counters; ``b`` can be given other code."""

    def __init__(self, name: str | None = None):
        self.calls: list = []
        self.name = name or f"chain-{uuid.uuid4().hex[:6]}"
        self.build(lambda x: x + 1)

    def build(self, b_body, n_default: int = 1) -> None:
        calls = self.calls

        @task
        def a(n):
            calls.append("a")
            return n

        def b(x):
            calls.append("b")
            return b_body(x)

        @task
        def c(y):
            calls.append("c")
            return y * 10

        with Flow(self.name) as flow:
            self.n = Parameter("n", default=n_default)
            self.a = a(self.n)
            self.b = task(b)(self.a)
            self.c = c(self.b)
        self.flow = flow

    def run(self, **kwargs):
        self.calls.clear()
        return self.flow.run(reuse=True, **kwargs)

    def message(self, t) -> str:
        """The message of the state a task's run explained itself with."""
        history = self.flow.last_run.task_history(t)
        return next(s.message for s in reversed(history)
                    if s.is_running() or str(s.message).startswith("Reused"))


def test_the_first_run_runs_everything_and_says_why():
    chain = Chain()
    state = chain.run()
    assert chain.calls == ["a", "b", "c"] and state.result[chain.c].result == 20
    assert chain.message(chain.b) == "Running again: no earlier result."


def test_an_unchanged_flow_reuses_every_result():
    chain = Chain()
    chain.run()
    state = chain.run()
    assert chain.calls == []
    assert isinstance(state.result[chain.c], st.Cached) and state.result[chain.c].result == 20
    assert state.result[chain.c].message == "Reused: code and inputs unchanged since run 1."
    assert state.is_successful()


def test_edited_code_reruns_that_task_and_what_its_result_changes():
    chain = Chain()
    chain.run()
    chain.build(lambda x: x + 2)  # the cell of b edited and the flow rebuilt
    state = chain.run()
    assert chain.calls == ["b", "c"]
    assert chain.message(chain.b) == "Running again: code changed: b_body."  # what b calls
    assert chain.message(chain.c) == "Running again: input changed: y."
    assert state.result[chain.c].result == 30


def test_its_own_code_a_function_it_calls_and_a_setting_it_reads_count_as_code():
    namespace: dict = {}
    exec("def parse(rows):\n    return [float(r) for r in rows]\n"
         "decimals = 2\n"
         "calls = []\n", namespace)
    cell = ("from flowbook import task\n"
            "@task\n"
            "def transform(rows):\n"
            "    calls.append(1)\n"
            "    return round(sum(parse(rows)), decimals)\n")
    exec(cell, namespace)

    def run():
        with Flow("settings") as flow:
            t = namespace["transform"](["1.25", "2.5"])
        return flow, t, flow.run(reuse=True)

    run()
    flow, t, state = run()
    assert len(namespace["calls"]) == 1 and isinstance(state.result[t], st.Cached)
    namespace["decimals"] = 1
    flow, t, state = run()
    assert "Running again: notebook value changed: decimals." in [
        s.message for s in flow.last_run.task_history(t)]
    exec("def parse(rows):\n    return [float(r) * 2 for r in rows]\n", namespace)
    flow, t, state = run()
    assert "Running again: code changed: parse." in [
        s.message for s in flow.last_run.task_history(t)]
    exec(cell.replace("sum(", "max("), namespace)
    flow, t, state = run()
    assert "Running again: code changed." in [s.message for s in flow.last_run.task_history(t)]
    assert len(namespace["calls"]) == 4  # the list it appends to does not count


def test_a_changed_parameter_reruns_what_reads_it():
    chain = Chain()
    chain.run()
    chain.run(parameters={"n": 5})
    assert chain.calls == ["a", "b", "c"]
    assert chain.message(chain.a) == "Running again: input changed: n."


def test_a_value_that_comes_out_the_same_stops_the_reruns():
    chain = Chain()
    chain.run()
    chain.build(lambda x: (x + 1) * 1)  # other code, same value
    chain.run()
    assert chain.calls == ["b"]


def test_a_state_only_upstream_that_ran_again_reruns_the_task():
    calls = []

    def build(marker):
        @task
        def write():
            calls.append("write")
            return marker

        @task
        def read():
            calls.append("read")
            return "read the file"

        with Flow("files") as flow:
            w = write()
            read(upstream_tasks=[w])
        return flow

    build(1).run(reuse=True)
    calls.clear()
    flow = build(2)
    flow.run(reuse=True)
    assert calls == ["write", "read"]
    history = flow.last_run.task_history(flow.get_tasks("read")[0])
    assert any(s.message == "Running again: upstream re-ran: write." for s in history)


def test_failures_are_not_kept_and_run_again():
    attempts = []

    @task
    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("first time")
        return "ok"

    with Flow(f"flaky-{uuid.uuid4().hex[:6]}") as flow:
        f = flaky()
    assert flow.run(reuse=True).is_failed()
    assert flow.run(reuse=True).result[f].result == "ok" and len(attempts) == 2
    assert isinstance(flow.run(reuse=True).result[f], st.Cached) and len(attempts) == 2


def test_inputs_that_cannot_be_hashed_run_again_and_say_so():
    @task
    def make():
        return lambda: 1  # a lambda cannot be pickled

    calls = []

    @task
    def use(fn):
        calls.append(1)
        return fn()

    with Flow(f"unhashable-{uuid.uuid4().hex[:6]}") as flow:
        u = use(make())
    flow.run(reuse=True)
    flow.run(reuse=True)
    assert len(calls) == 2
    history = flow.last_run.task_history(u)
    assert any(s.message == "Running again: not cacheable (its inputs cannot be hashed)."
               for s in history)


def test_what_is_never_reused():
    calls = []

    @task(checkpoint=False)
    def side_effect():
        calls.append("email")
        return "sent"

    @task(cache_for=3600)
    def cached():
        calls.append("cached")
        return 1

    @task
    def double(x):
        calls.append("double")
        return 2 * x

    with Flow(f"never-{uuid.uuid4().hex[:6]}") as flow:
        side_effect()
        cached()
        double.map([1, 2])
    clock = FakeClock()
    flow.run(reuse=True, clock=clock)
    calls.clear()
    flow.run(reuse=True, clock=clock)
    assert calls == ["email"]  # cache_for follows its own rule; the map's children reused


def test_a_mapped_task_is_reused_child_by_child():
    calls = []

    @task
    def double(x):
        calls.append(x)
        return 2 * x

    def run(items):
        with Flow("map-reuse") as flow:
            doubled = double.map(items)
        calls.clear()
        return flow, doubled, flow.run(reuse=True)

    run([1, 2, 3])
    flow, doubled, state = run([1, 5, 3])
    assert calls == [5]
    children = state.result[doubled].map_states
    assert [type(c).__name__ for c in children] == ["Cached", "Success", "Cached"]
    assert state.result[doubled].result == [2, 10, 6]
    history = flow.last_run.task_history(doubled, 1)
    assert "Running again: input changed: x." in [s.message for s in history]


def test_a_trigger_still_decides_before_a_result_is_reused():
    @task
    def ok():
        return 1

    @task(trigger=triggers.manual_only)
    def approve(x):
        return x

    with Flow(f"gate-{uuid.uuid4().hex[:6]}") as flow:
        gate = approve(ok())
    flow.run(reuse=True)
    assert flow.resume().is_successful()
    state = flow.run(reuse=True)
    assert isinstance(state.result[gate], st.Paused)  # asks again, as a full run does
    assert isinstance(flow.resume().result[gate], st.Cached)


def test_retry_from_runs_again_even_when_nothing_changed():
    chain = Chain()
    chain.run()
    chain.run()
    chain.calls.clear()
    chain.flow.retry_from(chain.b)
    assert chain.calls == ["b", "c"]


def test_without_reuse_nothing_is_reused():
    chain = Chain()
    chain.run()
    chain.calls.clear()
    chain.flow.run()
    assert chain.calls == ["a", "b", "c"]


def _classes(state) -> dict:
    """Task name -> state class, a reused task counted as the success it was."""
    def name(s):
        return "Success" if isinstance(s, st.Cached) else type(s).__name__

    return {t.name: (name(s), [name(c) for c in s.map_states] if s.is_mapped() else None)
            for t, s in state.result.items()}


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(dag=dags(mapping=True))
def test_reuse_never_changes_an_outcome(dag):
    source = render(dag)
    namespace = dict(runner.bind_names("flowbook"), __name__="reuse_case")
    exec(compile(source, "<case>", "exec"), namespace)
    flow = namespace["flow"]
    flow.name = f"random-{uuid.uuid4().hex[:8]}"
    first = flow.run(reuse=True)
    second = flow.run(reuse=True)
    assert type(second) is type(first)
    assert _classes(second) == _classes(first)


def test_a_reused_result_is_a_copy_a_task_below_cannot_change():
    @task
    def rows():
        return [1, 2, 3]

    @task
    def more(rows):
        rows.append(4)
        return len(rows)

    with Flow(f"mutating-{uuid.uuid4().hex[:6]}") as flow:
        m = more(rows())
    assert [flow.run(reuse=True).result[m].result for _ in range(3)] == [4, 4, 4]


def test_a_checkpoint_is_keyed_on_what_the_task_calls_and_reads_too(tmp_path):
    namespace: dict = {"decimals": 2}
    exec("from flowbook import task\n"
         "@task\n"
         "def shown(price):\n"
         "    return round(price, decimals)\n", namespace)

    def run():
        with Flow("money", result_dir=tmp_path) as flow:
            s = namespace["shown"](3.14159)
        return flow.run(reuse=True).result[s].result

    assert run() == 3.14
    namespace["decimals"] = 4
    assert run() == 3.1416  # not the checkpoint of decimals = 2


def test_a_result_that_cannot_be_pickled_runs_again_and_says_so():
    calls = []

    @task
    def make():
        calls.append(1)
        return lambda: 1

    with Flow(f"unpicklable-{uuid.uuid4().hex[:6]}") as flow:
        m = make()
    flow.run(reuse=True)
    flow.run(reuse=True)
    assert len(calls) == 2
    assert "Running again: not cacheable (its result cannot be pickled)." in [
        s.message for s in flow.last_run.task_history(m)]
