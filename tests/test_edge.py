import pytest

from flowbook import Task
from flowbook.core.edge import Edge, flatten, mapped, unmapped


def test_an_annotated_upstream_is_unwrapped_and_sets_its_flag():
    up, down = Task(), Task()
    edge = Edge(mapped(up), down, key="x")
    assert edge.upstream_task is up and edge.mapped and edge == Edge(up, down, "x", mapped=True)


def test_an_annotation_wins_over_the_flag_given():
    up, down = Task(), Task()
    assert not Edge(unmapped(up), down, mapped=True).mapped
    assert Edge(up, flatten(down)).flattened


def test_an_edge_from_a_task_to_itself_is_refused():
    t = Task(name="loop")
    with pytest.raises(ValueError, match="Edges can not connect a task to itself"):
        Edge(t, t)


@pytest.mark.parametrize("key", ["1x", "for", "a-b", 3])
def test_a_key_that_is_not_an_identifier_is_refused(key):
    with pytest.raises(ValueError, match="must be a valid identifier"):
        Edge(Task(), Task(), key=key)


def test_tasks_are_both_ends():
    up, down = Task(), Task()
    assert Edge(up, down).tasks == {up, down}


def test_nested_annotations_combine_and_the_outer_one_wins():
    up = Task()
    annotated = mapped(flatten(unmapped(up)))
    assert annotated.value is up
    assert annotated.annotations == {"mapped": True, "flattened": True}
    assert unmapped.annotations == {"mapped": False}  # the class's own flags are untouched


def test_an_edge_between_two_values_that_are_one_object_is_refused_by_name():
    with pytest.raises(ValueError, match="Edges can not connect a task to itself \\(1\\)"):
        Edge(1, 1)
