"""Standardise once, for every engine: names, dates of birth, postcodes and addresses.

Originals are never overwritten: standardised values go into ``*_std`` columns beside them, and
anything that could not be read is flagged in ``issues`` (a ';'-joined list) rather than dropped.
The frame ``prepare`` returns is the contract with every linkage engine: its columns, their
dtypes, what missing means ('' in text, 0 in ``dob_int``) and its schema are in
``cme_eval.inputs.standardised``.
An ambiguous date (a day and month that could be either way round, in a format that does not
say which) is read UK-style (day first), as every source in the pilot is British, and flagged.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from cme_eval.inputs.standardised import (
    ADDRESS_STD,
    BIRTH_YEAR,
    DOB_INT,
    DOB_PARSED,
    DOB_STD,
    FORENAME_INITIAL,
    FORENAME_STD,
    HOUSE_NUMBER,
    ISSUES,
    POSTCODE_DISTRICT,
    POSTCODE_SECTOR,
    POSTCODE_STD,
    STREET_STD,
    SURNAME_INITIAL,
    SURNAME_STD,
    identifier_column,
    is_missing,
)

POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
_NON_LETTER = re.compile(r"[^a-z ]+")
_NON_ALNUM = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")
ADDRESS_ABBREVIATIONS = {
    "rd": "road", "st": "street", "ave": "avenue", "av": "avenue", "cl": "close", "ln": "lane",
    "dr": "drive", "cres": "crescent", "ter": "terrace", "terr": "terrace", "gdns": "gardens",
    "ct": "court", "pl": "place", "sq": "square", "pk": "park", "flat": "flat",
}
# Welsh street words and their English equivalents, so "Heol yr Eglwys" and "Church Road"
# style variants of one street compare on the same words (folded: Lôn -> lon).
WELSH_STREET_WORDS = {
    "heol": "road", "ffordd": "way", "stryd": "street", "lon": "lane", "cilgant": "crescent",
    "teras": "terrace", "rhodfa": "avenue", "clos": "close", "llys": "court", "maes": "field",
}
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}


def _full_year(year: pd.Series, reference_year: int) -> pd.Series:
    """Two-digit years go to the century that puts the birth no later than ``reference_year``."""
    pivot = reference_year % 100
    two = year < 100
    return year.where(~two, np.where(year <= pivot, 2000 + year, 1900 + year))


def _ascii_table(keep_digits: bool) -> dict[int, str | None]:
    """``str.translate`` table doing ``fold``'s work on ASCII text in one pass: capitals to
    lower case, apostrophes dropped, every other character but letters, spaces (and digits,
    when kept) to a space."""
    table: dict[int, str | None] = {}
    for code in range(128):
        char = chr(code)
        if char == "'":
            table[code] = None
        elif "A" <= char <= "Z":
            table[code] = char.lower()
        elif not ("a" <= char <= "z" or char == " " or (keep_digits and "0" <= char <= "9")):
            table[code] = " "
    return table


_ASCII_FOLD = {keep: _ascii_table(keep) for keep in (False, True)}


def fold(value: str, *, keep_digits: bool = False) -> str:
    """Lower case, diacritics folded (Siân -> sian), punctuation to spaces, spaces collapsed.

    Names keep letters only; addresses (``keep_digits``) keep their numbers too. ASCII text
    (nearly every value) takes one ``translate``: the same answer, a third faster.
    """
    if value.isascii():
        return " ".join(value.translate(_ASCII_FOLD[keep_digits]).split())
    text = unicodedata.normalize("NFKD", value)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("-", " ").replace("'", "").replace("\u2019", "")
    pattern = _NON_ALNUM if keep_digits else _NON_LETTER
    return _SPACES.sub(" ", pattern.sub(" ", text)).strip()


def _map_unique(series: pd.Series, fn) -> pd.Series:
    """Apply ``fn`` (of one text) once per distinct value (names repeat a lot: Jones, Olivia)."""
    return _per_distinct(series, lambda distinct: distinct.map(fn))


def _per_distinct(series: pd.Series, fn):
    """``fn`` (a function of a text Series returning Series or DataFrames) computed once per
    distinct value and spread back to every row, indexed like ``series``.

    Records repeat their dates of birth, postcodes and addresses (a household, a school year),
    so the regular expressions run on a few distinct values instead of every row; row-wise
    results are the same by construction, because ``fn`` sees each distinct value as a row.
    """
    text = series.fillna("").astype(str)
    codes, uniques = pd.factorize(text, sort=False)
    result = fn(pd.Series(uniques, dtype=object))

    def spread(part):
        taken = part.take(codes)
        taken.index = series.index
        return taken

    return tuple(spread(r) for r in result) if isinstance(result, tuple) else spread(result)


def names(series: pd.Series) -> pd.Series:
    """Standardised names for comparison (the original column is kept by the caller)."""
    return _map_unique(series, fold)


def postcodes(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """UK postcodes as 'OUT IN'; invalid ones kept (upper-cased, unspaced) and flagged.

    Non-UK codes (2615, 10001, 90210-1234, 1012 AB) are kept the same way, as '2615',
    '902101234', '1012AB', under the same "postcode invalid" flag, which callers match on
    (cme_eval.link's reasons); ``postcode_parts`` gives them no district or sector.
    """
    raw = series.fillna("").astype(str).str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    parts = raw.str.extract(POSTCODE_RE)
    valid = parts[0].notna()
    std = raw.where(~valid, parts[0] + " " + parts[1])
    flag = np.where(raw.eq(""), "postcode missing", np.where(valid, "", "postcode invalid"))
    return std, pd.Series(flag, index=series.index)


def postcode_parts(std: pd.Series) -> pd.DataFrame:
    """District (outward code) and sector (outward + first inward digit) of standardised codes.

    Only valid codes (written 'OUT IN' by ``postcodes``) have parts; others give ''.
    """
    std = std.astype(object).fillna("").astype(str)
    parts = std.str.extract(r"^(\S+) (\d)[A-Z]{2}$")
    outward = parts[0].fillna("")
    sector = (parts[0] + " " + parts[1]).fillna("")
    return pd.DataFrame({POSTCODE_DISTRICT: outward, POSTCODE_SECTOR: sector})


# A time after a date is ignored: a date of birth is a calendar date, so an ISO time zone is
# never used to move it to another day. ISO times are checked; a time after a d/m/y date is not.
_ISO_TIME = (r"[ T](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d+)?)?"
             r"(?:Z|[+\-](?:[01]\d|2[0-3]):?[0-5]\d)?")
_ANY_TIME = r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s?[AaPp][Mm])?)?"
_DATE_FORMATS = [
    # (regex, how it is read); each value is read by the first regex it matches
    (re.compile(r"^(\d{4}-\d{2}-\d{2})(?:" + _ISO_TIME + ")?$"), "iso"),
    (re.compile(r"^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})$"), "ymd"),
    (re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})" + _ANY_TIME + "$"), "numeric"),
    (re.compile(r"^\d{1,2}[ \-]?[A-Za-z]{3,9}\.?[ \-]?(\d{4}|\d{2})$"), "text"),
    (re.compile(r"^(?:19|20)\d{6}(?:\.0+)?$"), "ymd8"),  # 20140305; 8 digits, never a serial
    (re.compile(r"^\d{5}(\.0+)?$"), "excel"),
]
DATE_ORDERS = ("dmy", "mdy", "auto")
# "auto" reads a column month first when at least this share of its numeric dates that can be
# read one way only (a first field over 12: day first; a second over 12: month first) can only
# be month first. So a US column with a few typing errors (91 of 10,233 first fields over 12 in
# a census sample) is still read month first, and a British one (or a mixed one, or one with no
# telling value) day first, the pilot's default.
AUTO_MONTH_FIRST_SHARE = 0.9
OTHER_ORDER_FLAG = "dob day and month read the other way round"


def auto_order(first: pd.Series, second: pd.Series) -> tuple[str, int, int]:
    """The order "auto" reads a column's numeric dates in (see ``AUTO_MONTH_FIRST_SHARE``), and
    the counts it decided on: values that can only be day first, and only month first."""
    day_first = int(((first > 12) & (second <= 12)).sum())
    month_first = int(((second > 12) & (first <= 12)).sum())
    telling = day_first + month_first
    mdy = telling > 0 and month_first >= AUTO_MONTH_FIRST_SHARE * telling
    return ("mdy" if mdy else "dmy"), day_first, month_first


def _from_parts(year, month, day) -> pd.Series:
    """Dates from year, month and day columns; impossible ones (31 Feb) give NaT."""
    return pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day}),
                          errors="coerce")


def dates_of_birth(series: pd.Series, *, reference_year: int,
                   date_order: str = "dmy") -> tuple[pd.Series, pd.Series]:
    """Parse mixed date-of-birth formats; returns (datetime64 series, issue flags).

    Accepts ISO dates (also with a time, fractional seconds or a time zone: the date as written
    is kept, never moved across time zones), year-first 2014/03/05, 2014.03.05 and 20140305,
    numeric d/m/yyyy and d/m/yy (with '/', '.' or '-', and any time after it ignored), text
    months ('3 Aug 2011'), and Excel serial numbers (5 digits). Two-digit years are placed in
    the century that makes the child younger than ``reference_year``. Unreadable values give
    NaT, flagged; no value is dropped.

    ``date_order`` says how the numeric d/m/y forms are read: "dmy" (day first), "mdy" (month
    first, US style) or "auto" (per column, by preponderance: ``auto_order``); with "auto" a
    value valid only in the other order (a typing error, or a mixed column) is read that way
    and flagged (``OTHER_ORDER_FLAG``), not lost. The default stays "dmy" because every pilot
    source is British; a value that reads both ways is flagged ambiguous whatever the order.
    The returned dates' ``attrs["date_order"]`` says how the column was read (with "auto", the
    order chosen and the counts it was chosen on).
    """
    if date_order not in DATE_ORDERS:
        raise ValueError(f"date_order must be one of {', '.join(map(repr, DATE_ORDERS))}; "
                         f"got {date_order!r}")
    text = series.fillna("").astype(str).str.strip()
    out = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
    flag = pd.Series("", index=series.index, dtype=object)
    remaining = text.ne("")
    decided: dict[str, object] = {"order": date_order}
    for pattern, kind in _DATE_FORMATS:
        hit = remaining & text.str.match(pattern)
        if not hit.any():
            continue
        values = text[hit]
        if kind == "excel":
            parsed = EXCEL_EPOCH + pd.to_timedelta(values.astype(float).round(), unit="D")
        elif kind == "iso":
            parsed = pd.to_datetime(values.str.extract(pattern)[0], errors="coerce",
                                    format="%Y-%m-%d")
        elif kind == "ymd8":
            parsed = pd.to_datetime(values.str[:8], errors="coerce", format="%Y%m%d")
        elif kind == "ymd":
            bits = values.str.extract(pattern).astype(int)
            parsed = _from_parts(bits[0], bits[1], bits[2])
        elif kind == "numeric":
            bits = values.str.extract(pattern).astype(int)
            first, second = bits[0], bits[1]
            order = date_order
            if order == "auto":  # decided once for the column, by preponderance
                order, day_first, month_first = auto_order(first, second)
                decided = {"order": "auto", "chosen": order, "only_day_first": day_first,
                           "only_month_first": month_first}
            day, month = (first, second) if order == "dmy" else (second, first)
            year = _full_year(bits[2], reference_year)
            parsed = _from_parts(year, month, day)
            if date_order == "auto":  # valid only the other way round: kept, flagged
                other = parsed.isna() & _from_parts(year, day, month).notna()
                parsed = parsed.where(~other, _from_parts(year, day, month))
                flag[other[other].index] = OTHER_ORDER_FLAG
            swap_possible = (first <= 12) & (second <= 12) & (first != second)
            flag[swap_possible[swap_possible].index] = "dob day/month order ambiguous"
        else:  # text month
            bits = values.str.extract(r"^(\d{1,2})[ \-]?([A-Za-z]{3})[A-Za-z]*\.?[ \-]?(\d+)$")
            month = bits[1].str.lower().map(MONTHS)
            year = _full_year(bits[2].astype(int), reference_year)
            parsed = _from_parts(year, month, bits[0].astype(int))
        out[hit] = parsed
        remaining &= ~hit
    unread = text.ne("") & out.isna()
    flag[unread] = "dob unreadable"
    flag[text.eq("")] = "dob missing"
    out.attrs["date_order"] = decided
    return out, flag


def addresses(series: pd.Series) -> pd.DataFrame:
    """Folded address text with abbreviations expanded and Welsh street words put in English,
    and the house number or house name.

    ``house_number`` is the leading number ('12', '4a') or, for a named house ('Tŷ Gwyn, Heol
    y Bryn'), the folded name before the first comma; '' when neither can be told.
    ``street_std`` is the folded text without its leading number, so an address sent without
    its number (or with a mistyped one) still reads like the same street.
    """
    parts = [_address(text) for text in series.fillna("").astype(str)]
    columns = list(zip(*parts, strict=True)) if parts else [(), (), ()]
    return pd.DataFrame({name: pd.Series(values, index=series.index, dtype=object)
                         for name, values in zip((ADDRESS_STD, HOUSE_NUMBER, STREET_STD),
                                                 columns, strict=True)})


_STREET_WORDS = {**ADDRESS_ABBREVIATIONS, **WELSH_STREET_WORDS}
_HOUSE_NUMBER = re.compile(r"^\s*(\d+[A-Za-z]?)\b")
_LEADING_NUMBER = re.compile(r"^\d+[a-z]?\s+")
_DIGIT = re.compile(r"\d")


def _address(text: str) -> tuple[str, str, str]:
    """One address's (``address_std``, ``house_number``, ``street_std``), as ``addresses``
    says. One pass of plain Python per distinct address: as fast as pandas' string methods
    over the column, which each walk every value in Python anyway."""
    expanded = " ".join(_STREET_WORDS.get(w, w) for w in fold(text, keep_digits=True).split(" "))
    number = _HOUSE_NUMBER.match(text)
    house = number.group(1).lower() if number else ""
    if not house and "," in text:  # a named house: the first part, if it holds no number
        first = text.split(",", 1)[0]
        if not _DIGIT.search(first):
            house = fold(first)
    return expanded, house, _LEADING_NUMBER.sub("", expanded)


def standardise(records: pd.DataFrame, *, reference_year: int,
                date_order: str = "dmy") -> pd.DataFrame:
    """Add comparison columns to records in the common schema; keep every row and column.

    ``date_order`` ("dmy", "mdy" or "auto") is passed to ``dates_of_birth``; the default is
    day first as every pilot source is British.
    """
    out = records.copy()
    out[FORENAME_STD] = names(out["forename"])
    out[SURNAME_STD] = names(out["surname"])

    decided: dict = {}

    def read_dates(dob: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
        parsed, flag = dates_of_birth(dob, reference_year=reference_year, date_order=date_order)
        decided.update(parsed.attrs["date_order"])
        return parsed, flag, parsed.dt.strftime("%Y-%m-%d").fillna("")

    out[DOB_PARSED], dob_flag, out[DOB_STD] = _per_distinct(out["dob"], read_dates)
    out[POSTCODE_STD], pc_flag = _per_distinct(out["postcode"], postcodes)
    out = pd.concat([out, _per_distinct(out[POSTCODE_STD], postcode_parts),
                     _per_distinct(out["address"], addresses)], axis=1)
    name_flag = np.where(is_missing(out[FORENAME_STD]) | is_missing(out[SURNAME_STD]),
                         "name incomplete", "")
    joined = pd.Series(dob_flag, index=out.index) + "; " + pc_flag + "; " + name_flag
    out[ISSUES] = joined.str.replace(r"(; )+", "; ", regex=True).str.strip("; ")
    out.attrs["date_order"] = decided  # how the dates were read: for the link's diagnostics
    return out


def dob_as_int(values) -> np.ndarray:
    """ISO dates ('2014-05-06') as integers 20140506; missing or malformed as 0."""
    text = pd.Series(np.asarray(values, dtype=object)).fillna("").astype(str).str.replace("-", "")
    number = pd.to_numeric(text.where(text.str.fullmatch(r"\d{8}"), ""), errors="coerce")
    return number.fillna(0).astype(np.int64).to_numpy()


def _identifier(values: pd.Series, ident: str, pattern: str) -> pd.Series:
    """An identifier's text upper-cased with ``pattern`` removed; a UPRN of zeros is none."""
    text = values.str.upper().str.replace(pattern, "", regex=True)
    if ident == "uprn":
        text = text.where(text.str.strip("0") != "", "")  # 0: no UPRN (e.g. abroad)
    return text


def prepare(records: pd.DataFrame, reference_date, *, date_order: str = "dmy") -> pd.DataFrame:
    """Standardised records with the derived keys every engine blocks and compares on.

    ``date_order`` ("dmy", "mdy" or "auto", see ``dates_of_birth``) stays "dmy" by default:
    every pilot source is British.
    """
    std = standardise(records.reset_index(drop=True), reference_year=reference_date.year,
                      date_order=date_order)
    # Each derived column computed once per distinct value (``_per_distinct``): dates, names
    # and identifiers repeat, and a source without an identifier has one value, ''.
    std[BIRTH_YEAR] = _per_distinct(std[DOB_STD], lambda d: d.str[:4])
    # Initials: national blocking pairs them with the date of birth (see linkage.central).
    std[FORENAME_INITIAL] = _per_distinct(std[FORENAME_STD], lambda n: n.str[:1])
    std[SURNAME_INITIAL] = _per_distinct(std[SURNAME_STD], lambda n: n.str[:1])
    std[DOB_INT] = _per_distinct(std[DOB_STD], lambda d: pd.Series(dob_as_int(d))).to_numpy()
    # Identifiers, when a source has them: digits only (NHS number, UPRN), upper case (UPN).
    for ident, pattern in (("nhs_number", r"\D"), ("uprn", r"\D"), ("upn", r"[^A-Z0-9]")):
        values = std[ident] if ident in std else pd.Series("", index=std.index)
        std[identifier_column(ident)] = _per_distinct(
            values, lambda v, ident=ident, pattern=pattern: _identifier(v, ident, pattern))
    std.attrs["date_order"] = dict(std.attrs.get("date_order", {"order": date_order}))
    return std
