"""Checkpoints: successful results written atomically to result_dir and reused by later runs,
even in a restarted kernel; unreadable or unpicklable results never crash a run."""

import logging
import os
import pickle
import threading

import pytest

from flowbook import Flow, Parameter, task
from flowbook.engine import checkpoint
from flowbook.engine.result import Result
from flowbook.engine.results import LocalResult, PrefectResult
from flowbook.engine.state import Success
from flowbook.executors import LocalDaskExecutor
from flowbook.notebook.authoring import define_task


def counting(calls, name="work", **options):
    """A task doubling ``x`` that records each call in ``calls``."""
    def body(x):
        calls.append(x)
        return x * 2

    return task(body, name=name, **options)


def flow_of(result_dir, t, x=21, name="etl"):
    with Flow(name, result_dir=result_dir) as flow:
        out = t(x)
    return flow, out


def spot_at(folder, name):
    """Where a result_dir checkpoint named ``name`` in ``folder`` is read and written."""
    return checkpoint.Spot(LocalResult(dir=folder, validate_dir=False).at(name), {},
                           reads=True, writes=True, keyed=True)


def files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_a_successful_result_is_written_under_flow_and_task(tmp_path):
    flow, out = flow_of(tmp_path, counting([]))
    assert flow.run().result[out].result == 42
    (path,) = files(tmp_path)
    assert path.startswith("etl-") and "/work-" in path and path.endswith(".pickle")
    with open(tmp_path / path, "rb") as f:
        assert pickle.load(f) == 42


def test_a_later_run_reuses_the_result_and_shows_cached(tmp_path):
    calls = []
    flow, out = flow_of(tmp_path, counting(calls))
    flow.run()
    again, out2 = flow_of(tmp_path, counting(calls))  # rebuilt, as after a kernel restart
    state = again.run().result[out2]
    assert state.is_cached() and state.result == 42 and calls == [21]


def test_only_tasks_without_a_checkpoint_run_again(tmp_path):
    calls = []
    with Flow("chain", result_dir=tmp_path) as flow:
        a = counting(calls, name="a")(1)
        b = counting(calls, name="b")(a)
        c = counting(calls, name="c")(b)
    flow.run()
    (b_file,) = (p for p in tmp_path.rglob("*.pickle") if "/b-" in p.as_posix())
    b_file.unlink()
    calls.clear()
    state = flow.run()
    assert calls == [2]  # only b ran; a and c came from their checkpoints
    assert [type(state.result[t]).__name__ for t in (a, b, c)] == ["Cached", "Success",
                                                                   "Cached"]


def test_other_inputs_make_another_checkpoint(tmp_path):
    calls = []
    flow_of(tmp_path, counting(calls), x=1)[0].run()
    flow_of(tmp_path, counting(calls), x=2)[0].run()
    assert calls == [1, 2] and len(files(tmp_path)) == 2


def test_changed_code_runs_again(tmp_path):
    flow, out = flow_of(tmp_path, counting([]))
    flow.run()

    @task(name="work")
    def work(x):
        return x * 3

    flow2, out2 = flow_of(tmp_path, work)
    assert flow2.run().result[out2].result == 63


def test_a_redefined_task_cell_runs_again(tmp_path):
    flow, ns = Flow("cells", result_dir=tmp_path), {}
    define_task(flow, "answer", "40 + 2", ns)
    flow.run()
    assert flow.run().result[ns["answer"]].is_cached()
    define_task(flow, "answer", "6 * 7", ns)
    state = flow.run().result[ns["answer"]]
    assert not state.is_cached() and state.result == 42


def test_parameters_are_never_taken_from_a_checkpoint(tmp_path):
    with Flow("params", result_dir=tmp_path) as flow:
        n = Parameter("n")
        out = counting([])(n)
    assert flow.run(parameters={"n": 1}).result[out].result == 2
    assert flow.run(parameters={"n": 5}).result[out].result == 10


def test_checkpoint_false_opts_a_task_out(tmp_path):
    calls = []
    flow, out = flow_of(tmp_path, counting(calls, checkpoint=False))
    flow.run()
    flow.run()
    assert calls == [21, 21] and files(tmp_path) == []


def test_checkpoint_true_without_a_result_dir_is_refused_with_the_fix():
    with Flow("nowhere") as flow:
        counting([], checkpoint=True)(1)
    with pytest.raises(ValueError, match="has no result_dir.*result_dir='checkpoints'"):
        flow.run()


def test_a_result_dir_that_is_not_a_path_is_refused():
    with pytest.raises(TypeError, match="result_dir must be a folder path"):
        Flow("bad", result_dir=42)


def test_an_unreadable_checkpoint_is_recomputed_and_kept_aside(tmp_path):
    calls = []
    flow, out = flow_of(tmp_path, counting(calls))
    flow.run()
    (path,) = tmp_path.rglob("*.pickle")
    path.write_bytes(b"not a pickle at all")
    state = flow.run().result[out]
    assert state.result == 42 and not state.is_cached() and calls == [21, 21]
    assert path.with_suffix(".unreadable").exists()  # kept aside for a look
    with open(path, "rb") as f:
        assert pickle.load(f) == 42  # and a good one written again


def test_an_unreadable_checkpoint_is_a_warning_naming_the_file_and_what_was_done(tmp_path,
                                                                                  caplog):
    flow, out = flow_of(tmp_path, counting([]))
    flow.run()
    (path,) = tmp_path.rglob("*.pickle")
    path.write_bytes(b"not a pickle at all")
    flow.run()
    (record,) = caplog.records
    message = record.getMessage()
    assert record.name == "flowbook.checkpoint" and record.levelno == logging.WARNING
    assert f"checkpoint of task 'work' at {path} cannot be read" in message
    assert f"moved to {path.stem}.unreadable" in message and "the task runs again" in message
    assert record.exc_info[0] is pickle.UnpicklingError  # the reason, with its traceback


def test_a_checkpoint_that_cannot_be_moved_aside_says_so(tmp_path, monkeypatch, caplog):
    path = tmp_path / "r.pickle"
    path.write_bytes(b"not a pickle at all")

    def refused(src, dst):
        raise PermissionError("read-only folder")

    monkeypatch.setattr(os, "replace", refused)
    assert checkpoint.look(spot_at(tmp_path, "r.pickle"), "work") is None
    assert "it could not be moved aside" in caplog.records[0].getMessage()


def test_an_unpicklable_result_fails_the_task_naming_it(tmp_path):
    @task
    def lock_maker():
        return threading.Lock()

    with Flow("locks", result_dir=tmp_path) as flow:
        made = lock_maker()
    state = flow.run().result[made]
    assert state.is_failed()
    assert "'lock_maker' succeeded, but its result cannot be checkpointed" in state.message
    assert "checkpoint=False" in state.message and files(tmp_path) == []


def test_a_write_that_fails_midway_leaves_no_partial_file(tmp_path, monkeypatch):
    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    state = checkpoint.keep(spot_at(tmp_path / "x", "r.pickle"), Success(result=1), "t")
    assert state.is_failed() and files(tmp_path) == []


def test_a_folder_that_cannot_take_the_checkpoint_fails_the_task_naming_it(tmp_path,
                                                                           monkeypatch):
    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    calls = []
    flow, out = flow_of(tmp_path, counting(calls))
    state = flow.run().result[out]
    assert state.is_failed() and calls == [21]
    assert "'work' succeeded, but its checkpoint could not be written to" in state.message
    assert "No space left on device" in state.message and str(tmp_path) in state.message


def test_mapped_children_are_checkpointed_one_by_one(tmp_path):
    calls = []
    with Flow("mapped", result_dir=tmp_path) as flow:
        out = counting(calls).map([1, 2, 3])
    flow.run()
    state = flow.run().result[out]
    assert state.result == [2, 4, 6] and calls == [1, 2, 3]
    assert all(c.is_cached() for c in state.map_states)


def test_checkpoints_work_on_threads(tmp_path):
    calls = []
    with Flow("threads", result_dir=tmp_path) as flow:
        outs = [counting(calls, name=f"w{i}")(i) for i in range(4)]
    flow.run(executor=LocalDaskExecutor(num_workers=2))
    state = flow.run(executor=LocalDaskExecutor(num_workers=2))
    assert sorted(calls) == [0, 1, 2, 3]
    assert all(state.result[o].is_cached() for o in outs)


def test_tasks_sharing_a_name_keep_separate_checkpoints(tmp_path):
    with Flow("twins", result_dir=tmp_path) as flow:
        a = counting([])(1)
        b = counting([])(1)
    flow.run()
    assert len(files(tmp_path)) == 2
    state = flow.run()
    assert state.result[a].is_cached() and state.result[b].is_cached()


def test_names_with_slashes_and_dots_stay_inside_result_dir(tmp_path):
    flow, out = flow_of(tmp_path / "store", counting([], name="../../escape"),
                        name="a/b")
    flow.run()
    assert all(p.resolve().is_relative_to((tmp_path / "store").resolve())
               for p in tmp_path.rglob("*.pickle"))
    assert len(files(tmp_path / "store")) == 1


def test_after_a_kernel_restart_the_flow_reuses_its_checkpoints(tmp_path):
    jupyter_client = pytest.importorskip("jupyter_client")
    code = f"""
from flowbook import Flow, task
calls = open({str(tmp_path / 'calls.txt')!r}, 'a')

@task
def expensive(x):
    calls.write('expensive\\n'); calls.flush()
    return x * 2

@task
def cheap(y):
    return y + 1

with Flow('restart', result_dir={str(tmp_path / 'results')!r}) as flow:
    out = cheap(expensive(20))
state = flow.run()
print('STATES', [type(state.result[t]).__name__ for t in flow.sorted_tasks()],
      state.result[out].result)
"""
    km = jupyter_client.KernelManager(kernel_name="python3")
    km.start_kernel()
    try:
        outputs = []
        for _ in range(2):
            kc = km.client()
            kc.start_channels()
            try:
                kc.wait_for_ready(timeout=60)
                kc.execute_interactive(code, timeout=60, output_hook=lambda msg: outputs.append(
                    msg["content"].get("text", "")))
            finally:
                kc.stop_channels()
            km.restart_kernel(now=True)
    finally:
        km.shutdown_kernel(now=True)
    printed = [line for line in "".join(outputs).splitlines() if line.startswith("STATES")]
    assert printed == ["STATES ['Success', 'Success'] 41", "STATES ['Cached', 'Cached'] 41"]
    assert (tmp_path / "calls.txt").read_text() == "expensive\n"


# -- targets and results (task result=/target=, Flow(result=)) ------------------------------

def target_flow(tmp_path, calls, target="out-{x}.pkl", flow_options=None, **options):
    """A flow of one ``counting`` task with ``target``, kept in a LocalResult under tmp_path
    unless ``flow_options`` give the flow its own."""
    if flow_options is None:
        options.setdefault("result", LocalResult(dir=tmp_path))
    return flow_of_options(counting(calls, target=target, **options), **(flow_options or {}))


def flow_of_options(t, x=21, **flow_options):
    with Flow("etl", **flow_options) as flow:
        out = t(x)
    return flow, out


def test_a_task_with_a_target_writes_its_result_there(tmp_path):
    flow, out = target_flow(tmp_path, [])
    flow.run()
    assert files(tmp_path) == ["out-21.pkl"]
    assert LocalResult(dir=tmp_path).read("out-21.pkl").value == 42


def test_a_target_that_exists_ends_the_task_cached_without_running(tmp_path):
    calls = []
    flow, out = target_flow(tmp_path, calls)
    flow.run()
    state = flow.run().result[out]
    assert state.is_cached() and state.result == 42 and calls == [21]
    assert state.message == "Result found at task target out-21.pkl"


def test_a_target_is_filled_with_the_context_and_the_inputs(tmp_path):
    flow, out = target_flow(tmp_path, [], target="{flow_name}/{task_name}-{x}-{today}.pkl")
    flow.run(context={"today": "2024-01-02"})
    assert files(tmp_path) == ["etl/work-21-2024-01-02.pkl"]


def test_a_callable_target_gets_the_same_keywords(tmp_path):
    flow, out = target_flow(tmp_path, [], target=lambda **kw: f"{kw['task_name']}.pkl")
    flow.run()
    assert files(tmp_path) == ["work.pkl"]


def test_a_target_uses_the_flows_result_when_the_task_has_none(tmp_path):
    flow, out = target_flow(tmp_path, [], flow_options={"result": LocalResult(dir=tmp_path)})
    flow.run()
    assert files(tmp_path) == ["out-21.pkl"]


def test_a_target_without_a_result_is_a_file_in_result_dir(tmp_path):
    calls = []
    flow, out = target_flow(tmp_path, calls, flow_options={"result_dir": tmp_path})
    flow.run()
    assert flow.run().result[out].is_cached() and files(tmp_path) == ["out-21.pkl"]


def test_a_target_with_no_result_anywhere_fails_the_task_with_the_fix():
    flow, out = target_flow(None, [], flow_options={})
    state = flow.run().result[out]
    assert state.is_failed() and "has a target but no result to keep it in" in state.message
    assert "result=LocalResult(dir='results')" in state.message


def test_a_target_naming_an_unknown_keyword_fails_the_task_naming_the_target(tmp_path):
    flow, out = target_flow(tmp_path, [], target="{nowhere}.pkl")
    state = flow.run().result[out]
    assert state.is_failed() and "its target '{nowhere}.pkl' cannot be looked up" in state.message


def test_mapped_children_write_one_target_each_but_not_none(tmp_path):
    @task(target="{map_index}.txt", result=LocalResult(dir=tmp_path))
    def same(x):
        return x

    with Flow("map") as flow:
        same.map([1, 42, None, "s"])
    assert flow.run().is_successful()
    assert files(tmp_path) == ["0.txt", "1.txt", "3.txt"]


def test_a_flow_result_without_target_writes_each_success_to_its_location(tmp_path):
    calls = []
    flow, out = flow_of_options(counting(calls), x=3,
                                result=LocalResult(dir=tmp_path, location="{task_name}-{x}"))
    flow.run()
    flow.run()
    assert files(tmp_path) == ["work-3"] and calls == [3, 3]  # written, never read back


def test_checkpoint_false_reads_a_target_but_never_writes_it(tmp_path):
    flow, out = target_flow(tmp_path, [], checkpoint=False)
    flow.run()
    assert files(tmp_path) == []


def test_a_written_state_carries_its_result_location(tmp_path):
    flow, out = target_flow(tmp_path, [])
    state = flow.run().result[out]
    assert state._result.location == str(tmp_path / "out-21.pkl")
    assert state._result.value == 42


def test_a_cached_state_carries_the_location_it_was_read_from(tmp_path):
    flow, out = target_flow(tmp_path, [])
    flow.run()
    assert flow.run().result[out]._result.location == "out-21.pkl"


def test_a_prefect_result_keeps_the_json_in_the_states_location():
    flow, out = flow_of_options(counting([]), result=PrefectResult())
    assert flow.run().result[out]._result.location == "42"


def test_a_plain_result_stores_nothing_and_the_task_succeeds():
    flow, out = flow_of_options(counting([]), result=Result())
    state = flow.run().result[out]
    assert state.is_successful() and state._result.location is None


def test_a_value_the_result_cannot_store_fails_the_task_naming_it(tmp_path):
    @task(target="lock", result=LocalResult(dir=tmp_path))
    def lock_maker():
        return threading.Lock()

    with Flow("locks") as flow:
        made = lock_maker()
    state = flow.run().result[made]
    assert state.is_failed() and "'lock_maker' succeeded, but its result cannot" in state.message


def test_a_target_is_looked_at_before_the_trigger(tmp_path):
    LocalResult(dir=tmp_path, location="late").write("kept")

    @task
    def broken():
        raise ValueError("no")

    @task(target="late", result=LocalResult(dir=tmp_path))
    def after():
        return "ran"

    with Flow("order") as flow:
        last = after(upstream_tasks=[broken()])
    state = flow.run().result[last]
    assert state.is_cached() and state.result == "kept"


def test_a_target_is_looked_at_instead_of_the_cache(tmp_path):
    calls = []
    flow, out = target_flow(tmp_path, calls, cache_for=60)
    flow.run()
    (tmp_path / "out-21.pkl").unlink()
    flow.run()
    assert calls == [21, 21]


def test_a_simulated_run_writes_no_target(tmp_path):
    from flowbook.engine.simulate import simulated_run

    flow, out = target_flow(tmp_path, [])
    simulated_run(flow, {})
    assert files(tmp_path) == []


def test_targets_work_on_threads(tmp_path):
    flow, out = target_flow(tmp_path, [])
    assert flow.run(executor=LocalDaskExecutor(scheduler="threads")).is_successful()
    assert files(tmp_path) == ["out-21.pkl"]
