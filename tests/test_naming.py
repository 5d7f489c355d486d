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
