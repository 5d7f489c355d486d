"""The pytest plugin of the inner run: the alias, the fixtures the suite's files use, a record.

Loaded with ``-p plugin --noconftest`` so that Prefect's own conftest (which imports its Cloud
client) is never read. The fixtures are those of Prefect's conftest that the files use, built
the same way on flowbook's executors; servers listen on 127.0.0.1 and stop with the session.
Each test's outcome is written as JSON lines to ``$FLOWBOOK_SUITE_RECORD``.
"""
from __future__ import annotations

import json
import os
import tempfile

import pytest

import alias
import internals

alias.install()
internals.install()


def _warns(expected_warning=Warning, *args, **kwargs):
    """``pytest.warns`` as the suite's pytest 6 had it: ``pytest.warns(None)`` records the
    warnings without expecting one (the files use it to assert that none was raised);
    pytest 8 refuses ``None``. A shim of the test runner's API, not of flowbook."""
    if expected_warning is None:
        return pytest.WarningsRecorder(_ispytest=True)
    return _pytest_warns(expected_warning, *args, **kwargs)


_pytest_warns, pytest.warns = pytest.warns, _warns


def pytest_collectreport(report):
    if report.failed:  # a file that did not import: its tests never ran
        _write(report.nodeid, "failed", report.longreprtext)


def pytest_runtest_logreport(report):
    failed_setup = report.when == "setup" and not report.passed
    if report.when != "call" and not failed_setup and not (report.when == "teardown"
                                                           and report.failed):
        return
    outcome = "skipped" if report.skipped else ("passed" if report.passed else "failed")
    _write(report.nodeid, outcome, report.longreprtext if report.failed else "")


def _write(nodeid: str, outcome: str, longrepr: str) -> None:
    if not os.environ.get("FLOWBOOK_SUITE_RECORD"):
        return
    lines = longrepr.strip().splitlines()
    errors = [line for line in lines if line.startswith("E ")]
    message = (errors[-1] if errors else lines[-1] if lines else "")[:300]
    with open(os.environ["FLOWBOOK_SUITE_RECORD"], "a") as out:
        out.write(json.dumps({"nodeid": nodeid, "outcome": outcome, "message": message}) + "\n")


@pytest.fixture(autouse=True)
def _home_dir(monkeypatch):
    """Each test writes under a temporary home, as Prefect's conftest arranges."""
    with tempfile.TemporaryDirectory() as tmp:
        monkeypatch.setenv("HOME", tmp)
        yield tmp


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with no cached results. Prefect 1 keeps ``cache_for`` results for the
    process as flowbook does (``prefect.context.caches``), and its conftest does not clear
    them: a task named ``return_x`` cached by one test stands for another test's
    ``return_x`` (Prefect 1.4.1 fails ``...mapped_cached_states_with_non_cached`` after
    ``...mapped_cached_states`` the same way). Isolation of tests, not a behaviour."""
    from flowbook.engine import cache

    cache.clear()


def _client(processes: bool, workers: int, threads: int):
    from distributed import Client

    where = {"host": "127.0.0.1"} if processes else {}  # (inproc:// takes no host)
    client = Client(processes=processes, scheduler_port=0, dashboard_address="127.0.0.1:0",
                    n_workers=workers, threads_per_worker=threads, **where)
    if processes:  # the workers import the test modules, which import prefect
        client.run(alias.install)
        client.run(internals.install)
    return client


@pytest.fixture(scope="session")
def mthread():
    """dask.distributed in this process (an ``inproc://`` address), 2 threads."""
    from flowbook.executors import DaskExecutor

    with _client(False, 1, 2) as client:
        yield DaskExecutor(client.scheduler.address)


@pytest.fixture(scope="session")
def mproc():
    """dask.distributed with two worker processes."""
    from flowbook.executors import DaskExecutor

    with _client(True, 2, 1) as client:
        yield DaskExecutor(client.scheduler.address)


@pytest.fixture()
def local():
    from flowbook.executors import LocalExecutor

    yield LocalExecutor()


@pytest.fixture()
def sync():
    from flowbook.executors import LocalDaskExecutor

    yield LocalDaskExecutor(scheduler="sync")


@pytest.fixture()
def mproc_local():
    from flowbook.executors import LocalDaskExecutor

    yield LocalDaskExecutor(scheduler="processes")


@pytest.fixture()
def threaded_local():
    from flowbook.executors import LocalDaskExecutor

    yield LocalDaskExecutor(scheduler="threads")


@pytest.fixture()
def executor(request):
    """The executor named by ``parametrize("executor", [...], indirect=True)``."""
    return request.getfixturevalue(request.param)
