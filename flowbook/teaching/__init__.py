"""Teaching tools: trigger truth tables and self-checking exercises.

``truth_table.truth_table`` (called as ``flowbook.triggers.truth_table``) shows what a
trigger decides for every mix of upstream outcomes; ``expect.expect`` (called as
``flowbook.expect``) checks the states of a run and says, for each miss, why the task ended
as it did and what to change. Both are imported only when called.
"""

__all__: list = []
