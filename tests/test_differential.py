"""Differential tests: every catalog case ends the same under flowbook and Prefect 1.4.1.

"The same" means the same flow state class and, for every task (and mapped child), the
same state class and result; or the same kind of error when the case raises.
"""
from __future__ import annotations

import pytest
from reference.cases import CASES


@pytest.mark.reference
@pytest.mark.parametrize("name", sorted(CASES))
def test_flowbook_matches_prefect(name, differential):
    differential(CASES[name])
