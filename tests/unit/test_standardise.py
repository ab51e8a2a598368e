"""cme_eval.standardise: names, postcodes, dates of birth and addresses, flagged not dropped."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from cme_eval.standardise import (
    addresses,
    dates_of_birth,
    fold,
    names,
    postcode_parts,
    postcodes,
    standardise,
)

AMBIGUOUS = "dob day/month order ambiguous"


# ------------------------------------------------------------------------------------------
# Names


@pytest.mark.parametrize(
    "raw, folded",
    [
        ("Siân", "sian"),
        ("O'Brien", "obrien"),
        ("O\u2019Brien", "obrien"),
        ("Lloyd-Jones", "lloyd jones"),
        ("  Llŷr  ap   Rhys ", "llyr ap rhys"),
        ("ZOË", "zoe"),
        ("Mary-Jane.Smith", "mary jane smith"),
        ("Ffion2", "ffion"),
    ],
)
def test_fold(raw, folded):
    assert fold(raw) == folded


def test_names_treat_missing_as_empty():
    result = names(pd.Series(["Siân", None, np.nan, "Dafydd"]))
    assert_series_equal(result, pd.Series(["sian", "", "", "dafydd"]))


# ------------------------------------------------------------------------------------------
# Postcodes


def test_postcodes_are_spaced_upper_case_and_problems_flagged():
    raw = pd.Series(["cf10 1aa", "CF101AA", " ll58  3db", "SW1A 1AA", "W1 1AA", "XYZ", "", None])
    std, flag = postcodes(raw)
    assert_series_equal(
        std, pd.Series(["CF10 1AA", "CF10 1AA", "LL58 3DB", "SW1A 1AA", "W1 1AA", "XYZ", "", ""])
    )
    assert_series_equal(
        flag,
        pd.Series(["", "", "", "", "", "postcode invalid", "postcode missing", "postcode missing"]),
    )


def test_postcode_parts_give_district_and_sector():
    parts = postcode_parts(pd.Series(["CF10 1AA", "LL58 3DB", "XYZ", ""]))
    expected = pd.DataFrame({
        "postcode_district": ["CF10", "LL58", "", ""],
        "postcode_sector": ["CF10 1", "LL58 3", "", ""],
    })
    assert_frame_equal(parts, expected)


# ------------------------------------------------------------------------------------------
# Dates of birth

DOB_CASES = [
    # raw, expected ISO date (None = NaT), expected flag
    ("2011-08-03", "2011-08-03", ""),
    ("03/08/2011", "2011-08-03", AMBIGUOUS),
    ("3/8/2011", "2011-08-03", AMBIGUOUS),
    ("3-8-2011", "2011-08-03", AMBIGUOUS),
    ("3.8.11", "2011-08-03", AMBIGUOUS),
    ("3 Aug 2011", "2011-08-03", ""),
    ("3 August 2011", "2011-08-03", ""),
    ("03-Aug-2011", "2011-08-03", ""),
    ("40758", "2011-08-03", ""),         # Excel serial: 30 Dec 1899 + 40,758 days
    ("40758.0", "2011-08-03", ""),
    ("13/08/2011", "2011-08-13", ""),    # day > 12: not ambiguous
    ("08/08/2011", "2011-08-08", ""),    # same either way round: not ambiguous
    ("3.8.98", "1998-08-03", AMBIGUOUS),  # two-digit year after 25 -> 1900s
    ("3.8.25", "2025-08-03", AMBIGUOUS),
    ("banana", None, "dob unreadable"),
    ("31/02/2011", None, "dob unreadable"),
    ("2011-02-30", None, "dob unreadable"),
    ("", None, "dob missing"),
    (None, None, "dob missing"),
]


def test_dates_of_birth_in_every_accepted_format():
    raw = pd.Series([c[0] for c in DOB_CASES], index=range(10, 10 + len(DOB_CASES)))
    parsed, flag = dates_of_birth(raw, reference_year=2025)
    expected = pd.Series(pd.to_datetime([c[1] for c in DOB_CASES]), index=raw.index)
    assert_series_equal(parsed, expected, check_names=False, check_freq=False)
    assert_series_equal(flag, pd.Series([c[2] for c in DOB_CASES], index=raw.index, dtype=object))


def test_excel_serial_epoch_by_hand():
    # 30 Dec 1899 + 60 days = 28 Feb 1900 (1 + 31 + 28); 40,758 + 151 days = 1 Jan 2012.
    parsed, flag = dates_of_birth(pd.Series(["00060", "40909"]), reference_year=2025)
    assert_series_equal(parsed, pd.Series(pd.to_datetime(["1900-02-28", "2012-01-01"])))
    assert list(flag) == ["", ""]


def test_unreadable_values_are_kept_in_standardise():
    records = pd.DataFrame({
        "record_id": ["a", "b", "c"],
        "forename": ["Siân", "", "Tom"],
        "surname": ["Lloyd-Jones", "Evans", "Hughes"],
        "dob": ["03/08/2011", "not known", "2012-01-05"],
        "address": ["12 High St, Bala", "Tŷ Gwyn, Lôn Las", ""],
        "postcode": ["ll23 7aa", "XX", ""],
    })
    out = standardise(records, reference_year=2025)
    assert len(out) == 3
    assert_frame_equal(out[records.columns.tolist()], records)  # originals untouched
    assert out["forename_std"].tolist() == ["sian", "", "tom"]
    assert out["surname_std"].tolist() == ["lloyd jones", "evans", "hughes"]
    assert out["dob_std"].tolist() == ["2011-08-03", "", "2012-01-05"]
    assert out["postcode_std"].tolist() == ["LL23 7AA", "XX", ""]
    assert out["postcode_district"].tolist() == ["LL23", "", ""]
    assert out["postcode_sector"].tolist() == ["LL23 7", "", ""]
    assert out["issues"].tolist() == [
        AMBIGUOUS,
        "dob unreadable; postcode invalid; name incomplete",
        "postcode missing",
    ]


def test_addresses_expand_abbreviations_and_extract_house_numbers():
    out = addresses(pd.Series(["12 High St, Cardiff", "Tŷ Gwyn, Church Rd", "4A Mill Ln", None]))
    assert out["house_number"].tolist() == ["12", "ty gwyn", "4a", ""]
    assert out["address_std"].tolist()[1] == "ty gwyn church road"
    assert out["address_std"].tolist()[3] == ""


def test_address_std_keeps_the_house_number():
    out = addresses(pd.Series(["12 High St, Cardiff", "4A Mill Ln"]))
    assert out["address_std"].tolist() == ["12 high street cardiff", "4a mill lane"]


def test_two_digit_year_with_text_month_uses_the_reference_year_pivot():
    parsed, _ = dates_of_birth(pd.Series(["3 Aug 30", "3.8.30"]), reference_year=2025)
    assert_series_equal(parsed, pd.Series(pd.to_datetime(["1930-08-03", "1930-08-03"])))


def test_house_name_is_kept_when_there_is_no_number():
    out = addresses(pd.Series(["Penrhyn, Beech Way, Benllech"]))
    assert out["house_number"].tolist() == ["penrhyn"]


def test_welsh_street_words_compare_with_their_english_equivalents():
    out = addresses(pd.Series(["12 Heol y Bryn, Bala", "3 Lôn Las, Bangor", "4 Stryd Fawr"]))
    assert out["address_std"].tolist() == ["12 road y bryn bala", "3 lane las bangor",
                                           "4 street fawr"]
