"""cme_eval.evaluate.follow_up.potential_cme_breakdown: potential CME counted by true status."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
from pandas.testing import assert_frame_equal

from cme_eval.evaluate.follow_up import (
    BREAKDOWN_COLUMNS,
    follow_up,
    potential_cme_breakdown,
    true_status_of,
)


def test_counts_and_resolved_per_true_status_in_the_published_column_order():
    followed = pd.DataFrame({
        "record_id": ["N1", "N2", "N3", "N4", "N5"],
        "true_status": ["missing_unknown", "ehe_unknown", "ehe_unknown", "independent",
                        "ehe_unknown"],
        "resolved": [False, True, False, True, True],
    })
    out = potential_cme_breakdown(followed, "Powys")
    expected = pd.DataFrame({
        "authority": ["Powys"] * 3,
        "true_status": ["ehe_unknown", "independent", "missing_unknown"],  # sorted by status
        "potential_cme": [3, 1, 1],
        "resolved_by_follow_up": [2, 1, 0],
    })
    assert list(out.columns) == BREAKDOWN_COLUMNS
    assert_frame_equal(out, expected)


def test_no_potential_cme_gives_an_empty_table_with_the_columns():
    followed = pd.DataFrame({"record_id": pd.Series([], dtype=object),
                             "true_status": pd.Series([], dtype=object),
                             "resolved": pd.Series([], dtype=bool)})
    out = potential_cme_breakdown(followed, "Powys")
    assert out.empty
    assert list(out.columns) == BREAKDOWN_COLUMNS


def test_breakdown_of_follow_up_adds_up_to_table_6_1s_unresolved():
    outcomes = pd.DataFrame({"record_id": ["N1", "N2", "N3", "I1"],
                             "source": ["nwssp", "nwssp", "nwssp", "independent"],
                             "outcome": ["not_matched", "not_matched", "perfect", "not_matched"]})
    truth_records = pd.DataFrame({"record_id": ["N1", "N2", "N3", "I1"],
                                  "person_id": ["p1", "p2", "p3", "p4"]})
    truth_people = pd.DataFrame({"person_id": ["p1", "p2", "p3", "p4"],
                                 "status": ["missing_unknown", "ehe_unknown",
                                            "maintained_own_la", "independent"]})
    # Only what follow_up reads of a scenario; probability 1 or 0 makes every draw certain.
    scenario = SimpleNamespace(seed=1, follow_up=SimpleNamespace(
        resolve_probability={"ehe_unknown": 1.0}))
    followed = follow_up(scenario, "Powys", outcomes,
                         true_status_of(outcomes, truth_records, truth_people))
    out = potential_cme_breakdown(followed, "Powys")
    assert out["potential_cme"].sum() == 2  # unmatched NHS records only
    unresolved = int((out["potential_cme"] - out["resolved_by_follow_up"]).sum())
    assert unresolved == int((~followed["resolved"]).sum()) == 1
