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


@pytest.fixture(scope="session")
def prefect_reference():
    """A callable `source -> summary` that runs a case under Prefect 1.4.1."""
    try:
        python = prefect_env.ensure_prefect_python()
    except prefect_env.PrefectEnvError as exc:
        pytest.fail(str(exc), pytrace=False)
    server = runner.ReferenceServer(python)
    yield server
    server.close()


@pytest.fixture(scope="session")
def flowbook_run():
    """A callable `source -> summary` that runs a case under flowbook in this process."""
    return lambda source: runner.summarise("flowbook", source)


@pytest.fixture(scope="session")
def differential(prefect_reference, flowbook_run):
    """A callable `source -> None` that fails unless both engines summarise it the same."""
    def check(source: str) -> None:
        expected = prefect_reference(source)
        assert_same_outcome(flowbook_run(source), expected, source)
    return check


def assert_same_outcome(flowbook_summary: dict, prefect_summary: dict, source: str) -> None:
    """Fail with a line diff of the two summaries (and the case) when they differ."""
    if flowbook_summary == prefect_summary:
        return
    diff = difflib.unified_diff(
        _lines(prefect_summary), _lines(flowbook_summary),
        fromfile="prefect 1.4.1", tofile="flowbook", lineterm="",
    )
    pytest.fail("flowbook and Prefect 1.4.1 disagree:\n" + "\n".join(diff)
                + "\n\ncase:\n" + source, pytrace=False)


def _lines(summary: dict) -> list[str]:
    """One line per task row, so a diff points at the tasks that differ."""
    head = {k: v for k, v in summary.items() if k != "tasks"}
    return [json.dumps(head, sort_keys=True)] + [json.dumps(row) for row in summary.get("tasks", [])]
