"""The standardised frame: the contract between standardisation and every linkage engine
(issue 21, point 5).

``standardise.prepare`` turns records in the common schema into this frame; blocking, the
comparisons and rules, classification and every engine (recordlinkage, Splink on DuckDB or
Spark, the Excel baseline) read nothing else. So this module says, in one place:

- **the column names** (constants below; ``COLUMN_TYPES`` lists every column ``prepare`` adds);
- **the schema** (``schema()``, a pandera ``DataFrameSchema``): which columns are required, their
  dtypes, that none holds NaN (missing is written as a value, see below), and cheap value rules
  (``dob_int`` is 0 or an 8-digit yyyymmdd date, postcode districts and sectors have the shape
  of a UK outward code and sector, identifiers hold only the characters they are reduced to).
  ``CROSS_COLUMN_RULES`` say that derived columns are missing together (a date of birth is
  missing in ``dob_std``, ``dob_int``, ``birth_year`` and ``dob_parsed`` at once) and that a
  sector is its district plus one digit. ``cme_eval.inputs.seams.check_standardised`` applies
  both where the frame is handed to the engines (``cme_eval.linkage.link_prepared``);
- **what missing means, once per column type**: ``MISSING`` ('' for text, 0 for the integer
  date ``dob_int``, NaT for the parsed date) and ``present`` / ``is_missing``, which blocking,
  the numpy rules and the SQL rules all use. Before this module "missing" was written out in
  five places and meant two things: the uninformative-column test also took the text '0' as
  missing, which blocking and comparisons did not (they block and compare on it). Now a value
  is missing exactly when it is its type's missing value, everywhere.

Importing this module imports only numpy and pandas; pandera (~0.4 s) is imported when the
schema is first built.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pandas as pd

# -- column names --------------------------------------------------------------------------

RECORD_ID = "record_id"
FORENAME_STD = "forename_std"
SURNAME_STD = "surname_std"
FORENAME_INITIAL = "forename_initial"
SURNAME_INITIAL = "surname_initial"
DOB_PARSED = "dob_parsed"
DOB_STD = "dob_std"
DOB_INT = "dob_int"
BIRTH_YEAR = "birth_year"
POSTCODE_STD = "postcode_std"
POSTCODE_DISTRICT = "postcode_district"
POSTCODE_SECTOR = "postcode_sector"
ADDRESS_STD = "address_std"
HOUSE_NUMBER = "house_number"
STREET_STD = "street_std"
NHS_NUMBER_STD = "nhs_number_std"
UPN_STD = "upn_std"
UPRN_STD = "uprn_std"
ISSUES = "issues"


def identifier_column(identifier: str) -> str:
    """The standardised column of an identifier ('nhs_number' -> 'nhs_number_std')."""
    return f"{identifier}_std"


# -- one definition of missing per column type ---------------------------------------------

TEXT, INT, DATE = "text", "int", "date"
MISSING = {TEXT: "", INT: 0, DATE: pd.NaT}

# Every column ``prepare`` adds, with its type (``record_id`` comes from the records' schema).
COLUMN_TYPES = {
    RECORD_ID: TEXT,
    FORENAME_STD: TEXT, SURNAME_STD: TEXT, FORENAME_INITIAL: TEXT, SURNAME_INITIAL: TEXT,
    DOB_PARSED: DATE, DOB_STD: TEXT, DOB_INT: INT, BIRTH_YEAR: TEXT,
    POSTCODE_STD: TEXT, POSTCODE_DISTRICT: TEXT, POSTCODE_SECTOR: TEXT,
    ADDRESS_STD: TEXT, HOUSE_NUMBER: TEXT, STREET_STD: TEXT,
    NHS_NUMBER_STD: TEXT, UPN_STD: TEXT, UPRN_STD: TEXT,
    ISSUES: TEXT,
}
INTEGER_COLUMNS = frozenset(c for c, t in COLUMN_TYPES.items() if t == INT)


def column_type(column: str | None, values=None) -> str:
    """The type of ``column``: its declared type, else (a column outside the frame's schema)
    from the values' dtype: integers are INT, datetimes DATE, anything else TEXT."""
    if column in COLUMN_TYPES:
        return COLUMN_TYPES[column]
    dtype = getattr(values, "dtype", None)
    if dtype is not None and pd.api.types.is_integer_dtype(dtype) \
            and not pd.api.types.is_bool_dtype(dtype):
        return INT
    if dtype is not None and pd.api.types.is_datetime64_any_dtype(dtype):
        return DATE
    return TEXT


def present(values, column: str | None = None) -> np.ndarray:
    """Per value, whether it is present (not its type's missing value), as a bool array.

    ``column`` names the column the values come from (default: a Series' name); its type is
    its declared one (``COLUMN_TYPES``), else read from the dtype (see ``column_type``).
    Text is missing only when '' (never '0', ' ' or 'nan': the schema rules out NaN), integers
    only when 0, dates only when NaT.
    """
    if column is None:
        column = getattr(values, "name", None)
    kind = column_type(column, values)
    if kind == DATE:
        return ~pd.isna(np.asarray(values))
    if kind == INT:
        return np.asarray(values) != MISSING[INT]
    return np.asarray(values, dtype=object) != MISSING[TEXT]


def is_missing(values, column: str | None = None) -> np.ndarray:
    """``~present(values, column)``."""
    return ~present(values, column)


def missing_literal_sql(column: str) -> str:
    """The column's missing value as a SQL literal (0 or '')."""
    return "0" if column_type(column) == INT else "''"


# -- value rules (each returns a boolean Series: True where the row keeps the rule) ---------

_OUTWARD = r"[A-Z]{1,2}[0-9][A-Z0-9]?"  # as standardise.POSTCODE_RE


# The checks are cheap on a whole LA's records: text is recognised by one scan of the column
# (pandas' infer_dtype) and patterns are matched once per distinct value, not per row
# (districts, dates and empty identifiers repeat). NaN and non-text values are left to the
# not-nullable and text rules, so each is reported once.


def _per_distinct(series: pd.Series, keeps) -> pd.Series:
    """``keeps`` (of one value) computed once per distinct value, spread back to every row."""
    codes, uniques = pd.factorize(series)
    kept = np.fromiter((keeps(u) for u in uniques), dtype=bool, count=len(uniques))
    return pd.Series(np.append(kept, True)[codes], index=series.index)  # code -1: NaN


def _is_text(series: pd.Series) -> pd.Series | bool:
    """Every value is text (a str); NaN is left to the not-nullable rule."""
    if pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
        return True
    return _per_distinct(series, lambda v: isinstance(v, str))


def _missing_or_matches(pattern: str):
    compiled = re.compile(pattern)

    def check(series: pd.Series) -> pd.Series:
        return _per_distinct(series, lambda v: not isinstance(v, str) or v == ""
                             or compiled.fullmatch(v) is not None)
    return check


def _yyyymmdd_or_zero(series: pd.Series) -> pd.Series:
    if not pd.api.types.is_integer_dtype(series.dtype):
        return pd.Series(True, index=series.index)  # reported by the dtype rule
    month, day = series // 100 % 100, series % 100
    date = (series >= 10_000_000) & (series <= 99_999_999) & month.between(1, 12) \
        & day.between(1, 31)
    return series.eq(0) | date


def _at_most_one_character(series: pd.Series) -> pd.Series:
    return _per_distinct(series, lambda v: not isinstance(v, str) or len(v) <= 1)


# Rules over two columns, each reported against the first (checked in plain pandas, as
# cme_eval.inputs.seams does for the outcomes).
def _missing_together(column: str, other: str):
    def keeps(frame: pd.DataFrame) -> np.ndarray:
        return present(frame[column], column) == present(frame[other], other)
    return keeps


def _sector_of_district(frame: pd.DataFrame) -> np.ndarray:
    sector = frame[POSTCODE_SECTOR].astype(str)
    district = frame[POSTCODE_DISTRICT].astype(str)
    return (sector.str[:-2].eq(district) | sector.eq("")).to_numpy() \
        & (present(sector, POSTCODE_SECTOR) == present(district, POSTCODE_DISTRICT))


def _district_has_postcode(frame: pd.DataFrame) -> np.ndarray:
    return is_missing(frame[POSTCODE_DISTRICT], POSTCODE_DISTRICT) \
        | present(frame[POSTCODE_STD], POSTCODE_STD)


CROSS_COLUMN_RULES = (
    (DOB_INT, DOB_STD, "not missing (0) exactly where dob_std is missing ('')",
     _missing_together(DOB_INT, DOB_STD)),
    (DOB_PARSED, DOB_STD, "not missing (NaT) exactly where dob_std is missing ('')",
     _missing_together(DOB_PARSED, DOB_STD)),
    (BIRTH_YEAR, DOB_STD, "not missing ('') exactly where dob_std is missing ('')",
     _missing_together(BIRTH_YEAR, DOB_STD)),
    (POSTCODE_SECTOR, POSTCODE_DISTRICT,
     "not the district, a space and one digit ('' exactly where the district is '')",
     _sector_of_district),
    (POSTCODE_DISTRICT, POSTCODE_STD, "set where postcode_std is missing ('')",
     _district_has_postcode),
)


# -- the schema ------------------------------------------------------------------------------


@cache
def schema():
    """The standardised frame as a pandera ``DataFrameSchema`` (extra columns allowed: the
    records' own columns are kept beside the standardised ones)."""
    import pandera.pandas as pa

    def text(*checks):  # text: any dtype holding only str (object today, pandas' str later)
        return pa.Column(checks=[pa.Check(_is_text, name="not text"), *checks], nullable=False)

    def shaped(pattern: str, what: str):
        return pa.Check(_missing_or_matches(pattern), name=f"not '' or {what}")

    digits = shaped(r"[0-9]+", "digits only")
    columns = {
        RECORD_ID: text(),
        FORENAME_STD: text(), SURNAME_STD: text(),
        FORENAME_INITIAL: text(pa.Check(_at_most_one_character, name="longer than 1 character")),
        SURNAME_INITIAL: text(pa.Check(_at_most_one_character, name="longer than 1 character")),
        DOB_PARSED: pa.Column("datetime64[ns]", nullable=True),
        DOB_STD: text(shaped(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", "a yyyy-mm-dd date")),
        DOB_INT: pa.Column("int64", nullable=False, checks=[pa.Check(
            _yyyymmdd_or_zero, name="not 0 (missing) or an 8-digit yyyymmdd date")]),
        BIRTH_YEAR: text(shaped(r"[0-9]{4}", "a 4-digit year")),
        POSTCODE_STD: text(),
        POSTCODE_DISTRICT: text(shaped(_OUTWARD, "a UK outward code")),
        POSTCODE_SECTOR: text(shaped(_OUTWARD + r" [0-9]", "a UK postcode sector")),
        ADDRESS_STD: text(), HOUSE_NUMBER: text(), STREET_STD: text(),
        NHS_NUMBER_STD: text(digits), UPRN_STD: text(digits),
        UPN_STD: text(shaped(r"[A-Z0-9]+", "upper-case letters and digits only")),
        ISSUES: text(),
    }
    assert set(columns) == set(COLUMN_TYPES)
    return pa.DataFrameSchema(columns, strict=False, name="standardised records")
