"""DaskExecutor against a real dask.distributed deployment: `dask scheduler` and `dask worker`
started as separate processes on 127.0.0.1, as a user would start them.

The worker has this directory on its PYTHONPATH, so it imports `dask_tasks` by name; the
catalog cases' functions (defined in exec'd source) travel by value. The fixture stops both
processes and fails if any process it started (the worker's nanny forks one) survives.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import dask_tasks
import pytest
from reference import runner
from reference.cases import CASES, DIVERGENCES, runs_on

from flowbook import Flow, task
from flowbook.engine import state as st
from flowbook.executors import DaskExecutor

psutil = pytest.importorskip("psutil")  # a dependency of distributed

TESTS = Path(__file__).resolve().parent
DASK = Path(sys.executable).with_name("dask")
START_TIMEOUT = 60  # seconds for the scheduler file to appear and the worker to join


@dataclass
class Deployment:
    """A scheduler and a worker running as processes of their own."""

    address: str  # the scheduler's tcp://127.0.0.1:PORT
    scheduler: subprocess.Popen  # the `dask scheduler` process
    worker: subprocess.Popen  # the `dask worker` process (a nanny; the worker is its child)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dask-deployment")
    started: list = []
    try:
        scheduler = _spawn([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0",
                            "--dashboard-address", "127.0.0.1:0",
                            "--scheduler-file", folder / "scheduler.json"], folder, "scheduler")
        started.append(scheduler)
        address = _scheduler_address(folder / "scheduler.json", scheduler)
        worker = _spawn([DASK, "worker", address, "--nthreads", "2", "--nworkers", "1",
                         "--host", "127.0.0.1", "--dashboard-address", "127.0.0.1:0",
                         "--local-directory", folder / "worker", "--name", "flowbook-test"],
                        folder, "worker")
        started.append(worker)
        _wait_for_worker(address)
        yield Deployment(address, scheduler, worker)
    finally:
        survivors = _stop(started)
    assert not survivors, f"processes survived the deployment's shutdown: {survivors}"


def _spawn(command: list, folder: Path, name: str) -> subprocess.Popen:
    """Start ``command`` in a session of its own (so its whole group can be stopped)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(TESTS), *filter(None, [os.environ.get("PYTHONPATH")])])}
    log = open(folder / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([str(c) for c in command], stdout=log, stderr=subprocess.STDOUT,
                            env=env, start_new_session=True)


def _scheduler_address(path: Path, scheduler: subprocess.Popen) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if scheduler.poll() is not None:
            raise RuntimeError(f"dask scheduler exited with {scheduler.returncode}; see its log "
                               f"next to {path}")
        try:
            return json.loads(path.read_text())["address"]
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            time.sleep(0.1)
    raise TimeoutError(f"dask scheduler wrote no {path} within {START_TIMEOUT} s")


def _wait_for_worker(address: str) -> None:
    from distributed import Client

    with Client(address, set_as_default=False, timeout=START_TIMEOUT) as client:
        client.wait_for_workers(1, timeout=START_TIMEOUT)


def _stop(processes: list) -> list:
    """Stop every process and its descendants; returns those still alive afterwards."""
    family = []
    for proc in processes:
        try:
            family += [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(True)]
        except psutil.NoSuchProcess:
            pass
    for proc in reversed(processes):  # the worker first, then the scheduler
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    _, alive = psutil.wait_procs(family, timeout=20)
    for leftover in alive:
        leftover.kill()
    return [p.pid for p in alive]


@pytest.fixture
def executor(deployment):
    return DaskExecutor(address=deployment.address)


# -- the tests ------------------------------------------------------------------------------

def test_task_bodies_run_in_the_separate_worker_process(deployment, executor):
    with Flow("f") as flow:
        t = task(dask_tasks.where)()
    pid = flow.run(executor=executor).result[t].result["pid"]
    worker_processes = psutil.Process(deployment.worker.pid).children(recursive=True)
    assert pid in {p.pid for p in worker_processes} and pid != os.getpid()


def test_mapped_children_and_their_reduction_on_the_separate_worker(executor):
    with Flow("f") as flow:
        squares = task(dask_tasks.square).map(list(range(10)))
        t = task(dask_tasks.total)(squares)
    state = flow.run(executor=executor)
    assert type(state) is st.Success and state.result[t].result == 285


def test_a_result_that_cannot_come_back_fails_the_task_on_the_separate_worker(executor):
    with Flow("f") as flow:
        t = task(dask_tasks.lock, name="make_lock")()
    state = flow.run(executor=executor).result[t]
    assert type(state) is st.Failed and "'make_lock'" in state.message


DASK_CASES = sorted(name for name in set(CASES) - set(DIVERGENCES) if "dask" in runs_on(name))


@pytest.mark.reference
@pytest.mark.parametrize("name", DASK_CASES)
def test_catalog_case_ends_as_under_prefect_on_separate_processes(name, executor,
                                                                  prefect_reference):
    assert runner.summarise("flowbook", CASES[name], executor) == prefect_reference(CASES[name])
