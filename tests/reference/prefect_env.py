"""Build (once) and locate the Prefect 1.4.1 virtual environment the differential tests use.

Prefect 1.4.1 is only a reference for the tests: it lives in its own virtual environment,
is never a flowbook dependency and is never imported by the test process itself.

Location: ``$FLOWBOOK_PREFECT_VENV``, else ``~/.cache/flowbook/prefect-1.4.1``. The base
interpreter is ``$FLOWBOOK_PREFECT_BASE_PYTHON``, else the one running the tests. A marker
file is written only after a successful install and import check, so an environment left
half-built (an interrupted install, changed constraints) is installed again next time.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["ensure_prefect_python", "PrefectEnvError", "venv_dir"]

PREFECT_VERSION = "1.4.1"
CONSTRAINTS = Path(__file__).with_name("prefect-constraints.txt")
MARKER = ".flowbook-prefect-ok"


class PrefectEnvError(RuntimeError):
    """The Prefect reference environment could not be built."""


def venv_dir() -> Path:
    """Where the reference environment lives."""
    configured = os.environ.get("FLOWBOOK_PREFECT_VENV")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "flowbook" / f"prefect-{PREFECT_VERSION}"


def ensure_prefect_python() -> Path:
    """The reference environment's python, building the environment first if needed."""
    venv = venv_dir()
    python = venv / "bin" / "python"
    if _marker_is_current(venv):
        return python
    venv.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock(venv):
        if not _marker_is_current(venv):  # another process may have built it meanwhile
            _build(venv, python)
    return python


def _expected_marker() -> str:
    digest = hashlib.sha256(CONSTRAINTS.read_bytes()).hexdigest()
    return f"prefect=={PREFECT_VERSION} constraints-sha256={digest}\n"


def _marker_is_current(venv: Path) -> bool:
    marker = venv / MARKER
    return marker.is_file() and marker.read_text() == _expected_marker()


@contextlib.contextmanager
def _build_lock(venv: Path):
    """Serialise builds between concurrent test sessions on one machine."""
    import fcntl

    with open(venv.parent / f".{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _build(venv: Path, python: Path) -> None:
    (venv / MARKER).unlink(missing_ok=True)
    if not _runs(python):
        shutil.rmtree(venv, ignore_errors=True)
        base = os.environ.get("FLOWBOOK_PREFECT_BASE_PYTHON", sys.executable)
        _step([base, "-m", "venv", str(venv)], "create the virtual environment")
    _step(
        [str(python), "-m", "pip", "install", "--quiet",
         f"prefect=={PREFECT_VERSION}", "-c", str(CONSTRAINTS)],
        f"install prefect=={PREFECT_VERSION}",
    )
    _step(
        [str(python), "-c",
         f"import prefect; assert prefect.__version__ == {PREFECT_VERSION!r}, prefect.__version__"],
        "import the installed prefect",
    )
    (venv / MARKER).write_text(_expected_marker())


def _runs(python: Path) -> bool:
    if not python.exists():
        return False
    return subprocess.run([str(python), "-c", "pass"], capture_output=True).returncode == 0


def _step(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip()[-4000:]
        raise PrefectEnvError(
            f"Could not {what} for the Prefect {PREFECT_VERSION} reference environment "
            f"in {venv_dir()} (exit {done.returncode}):\n  {' '.join(command)}\n{output}\n"
            "Check that PyPI is reachable and the base Python can run Prefect 1 "
            "(3.11 works; choose another with FLOWBOOK_PREFECT_BASE_PYTHON), "
            "or point FLOWBOOK_PREFECT_VENV at a working environment."
        )


if __name__ == "__main__":
    print(ensure_prefect_python())
