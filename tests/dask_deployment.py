"""A dask.distributed deployment for the tests: `dask scheduler` and `dask worker` started as
separate processes on 127.0.0.1, as a user would start them, and stopped without survivors.

The workers get this directory on their PYTHONPATH, so they import `dask_tasks` by name.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil  # a dependency of distributed

__all__ = ["Deployment", "start", "stop"]

TESTS = Path(__file__).resolve().parent
DASK = Path(sys.executable).with_name("dask")
START_TIMEOUT = 60  # seconds for the scheduler file to appear and the workers to join
WORKERS = 2  # worker processes (each a nanny and its worker)
THREADS = 2  # threads per worker


@dataclass
class Deployment:
    """A scheduler and workers running as processes of their own."""

    address: str = ""  # the scheduler's tcp://127.0.0.1:PORT
    scheduler: subprocess.Popen | None = None  # the `dask scheduler` process
    worker: subprocess.Popen | None = None  # the `dask worker` process (nannies under it)
    logs: list = field(default_factory=list)  # the open log files, closed by stop()

    def processes(self) -> list:
        return [p for p in (self.worker, self.scheduler) if p is not None]


def start(folder: Path) -> Deployment:
    """Start a scheduler and WORKERS workers; stop them again if anything fails."""
    deployment = Deployment()
    try:
        deployment.scheduler = _spawn(
            deployment, folder, "scheduler",
            ["scheduler", "--host", "127.0.0.1", "--port", "0",
             "--dashboard-address", "127.0.0.1:0", "--scheduler-file", folder / "scheduler.json"])
        deployment.address = _scheduler_address(folder / "scheduler.json", deployment.scheduler)
        deployment.worker = _spawn(
            deployment, folder, "worker",
            ["worker", deployment.address, "--nworkers", str(WORKERS), "--nthreads",
             str(THREADS), "--host", "127.0.0.1", "--dashboard-address", "127.0.0.1:0",
             "--local-directory", folder / "worker", "--name", "flowbook-test"])
        _wait_for_workers(deployment.address)
    except BaseException:
        stop(deployment)
        raise
    return deployment


def stop(deployment: Deployment) -> list:
    """Stop every process of the deployment and their descendants; returns the pids still
    alive afterwards (killed at last, but their survival is a failure)."""
    family = []
    for proc in deployment.processes():
        try:
            root = psutil.Process(proc.pid)
            family += [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            pass
    for proc in deployment.processes():  # the worker first, then the scheduler
        _stop_group(proc)
    _, alive = psutil.wait_procs(family, timeout=20)
    for leftover in alive:
        leftover.kill()
    for log in deployment.logs:
        log.close()
    return [p.pid for p in alive]


def _spawn(deployment: Deployment, folder: Path, name: str, args: list) -> subprocess.Popen:
    """Start ``dask ARGS`` in a session of its own, so its whole group can be stopped."""
    paths = [str(TESTS), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    log = open(folder / f"{name}.log", "w")  # noqa: SIM115 - closed by stop()
    deployment.logs.append(log)
    return subprocess.Popen([str(DASK), *map(str, args)], stdout=log, stderr=subprocess.STDOUT,
                            env=env, start_new_session=True)


def _scheduler_address(path: Path, scheduler: subprocess.Popen) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if scheduler.poll() is not None:
            raise RuntimeError(f"dask scheduler exited with {scheduler.returncode}; see "
                               f"scheduler.log next to {path}")
        try:
            return json.loads(path.read_text())["address"]
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            time.sleep(0.1)
    raise TimeoutError(f"dask scheduler wrote no {path} within {START_TIMEOUT} s")


def _wait_for_workers(address: str) -> None:
    from distributed import Client

    with Client(address, set_as_default=False, timeout=START_TIMEOUT) as client:
        client.wait_for_workers(WORKERS, timeout=START_TIMEOUT)


def _stop_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
