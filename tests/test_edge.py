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


def test_an_edge_is_frozen_equal_by_value_and_pickles():
    import copy
    import dataclasses
    import pickle

    up, down = Task(name="up"), Task(name="down")
    edge = Edge(up, down, "x", mapped=True, flattened=True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        edge.key = "y"
    with pytest.raises(AttributeError):
        del edge.mapped
    assert edge == Edge(up, down, "x", True, True) and edge != Edge(up, down, "x", True)
    assert hash(edge) == hash(Edge(up, down, "x", mapped=1, flattened=1))
    assert len({edge, Edge(up, down, "x", True, True), Edge(up, down)}) == 2
    back = pickle.loads(pickle.dumps(edge))
    assert (back.key, back.mapped, back.flattened, back.upstream_task.name) == (
        "x", True, True, "up")
    assert copy.copy(edge) == edge and copy.deepcopy(edge).downstream_task.name == "down"
    assert not hasattr(edge, "__dict__")


def test_an_edge_matches_by_position():
    up, down = Task(), Task()
    match Edge(up, down, "x", mapped=True):
        case Edge(u, d, k, m, f):
            assert (u, d, k, m, f) == (up, down, "x", True, False)
