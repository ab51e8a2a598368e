"""Reading extracts and returns into the common record schema, whatever their layout.

Every input row becomes exactly one record. Headers are recognised by their normalised names
(``Legal Surname``, ``D.O.B.``, ``Post Code`` ...), a "SURNAME, Forename" or "Forename Surname"
column is split, address lines are joined and a postcode inside an address is lifted out. What
could not be read is reported per file, row and field in an ingest report, and the record is
kept with what it has. A file that cannot be read at all (missing, not UTF-8, no name or date
of birth column) stops the run with a message naming the file and what was found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cme_eval.schema import (
    FILE_NAMES,
    INDEPENDENT,
    LA_DATASETS,
    NWSSP,
    OPTIONAL_DATASETS,
    OPTIONAL_IDENTIFIERS,
    RETURNS_DIR,
    inputs_folder,
)

REQUIRED_FIELDS = ("forename", "surname", "dob", "address", "postcode")
REPORT_COLUMNS = ["file", "row", "field", "problem"]
POSTCODE_IN_TEXT = re.compile(r",?\s*([A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s*[0-9][A-Za-z]{2})\s*$")


class IngestError(ValueError):
    """An input file cannot be read into the common schema; the message names file and field."""


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(header).lower())


# Normalised header -> standard field. Order of preference is the order of the lists.
SYNONYMS: dict[str, list[str]] = {
    "record_id": ["recordid"],
    "forename": ["forename", "legalforename", "firstname", "givenname", "forenames"],
    "surname": ["surname", "legalsurname", "lastname", "familyname"],
    "full_name": ["pupilname", "name", "fullname", "childname", "pupil"],
    "dob": ["dob", "dateofbirth", "birthdate", "dateofbirthddmmyyyy"],
    "address": ["address", "homeaddress", "fulladdress"],
    "address_line": ["addressline1", "street", "addressline2"],
    "town": ["town", "towncity", "city"],
    "postcode": ["postcode", "postalcode"],
    "nhs_number": ["nhsnumber", "nhsno"],
    "uprn": ["uprn"],
    "upn": ["upn", "uniquepupilnumber"],
}
FLAG_COLUMNS = {"boarder": ["boarder", "boarding"], "la_placed": ["placedbyla", "laplaced"]}


@dataclass
class Ingested:
    """One source's records in the common schema, and what could not be read."""

    records: pd.DataFrame
    report: list[dict[str, object]] = field(default_factory=list)


def _read_table(path: Path, name: str) -> pd.DataFrame:
    if not path.is_file():
        raise IngestError(f"{name}: file not found")
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm", ".ods"):
            frame = pd.read_excel(path, dtype=object, engine=None)
            frame = frame.map(_cell_text)
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise IngestError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except pd.errors.EmptyDataError:
        raise IngestError(f"{name}: the file is empty (no header row)") from None
    except (ValueError, OSError) as exc:
        raise IngestError(f"{name}: cannot be read as a table ({exc})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _cell_text(value: object) -> str:
    """Spreadsheet cells as text: dates as ISO, whole numbers without '.0', blanks as ''."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp) or hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _find(columns: list[str], keys: list[str]) -> list[str]:
    by_key = {}
    for column in columns:
        by_key.setdefault(_key(column), column)
    return [by_key[k] for k in keys if k in by_key]


# Words that start a surname rather than end a forename: Welsh patronymics (Rhys ap Gwilym,
# Mari ferch Dafydd) and common surname particles (van der Berg, de la Cruz). O' needs no entry:
# O'Brien is one word.
WELSH_PATRONYMICS = ("ap", "ab", "ferch", "verch", "fab")
SURNAME_PARTICLES = WELSH_PATRONYMICS + (
    "van", "von", "de", "del", "della", "di", "da", "le", "la", "du", "mac")
_PARTICLE_SURNAME = re.compile(
    r"^(\S.*?)\s+((?:" + "|".join(SURNAME_PARTICLES) + r")\s+\S.*)$", re.IGNORECASE)
_LEADING_PATRONYMIC = re.compile(r"^(" + "|".join(WELSH_PATRONYMICS) + r")\b", re.IGNORECASE)


def _split_full_name(names: pd.Series) -> pd.DataFrame:
    """'SURNAME, Forename' or 'Forename Surname' into forename and surname.

    Without a comma the surname is the last word, or from the first particle after the
    forename onwards: 'Rhys ap Gwilym' -> ('Rhys', 'ap Gwilym'), 'Anna van der Berg' ->
    ('Anna', 'van der Berg'); 'Sion Rhys Jones' -> ('Sion Rhys', 'Jones').
    """
    text = names.fillna("").astype(str).str.strip()
    comma = text.str.contains(",")
    before, after = text.str.split(",", n=1).str[0], text.str.split(",", n=1).str[1]
    last_space = text.str.rsplit(" ", n=1)
    particle = text.str.extract(_PARTICLE_SURNAME)
    has_particle = ~comma & particle[0].notna()
    forename = after.where(comma, last_space.str[0]).fillna("").str.strip()
    surname = before.where(comma, last_space.str[1]).fillna("").str.strip()
    forename = forename.where(~has_particle, particle[0])
    surname = surname.where(~has_particle, particle[1].str.replace(r"\s+", " ", regex=True))
    single = ~comma & ~text.str.contains(" ")
    forename = forename.where(~single, "")
    surname = surname.where(~single, text)
    # Surnames sent in capitals ("JONES") are put back into name case; a Welsh patronymic
    # keeps its lower case ("AP GWILYM" -> "ap Gwilym").
    upper = surname.str.isupper() & surname.str.len().gt(1)
    titled = surname.str.title().str.replace(_LEADING_PATRONYMIC, lambda m: m[1].lower(),
                                             regex=True)
    surname = surname.where(~upper, titled)
    return pd.DataFrame({"forename": forename, "surname": surname})


def to_common_schema(frame: pd.DataFrame, name: str) -> Ingested:
    """Map one table in any known layout to the common schema; report what is missing."""
    columns = list(frame.columns)
    found = {f: _find(columns, keys) for f, keys in SYNONYMS.items()}
    out = pd.DataFrame(index=frame.index)
    report: list[dict[str, object]] = []
    if found["forename"] and found["surname"]:
        out["forename"] = frame[found["forename"][0]].astype(str)
        out["surname"] = frame[found["surname"][0]].astype(str)
    elif found["full_name"]:
        out[["forename", "surname"]] = _split_full_name(frame[found["full_name"][0]])
    else:
        raise IngestError(f"{name}: no name column (forename and surname, or a full name); "
                          f"found: {', '.join(columns)}")
    if not found["dob"]:
        raise IngestError(f"{name}: no date of birth column; found: {', '.join(columns)}")
    out["dob"] = frame[found["dob"][0]].astype(str).str.strip()

    if found["address"]:
        address = frame[found["address"][0]].astype(str)
    elif found["address_line"] or found["town"]:
        parts = frame[found["address_line"] + found["town"]].astype(str)
        address = parts.apply(lambda r: ", ".join(v.strip() for v in r if v.strip()), axis=1)
    else:
        address = pd.Series("", index=frame.index)
        report.append({"file": name, "row": "", "field": "address",
                       "problem": "no address column: every record lacks an address"})
    if found["postcode"]:
        postcode = frame[found["postcode"][0]].astype(str).str.strip()
    else:
        lifted = address.str.extract(POSTCODE_IN_TEXT)[0]
        postcode = lifted.fillna("").str.upper()
        address = address.str.replace(POSTCODE_IN_TEXT, "", regex=True).where(lifted.notna(),
                                                                              address)
        if lifted.isna().all() and len(frame):
            report.append({"file": name, "row": "", "field": "postcode",
                           "problem": "no postcode column and none found inside the address"})
    out["address"], out["postcode"] = address.str.strip(), postcode

    for ident in OPTIONAL_IDENTIFIERS:
        if found[ident]:
            out[ident] = frame[found[ident][0]].astype(str).str.strip()
    for flag, keys in FLAG_COLUMNS.items():
        cols = _find(columns, keys)
        if cols:
            text = frame[cols[0]].astype(str).str.strip().str.lower()
            out[flag] = text.isin(("y", "yes", "true", "1"))

    if found["record_id"]:
        out.insert(0, "record_id", frame[found["record_id"][0]].astype(str))
    else:
        out.insert(0, "record_id", [f"{name}:row{i + 2}" for i in range(len(frame))])
    _check_ids(out["record_id"], name)

    for column in ("forename", "surname", "dob"):
        empty = out[column].str.strip().eq("")
        for row in (empty[empty].index + 2)[:]:
            report.append({"file": name, "row": int(row), "field": column, "problem": "empty"})
    return Ingested(out.reset_index(drop=True), report)


def _check_ids(ids: pd.Series, name: str) -> None:
    blank = ids.str.strip().eq("")
    if blank.any():
        raise IngestError(f"{name}: row {int(blank.to_numpy().argmax()) + 2}, "
                          "field 'record_id' is empty")
    dupes = ids.duplicated()
    if dupes.any():
        raise IngestError(f"{name}: row {int(dupes.to_numpy().argmax()) + 2}, "
                          "field 'record_id' repeats an earlier id")


def read_records(path: Path, source: str, authority: str, *, label: str | None = None):
    """One file as records in the common schema (values as text, nothing dropped)."""
    name = label or path.name
    ingested = to_common_schema(_read_table(path, name), name)
    frame = ingested.records
    frame["source"], frame["authority"], frame["file"] = source, authority, name
    frame.attrs["ingest_report"] = ingested.report
    return frame


def read_authority(folder: Path, authority: str) -> dict[str, pd.DataFrame]:
    """Every source of one LA from a folder laid out as ``cme-eval generate`` writes its
    ``inputs/`` (the folder itself, or the folder holding ``inputs/``).

    Each frame's ``attrs['ingest_report']`` lists what could not be read (see ``report_of``).
    """
    folder = inputs_folder(folder)
    columns = ["record_id", *REQUIRED_FIELDS, "source", "authority", "file"]
    out = {
        source: read_records(folder / FILE_NAMES[source], source, authority)
        if source not in OPTIONAL_DATASETS or (folder / FILE_NAMES[source]).is_file()
        else pd.DataFrame(columns=columns).assign(source=source, authority=authority)
        for source in (NWSSP, *LA_DATASETS, *OPTIONAL_DATASETS)
    }
    returns = sorted(p for p in (folder / RETURNS_DIR).glob("*")
                     if p.suffix.lower() in (".csv", ".xlsx", ".xlsm", ".ods"))
    frames = [read_records(p, INDEPENDENT, authority, label=f"{RETURNS_DIR}/{p.name}")
              for p in returns]
    combined = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    combined.attrs["ingest_report"] = [r for f in frames for r in f.attrs["ingest_report"]]
    out[INDEPENDENT] = combined
    return out


def report_of(sources: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The ingest report of every source: file, row, field, problem."""
    rows = [r for frame in sources.values() for r in frame.attrs.get("ingest_report", [])]
    return pd.DataFrame(rows, columns=REPORT_COLUMNS)
