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
    nhs = out.loc["NHS records sent to the seven LAs"]
    assert nhs["reproduced"] == 1_500 and not nhs["applicable"]  # a count, at scale 0.01
    assert nhs["note"] == "a count at full size; this run is at scale 0.01"
    assert not compare(_t51(), _t61()).set_index("measure").loc[
        "NHS records sent to the seven LAs", "within_tolerance"]  # 1,500 vs 167,000
    before = out.loc["CME known before, share of records received"]
    assert before["published"] == pytest.approx(348 / 93024, abs=1e-6)  # stored to 6 places
    assert before["reproduced"] == pytest.approx(6 / 1500)
    assert out.loc["Table 5.1 adds up (received = sum of outcomes; sources = total)",
                   "within_tolerance"]


FIVE = ("Rhondda Cynon Taf", "Carmarthenshire", "Gwynedd", "Monmouthshire", "Isle of Anglesey")


def _seven():
    """Tables 5.1 and 6.1 of seven pilot LAs: the five of FIVE, 20,000 received each with
    1,200 not matched, plus Cardiff and Powys with 50,000 and 9,000 not matched each."""
    rows, t6 = [], []
    las = [(la, 20_000, 1_200) for la in FIVE] + [("Cardiff", 50_000, 9_000),
                                                   ("Powys", 50_000, 9_000)]
    for i, (la, rec, nm) in enumerate(las):
        rec, nm = rec + 10 * i, nm + i  # different sizes, so smallest and largest are known
        rows.append([la, "Total", rec, rec - nm - 5_000, 5_000, nm, 0])
        t6.append([la, 70, 500, 1_000])
    frame = pd.DataFrame(rows, columns=["authority", "source", "received", "perfect_match",
                                        "partial_match", "not_matched", "out_of_scope"])
    pooled = frame.drop(columns=["authority", "source"]).sum()
    frame.loc[len(frame)] = ["All", "Total", *pooled]
    nwssp = frame.assign(source="NWSSP")
    t61 = pd.DataFrame(t6, columns=["authority", "cme_known_before", "cme_known_after",
                                    "potential_cme_identified"])
    t61.loc[len(t61)] = ["All", *t61.drop(columns="authority").sum()]
    return pd.concat([nwssp, frame], ignore_index=True), t61


def test_published_counts_are_compared_on_the_declared_five_only():
    t51, t61 = _seven()
    out = compare(t51, t61, subset=FIVE).set_index("measure")
    received = out.loc["records received, the five LAs (Table 5.1)"]
    assert received["published"] == 93_024
    assert received["reproduced"] == 5 * 20_000 + 10 * (0 + 1 + 2 + 3 + 4)  # not the seven
    assert received["within_tolerance"]  # 100,100 is within 10% of 93,024
    assert out.loc["records not matched, the five LAs (Table 5.1)", "reproduced"] == 6_010
    assert out.loc["records received by the largest of the five LAs (just over 33,000)",
                   "reproduced"] == 20_040
    assert not out.loc["records received by the largest of the five LAs (just over 33,000)",
                       "within_tolerance"]  # 20,040 is far below 33,000
    assert out.loc["most records not matched in one of the five LAs", "reproduced"] == 1_204
    assert out.loc["potential CME identified, the five LAs (Table 6.1)",
                   "reproduced"] == 5_000
    assert out.loc["CME known before the pilot, the five LAs (Table 6.1)",
                   "within_tolerance"]  # 350 vs 348
    assert out["applicable"].all()


def test_published_counts_do_not_apply_without_the_five_or_at_another_scale():
    t51, t61 = _seven()
    without = compare(t51, t61, subset=FIVE, authorities=("Cardiff", *FIVE[:4])
                      ).set_index("measure")
    row = without.loc["counts of Tables 5.1 and 6.1 (five LAs)"]
    assert not row["applicable"]
    assert row["note"] == "not compared: this run lacks Isle of Anglesey"
    scaled = compare(t51, t61, scale=0.5, subset=FIVE).set_index("measure")
    counts = scaled[scaled.index.str.contains("the five LAs|records sent")]
    assert len(counts) == 10 and not counts["applicable"].any()  # 1 + 9 counts
    assert (counts["note"] == "a count at full size; this run is at scale 0.5").all()
    assert scaled[scaled.index.str.contains("share")]["applicable"].all()


def test_review_hours_follow_the_documented_minutes():
    out = review_workload(_t51(), minutes_per_partial=2, minutes_per_follow_up=30).set_index(
        "authority")
    assert out.loc["A", "hours_checking_partials"] == pytest.approx(260 * 2 / 60, abs=0.05)
    assert out.loc["A", "hours_following_up"] == pytest.approx(30.0)
    assert out.loc["All", "hours_total"] == pytest.approx(380 * 2 / 60 + 45, abs=0.1)
    # calibration: the evaluation's list of 940 unmatched records -> "nearly 500 hours"
    assert 940 * 30 / 60 == pytest.approx(470)


def test_a_run_is_judged_only_on_the_measures_that_apply_to_it():
    full = compare(_t51(), _t61()).set_index("measure")
    counts = full.index.str.startswith("counts of Tables 5.1")
    assert full[~counts]["applicable"].all() and (full[~counts]["note"] == "").all()
    assert not full.loc["counts of Tables 5.1 and 6.1 (five LAs)", "applicable"]
    assert "declares no published subset" in full.loc["counts of Tables 5.1 and 6.1 (five LAs)",
                                                      "note"]
    one = compare(_t51(), _t61(), authorities=("Powys",)).set_index("measure")
    nhs = one.loc["NHS records sent to the seven LAs"]
    assert not nhs["applicable"] and nhs["within_tolerance"] == ""
    assert nhs["note"] == "a count of all seven pilot LAs; this run has 1"
    shares = one[one.index.str.contains("share")]
    assert shares["applicable"].all() and shares["within_tolerance"].map(type).eq(bool).all()
    elsewhere = compare(_t51(), _t61(), authorities=("Cardiff", "Newport")).set_index("measure")
    assert elsewhere["applicable"].sum() == 1  # only 'Table 5.1 adds up'
    assert "Newport took no part" in elsewhere["note"].iloc[0]


def test_the_report_names_the_las_a_run_covers():
    from cme_eval.report.narrative import covered
    from cme_eval.wales import PILOT_AUTHORITIES

    assert covered(PILOT_AUTHORITIES) == "the seven pilot local authorities"
    assert covered(["Powys"]) == "Powys"
    assert covered(["Cardiff", "Powys", "Gwynedd"]) == "Cardiff, Powys and Gwynedd"
    assert covered(list(PILOT_AUTHORITIES[:4])) == "4 local authorities"
