"""Property-based differential tests: random flows end the same under flowbook and Prefect 1.4.1.

Each example is a random DAG (see `reference/dags.py`) rendered to case source and run by
both engines; the mapped tests also map some tasks over a list. Prefect runs each example
once; flowbook runs it on the local and the thread executor. 300 examples each by default
(FLOWBOOK_DIFF_EXAMPLES sets more or fewer); the Dask tests draw a fifth as many
(FLOWBOOK_DIFF_DASK_EXAMPLES), since every task there is a round trip to a worker process.
"""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from reference.dags import dags, render

EXAMPLES = int(os.environ.get("FLOWBOOK_DIFF_EXAMPLES", "300"))
DASK_EXAMPLES = int(os.environ.get("FLOWBOOK_DIFF_DASK_EXAMPLES", str(max(1, EXAMPLES // 5))))
IN_KERNEL = ("local", "threads")

differential_settings = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow],
)
dask_settings = settings(differential_settings, max_examples=DASK_EXAMPLES)
# A Prefect run of a mapped flow takes up to ~0.3 s; leave room for shrinking.
generous_timeout = pytest.mark.timeout(max(300, EXAMPLES))


@pytest.mark.reference
@generous_timeout
@differential_settings
@given(dag=dags())
def test_random_flows_match_prefect(dag, differential):
    source = render(dag)
    for executor in IN_KERNEL:
        differential(source, executor)


@pytest.mark.reference
@generous_timeout
@differential_settings
@given(dag=dags(mapping=True))
def test_random_mapped_flows_match_prefect(dag, differential):
    source = render(dag)
    for executor in IN_KERNEL:
        differential(source, executor)


@pytest.mark.reference
@generous_timeout
@dask_settings
@given(dag=dags())
def test_random_flows_match_prefect_on_dask(dag, differential):
    differential(render(dag), "dask")


@pytest.mark.reference
@generous_timeout
@dask_settings
@given(dag=dags(mapping=True))
def test_random_mapped_flows_match_prefect_on_dask(dag, differential):
    differential(render(dag), "dask")
