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


def test_a_run_is_judged_only_on_the_measures_that_apply_to_it():
    full = compare(_t51(), _t61(), scale=0.01).set_index("measure")
    assert full["applicable"].all() and (full["note"] == "").all()
    one = compare(_t51(), _t61(), scale=0.01, authorities=("Powys",)).set_index("measure")
    nhs = one.loc["NHS records sent to the seven LAs (at full scale)"]
    assert not nhs["applicable"] and nhs["within_tolerance"] == ""
    assert nhs["note"] == "a count of all seven pilot LAs; this run has 1"
    shares = one[one.index.str.contains("share")]
    assert shares["applicable"].all() and shares["within_tolerance"].map(type).eq(bool).all()
    elsewhere = compare(_t51(), _t61(), authorities=("Cardiff", "Newport")).set_index("measure")
    assert elsewhere["applicable"].sum() == 1  # only 'Table 5.1 adds up'
    assert "Newport took no part" in elsewhere["note"].iloc[0]


def test_the_report_names_the_las_a_run_covers():
    from cme_eval.report.build import covered
    from cme_eval.wales import PILOT_AUTHORITIES

    assert covered(PILOT_AUTHORITIES) == "the seven pilot local authorities"
    assert covered(["Powys"]) == "Powys"
    assert covered(["Cardiff", "Powys", "Gwynedd"]) == "Cardiff, Powys and Gwynedd"
    assert covered(list(PILOT_AUTHORITIES[:4])) == "4 local authorities"
