"""cme_eval.inputs.standardise: names, postcodes, dates of birth and addresses, flagged, not
dropped."""

from __future__ import annotations

import datetime as dt
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from cme_eval.inputs.ingest import _split_full_name
from cme_eval.inputs.standardise import (
    OTHER_ORDER_FLAG,
    addresses,
    auto_order,
    dates_of_birth,
    fold,
    names,
    postcode_parts,
    postcodes,
    prepare,
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


# ------------------------------------------------------------------------------------------
# Issue 11: more date formats, month-first dates, name particles, non-UK postcodes

MORE_DOB_CASES = [
    # raw, expected ISO date (None = NaT), expected flag
    ("20140305", "2014-03-05", ""),                      # YYYYMMDD
    ("20140305.0", "2014-03-05", ""),                    # ... as a spreadsheet number
    ("20140230", None, "dob unreadable"),                # 8 digits, not a date
    ("05032014", None, "dob unreadable"),                # not YYYYMMDD; not guessed
    ("2014/03/05", "2014-03-05", ""),                    # year first
    ("2014.03.05", "2014-03-05", ""),
    ("2014/3/5", "2014-03-05", ""),
    ("2014/02/30", None, "dob unreadable"),
    ("05/03/2014 00:00", "2014-03-05", AMBIGUOUS),       # day first with a time (ignored)
    ("05/03/2014 00:00:00", "2014-03-05", AMBIGUOUS),
    ("25/03/2014 13:45:10", "2014-03-25", ""),
    ("2014-03-05T00:00:00Z", "2014-03-05", ""),          # ISO with a time zone: date as written
    ("2014-03-05T00:00:00+01:00", "2014-03-05", ""),     # (UTC would be 4 March)
    ("2014-03-05 23:30:00-05:00", "2014-03-05", ""),     # (UTC would be 6 March)
    ("2014-03-05T10:11:12.123456", "2014-03-05", ""),    # fractional seconds
    ("2014-03-05T10:11:12.5Z", "2014-03-05", ""),
    ("2014-03-05 25:00", None, "dob unreadable"),        # an ISO time that is no time
    ("40758", "2011-08-03", ""),                         # 5 digits: still an Excel serial
]


def test_dates_of_birth_in_the_formats_added_for_issue_11():
    raw = pd.Series([c[0] for c in MORE_DOB_CASES])
    parsed, flag = dates_of_birth(raw, reference_year=2025)
    expected = pd.Series(pd.to_datetime([c[1] for c in MORE_DOB_CASES]))
    assert_series_equal(parsed, expected, check_names=False, check_freq=False)
    assert flag.tolist() == [c[2] for c in MORE_DOB_CASES]


def test_iso_time_zone_never_moves_the_date_of_birth():
    raw = pd.Series(["2014-03-05T00:30:00+02:00", "2014-03-05T23:59:59-11:00",
                     "2014-03-05T00:00:00Z"])
    parsed, flag = dates_of_birth(raw, reference_year=2025)
    assert parsed.dt.strftime("%Y-%m-%d").tolist() == ["2014-03-05"] * 3
    assert parsed.dt.tz is None
    assert flag.tolist() == ["", "", ""]


def test_date_order_mdy_reads_numeric_dates_month_first():
    raw = pd.Series(["03/15/2014", "3.5.14", "12-25-2013 00:00", "15/03/2014", "2014-03-05",
                     "5 Mar 2014"])
    parsed, flag = dates_of_birth(raw, reference_year=2025, date_order="mdy")
    assert parsed.dt.strftime("%Y-%m-%d").fillna("").tolist() == [
        "2014-03-15", "2014-03-05", "2013-12-25", "", "2014-03-05", "2014-03-05"]
    assert flag.tolist() == ["", AMBIGUOUS, "", "dob unreadable", "", ""]


@pytest.mark.parametrize("raw, expected", [
    # as many can only be day first as only month first: day first, the one that can only be
    # month first kept that way round (flagged, below)
    (["13/01/2014", "02/03/2014", "01/25/2014"], ["2014-01-13", "2014-03-02", "2014-01-25"]),
    # no first field over 12 but a second one is: the column is month first
    (["01/25/2014", "02/03/2014"], ["2014-01-25", "2014-02-03"]),
    # neither: day first, the UK default
    (["01/02/2014", "02/03/2014"], ["2014-02-01", "2014-03-02"]),
])
def test_date_order_auto_decides_for_the_whole_column(raw, expected):
    parsed, flag = dates_of_birth(pd.Series(raw), reference_year=2025, date_order="auto")
    assert parsed.dt.strftime("%Y-%m-%d").fillna("").tolist() == expected
    # the ambiguity flag is as in the other orders: set where both readings are dates
    assert flag.eq(AMBIGUOUS).tolist() == [
        int(r[:2]) <= 12 and int(r[3:5]) <= 12 and r[:2] != r[3:5] for r in raw]


def test_date_order_auto_goes_by_preponderance_not_unanimity():
    # issue 23: a US column with typing errors (about 1% of first fields over 12) is month
    # first; every date is kept, the ones valid only day first flagged, none unreadable
    rng = np.random.default_rng(5)
    months, days = rng.integers(1, 13, 2000), rng.integers(1, 29, 2000)
    us = [f"{m:02d}/{d:02d}/2014" for m, d in zip(months, days, strict=True)]
    typos = [f"{d:02d}/{m:02d}/2014" for m, d in zip(months[:20], rng.integers(13, 29, 20),
                                                     strict=True)]
    parsed, flag = dates_of_birth(pd.Series(us + typos), reference_year=2025, date_order="auto")
    assert parsed.attrs["date_order"]["chosen"] == "mdy"
    assert parsed.attrs["date_order"]["only_day_first"] == 20
    assert parsed.notna().all() and (flag == OTHER_ORDER_FLAG).sum() == 20
    assert parsed.iloc[0] == pd.Timestamp(2014, months[0], days[0])
    # a British column with a few month-first typing errors stays day first
    uk = [f"{d:02d}/{m:02d}/2014" for m, d in zip(months, days, strict=True)]
    parsed, _ = dates_of_birth(pd.Series(uk + us[:50]), reference_year=2025, date_order="auto")
    assert parsed.attrs["date_order"]["chosen"] == "dmy"
    # below the share, day first: a mixed column is not read month first
    assert auto_order(pd.Series([13] * 11 + [1] * 89), pd.Series([1] * 11 + [13] * 89))[0] \
        == "dmy"
    assert auto_order(pd.Series([13] * 10 + [1] * 90), pd.Series([1] * 10 + [13] * 90))[0] \
        == "mdy"


def test_the_date_order_chosen_reaches_the_links_diagnostics():
    from cme_eval.linkage import link_prepared
    from cme_eval.linkage.spec import default_spec

    ref = dt.date(2025, 4, 30)
    left = prepare(_records(["01/25/2014", "02/13/2013"]).assign(source="nwssp"), ref,
                   date_order="auto")
    right = prepare(_records(["25/01/2014", "13/02/2013"]).assign(source="plasc"), ref,
                    date_order="dmy")
    diagnostics: list = []
    with warnings.catch_warnings():  # too few records to estimate: declared m and u
        warnings.simplefilter("ignore")
        link_prepared(left, right.assign(dataset="plasc"), default_spec(), reference_date=ref,
                      diagnostics=diagnostics)
    assert diagnostics[0]["date_order"] == {
        "left": {"order": "auto", "chosen": "mdy", "only_day_first": 0, "only_month_first": 2},
        "right": {"order": "dmy"}}


def test_date_order_default_is_day_first():
    parsed, _ = dates_of_birth(pd.Series(["01/25/2014", "02/03/2014"]), reference_year=2025)
    assert parsed.dt.strftime("%Y-%m-%d").fillna("").tolist() == ["", "2014-03-02"]


def _records(dobs):
    n = len(dobs)
    return pd.DataFrame({"record_id": [f"r{i}" for i in range(n)], "forename": ["Nia"] * n,
                         "surname": ["Rees"] * n, "dob": dobs, "address": [""] * n,
                         "postcode": ["CF10 1AA"] * n})


def test_unknown_date_order_is_refused_naming_the_allowed_values():
    message = "date_order must be one of 'dmy', 'mdy', 'auto'; got 'ymd'"
    with pytest.raises(ValueError, match=re.escape(message)):
        dates_of_birth(pd.Series(["01/02/2014"]), reference_year=2025, date_order="ymd")
    with pytest.raises(ValueError, match=re.escape(message)):
        standardise(_records(["01/02/2014"]), reference_year=2025, date_order="ymd")
    with pytest.raises(ValueError, match=re.escape(message)):
        prepare(_records([]), dt.date(2025, 4, 30), date_order="ymd")


def test_standardise_and_prepare_pass_the_date_order_on():
    records = _records(["03/15/2014", "02/03/2014"])
    assert standardise(records, reference_year=2025)["dob_std"].tolist() == ["", "2014-03-02"]
    out = standardise(records, reference_year=2025, date_order="mdy")
    assert out["dob_std"].tolist() == ["2014-03-15", "2014-02-03"]
    assert out["issues"].tolist() == ["", AMBIGUOUS]
    ref = dt.date(2025, 4, 30)
    assert prepare(records, ref)["dob_std"].tolist() == ["", "2014-03-02"]
    prepared = prepare(records, ref, date_order="auto")
    assert prepared["dob_std"].tolist() == ["2014-03-15", "2014-02-03"]
    assert prepared["dob_int"].tolist() == [20140315, 20140203]


@pytest.mark.parametrize("raw, folded", [
    ("ap Gwilym", "ap gwilym"),
    ("ferch Dafydd", "ferch dafydd"),
    ("van der Berg", "van der berg"),
    ("de la Cruz", "de la cruz"),
    ("ab Ifan", "ab ifan"),
])
def test_particle_surnames_fold_without_losing_the_particle(raw, folded):
    assert fold(raw) == folded
    assert names(pd.Series([raw])).tolist() == [folded]


def test_a_full_name_with_a_welsh_patronymic_standardises_to_its_surname():
    split = _split_full_name(pd.Series(["Rhys ap Gwilym", "Mari ferch Dafydd"]))
    records = _records(["2014-01-02", "2014-01-02"]).assign(**split)
    out = standardise(records, reference_year=2025)
    assert out["forename_std"].tolist() == ["rhys", "mari"]
    assert out["surname_std"].tolist() == ["ap gwilym", "ferch dafydd"]
    assert prepare(records, dt.date(2025, 4, 30))["surname_initial"].tolist() == ["a", "f"]


def test_non_uk_postcodes_are_kept_unspaced_flagged_and_have_no_parts():
    raw = pd.Series(["2615", "10001", "90210-1234", "1012 ab", "CF10 1AA"])
    std, flag = postcodes(raw)
    assert std.tolist() == ["2615", "10001", "902101234", "1012AB", "CF10 1AA"]
    # the flag text is "postcode invalid": cme_eval.link's reasons are matched on it
    assert flag.tolist() == ["postcode invalid"] * 4 + [""]
    parts = postcode_parts(std)
    assert parts["postcode_district"].tolist() == ["", "", "", "", "CF10"]
    assert parts["postcode_sector"].tolist() == ["", "", "", "", "CF10 1"]
    out = standardise(_records(["2014-01-02"] * 5).assign(postcode=raw), reference_year=2025)
    assert out["postcode_std"].tolist() == std.tolist()
    assert out["postcode_sector"].tolist() == ["", "", "", "", "CF10 1"]
    assert out["issues"].tolist() == ["postcode invalid"] * 4 + [""]
