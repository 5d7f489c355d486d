"""Shared fixtures: the Prefect 1.4.1 reference server and the in-process flowbook runner.

The reference side runs in its own virtual environment (see `reference/prefect_env.py`),
one long-lived process per test session; this process never imports prefect.
"""
from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from reference import prefect_env, runner  # noqa: E402
from reference.cases import EXECUTORS  # noqa: E402


@pytest.fixture(scope="session")
def prefect_reference():
    """A callable `source -> summary` that runs a case under Prefect 1.4.1 (once per case
    text: the same case checked on several executors asks Prefect once)."""
    try:
        python = prefect_env.ensure_prefect_python()
    except prefect_env.PrefectEnvError as exc:
        pytest.fail(str(exc), pytrace=False)
    server = runner.ReferenceServer(python)
    summaries: dict = {}

    def summarise(source: str) -> dict:
        if source not in summaries:
            summaries[source] = server(source)
        return summaries[source]

    yield summarise
    server.close()


@pytest.fixture(scope="session")
def dask_deployment(tmp_path_factory):
    """A `dask scheduler` and `dask worker` (2 processes, 2 threads each), started as separate
    processes on 127.0.0.1 for the session; fails if any process survives their stop."""
    import dask_deployment as deployment_module

    deployment = deployment_module.start(tmp_path_factory.mktemp("dask-deployment"))
    yield deployment
    survivors = deployment_module.stop(deployment)
    assert not survivors, f"processes survived the dask deployment's stop: {survivors}"


@pytest.fixture(scope="session")
def make_executor(request):
    """A callable `name -> executor` for the names in EXECUTORS; "dask" connects to the
    session's dask deployment (started on first use)."""
    from flowbook.executors import DaskExecutor, LocalDaskExecutor, LocalExecutor

    def make(name: str):
        if name == "local":
            return LocalExecutor()
        if name == "threads":
            return LocalDaskExecutor(num_workers=4)
        if name == "dask":
            return DaskExecutor(address=request.getfixturevalue("dask_deployment").address)
        raise ValueError(f"unknown executor {name!r}; expected one of {EXECUTORS}")
    return make


@pytest.fixture(scope="session")
def flowbook_run(make_executor):
    """A callable `(source, executor name="local") -> summary` that runs a case under
    flowbook in this process."""
    return lambda source, executor="local": runner.summarise(
        "flowbook", source, make_executor(executor))


@pytest.fixture(scope="session")
def differential(prefect_reference, flowbook_run):
    """A callable `(source, executor name="local") -> None` that fails unless both engines
    summarise the case the same."""
    def check(source: str, executor: str = "local") -> None:
        expected = prefect_reference(source)
        assert_same_outcome(flowbook_run(source, executor), expected, source, executor)
    return check


def assert_same_outcome(flowbook_summary: dict, prefect_summary: dict, source: str,
                        executor: str = "local") -> None:
    """Fail with a line diff of the two summaries (and the case) when they differ."""
    if flowbook_summary == prefect_summary:
        return
    diff = difflib.unified_diff(
        _lines(prefect_summary), _lines(flowbook_summary),
        fromfile="prefect 1.4.1", tofile=f"flowbook ({executor} executor)", lineterm="",
    )
    pytest.fail("flowbook and Prefect 1.4.1 disagree:\n" + "\n".join(diff)
                + "\n\ncase:\n" + source, pytrace=False)


def _lines(summary: dict) -> list[str]:
    """One line per task row, so a diff points at the tasks that differ."""
    head = {k: v for k, v in summary.items() if k != "tasks"}
    return [json.dumps(head, sort_keys=True)] + [json.dumps(row) for row in summary.get("tasks", [])]


@pytest.fixture
def show():
    """``show(flow)``: a FlowWidget (flowbook.show) that is closed after the test."""
    import flowbook

    made = []

    def make(flow):
        widget = flowbook.show(flow)
        made.append(widget)
        return widget

    yield make
    for widget in made:
        widget.close()


# -- an IPython shell, as a notebook's kernel has ----------------------------------------

@pytest.fixture(scope="module")
def shell():
    """One real IPython shell per test module (history in memory)."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    main = sys.modules["__main__"]  # the shell replaces it; later tests (Dask) need it back
    yield InteractiveShell.instance(config=config)
    InteractiveShell.clear_instance()
    sys.modules["__main__"] = main


@pytest.fixture
def ip(shell):
    """The shell, emptied, with ``%load_ext flowbook`` and no notebook flows."""
    from flowbook.notebook import registry

    shell.reset(new_session=False)
    registry._FLOWS.clear()
    shell.run_cell("%load_ext flowbook", store_history=False)
    yield shell
    registry._FLOWS.clear()
    shell.reset(new_session=False)


def pytest_terminal_summary(terminalreporter):
    """The table of Prefect 1.4.1's own tests run on flowbook (tests/test_prefect_suite.py)."""
    module = sys.modules.get("test_prefect_suite")
    for text in getattr(module, "TABLES", ()):
        terminalreporter.write_sep("=", "Prefect 1.4.1's own tests on flowbook")
        terminalreporter.write_line(text)
