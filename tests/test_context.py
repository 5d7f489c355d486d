import threading

import pytest

from flowbook.context import context


def test_values_are_read_by_attribute_item_and_get():
    with context(x=1):
        assert context.x == 1 and context["x"] == 1 and context.get("x") == 1
        assert "x" in context


def test_values_are_restored_after_the_block():
    with context(x=1):
        with context(x=2):
            assert context.x == 2
        assert context.x == 1
    assert context.get("x") is None


def test_missing_attribute_names_the_way_out():
    with pytest.raises(AttributeError, match=r"context.get\('nope'\)"):
        context.nope


def test_context_is_per_thread():
    seen = []
    with context(x=1):
        t = threading.Thread(target=lambda: seen.append(context.get("x")))
        t.start()
        t.join()
    assert seen == [None]
