"""Published-vs-reproduced definitions and the review workload arithmetic."""

from __future__ import annotations

import pandas as pd
import pytest

from cme_eval.evaluate.published import compare, published_table_5_1_adds_up
from cme_eval.evaluate.workload import review_workload


def _t51():
    rows = []
    for la, rec, perf, part, nm in [("A", 1000, 680, 260, 60), ("B", 500, 350, 120, 30)]:
        rows.append([la, "NWSSP", rec, perf, part, nm, 0])
        rows.append([la, "Independent schools", 0, 0, 0, 0, 0])
        rows.append([la, "Total", rec, perf, part, nm, 0])
    rows.append(["All", "NWSSP", 1500, 1030, 380, 90, 0])
    rows.append(["All", "Independent schools", 0, 0, 0, 0, 0])
    rows.append(["All", "Total", 1500, 1030, 380, 90, 0])
    return pd.DataFrame(rows, columns=["authority", "source", "received", "perfect_match",
                                       "partial_match", "not_matched", "out_of_scope"])


def _t61():
    return pd.DataFrame({"authority": ["A", "B", "All"], "cme_known_before": [4, 2, 6],
                         "cme_known_after": [30, 14, 44],
                         "potential_cme_identified": [60, 30, 90]})


def test_the_published_table_5_1_is_reported_as_not_adding_up():
    ok, check = published_table_5_1_adds_up()
    assert not ok
    assert "67,768 + independent schools 756 = 68,524 vs total received 93,024" in check


def test_shares_are_of_records_received_and_tolerances_applied():
    out = compare(_t51(), _t61(), scale=0.01).set_index("measure")
    perfect = out.loc["perfect match, share of records received"]
    assert perfect["reproduced"] == pytest.approx(1030 / 1500)
    assert perfect["within_tolerance"]
    lowest = out.loc["lowest matched share of an LA"]
    assert lowest["reproduced"] == pytest.approx(940 / 1000)
    nhs = out.loc["NHS records sent to the seven LAs (at full scale)"]
    assert nhs["reproduced"] == 150_000 and not nhs["within_tolerance"]  # 1,500 x 100
    before = out.loc["CME known before, share of records received"]
    assert before["published"] == pytest.approx(348 / 93024, abs=1e-6)  # stored to 6 places
    assert before["reproduced"] == pytest.approx(6 / 1500)
    assert out.loc["Table 5.1 adds up (received = sum of outcomes; sources = total)",
                   "within_tolerance"]


def test_review_hours_follow_the_documented_minutes():
    out = review_workload(_t51(), minutes_per_partial=2, minutes_per_follow_up=30).set_index(
        "authority")
    assert out.loc["A", "hours_checking_partials"] == pytest.approx(260 * 2 / 60, abs=0.05)
    assert out.loc["A", "hours_following_up"] == pytest.approx(30.0)
    assert out.loc["All", "hours_total"] == pytest.approx(380 * 2 / 60 + 45, abs=0.1)
    # calibration: the evaluation's list of 940 unmatched records -> "nearly 500 hours"
    assert 940 * 30 / 60 == pytest.approx(470)
