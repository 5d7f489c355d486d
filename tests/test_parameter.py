import datetime

import pytest

from flowbook import Flow
from flowbook.context import context
from flowbook.core.parameter import DateTimeParameter, Parameter


def test_a_parameter_without_a_default_is_required():
    assert Parameter("x").required


def test_a_default_of_none_is_a_default_as_in_prefect():
    p = Parameter("x", default=None)
    assert not p.required and p.run() is None


def test_the_slug_of_a_parameter_is_its_name():
    assert Parameter("x").slug == "x"


def test_a_missing_required_parameter_says_how_to_pass_it():
    with pytest.raises(ValueError, match=r"flow.run\(parameters=\{'x': ...\}\)"):
        Parameter("x").run()


def test_calling_a_parameter_adds_it_to_the_flow_being_built():
    p = Parameter("x", default=1)
    with Flow("f") as flow:
        assert p() is p
    assert p in flow.tasks


def test_a_copy_takes_a_new_name_and_slug():
    copy = Parameter("x", default=1).copy("y")
    assert (copy.name, copy.slug, copy.default) == ("y", "y", 1)


def test_a_parameter_cannot_be_mapped():
    with pytest.raises(TypeError, match="cannot be mapped"):
        Parameter("x").map([1, 2])


def test_a_datetime_parameter_reads_an_iso_string():
    with context(parameters={"at": "2021-01-02T03:04:05+00:00"}):
        value = DateTimeParameter("at").run()
    assert value == datetime.datetime(2021, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)


def test_a_datetime_parameter_keeps_a_datetime_and_none():
    when = datetime.datetime(2021, 1, 2)
    assert DateTimeParameter("at", default=when, required=False).run() is when
    assert DateTimeParameter("at", required=False).run() is None


def test_a_datetime_parameter_refuses_other_values():
    with pytest.raises(TypeError, match="ISO 8601"):
        DateTimeParameter("at", default=3, required=False).run()


def test_a_datetime_parameter_is_required_even_with_a_default():
    with pytest.raises(ValueError, match="required"):
        DateTimeParameter("at", default="2021-01-02").run()
