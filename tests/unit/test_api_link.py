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


# -- school_age_only, one_to_one, date_order and multi-column addresses (issue 11) -------------


def test_school_age_only_false_puts_every_record_in_scope():
    out = cme_eval.link(_left(), _right(), columns=BOTH, reference_date=REF,
                        school_age_only=False)
    # born 2001: out of scope by default (see above), matched when every record is in scope
    assert out.loc["d", "outcome"] == "perfect" and out.loc["d", "matched_record_id"] == 30
    assert "out_of_scope" not in set(out["outcome"])


def _duplicates():
    left = pd.DataFrame({"fn": ["Sian", "Sian", "Tom"], "sn": ["Jones", "Jones", "Evans"],
                         "dob": ["2014-08-03", "2014-08-03", "2013-02-01"],
                         "pc": ["CF10 1AA", "CF10 1AA", "SA1 1AA"]}, index=["x1", "x2", "y"])
    right = pd.DataFrame({"fn": ["Sian", "Tom"], "sn": ["Jones", "Evans"],
                          "dob": ["2014-08-03", "2013-02-01"], "pc": ["CF10 1AA", "SA1 1AA"]},
                         index=["r1", "r2"])
    return left, right


def test_one_to_one_false_lets_duplicates_share_a_right_record():
    left, right = _duplicates()
    once = cme_eval.link(left, right, columns=LEFT_COLS, reference_date=REF)
    # one-to-one by default: the copy takes its match as a duplicate, for review
    assert once["matched_record_id"].tolist() == ["r1", "r1", "r2"]
    assert once["outcome"].tolist().count("perfect") == 2
    assert once["reason"].str.startswith("duplicate of").sum() == 1
    shared = cme_eval.link(left, right, columns=LEFT_COLS, reference_date=REF,
                           one_to_one=False)
    assert shared["matched_record_id"].tolist() == ["r1", "r1", "r2"]
    assert set(shared["outcome"]) == {"perfect"}


def _dated(left_dobs, right_dobs):
    left = pd.DataFrame({"fn": ["Ann", "Ben", "Cai"], "sn": ["Ray", "Rees", "Roe"],
                         "dob": left_dobs, "pc": ["CF10 1AA", "CF10 1AB", "CF10 1AD"]})
    right = pd.DataFrame({"fn": ["Ann", "Ben", "Cai"], "sn": ["Ray", "Rees", "Roe"],
                          "dob": right_dobs, "pc": ["CF10 1AA", "CF10 1AB", "CF10 1AD"]},
                         index=["p", "q", "r"])
    return left, right


def test_date_order_reads_month_first_dates():
    us = ["08/03/2014", "02/01/2013", "12/25/2012"]
    iso = ["2014-08-03", "2013-02-01", "2012-12-25"]
    left, right = _dated(us, iso)
    mdy = cme_eval.link(left, right, columns=LEFT_COLS, reference_date=REF, date_order="mdy")
    assert mdy["outcome"].tolist() == ["perfect"] * 3
    # auto: a second field over 12 (25) and no first field over 12 says month first
    auto = cme_eval.link(left, right, columns=LEFT_COLS, reference_date=REF)
    assert auto["matched_record_id"].tolist() == ["p", "q", "r"]
    assert set(auto["outcome"]) == {"perfect"}
    # read day first, the first two are other dates and 12/25 is no date at all
    dmy = cme_eval.link(left, right, columns=LEFT_COLS, reference_date=REF, date_order="dmy")
    assert "perfect" not in set(dmy["outcome"])
    assert "dob unreadable" in dmy.iloc[2]["reason"]


def test_auto_date_order_keeps_british_dates_day_first():
    left, right = _dated(["03/08/2014", "25/12/2012", "01/02/2013"],
                         ["2014-08-03", "2012-12-25", "2013-02-01"])
    out = cme_eval.link(left, right, columns=LEFT_COLS, reference_date=REF)
    assert out["outcome"].tolist() == ["perfect"] * 3


def test_a_bad_date_order_is_refused():
    with pytest.raises(LinkInputError, match="date_order: expected one of dmy, mdy, auto, "
                                             "got 'ymd'"):
        cme_eval.link(_left(), _right(), columns=BOTH, reference_date=REF, date_order="ymd")


def test_the_keywords_set_the_spec_given():
    from dataclasses import replace

    from cme_eval.linkage.spec import default_spec

    spec = replace(default_spec(), school_age_only=True)
    out = cme_eval.link(_left(), _right(), columns=BOTH, reference_date=REF, spec=spec,
                        school_age_only=False)
    assert out.loc["d", "outcome"] == "perfect"


FEBRL_LIKE = {"forename": "fn", "surname": "sn", "dob": "dob", "postcode": "pc",
              "address": ["number", "street", "flat", "suburb", "state"]}


def _febrl_like():
    return pd.DataFrame({"fn": ["ann", "ben"], "sn": ["ray", "rees"],
                         "dob": ["20140803", "20130201"], "pc": ["2600", "4000"],
                         "number": ["12", None], "street": ["main street", "high road"],
                         "flat": ["", "unit 4"], "suburb": ["kingston", float("nan")],
                         "state": ["act", "qld"]}, index=["a", "b"])


def test_an_address_from_several_columns_is_joined_skipping_empty_parts():
    from cme_eval.api import _to_records

    records = _to_records(_febrl_like(), FEBRL_LIKE, "left")
    assert records["address"].tolist() == ["12, main street, kingston, act",
                                           "high road, unit 4, qld"]
    joined = _febrl_like().assign(addr=lambda f: ["12, main street, kingston, act",
                                                  "high road, unit 4, qld"])
    out = cme_eval.link(_febrl_like(), joined, reference_date=REF, school_age_only=False,
                        columns={"left": FEBRL_LIKE, "right": {**FEBRL_LIKE, "address": "addr"}})
    assert out["matched_record_id"].tolist() == ["a", "b"]
    assert set(out["outcome"]) == {"perfect"}


@pytest.mark.parametrize("address, message", [
    (["number", "streeet"], r"left: column 'streeet' \(for address\) not found; columns: fn, "),
    ([], "left: the column list for address is empty"),
])
def test_bad_address_columns_name_the_frame_and_column(address, message):
    with pytest.raises(LinkInputError, match=message):
        cme_eval.link(_febrl_like(), _febrl_like(), reference_date=REF,
                      columns={"left": {**FEBRL_LIKE, "address": address}, "right": FEBRL_LIKE})


def test_only_the_address_may_join_several_columns():
    with pytest.raises(LinkInputError, match=r"right: surname takes one column, got a list "
                                             r"\(sn, fn\)"):
        cme_eval.link(_febrl_like(), _febrl_like(), reference_date=REF,
                      columns={"left": FEBRL_LIKE,
                               "right": {**FEBRL_LIKE, "surname": ["sn", "fn"]}})


def test_a_mapping_that_is_not_a_mapping_is_refused():
    with pytest.raises(LinkInputError, match="columns: expected a mapping"):
        cme_eval.link(_left(), _right(), columns=["fn", "sn"], reference_date=REF)
    with pytest.raises(LinkInputError, match="columns: the right mapping is a list"):
        cme_eval.link(_left(), _right(), columns={"left": LEFT_COLS, "right": ["x"]},
                      reference_date=REF)


def test_explain_takes_the_same_keywords():
    from cme_eval.api import explain

    table = explain(_left(), _right(), BOTH, "d", reference_date=REF, school_age_only=False)
    assert table["comparison"].tolist()[:3] == ["forename", "surname", "dob"]
    assert table["cumulative"].iloc[-1] > 0


def test_a_reference_date_may_be_an_iso_date_text():
    as_text = cme_eval.link(_left(), _right(), BOTH, reference_date="2025-04-30")
    as_date = cme_eval.link(_left(), _right(), BOTH, reference_date=REF)
    pd.testing.assert_frame_equal(as_text, as_date)


@pytest.mark.parametrize("value", ["30/04/2025", "2025-02-30", "tomorrow", ""])
def test_a_reference_date_that_is_not_an_iso_date_is_refused(value):
    with pytest.raises(LinkInputError, match=r"reference_date: expected an ISO date such as "
                                             r"2025-04-30") as refused:
        cme_eval.link(_left(), _right(), BOTH, reference_date=value)
    assert "Siân" not in str(refused.value) and "Jones" not in str(refused.value)
    assert refused.value.__cause__ is None and refused.value.__suppress_context__


def test_an_unknown_engine_names_the_allowed_ones():
    from cme_eval.linkage.engines import engine_names

    with pytest.raises(LinkInputError, match=r"engine: unknown engine 'splonk'; allowed: ") \
            as refused:
        cme_eval.link(_left(), _right(), BOTH, reference_date=REF, engine="splonk")
    assert all(name in str(refused.value) for name in engine_names())
    assert "Siân" not in str(refused.value)
