"""Tests of core/unused.py: the warning of tasks made in a ``with Flow`` block but not added."""

import warnings

import pytest

from builders import passthrough, returns
from flowbook import Flow, Parameter, Task, context, task, unmapped
from flowbook.core import task as task_module
from flowbook.notebook.registry import NotebookFlow
from flowbook.tasks.control_flow import case, ifelse, merge, switch


def unused_warnings(build):
    """The 'not added' warnings given while ``build()`` runs."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build()
    return [w for w in caught if "Tasks were created but not added" in str(w.message)]


def test_a_parameter_made_and_left_out_is_named_with_its_flow_and_the_way_out():
    def build():
        with Flow("etl"):
            Parameter("x")

    (warning,) = unused_warnings(build)
    assert warning.category is UserWarning
    message = str(warning.message)
    assert "flow 'etl': {<Parameter: x>}" in message
    assert "flow.add_task(task)" in message


def test_the_tasks_left_out_are_listed_in_the_order_they_were_made():
    def build():
        with Flow("f"):
            Task(name="b"), Task(name="a")

    (warning,) = unused_warnings(build)
    assert "{<Task: b>, <Task: a>}" in str(warning.message)


def test_the_tracker_is_in_the_context_only_while_the_block_is_open():
    with Flow("f") as flow:
        tracker = context.get("_unused_task_tracker")
        x, y = Parameter("x"), Parameter("y")
        assert list(tracker) == [x, y]
        flow.add_task(x)  # a task that joins the flow leaves the tracker: it stays small
        assert list(tracker) == [y]
        flow.add_task(y)
    assert "_unused_task_tracker" not in context


def test_a_task_added_to_another_flow_inside_the_block_stays_tracked():
    other = Flow("other")
    with pytest.warns(UserWarning, match=r"not added to flow 'f': \{<Parameter: x>\}"):
        with Flow("f") as flow:
            x = other.add_task(Parameter("x"))
            assert x in context.get("_unused_task_tracker")
    assert x not in flow.tasks


def test_a_task_added_explicitly_gives_no_warning():
    def build():
        with Flow("f") as flow:
            flow.add_task(Parameter("x"))

    assert unused_warnings(build) == []


def test_a_task_defined_and_called_in_the_block_gives_no_warning():
    def build():
        with Flow("f"):
            @task
            def ten():
                return 10

            ten()

    assert unused_warnings(build) == []


def test_a_task_defined_in_the_block_and_never_called_is_named():
    def build():
        with Flow("f"):
            @task
            def ten():
                return 10

    (warning,) = unused_warnings(build)
    assert "<Task: ten>" in str(warning.message)


def test_a_called_task_subclass_gives_no_warning():
    class AddOne(Task):
        def run(self, x):
            return x + 1

    def build():
        with Flow("f"):
            AddOne()(10)

    assert unused_warnings(build) == []


def test_the_first_task_subclass_made_in_a_block_gives_no_warning(monkeypatch):
    # Its check of reserved attributes makes a scratch Task(), which is in no flow.
    monkeypatch.setattr(task_module, "_RESERVED_ATTRIBUTES", [])

    class Two(Task):
        def run(self):
            return 2

    def build():
        with Flow("f") as flow:
            flow.add_task(Two())

    assert unused_warnings(build) == []


def test_plain_values_made_into_constants_give_no_warning():
    def build():
        with Flow("f") as flow:
            passthrough()(x=10)
            Task()[0]
        assert len(flow.tasks) == 3  # the passthrough, the Task and its GetItem

    assert unused_warnings(build) == []


def test_operators_and_mapping_give_no_warning():
    def build():
        with Flow("f"):
            a, b = returns([1], name="a")(), Parameter("b", default=1)
            (a[0] + b) * 2
            passthrough().map([1, 2], upstream_tasks=[unmapped(b)])

    assert unused_warnings(build) == []


def test_control_flow_helpers_give_no_warning():
    def build():
        with Flow("f"):
            cond = returns(True, name="cond")()
            yes, no = returns("yes", name="yes"), returns("no", name="no")
            ifelse(cond, yes, no)
            switch(cond, {True: returns(1, name="one"), False: [returns(2, name="two")]})
            with case(cond, True):
                inside = passthrough()(x=1)
            merge(inside, no)

    assert unused_warnings(build) == []


def test_a_copy_made_in_the_block_and_left_out_is_named():
    x = Parameter("x")

    def build():
        with Flow("f"):
            x.copy("x2")

    (warning,) = unused_warnings(build)
    assert "<Parameter: x2>" in str(warning.message)


def test_a_nested_block_warns_only_of_its_own_tasks():
    def build():
        with Flow("outer"):
            with Flow("inner"):
                Parameter("x")

    (warning,) = unused_warnings(build)
    assert "flow 'inner'" in str(warning.message)


def test_a_block_ending_in_an_error_gives_no_warning():
    def build():
        with pytest.raises(KeyError), Flow("f"):
            Parameter("x")
            raise KeyError("boom")

    assert unused_warnings(build) == []


def test_a_call_that_fails_leaves_no_copy_to_warn_of():
    f = passthrough(name="f")

    def build():
        with Flow("f"), pytest.raises(TypeError, match="task 'f'"):
            f(1, 2)

    assert unused_warnings(build) == []


def test_the_warning_points_at_the_users_with_line_through_a_notebook_flow():
    def build():
        with NotebookFlow("nb"):
            Parameter("x")

    (warning,) = unused_warnings(build)
    assert warning.filename == __file__
