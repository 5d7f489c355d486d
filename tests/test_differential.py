"""Differential tests: every catalog case ends the same under flowbook and Prefect 1.4.1.

"The same" means the same flow state class and, for every task (and mapped child), the
same state class and result; or the same kind of error when the case raises.
"""
from __future__ import annotations

import pytest
from reference.cases import CASES, DIVERGENCES


@pytest.mark.reference
@pytest.mark.parametrize("name", sorted(set(CASES) - set(DIVERGENCES)))
def test_flowbook_matches_prefect(name, differential):
    differential(CASES[name])


@pytest.mark.reference
@pytest.mark.parametrize("name", sorted(DIVERGENCES))
def test_deliberate_divergence_is_exactly_as_documented(name, prefect_reference, flowbook_run):
    prefect_expected, flowbook_expected, why = DIVERGENCES[name]
    assert why
    assert prefect_reference(CASES[name]) == prefect_expected
    assert flowbook_run(CASES[name]) == flowbook_expected
