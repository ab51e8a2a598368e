"""cme_eval.report.narrative: the sentences the report builds from its tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cme_eval.report.narrative import _twins_merged


def test_twins_merged_are_told_with_those_the_data_could_not_tell_apart():
    (sentence,) = _twins_merged(pd.Series({"twins_merged": 18, "twins_merged_alike": 15}))
    assert sentence.startswith("It linked 18 records to the record of the child's own twin")
    assert "in 15 of them the twins share a forename" in sentence


def test_without_the_truths_twins_nothing_is_said():
    # counts unknown (no twin_person_id in the truth), or read back from a CSV as text
    assert _twins_merged(pd.Series({"twins_merged": np.nan, "twins_merged_alike": np.nan})) == ()
    (sentence,) = _twins_merged(pd.Series({"twins_merged": "2", "twins_merged_alike": "0"}))
    assert "It linked 2 records" in sentence
