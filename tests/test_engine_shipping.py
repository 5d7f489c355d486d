"""What task runs sent to another process share (flowbook/engine/shipping.py): the run's
context and parameters, and a mapped task for its children, pickled once per run and
loaded once per process."""

import pickle

import cloudpickle

from flowbook import Flow, Parameter, task
from flowbook.engine import shipping
from flowbook.engine.task_run import TaskRun


def test_a_value_is_pickled_once_per_key():
    cache = {}
    first = shipping.packed(cache, "run", {"a": 1})
    assert shipping.packed(cache, "run", {"a": 2}) is first  # the key decides, not the value
    assert pickle.loads(first) == {"a": 1}


def test_the_same_bytes_are_loaded_once_and_fresh_bytes_anew():
    data = pickle.dumps({"when": "now"})
    loaded = shipping.unpacked(data)
    assert loaded == {"when": "now"}
    assert shipping.unpacked(bytes(data)) is loaded  # equal bytes from another message
    assert shipping.unpacked(pickle.dumps({"when": "later"})) == {"when": "later"}


def test_a_process_keeps_only_the_latest_loaded_values():
    first = pickle.dumps(("first", 0))
    kept = shipping.unpacked(first)
    for i in range(shipping.KEEP):
        shipping.unpacked(pickle.dumps(("other", i)))
    assert shipping.unpacked(first) == kept and shipping.unpacked(first) is not kept


def test_task_runs_of_one_run_travel_with_its_context_pickled_once():
    @task
    def double(x):
        return 2 * x

    with Flow("sent") as flow:
        n = Parameter("n", default=3)
        doubled = double.map([1, 2])
        single = double(n)
    flow.run()
    run = flow.last_run
    sent = [run.task_run(t, run, index) for t, index in
            [(single, None), (doubled, 0), (doubled, 1)]]
    fields = [tr.__getstate__() for tr in sent]
    assert fields[0]["run"] is fields[1]["run"] is fields[2]["run"]
    assert fields[1]["task"] is fields[2]["task"]  # a mapped task's children share it
    assert fields[0]["task"] is single  # a task run once travels as itself
    back = [pickle.loads(cloudpickle.dumps(tr)) for tr in sent]  # as Dask sends them
    assert [b.map_index for b in back] == [None, 0, 1]
    assert back[0].setting.parameters == {"n": 3}
    assert back[0].setting.context["flow_name"] == "sent"
    assert back[1].task is back[2].task and back[1].task.name == "double"
    assert isinstance(back[0], TaskRun) and back[0].task.run(4) == 8
