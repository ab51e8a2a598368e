"""Standardise once, for every engine: names, dates of birth, postcodes and addresses.

Originals are never overwritten: standardised values go into ``*_std`` columns beside them, and
anything that could not be read is flagged in ``issues`` (a ';'-joined list) rather than dropped.
An ambiguous date (a day and month that could be either way round, in a format that does not
say which) is read UK-style (day first), as every source in the pilot is British, and flagged.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

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


def fold(value: str, *, keep_digits: bool = False) -> str:
    """Lower case, diacritics folded (Siân -> sian), punctuation to spaces, spaces collapsed.

    Names keep letters only; addresses (``keep_digits``) keep their numbers too.
    """
    if value.isascii():
        text = value.lower()
    else:
        text = unicodedata.normalize("NFKD", value)
        text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("-", " ").replace("'", "").replace("\u2019", "")
    pattern = _NON_ALNUM if keep_digits else _NON_LETTER
    return _SPACES.sub(" ", pattern.sub(" ", text)).strip()


def _map_unique(series: pd.Series, fn) -> pd.Series:
    """Apply ``fn`` once per distinct value (names repeat a lot: Jones, Olivia ...)."""
    text = series.fillna("").astype(str)
    uniques = text.unique()
    return text.map(dict(zip(uniques, map(fn, uniques), strict=True)))


def names(series: pd.Series) -> pd.Series:
    """Standardised names for comparison (the original column is kept by the caller)."""
    return _map_unique(series, fold)


def postcodes(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """UK postcodes as 'OUT IN'; invalid ones kept (upper-cased, unspaced) and flagged."""
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
    return pd.DataFrame({"postcode_district": outward, "postcode_sector": sector})


_DATE_FORMATS = [
    # (regex, strptime format, may be ambiguous day/month)
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "%Y-%m-%d", False),
    (re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$"), "ISO8601", False),
    (re.compile(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}$"), "dmy4", True),
    (re.compile(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2}$"), "dmy2", True),
    (re.compile(r"^\d{1,2}[ \-]?[A-Za-z]{3,9}\.?[ \-]?(\d{4}|\d{2})$"), "text", False),
    (re.compile(r"^\d{5}(\.0+)?$"), "excel", False),
]


def dates_of_birth(series: pd.Series, *, reference_year: int) -> tuple[pd.Series, pd.Series]:
    """Parse mixed date-of-birth formats; returns (datetime64 series, issue flags).

    Accepts ISO dates, d/m/yyyy and d/m/yy (day first, with '/', '.' or '-'), text months
    ('3 Aug 2011'), and Excel serial numbers. Two-digit years are placed in the century that
    makes the child younger than ``reference_year``. Unreadable values give NaT, flagged.
    """
    text = series.fillna("").astype(str).str.strip()
    out = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
    flag = pd.Series("", index=series.index, dtype=object)
    remaining = text.ne("")
    for pattern, fmt, ambiguous in _DATE_FORMATS:
        hit = remaining & text.str.match(pattern)
        if not hit.any():
            continue
        values = text[hit]
        if fmt == "excel":
            parsed = EXCEL_EPOCH + pd.to_timedelta(values.astype(float).round(), unit="D")
        elif fmt in ("dmy4", "dmy2"):
            bits = values.str.split(r"[/.\-]", regex=True, expand=True).astype(int)
            year = _full_year(bits[2], reference_year)
            parsed = pd.to_datetime(
                pd.DataFrame({"year": year, "month": bits[1], "day": bits[0]}), errors="coerce"
            )
            swap_possible = (bits[0] <= 12) & (bits[1] <= 12) & (bits[0] != bits[1])
            flag[swap_possible[swap_possible].index] = "dob day/month order ambiguous"
        elif fmt == "text":
            bits = values.str.extract(r"^(\d{1,2})[ \-]?([A-Za-z]{3})[A-Za-z]*\.?[ \-]?(\d+)$")
            month = bits[1].str.lower().map(MONTHS)
            year = _full_year(bits[2].astype(int), reference_year)
            parsed = pd.to_datetime(
                pd.DataFrame({"year": year, "month": month, "day": bits[0].astype(int)}),
                errors="coerce",
            )
        else:
            parsed = pd.to_datetime(values, errors="coerce", format=fmt)
        out[hit] = parsed
        remaining &= ~hit
    unread = text.ne("") & out.isna()
    flag[unread] = "dob unreadable"
    flag[text.eq("")] = "dob missing"
    return out, flag


def addresses(series: pd.Series) -> pd.DataFrame:
    """Folded address text with abbreviations expanded and Welsh street words put in English,
    and the house number or house name.

    ``house_number`` is the leading number ('12', '4a') or, for a named house ('Tŷ Gwyn, Heol
    y Bryn'), the folded name before the first comma; '' when neither can be told.
    """
    text = series.fillna("").astype(str)
    words = {**ADDRESS_ABBREVIATIONS, **WELSH_STREET_WORDS}
    expanded = _map_unique(text, lambda a: " ".join(
        words.get(w, w) for w in fold(a, keep_digits=True).split(" ")))
    number = text.str.extract(r"^\s*(\d+[A-Za-z]?)\b")[0].fillna("").str.lower()
    first_part = text.str.split(",").str[0].fillna("")
    named = text.str.contains(",") & number.eq("") & ~first_part.str.contains(r"\d")
    house = number.where(~named, _map_unique(first_part, fold))
    return pd.DataFrame({"address_std": expanded, "house_number": house})


def standardise(records: pd.DataFrame, *, reference_year: int) -> pd.DataFrame:
    """Add comparison columns to records in the common schema; keep every row and column."""
    out = records.copy()
    out["forename_std"] = names(out["forename"])
    out["surname_std"] = names(out["surname"])
    out["dob_parsed"], dob_flag = dates_of_birth(out["dob"], reference_year=reference_year)
    out["dob_std"] = out["dob_parsed"].dt.strftime("%Y-%m-%d").fillna("")
    out["postcode_std"], pc_flag = postcodes(out["postcode"])
    out = pd.concat([out, postcode_parts(out["postcode_std"]), addresses(out["address"])], axis=1)
    name_flag = np.where(out.forename_std.eq("") | out.surname_std.eq(""), "name incomplete", "")
    joined = pd.Series(dob_flag, index=out.index) + "; " + pc_flag + "; " + name_flag
    out["issues"] = joined.str.replace(r"(; )+", "; ", regex=True).str.strip("; ")
    return out


def dob_as_int(values) -> np.ndarray:
    """ISO dates ('2014-05-06') as integers 20140506; missing or malformed as 0."""
    text = pd.Series(np.asarray(values, dtype=object)).fillna("").astype(str).str.replace("-", "")
    number = pd.to_numeric(text.where(text.str.fullmatch(r"\d{8}"), ""), errors="coerce")
    return number.fillna(0).astype(np.int64).to_numpy()


def prepare(records: pd.DataFrame, reference_date) -> pd.DataFrame:
    """Standardised records with the derived keys every engine blocks and compares on."""
    std = standardise(records.reset_index(drop=True), reference_year=reference_date.year)
    std["birth_year"] = std["dob_std"].str[:4]
    # Initials: national blocking pairs them with the date of birth (see linkage.central).
    std["forename_initial"] = std["forename_std"].astype(str).str[:1]
    std["surname_initial"] = std["surname_std"].astype(str).str[:1]
    std["dob_int"] = dob_as_int(std["dob_std"])
    # Identifiers, when a source has them: digits only (NHS number, UPRN), upper case (UPN).
    for ident, pattern in (("nhs_number", r"\D"), ("uprn", r"\D"), ("upn", r"[^A-Z0-9]")):
        values = std[ident] if ident in std else pd.Series("", index=std.index)
        text = values.fillna("").astype(str).str.upper().str.replace(pattern, "", regex=True)
        if ident == "uprn":
            text = text.where(text.str.strip("0") != "", "")  # 0: no UPRN (e.g. abroad)
        std[f"{ident}_std"] = text
    return std
