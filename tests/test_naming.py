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
