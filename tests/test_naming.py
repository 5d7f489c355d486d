"""Unique task names (flowbook/core/naming.py)."""

from flowbook import Flow, task
from flowbook.core.naming import unique_names


def named(name):
    return task(lambda: None, name=name)


def test_the_first_task_keeps_its_name_and_later_ones_get_a_suffix():
    with Flow("f") as flow:
        a, b, c = named("load")(), named("load")(), named("load")()
    assert unique_names(flow) == {a: "load", b: "load-2", c: "load-3"}


def test_a_suffix_skips_names_other_tasks_already_have():
    with Flow("f") as flow:
        a, b, c = named("load")(), named("load-2")(), named("load")()
    assert unique_names(flow) == {a: "load", b: "load-2", c: "load-3"}


def test_names_are_unique_for_many_duplicates():
    with Flow("f") as flow:
        for _ in range(2000):
            named("inc")()
    names = list(unique_names(flow).values())
    assert len(set(names)) == 2000 and names[-1] == "inc-2000"


def test_slugs_count_per_name_and_tags():
    from flowbook import Task

    flow = Flow("f", tasks=[Task("a"), Task("a"), Task("a", tags=["t"])])
    assert sorted(flow.slugs.values()) == ["a-1", "a-2", "a-t-1"]


def test_a_generated_slug_skips_one_a_task_was_given():
    from flowbook import Task

    given, later = Task("a", slug="a-1"), Task("a")
    flow = Flow("f", tasks=[given, later])
    assert flow.slugs == {given: "a-1", later: "a-2"}


def test_a_slug_given_twice_is_refused():
    import pytest

    from flowbook import Task

    flow = Flow("f", tasks=[Task("a", slug="s")])
    with pytest.raises(ValueError, match='slug "s" already exists in this flow. Flow \'f\''):
        flow.add_task(Task("b", slug="s"))


# -- slugs made when first read (issue 16) ------------------------------------------------

def test_a_slug_given_equal_to_a_numbered_one_is_refused_before_any_slug_is_read():
    import pytest

    from flowbook import Task

    flow = Flow("f", tasks=[Task("a"), Task("a", tags=["t"])])
    for taken in ("a-1", "a-t-1"):
        with pytest.raises(ValueError, match=f'slug "{taken}" already exists'):
            flow.add_task(Task("b", slug=taken))
    for free in ("a-2", "a-01", "a-t-2", "a"):
        flow.add_task(Task("b", slug=free))
    assert sorted(flow.slugs.values()) == ["a", "a-01", "a-1", "a-2", "a-t-1", "a-t-2"]


def test_a_slug_is_numbered_as_the_task_was_when_added():
    from flowbook import Task

    first, second = Task("a"), Task("a")
    flow = Flow("f", tasks=[first, second])
    first.name, second.tags = "renamed", frozenset({"later"})
    flow.add_task(Task("a"))
    assert sorted(flow.slugs.values()) == ["a-1", "a-2", "a-3"]


def test_slugs_after_removals_copies_and_reads_match_making_them_at_once():
    import random

    from flowbook import Task
    from flowbook.errors import UserValueError

    for seed in range(200):
        rnd = random.Random(seed)
        flows, tasks = [Flow("f"), Flow("f")], []
        flows[1].slugs  # read at once: made, then kept up to date as tasks come and go
        for _ in range(30):
            if rnd.random() < 0.75 or not tasks:
                t = Task(rnd.choice(["a", "a-1", "b"]), tags=rnd.choice([[], ["1"], ["x"]]),
                         slug=rnd.choice([None, None, None, "a-1", "a-2", "b-1", "s"]))
                outcomes = []
                for flow in flows:
                    try:
                        flow.add_task(t)
                        outcomes.append("added")
                    except UserValueError:
                        outcomes.append("refused")
                assert outcomes[0] == outcomes[1], seed
                if outcomes[0] == "added":
                    tasks.append(t)
            else:
                t = tasks.pop(rnd.randrange(len(tasks)))
                for flow in flows:
                    flow.remove_task(t)
            if rnd.random() < 0.1:
                flows[0] = flows[0].copy()
        assert flows[0].slugs == flows[1].slugs, seed


def test_a_flow_pickled_by_an_earlier_flowbook_keeps_its_slugs():
    import pickle

    from flowbook import Task
    from flowbook.core.naming import Slugs

    a = Task("a")
    slugs = Slugs.__new__(Slugs)
    slugs.__setstate__({"flow_name": "f", "of": {a: "a-1"}, "_taken": {"a-1"},
                        "_counters": {"a": 2}})
    back = pickle.loads(pickle.dumps(slugs))
    b = Task("a")
    assert back.add(b) == "a-2" and list(back.of.values()) == ["a-1", "a-2"]
