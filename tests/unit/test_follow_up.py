"""cme_eval.evaluate.follow_up: true status lookup and the documented follow-up model."""

from __future__ import annotations

import pandas as pd
from pandas.testing import assert_frame_equal, assert_series_equal

from cme_eval.config import load_scenario
from cme_eval.evaluate.follow_up import follow_up, true_status_of

OUTCOMES = pd.DataFrame({
    "record_id": ["N1", "N2", "N3", "N4", "I1"],
    "source": ["nwssp", "nwssp", "nwssp", "nwssp", "independent"],
    "outcome": ["not_matched", "perfect", "not_matched", "not_matched", "not_matched"],
}, index=[5, 6, 7, 8, 9])
TRUTH_RECORDS = pd.DataFrame({"record_id": ["I1", "N1", "N2", "N3", "N4"],
                              "person_id": ["p4", "p1", "p2", "p3", "p4"]})
TRUTH_PEOPLE = pd.DataFrame({"person_id": ["p1", "p2", "p3", "p4"],
                             "status": ["missing_unknown", "maintained_own_la", "ehe_unknown",
                                        "independent"]})


def test_true_status_of_follows_record_to_person_to_status():
    status = true_status_of(OUTCOMES, TRUTH_RECORDS, TRUTH_PEOPLE)
    expected = pd.Series(["missing_unknown", "maintained_own_la", "ehe_unknown", "independent",
                          "independent"], index=OUTCOMES.index, name="record_id")
    assert_series_equal(status, expected, check_names=False)


def _scenario(probabilities):
    return load_scenario("smoke", authorities=["Powys"],
                         overrides={"follow_up": {"resolve_probability": probabilities}})


def test_follow_up_covers_only_unmatched_nhs_records():
    status = true_status_of(OUTCOMES, TRUTH_RECORDS, TRUTH_PEOPLE)
    # defaults.yaml: ehe_unknown 0.3, independent 0.5; missing_unknown is never resolved.
    # Probabilities 1 and 0 make the outcome certain whatever the draws.
    scenario = _scenario({"ehe_unknown": 1.0, "independent": 0.0})
    frame = follow_up(scenario, "Powys", OUTCOMES, status)
    expected = pd.DataFrame({
        "record_id": ["N1", "N3", "N4"],
        "true_status": ["missing_unknown", "ehe_unknown", "independent"],
        "resolved": [False, True, False],
    })
    assert_frame_equal(frame, expected)


def test_truly_missing_children_are_never_resolved_even_with_every_other_probability_one():
    status = true_status_of(OUTCOMES, TRUTH_RECORDS, TRUTH_PEOPLE)
    scenario = load_scenario("smoke", authorities=["Powys"])
    assert "missing_unknown" not in scenario.follow_up.resolve_probability
    frame = follow_up(scenario, "Powys", OUTCOMES, status)
    assert not frame.loc[frame.true_status == "missing_unknown", "resolved"].any()
