"""Property-based differential tests: random flows end the same under flowbook and Prefect 1.4.1.

Each example is a random DAG (see `reference/dags.py`) rendered to case source and run by
both engines; the second test also maps some tasks over a list. 300 examples each by
default; set FLOWBOOK_DIFF_EXAMPLES to run more (or fewer).
"""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from reference.dags import dags, render

EXAMPLES = int(os.environ.get("FLOWBOOK_DIFF_EXAMPLES", "300"))

differential_settings = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow],
)
# A Prefect run of a mapped flow takes up to ~0.3 s; leave room for shrinking.
generous_timeout = pytest.mark.timeout(max(300, EXAMPLES))


@pytest.mark.reference
@generous_timeout
@differential_settings
@given(dag=dags())
def test_random_flows_match_prefect(dag, differential):
    differential(render(dag))


@pytest.mark.reference
@generous_timeout
@differential_settings
@given(dag=dags(mapping=True))
def test_random_mapped_flows_match_prefect(dag, differential):
    differential(render(dag))
