"""An LA may hold an empty dataset (no CME register yet, no school returned): nothing breaks."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cme_eval.inputs.standardise import standardise
from cme_eval.linkage import default_spec, link_source

COLUMNS = ["record_id", "source", "forename", "surname", "dob", "address", "postcode"]


def test_standardising_an_empty_frame_gives_every_comparison_column():
    out = standardise(pd.DataFrame(columns=COLUMNS, dtype=str), reference_year=2025)
    assert len(out) == 0
    for column in ("forename_std", "dob_std", "postcode_std", "postcode_sector",
                   "postcode_district", "address_std", "house_number", "issues"):
        assert column in out.columns, column


def test_linking_against_an_empty_frame_leaves_every_record_with_an_outcome():
    left = pd.DataFrame([["L1", "nwssp", "Nia", "Rees", "2014-01-02", "1 A St", "CF10 1AA"]],
                        columns=COLUMNS)
    right = pd.DataFrame(columns=[*COLUMNS, "dataset"], dtype=str)
    out = link_source(left, right, default_spec(), reference_date=dt.date(2025, 4, 30))
    assert out["record_id"].tolist() == ["L1"]
    assert out["outcome"].tolist() == ["not_matched"]
