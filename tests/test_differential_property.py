"""Property-based differential test: random flows end the same under flowbook and Prefect 1.4.1.

Each example is a random DAG (see `reference/dags.py`) rendered to case source and run by
both engines. 300 examples by default; set FLOWBOOK_DIFF_EXAMPLES to run more.
"""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from reference.dags import dags, render

EXAMPLES = int(os.environ.get("FLOWBOOK_DIFF_EXAMPLES", "300"))


@pytest.mark.reference
@pytest.mark.timeout(max(300, EXAMPLES))
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dag=dags())
def test_random_flows_match_prefect(dag, differential):
    differential(render(dag))
