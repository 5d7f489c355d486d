"""Differential tests: every catalog case ends the same under flowbook and Prefect 1.4.1.

"The same" means the same flow state class and, for every task (and mapped child), the
same state class and result; or the same kind of error when the case raises. Each case runs
on every flowbook executor (`reference.cases.EXECUTORS`) but those `ONLY_ON` excludes;
Prefect runs it once.
"""
from __future__ import annotations

import pytest
from reference.cases import CASES, DIVERGENCES, EXECUTORS, ONLY_ON, runs_on

MATCHING = [(name, executor) for name in sorted(set(CASES) - set(DIVERGENCES))
            for executor in runs_on(name)]


@pytest.mark.reference
@pytest.mark.parametrize(("name", "executor"), MATCHING)
def test_flowbook_matches_prefect(name, executor, differential):
    differential(CASES[name], executor)


@pytest.mark.reference
@pytest.mark.parametrize("executor", EXECUTORS)
@pytest.mark.parametrize("name", sorted(DIVERGENCES))
def test_deliberate_divergence_is_exactly_as_documented(name, executor, prefect_reference,
                                                        flowbook_run):
    prefect_expected, flowbook_expected, why = DIVERGENCES[name]
    assert why
    assert prefect_reference(CASES[name]) == prefect_expected
    assert flowbook_run(CASES[name], executor) == flowbook_expected


def test_every_executor_limit_names_a_case_and_says_why():
    for name, (executors, why) in ONLY_ON.items():
        assert name in CASES and why and set(executors) < set(EXECUTORS)
