from builders import returns
from flowbook import Flow, flatten, task, triggers, unmapped
from flowbook.engine import state as st


@task
def add(x, y):
    return x + y


def test_map_runs_one_child_per_element():
    with Flow("m") as flow:
        m = add.map([1, 2, 3], unmapped(10))
    s = flow.run().result[m]
    assert type(s) is st.Mapped and s.result == [11, 12, 13] and len(s.map_states) == 3


def test_map_over_a_task_result_and_zip_shortest():
    with Flow("m") as flow:
        m = add.map(returns([1, 2, 3], name="xs")(), [10, 20])
    assert flow.run().result[m].result == [11, 22]


def test_map_of_a_map_pairs_children():
    with Flow("m") as flow:
        first = add.map([1, 2], unmapped(1))
        second = add.map(first, unmapped(100))
    assert flow.run().result[second].result == [102, 103]


def test_reduce_after_map_gets_the_list_of_results():
    with Flow("m") as flow:
        total = task(lambda xs: sum(xs), name="total")(add.map([1, 2], unmapped(1)))
    assert flow.run().result[total].result == 5


def test_a_failing_child_fails_only_itself():
    @task
    def inv(x):
        return 1 / x

    with Flow("m") as flow:
        m = inv.map([1, 0, 2])
    kinds = [type(c).__name__ for c in flow.run().result[m].map_states]
    assert kinds == ["Success", "Failed", "Success"]


def test_children_downstream_of_a_failed_child_fail_by_trigger():
    @task
    def inv(x):
        return 1 / x

    with Flow("m") as flow:
        m = add.map(inv.map([1, 0]), unmapped(1))
    kinds = [type(c).__name__ for c in flow.run().result[m].map_states]
    assert kinds == ["Success", "TriggerFailed"]


def test_map_over_an_empty_list_gives_no_children():
    with Flow("m") as flow:
        m = add.map([], unmapped(1))
        after = task(lambda xs: len(xs), name="after", trigger=triggers.always_run)(m)
    states = flow.run().result
    assert states[m].map_states == [] and states[after].result == 0


def test_map_over_a_failed_upstream_fails_the_parent():
    @task
    def broken():
        raise ValueError("no list")

    with Flow("m") as flow:
        m = add.map(broken(), unmapped(1))
    s = flow.run().result[m]
    assert type(s) is st.Failed and "mapped" in s.message


def test_flatten_maps_over_a_list_of_lists():
    with Flow("m") as flow:
        m = add.map(flatten(returns([[1, 2], [3]], name="lol")()), unmapped(0))
    assert flow.run().result[m].result == [1, 2, 3]


def test_children_history_is_kept_per_index():
    with Flow("m") as flow:
        m = add.map([1, 2], unmapped(0))
    flow.run()
    assert [type(s).__name__ for s in flow.last_run.task_history(m, 1)] == [
        "Pending", "Running", "Success"]


def test_a_parent_mapped_before_gets_no_more_children_than_it_had():
    with Flow("m") as flow:
        m = add.map(returns([1, 2, 3], name="xs")(), unmapped(0))
    given = st.Mapped(map_states=[st.Pending(), st.Success(result=9)])
    assert flow.run(task_states={m: given}).result[m].result == [1, 9]


def test_a_parent_mapped_before_remakes_its_children_from_n_map_states():
    with Flow("m") as flow:
        xs = returns([1, 2, 3], name="xs")()
        m = task(lambda x: x, name="same").map(xs)
    # as after a restart: the parent's size is known, the upstream's value is not
    state = flow.run(task_states={m: st.Mapped(n_map_states=3), xs: st.Success(result=None)})
    assert state.result[m].result == [None, None, None]


def test_flatten_of_a_child_that_is_not_a_list_passes_it_on_with_a_warning(caplog):
    with Flow("m") as flow:
        nested = task(lambda x: x if x == 2 else [x], name="nest").map([1, 2, 3])
        m = add.map(flatten(nested), unmapped(1))
    assert flow.run().result[m].result == [2, 3, 4]
    assert "`flatten` was used on upstream task that did not return an iterable" in caplog.text
