"""cme_eval.link: any two DataFrames, one outcome row per left record, clear errors."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import cme_eval
from cme_eval.api import LinkInputError

REF = dt.date(2025, 4, 30)
LEFT_COLS = {"forename": "fn", "surname": "sn", "dob": "dob", "postcode": "pc"}
RIGHT_COLS = {"forename": "first", "surname": "last", "dob": "birth", "postcode": "post"}
BOTH = {"left": LEFT_COLS, "right": RIGHT_COLS}


def _left():
    return pd.DataFrame({"fn": ["Siân", "Tom", "X", "Nia"],
                         "sn": ["Jones", "Evans", None, "Rees"],
                         "dob": ["03/08/2014", "2013-02-01", "garbage", "2001-01-01"],
                         "pc": ["CF10 1AA", "75001", "", "LL55 1AA"]},
                        index=pd.Index(["a", "b", "c", "d"], name="nhs_id"))


def _right():
    return pd.DataFrame({"first": ["Sian", "Thomas", "Nia"], "last": ["Jones", "Evans", "Rees"],
                         "birth": pd.to_datetime(["2014-08-03", "2013-02-01", "2001-01-01"]),
                         "post": ["cf101aa", "75001", "LL55 1AA"]}, index=[10, 20, 30])


def test_one_row_per_left_record_keyed_by_the_left_index():
    out = cme_eval.link(_left(), _right(), columns=BOTH, reference_date=REF)
    assert out.index.tolist() == ["a", "b", "c", "d"]
    assert out.index.name == "nhs_id"
    assert out.loc["a", "outcome"] == "perfect" and out.loc["a", "matched_record_id"] == 10
    # Tom/Thomas is a known variant; a foreign postcode is compared as text and flagged
    assert out.loc["b", "outcome"] == "partial" and out.loc["b", "matched_record_id"] == 20
    assert "postcode invalid" in out.loc["b", "reason"]
    # an unreadable date and an empty surname: kept, in scope, and said so
    assert out.loc["c", "outcome"] == "not_matched" and out.loc["c", "matched_record_id"] is None
    assert "dob unreadable" in out.loc["c", "reason"]
    # born 2001: outside compulsory school age in 2025
    assert out.loc["d", "outcome"] == "out_of_scope"


def test_a_single_mapping_serves_both_frames():
    right = _right().rename(columns={"first": "fn", "last": "sn", "birth": "dob", "post": "pc"})
    out = cme_eval.link(_left(), right, columns=LEFT_COLS, reference_date=REF)
    assert out["matched_record_id"].tolist()[:2] == [10, 20]


@pytest.mark.parametrize("columns, message", [
    ({"left": LEFT_COLS, "right": {**RIGHT_COLS, "dob": "nope"}},
     r"right: column 'nope' \(for dob\) not found; columns: first, last, birth, post"),
    ({"left": {k: v for k, v in LEFT_COLS.items() if k != "dob"}, "right": RIGHT_COLS},
     "left: no column given for required field 'dob'"),
    ({"left": {**LEFT_COLS, "shoe_size": "fn"}, "right": RIGHT_COLS},
     "columns: unknown field 'shoe_size'"),
    ({"left": LEFT_COLS}, "columns: a mapping for the right frame is missing"),
])
def test_bad_mappings_name_the_frame_and_column(columns, message):
    with pytest.raises(LinkInputError, match=message):
        cme_eval.link(_left(), _right(), columns=columns, reference_date=REF)


def test_an_all_empty_required_column_is_refused():
    left = _left().assign(sn=None)
    with pytest.raises(LinkInputError, match="left: column 'sn' .* is empty in every row"):
        cme_eval.link(left, _right(), columns=BOTH, reference_date=REF)


def test_not_a_dataframe_is_refused():
    with pytest.raises(LinkInputError, match="left: expected a pandas DataFrame"):
        cme_eval.link([1, 2], _right(), columns=BOTH, reference_date=REF)


def test_every_engine_gives_one_row_per_left_record():
    for engine in ("recordlinkage", "splink", "excel_baseline"):
        out = cme_eval.link(_left(), _right(), columns=BOTH, engine=engine, reference_date=REF)
        assert out.index.tolist() == ["a", "b", "c", "d"], engine
        assert out.loc["a", "matched_record_id"] == 10, engine
