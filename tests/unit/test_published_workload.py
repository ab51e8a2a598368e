"""Published-vs-reproduced definitions and the review workload arithmetic."""

from __future__ import annotations

import pandas as pd
import pytest

from cme_eval.calibration.measures import Figures
from cme_eval.calibration.targets import load_targets
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


TARGETS = load_targets("pilot-2025")
SEVEN = (*FIVE, "Cardiff", "Powys")
TARGETS_BY_KEY = {t.key: t for t in TARGETS}


def _compare(authorities=SEVEN, scale=1.0, subset=FIVE):
    t51, t61 = _seven()
    return compare(Figures(t51, t61), TARGETS, scale, authorities=authorities,
                   subset=subset).set_index("target")


def test_shares_and_counts_are_of_the_declared_five_only():
    out = _compare()
    received = out.loc["received"]
    assert received["published"] == 93_024
    assert received["reproduced"] == 5 * 20_000 + 10 * (0 + 1 + 2 + 3 + 4)  # not the seven
    assert not received["within_tolerance"]  # 100,100 is more than 3% above 93,024
    assert out.loc["not_matched", "reproduced"] == 6_010
    assert out.loc["perfect_share", "reproduced"] == pytest.approx(
        (100_100 - 6_010 - 25_000) / 100_100)
    assert out.loc["largest_la_received", "reproduced"] == 20_040
    assert not out.loc["largest_la_received", "within_tolerance"]  # far below 33,000
    assert out.loc["most_la_not_matched", "reproduced"] == 1_204
    assert out.loc["potential_cme", "reproduced"] == 5_000
    assert out.loc["cme_known_before", "within_tolerance"]  # 350 vs 348
    assert out.loc["nhs_records", "reproduced"] == 5 * 20_000 + 2 * 50_000 + 10 * 21
    assert out["applicable"].all()


def test_a_whole_percent_is_judged_by_rounding():
    out = _compare()
    partial = out.loc["partial_share"]  # 25,000 of 100,100 received: 24.98%, rounds to 25%
    assert partial["published"] == 0.26 and partial["tolerance"] == "rounds to 26%"
    assert partial["reproduced"] == pytest.approx(25_000 / 100_100, abs=1e-6)
    assert not partial["within_tolerance"]
    assert "section 5.2.3" in partial["source"]


def test_counts_do_not_apply_at_another_scale_unless_scaled():
    out = _compare(scale=0.5)
    counts = out[[TARGETS_BY_KEY[k].kind == "count" for k in out.index[:-1]] + [False]]
    assert len(counts) == 10 and not counts["applicable"].any()
    assert (counts["note"] == "a count at full size; this run is at scale 0.5").all()
    t51, t61 = _seven()
    scaled = compare(Figures(t51, t61), TARGETS, 0.5, authorities=SEVEN, subset=FIVE,
                     scaled=True).set_index("target")
    assert scaled.loc["received", "reproduced"] == 2 * 100_100 and scaled.loc[
        "received", "applicable"]


def test_a_run_is_judged_only_on_the_targets_whose_scope_it_covers():
    # issue 24: a Powys-only run is compared with the per-LA ranges, not the five's shares
    one = _compare(authorities=("Powys",))
    applies = one[one["applicable"]].index.tolist()
    assert applies == ["each_la_matched_low", "each_la_matched_high", "table_5_1_adds_up"]
    assert one.loc["perfect_share", "note"].endswith("this run lacks Rhondda Cynon Taf, "
                                                     "Carmarthenshire, Gwynedd, Monmouthshire, "
                                                     "Isle of Anglesey")
    assert one.loc["perfect_share", "within_tolerance"] == ""
    assert one.loc["nhs_records", "note"] == "a figure of all seven pilot LAs; this run has 1"
    elsewhere = _compare(authorities=("Newport",))
    assert elsewhere["applicable"].sum() == 1  # only 'Table 5.1 adds up'
    assert "the published figures are of the pilot LAs" in elsewhere.loc[
        "each_la_matched_low", "note"]
    nothing = _compare(subset=())
    assert "declares no published subset" in nothing.loc["received", "note"]


def test_without_targets_only_the_addition_is_checked():
    t51, t61 = _seven()
    out = compare(Figures(t51, t61), None, authorities=SEVEN)
    assert out["target"].tolist() == ["table_5_1_adds_up"] and out["within_tolerance"].all()


def test_review_hours_follow_the_documented_minutes():
    out = review_workload(_t51(), minutes_per_partial=2, minutes_per_follow_up=30).set_index(
        "authority")
    assert out.loc["A", "hours_checking_partials"] == pytest.approx(260 * 2 / 60, abs=0.05)
    assert out.loc["A", "hours_following_up"] == pytest.approx(30.0)
    assert out.loc["All", "hours_total"] == pytest.approx(380 * 2 / 60 + 45, abs=0.1)
    # calibration: the evaluation's list of 940 unmatched records -> "nearly 500 hours"
    assert 940 * 30 / 60 == pytest.approx(470)


def test_a_small_run_is_held_to_the_published_interval_widened_by_its_own_chance():
    t51, t61 = _seven()
    full = compare(Figures(t51, t61), TARGETS, 1.0, authorities=SEVEN,
                   subset=FIVE).set_index("target")
    small = compare(Figures(t51, t61), TARGETS, 0.01, authorities=SEVEN,
                    subset=FIVE).set_index("target")
    assert full.loc["perfect_share", "tolerance"] == "rounds to 68%"
    assert small.loc["perfect_share", "tolerance"].startswith("at scale 0.01: ")
    assert small.loc["perfect_share", "tolerance"].endswith(
        ", 2 standard errors wider than rounds to 68%")
    # 69.0% perfect: outside 67.5-68.5%, and outside the widened interval too, since 100,100
    # records leave little to chance (+/- 0.3 points)
    assert not full.loc["perfect_share", "within_tolerance"]
    assert not small.loc["perfect_share", "within_tolerance"]
    tiny = _seven()[0].assign(received=lambda t: t["received"] // 1000,
                              perfect_match=lambda t: t["perfect_match"] // 1000)
    few = compare(Figures(tiny, _seven()[1]), TARGETS, 0.01, authorities=SEVEN,
                  subset=FIVE).set_index("target")
    assert few.loc["perfect_share", "within_tolerance"]  # 100 records: chance could do it
