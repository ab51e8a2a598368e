"""The comparison's plain-language verdict (evaluate.compare.verdict) on hand-made figures."""

from __future__ import annotations

import pandas as pd

from cme_eval.evaluate.compare import COLUMNS, verdict


def _table(rows):
    return pd.DataFrame([dict(zip(COLUMNS, ("", "All", 1000, 0, 0, *r), strict=True))
                         for r in rows]).assign(scenario=["base", "a", "b"])


def test_the_what_if_saving_most_review_hours_buys_most_and_hidden_children_are_named():
    #              not_matched review_hours true_cme found false_potential
    table = _table([(100, 60.0, 10, 10, 90),
                    (80, 50.0, 10, 10, 70),
                    (40, 20.0, 10, 8, 32)])
    lines = verdict(table, "base")
    assert lines[0].startswith("Of the what-ifs compared, b buys most: it saves 40 of 60")
    a, b = lines[1], lines[2]
    assert a.startswith("a: 80 records not matched (baseline 100), 20 fewer")
    assert "linked to another child's record" not in a
    assert "But 2 truly missing children are linked to another child's record" in b
