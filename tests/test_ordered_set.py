"""The insertion-ordered set of Flow.tasks and Flow.edges (flowbook/core/ordered_set.py)."""

import pickle

import pytest

from flowbook.core.ordered_set import OrderedSet


def test_iterates_in_the_order_members_were_first_added():
    s = OrderedSet(["b", "a"])
    s.add("c")
    s.add("b")
    assert list(s) == ["b", "a", "c"]


def test_compares_equal_to_a_plain_set_both_ways():
    assert OrderedSet([1, 2]) == {2, 1} and {1, 2} == OrderedSet([2, 1])


def test_remove_of_a_missing_member_raises_key_error():
    with pytest.raises(KeyError):
        OrderedSet().remove(1)


def test_pop_takes_a_member_out():
    s = OrderedSet([1])
    assert s.pop() == 1 and not s


def test_copy_changes_apart():
    s = OrderedSet([1])
    c = s.copy()
    c.add(2)
    assert list(s) == [1] and list(c) == [1, 2]


def test_named_set_operations_give_plain_sets():
    s = OrderedSet([1, 2])
    assert s.union({3}) == {1, 2, 3} and s.difference({1}) == {2}
    assert s.issubset({1, 2, 3}) and s.issuperset({1})


def test_survives_pickling_with_its_order():
    assert list(pickle.loads(pickle.dumps(OrderedSet([3, 1, 2])))) == [3, 1, 2]


def test_is_unhashable_like_a_set():
    with pytest.raises(TypeError):
        hash(OrderedSet())
