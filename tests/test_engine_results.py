"""Results that store values: LocalResult files, PrefectResult JSON, ConstantResult."""

import os

import pytest

from flowbook.engine.results import ConstantResult, LocalResult, PrefectResult
from flowbook.engine.serializers import JSONSerializer, PickleSerializer


def test_local_result_makes_its_folder(tmp_path):
    LocalResult(dir=tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b").is_dir()


def test_local_result_without_dir_uses_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert LocalResult().dir == str(tmp_path / ".flowbook" / "results")


def test_local_result_keeps_an_unvalidated_dir_as_given():
    assert LocalResult(dir="not/made", validate_dir=False).dir == "not/made"
    assert not os.path.exists("not/made")


def test_local_result_writes_a_file_at_the_formatted_location(tmp_path):
    written = LocalResult(dir=tmp_path, location="{x}/out.pkl").write([1, 2], x="sub")
    assert written.location == str(tmp_path / "sub" / "out.pkl")
    assert PickleSerializer().deserialize((tmp_path / "sub" / "out.pkl").read_bytes()) == [1, 2]


def test_local_result_writes_functions_by_value(tmp_path):
    written = LocalResult(dir=tmp_path, location="f.pkl").write(lambda: 7)
    assert LocalResult(dir=tmp_path).read("f.pkl").value() == 7
    assert written.value() == 7


def test_local_result_reads_back_what_it_wrote(tmp_path):
    LocalResult(dir=tmp_path, location="v.pkl").write({"a": 1})
    read = LocalResult(dir=tmp_path).read("v.pkl")
    assert (read.value, read.location) == ({"a": 1}, "v.pkl")


def test_local_result_exists_formats_the_location(tmp_path):
    (tmp_path / "t-3.pkl").write_bytes(b"")
    result = LocalResult(dir=tmp_path)
    assert result.exists("t-{i}.pkl", i=3) and not result.exists("t-{i}.pkl", i=4)


def test_local_result_leaves_no_temporary_file(tmp_path):
    LocalResult(dir=tmp_path, location="v.pkl").write(1)
    assert os.listdir(tmp_path) == ["v.pkl"]


def test_local_result_default_location_is_in_its_folder(tmp_path):
    written = LocalResult(dir=tmp_path).write(5)
    assert os.path.dirname(written.location) == str(tmp_path)


def test_prefect_result_keeps_json_in_the_location():
    written = PrefectResult().write({"a": [1]})
    assert (written.location, written.value) == ('{"a": [1]}', {"a": [1]})


def test_prefect_result_reads_the_value_from_the_location():
    assert PrefectResult().read("[1, 2]").value == [1, 2]


def test_prefect_result_exists_when_the_location_is_json():
    assert PrefectResult().exists("3") and not PrefectResult().exists("{not json")


def test_prefect_result_uses_json():
    assert isinstance(PrefectResult().serializer, JSONSerializer)


def test_prefect_result_refuses_another_serializer():
    with pytest.raises(TypeError, match="JSONSerializer"):
        PrefectResult(serializer=PickleSerializer())


def test_constant_result_reads_its_own_value():
    assert ConstantResult(value=4).read("anything").value == 4


def test_constant_result_cannot_be_written():
    with pytest.raises(ValueError, match="cannot be written"):
        ConstantResult(value=4).write(5)


def test_prefect_result_does_not_exist_at_a_location_that_is_not_text():
    assert PrefectResult().exists("[1, 2]") and not PrefectResult().exists([1, 2])
