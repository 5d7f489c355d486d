"""What task bodies print, kept per task run (flowbook/engine/capture.py)."""

import sys
import threading

from flowbook import Flow, task
from flowbook.engine import capture


def outputs(flow):
    """{(task name, map index): (stdout, stderr)} of the flow's last run."""
    return {(t.name, i): (out.stdout, out.stderr)
            for (t, i), out in flow.last_run.outputs.items()}


def test_each_task_keeps_its_own_stdout_and_stderr_and_the_notebook_still_shows_them(capsys):
    @task
    def extract():
        print("reading")
        print("slow disk", file=sys.stderr)
        return 1

    @task
    def load(x):
        print("writing", x)

    with Flow("f") as flow:
        load(extract())
    print("before the run")
    flow.run()
    assert outputs(flow) == {("extract", None): ("reading\n", "slow disk\n"),
                             ("load", None): ("writing 1\n", "")}
    seen = capsys.readouterr()
    assert seen.out == "before the run\nreading\nwriting 1\n" and seen.err == "slow disk\n"


def test_mapped_children_and_retries_keep_their_output(capsys):
    attempts = []

    @task(max_retries=1, retry_delay=0)
    def child(x):
        attempts.append(x)
        print(f"child {x} attempt {attempts.count(x)}")
        if x == 1 and attempts.count(x) == 1:
            raise ValueError("first try fails")

    with Flow("f") as flow:
        child.map([0, 1])
    flow.run()
    got = outputs(flow)
    assert got[("child", 0)] == ("child 0 attempt 1\n", "")
    assert got[("child", 1)] == ("child 1 attempt 1\nchild 1 attempt 2\n", "")


def test_a_timed_out_body_keeps_what_it_printed_in_its_helper_thread():
    @task(timeout=5)
    def quick():
        print("inside the timeout thread")

    with Flow("f") as flow:
        quick()
    flow.run()
    assert outputs(flow) == {("quick", None): ("inside the timeout thread\n", "")}


def test_threads_keep_apart_what_their_bodies_print():
    store: dict = {}
    barrier = threading.Barrier(3)

    def body(name):
        with capture.Capture(store, name, None):
            barrier.wait(10)
            for i in range(50):
                print(f"{name} {i}")

    threads = [threading.Thread(target=body, args=(n,)) for n in ("a", "b", "c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name in ("a", "b", "c"):
        assert store[(name, None)].stdout == "".join(f"{name} {i}\n" for i in range(50))


def test_writes_outside_a_task_body_are_not_kept():
    store: dict = {}
    with capture.Capture(store, "t", None):
        pass
    print("after the body")
    assert store == {} and capture.current() is None


def test_output_over_the_limit_is_counted_not_kept(monkeypatch):
    monkeypatch.setattr(capture, "LIMIT", 10)
    out = capture.TaskOutput()
    out.add("stdout", "0123456789abc")
    out.add("stdout", "def")
    assert out.stdout == "0123456789" and out.dropped == 6


def test_a_replaced_stdout_is_wrapped_by_the_next_task_body(capsys):
    import io
    from contextlib import redirect_stdout

    @task
    def talk():
        print("hello")

    with Flow("f") as flow:
        talk()
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        flow.run()
    assert buffer.getvalue() == "hello\n"
    assert outputs(flow) == {("talk", None): ("hello\n", "")}


def test_a_diverted_run_prints_to_its_sink_and_keeps_its_output(capsys):
    @task
    def say():
        print("hello from a button's run")

    flow = Flow("said", tasks=[say])
    state = flow.run()  # makes the run and its outputs
    run = flow.last_run
    caught = []
    with capture.diverted(run.outputs, lambda stream, text: caught.append((stream, text))):
        with capture.Capture(run.outputs, say, None):
            print("again")
    assert caught == [("stdout", "again"), ("stdout", "\n")]
    assert "again" not in capsys.readouterr().out
    assert run.outputs[(say, None)].stdout.endswith("again\n") and state.is_successful()


def test_a_second_diversion_of_a_run_keeps_the_first_sink():
    outputs, first, second = {}, [], []
    with capture.diverted(outputs, lambda s, t: first.append(t)):
        with capture.diverted(outputs, lambda s, t: second.append(t)):
            pass  # a refused second action leaves at once
        with capture.Capture(outputs, "task", None):
            print("still the first")
    assert first == ["still the first", "\n"] and second == []
