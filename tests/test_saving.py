"""Flow.save and Flow.load (flowbook/core/saving.py)."""

import pytest

from builders import passthrough, returns
from flowbook import Flow


def test_a_saved_flow_loads_back_and_runs(tmp_path):
    with Flow("saved") as flow:
        b = passthrough(name="b")(returns(4, name="a")())
    path = flow.save(tmp_path / "saved.flowbook")
    loaded = Flow.load(path)
    assert loaded.name == "saved" and {t.name for t in loaded.tasks} == {"a", "b"}
    (b2,) = loaded.get_tasks(name="b")
    assert loaded.run().result[b2].result == 4 and b2 is not b


def test_a_flow_saved_without_a_path_loads_by_its_name_or_slug(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    path = Flow("I aM a-test!", tasks=[returns(1)]).save()
    assert path == str(tmp_path / ".flowbook" / "flows" / "i-am-a-test.flowbook")
    assert Flow.load("I aM a-test!").name == Flow.load("i-am-a-test").name == "I aM a-test!"


def test_the_runs_of_a_flow_are_not_saved(tmp_path):
    flow = Flow("ran", tasks=[returns(1)])
    flow.run()
    assert Flow.load(flow.save(tmp_path / "f")).last_run is None


def test_loading_what_was_never_saved_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(ValueError, match="no saved flow at 'nothing'.*flow.save"):
        Flow.load("nothing")
