"""Disclosure control: [c] for 1-4, secondary suppression so nothing can be subtracted back,
rounding to 5 for the rest, and exact counts for synthetic runs unless asked."""

from __future__ import annotations

import pandas as pd
import pytest

from cme_eval.report.disclosure import SUPPRESSED, Additivity, protect

COUNTS = ["received", "perfect_match", "partial_match", "not_matched", "out_of_scope"]
T51 = Additivity(row_total="received", row_parts=tuple(COUNTS[1:]), group_by="authority")


def _t51(rows):
    return pd.DataFrame(rows, columns=["authority", "source", *COUNTS])


def test_small_counts_are_suppressed_and_the_rest_rounded_to_five():
    table = _t51([["A", "NWSSP", 1002, 700, 290, 12, 0]])
    out = protect(table, COUNTS, Additivity())
    assert out.iloc[0][COUNTS].tolist() == ["1000", "700", "290", "10", "0"]


def test_zero_is_not_suppressed_but_one_to_four_are():
    table = _t51([["A", "NWSSP", 10, 1, 4, 5, 0]])
    out = protect(table, COUNTS, Additivity())
    assert out.iloc[0][COUNTS].tolist() == ["10", SUPPRESSED, SUPPRESSED, "5", "0"]


def test_a_lone_suppressed_part_of_a_row_takes_the_next_smallest_with_it():
    # 3 alone could be worked back as 100 - 60 - 30 - 7; so the 7 is suppressed too
    table = _t51([["A", "NWSSP", 100, 60, 30, 7, 3]])
    out = protect(table, COUNTS, Additivity(row_total="received", row_parts=tuple(COUNTS[1:])))
    assert out.iloc[0][COUNTS].tolist() == ["100", "60", "30", SUPPRESSED, SUPPRESSED]


def test_suppression_is_closed_across_the_rows_of_a_group_too():
    table = _t51([
        ["A", "NWSSP", 100, 60, 30, 8, 2],
        ["A", "Independent schools", 20, 10, 6, 2, 2],
        ["A", "Total", 120, 70, 36, 10, 4],
    ])
    out = protect(table, COUNTS, T51)
    hidden = out[COUNTS].eq(SUPPRESSED)
    # no row and no column of the group has exactly one suppressed cell
    assert (hidden.sum(axis=1) != 1).all()
    assert (hidden.sum(axis=0) != 1).all()
    assert hidden.loc[0, "out_of_scope"] and hidden.loc[2, "out_of_scope"]


@pytest.mark.parametrize("real_data, disclosure_control, protected", [
    (False, False, False), (True, False, True), (False, True, True)])
def test_runs_protect_only_when_real_or_asked(real_data, disclosure_control, protected):
    """Real data are protected unless released unprotected on request (next test)."""
    from cme_eval.config import load_scenario
    from cme_eval.report.outputs import released

    scenario = load_scenario("smoke", overrides={"report": {
        "real_data": real_data, "disclosure_control": disclosure_control}})
    t51 = _t51([["A", "NWSSP", 10, 3, 2, 5, 0]])
    frames = {"table_5_1": t51, "table_6_1": pd.DataFrame(
        {"authority": ["A"], "cme_known_before": [2], "cme_known_after": [9],
         "potential_cme_identified": [12]}),
        "potential_cme_breakdown": pd.DataFrame({"authority": ["A"], "true_status": ["x"],
                                                 "potential_cme": [3],
                                                 "resolved_by_follow_up": [1]}),
        "review_workload": pd.DataFrame({
            "authority": ["A"], "partial_matches": [2], "unmatched_follow_ups": [12],
            "minutes_per_partial_check": [2.0], "minutes_per_follow_up": [30.0],
            "hours_checking_partials": [0.1], "hours_following_up": [6.0],
            "hours_total": [6.1]})}
    out = released(scenario, frames, has_truth=True)
    assert (out["table_5_1"].iloc[0]["perfect_match"] == SUPPRESSED) == protected
    assert (out["table_6_1"].iloc[0]["cme_known_before"] == SUPPRESSED) == protected
    hours = out["review_workload"].iloc[0]["hours_checking_partials"]
    assert (hours == SUPPRESSED) == protected  # 2 partial matches: hours would give them away


@pytest.mark.parametrize("real_data, unprotected, disclosure_control, protected", [
    (True, True, False, False), (True, True, True, True), (False, True, False, False)])
def test_real_data_go_unprotected_only_on_explicit_request(real_data, unprotected,
                                                          disclosure_control, protected):
    from cme_eval.config import load_scenario

    scenario = load_scenario("smoke", overrides={"report": {
        "real_data": real_data, "release_unprotected": unprotected,
        "disclosure_control": disclosure_control}})
    assert scenario.report.protect == protected
