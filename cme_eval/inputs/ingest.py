"""Reading extracts and returns into the common record schema, whatever their layout.

Every input row becomes exactly one record. Files are read by ``cme_eval.inputs.readers`` (any
spreadsheet or delimited-text format, encoding, title rows above the header, every sheet);
here headers are recognised by their normalised names (``Legal Surname``, ``D.O.B.``,
``DOB (dd/mm/yyyy)``, ``Child's Forename``, ``Post Code`` ...), a "SURNAME, Forename" or
"Forename Surname" column is split, address lines are joined and a postcode inside an address
is lifted out. What could not be read is reported per file, row and field in an ingest report,
and the record is kept with what it has.

An LA's own file that cannot be read at all (missing, unreadable, no name or date of birth
column) stops the run with a message naming the file and what was found. An independent
school's return never does: a return that cannot be read is listed in the report (its records
are unknown) and the LA's run goes on. Record ids are unique within a source whatever the files
hold: a blank or repeated id is replaced by one made of file, sheet and row, and reported.

No message and no report line quotes a value from a record (a name, date, address or
postcode): they name file, sheet, row and column only, because they end up in logs and in
executed notebooks.
"""

from __future__ import annotations

import contextvars
import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cme_eval.exceptions import DATA_SHAPES, CmeEvalError, columns_text, shape
from cme_eval.inputs import readers
from cme_eval.inputs.layout import LayoutError, leads_out, read_layout
from cme_eval.inputs.schema import (
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
OUTSIDE = "a link pointing out of the inputs folder: not read"
REPORT_COLUMNS = ["file", "row", "field", "problem"]
POSTCODE_IN_TEXT = re.compile(r",?\s*([A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s*[0-9][A-Za-z]{2})\s*$")
RECORD_COLUMNS = ["record_id", *REQUIRED_FIELDS, "source", "authority", "file"]
_WHERE, _ROW = "_where", "_row"  # private: the table (file, sheet) and row of each record


class IngestError(CmeEvalError, ValueError):
    """An input file cannot be read into the common schema; the message names file and field.

    ``file`` and ``problem`` hold the two parts of the message apart (for the ingest report).
    """

    def __init__(self, message: str, *, file: str = "", problem: str = ""):
        super().__init__(message)
        self.file = file
        self.problem = problem or message


def _error(name: str, problem: str) -> IngestError:
    return IngestError(f"{name}: {problem}", file=name, problem=problem)


# --- header names ---------------------------------------------------------------------------

_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]|\{[^}]*\}")  # "(dd/mm/yyyy)", "[required]"
_POSSESSIVE = re.compile(r"['\u2019`]s\b")  # "Child's Forename" -> "Child Forename"
_DATE_HINT = re.compile(r"(?:dd|mm|yyyy|yy){3}$")  # "DOB ddmmyyyy" -> "dob"
# Words put before a field's name that do not change it: "Pupil Surname", "Child's Forename",
# "Legal Surname", "Home Postcode". "Preferred" is not one: a preferred name is not the legal one.
QUALIFIERS = ("pupils", "pupil", "children", "child", "students", "student", "learner", "legal",
              "official", "registered", "current", "home", "main")


def _words(header: object) -> list[str]:
    """A header's words: lower case, no accents, no bracketed hints, no possessive 's."""
    text = unicodedata.normalize("NFKD", str(header).lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.findall(r"[a-z0-9]+", _POSSESSIVE.sub("", _BRACKETED.sub(" ", text)))


def header_key(header: object) -> str:
    """A header's comparable form: its words run together ("D.O.B." -> "dob")."""
    return "".join(_words(header))


# Normalised header -> standard field. Order of preference is the order of the lists; a header
# found only after taking off qualifiers (above) comes after every exact one.
SYNONYMS: dict[str, list[str]] = {
    "record_id": ["recordid"],
    "forename": ["forename", "legalforename", "firstname", "givenname", "forenames",
                 "firstnames", "givennames", "christianname", "enwcyntaf", "enwbedydd"],
    "surname": ["surname", "legalsurname", "lastname", "familyname", "cyfenw"],
    "full_name": ["pupilname", "name", "fullname", "childname", "pupil", "nameofpupil",
                  "nameofchild", "enw", "enwllawn"],
    "dob": ["dob", "dateofbirth", "birthdate", "dateofbirthddmmyyyy", "birthday",
            "dyddiadgeni"],
    "address": ["address", "homeaddress", "fulladdress", "cyfeiriad"],
    "address_line": ["addressline1", "street", "addressline2", "addressline3", "address1",
                     "address2", "address3"],
    "town": ["town", "towncity", "city", "posttown", "tref"],
    "postcode": ["postcode", "postalcode", "codpost"],
    "nhs_number": ["nhsnumber", "nhsno"],
    "uprn": ["uprn"],
    "upn": ["upn", "uniquepupilnumber"],
}
FLAG_COLUMNS = {"boarder": ["boarder", "boarding"], "la_placed": ["placedbyla", "laplaced"]}
_LOOKUP = {key: (name, rank) for name, keys in SYNONYMS.items()
           for rank, key in enumerate(keys)}


def _variants(header: object) -> list[tuple[str, int]]:
    """Keys a header may stand for, each with the number of qualifier words taken off its
    front: the whole header, then each part of a bilingual or combined one ("Cyfenw /
    Surname")."""
    text = _BRACKETED.sub(" ", str(header))
    parts = [text, *re.split(r"[/|]", text)] if re.search(r"[/|]", text) else [text]
    out = []
    for part in parts:
        words = _words(part)
        for stripped in range(len(words)):
            key = "".join(words[stripped:])
            out.append((_DATE_HINT.sub("", key) or key, stripped))
            if words[stripped] not in QUALIFIERS:
                break
    return out


# Further header spellings an LA gave in its inputs.yaml (key -> field), for the read under way.
_LA_SPELLINGS: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "la_spellings", default=None)


def field_of(header: object) -> tuple[str, tuple[int, int]] | None:
    """The standard field a header names, with its rank (qualifiers taken off, list order);
    the LA's own spellings (inputs.yaml) first."""
    own = _LA_SPELLINGS.get()
    if own and header_key(header) in own:
        return own[header_key(header)], (0, -1)
    return _standard_field_of(header)


@functools.lru_cache(maxsize=4096)
def _standard_field_of(header: object) -> tuple[str, tuple[int, int]] | None:
    for key, stripped in _variants(header):
        if key in _LOOKUP:
            name, rank = _LOOKUP[key]
            return name, (stripped, rank)
    return None


def _match(columns: Sequence[str]) -> dict[str, list[str]]:
    """Columns per standard field, best first (exact names before qualified, list order)."""
    ranked: dict[str, list[tuple[tuple[int, int], int, str]]] = {f: [] for f in SYNONYMS}
    for position, column in enumerate(columns):
        found = field_of(column)
        if found:
            ranked[found[0]].append((found[1], position, column))
    return {f: [c for *_, c in sorted(cols)] for f, cols in ranked.items()}


PERSON_FIELDS = {"forename", "surname", "full_name", "dob"}


def header_score(cells: Sequence[str]) -> int:
    """How many standard fields a row of cells names, if the row looks like a header as a
    whole; 0 otherwise. The header row is the one that names the most.

    One cell that looks like a column name does not make a header: a surname "Street" or an
    address "Main Street" would otherwise turn a child's record into the header, and the
    record into a message. A header has no cell shaped like data (a date, a postcode, a number:
    every record has a date of birth); it names at least two fields, one of them a name or the
    date of birth (``PERSON_FIELDS``: address words alone may be a record's address); and
    known spellings fill at least half of its cells unless it names three fields or more (an
    LA's extract may carry many columns the toolkit does not read).
    """
    filled = [c for c in cells if c and c.strip()]
    found = [f for c in filled if (f := field_of(c))]
    fields = {f[0] for f in found}
    if len(fields) < 2 or not fields & PERSON_FIELDS \
            or any(shape(c) in DATA_SHAPES for c in filled):
        return 0
    if len(fields) < 3 and 2 * len(found) < len(filled):
        return 0
    return len(fields)


def is_header(cells: Sequence[object]) -> bool:
    """Whether a row of cells (a table's column names) is a header by the rule above, so that
    a message may name its cells."""
    return all(isinstance(c, str) for c in cells) and header_score(
        [str(c) for c in cells]) > 0


def _find(columns: list[str], keys: list[str]) -> list[str]:
    by_key: dict[str, str] = {}
    for column in columns:
        by_key.setdefault(header_key(column), column)
    return [by_key[k] for k in keys if k in by_key]


@dataclass
class Ingested:
    """One source's records in the common schema, and what could not be read."""

    records: pd.DataFrame
    report: list[dict[str, object]] = field(default_factory=list)


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


def _found_text(columns: Sequence[str]) -> str:
    """The columns a table has, for a message: named only when the row is a header as a whole
    (``is_header``); otherwise their count and shapes, since the row may be a record."""
    return "found: " + columns_text(list(columns), is_header(columns))


def to_common_schema(frame: pd.DataFrame, name: str, *,
                     rows: Sequence[int] | np.ndarray | None = None) -> Ingested:
    """Map one table in any known layout to the common schema; report what is missing.

    ``rows`` are the row numbers a person sees for each of the frame's rows (default: the
    header on row 1, then one row each). Ids missing, blank or repeated are made from ``name``
    and the row (``name:row7``) and reported.
    """
    columns = [str(c) for c in frame.columns]
    if list(frame.columns) != columns:
        frame = frame.set_axis(columns, axis=1)
    numbers = np.asarray(rows if rows is not None else np.arange(2, len(frame) + 2), dtype=int)
    found = _match(columns)
    out = pd.DataFrame(index=frame.index)
    report: list[dict[str, object]] = []
    if found["forename"] and found["surname"]:
        out["forename"] = frame[found["forename"][0]].astype(str)
        out["surname"] = frame[found["surname"][0]].astype(str)
    elif found["full_name"]:
        out[["forename", "surname"]] = _split_full_name(frame[found["full_name"][0]])
    else:
        raise _error(name, "no name column (forename and surname, or a full name); "
                           + _found_text(columns))
    if not found["dob"]:
        raise _error(name, "no date of birth column; " + _found_text(columns))
    out["dob"] = _stripped(frame[found["dob"][0]])

    if found["address"]:
        address = frame[found["address"][0]].astype(str)
    elif found["address_line"] or found["town"]:
        parts = frame[found["address_line"] + found["town"]].astype(str)
        address = parts.apply(lambda r: ", ".join(v.strip() for v in r if v.strip()), axis=1)
        address = address if len(frame) else pd.Series("", index=frame.index, dtype=object)
    else:
        address = pd.Series("", index=frame.index, dtype=object)
        report.append(readers.line(name, "no address column: every record lacks an address",
                                   column="address"))
    if found["postcode"]:
        postcode = _stripped(frame[found["postcode"][0]])
    else:
        lifted = address.str.extract(POSTCODE_IN_TEXT)[0]
        postcode = lifted.fillna("").str.upper()
        address = address.str.replace(POSTCODE_IN_TEXT, "", regex=True).where(lifted.notna(),
                                                                              address)
        if lifted.isna().all() and len(frame):
            report.append(readers.line(
                name, "no postcode column and none found inside the address", column="postcode"))
    out["address"], out["postcode"] = _stripped(address), postcode

    for ident in OPTIONAL_IDENTIFIERS:
        if found[ident]:
            out[ident] = _stripped(frame[found[ident][0]])
    for flag, keys in FLAG_COLUMNS.items():
        cols = _find(columns, keys)
        if cols:
            text = frame[cols[0]].astype(str).str.strip().str.lower()
            out[flag] = text.isin(("y", "yes", "true", "1"))

    if found["record_id"]:
        given = frame[found["record_id"][0]].astype(str).to_numpy()
    else:
        given = np.array([f"{name}:row{r}" for r in numbers], dtype=object)
    ids, problems = _unique_ids(given, [name] * len(numbers), numbers)
    out.insert(0, "record_id", ids)
    report.extend(readers.line(name, problem, int(numbers[i]), "record_id")
                  for i, problem in problems)

    for column in ("forename", "surname", "dob"):
        empty = np.array([not v.strip() for v in out[column].to_numpy()], dtype=bool)
        report.extend(readers.line(name, "empty", int(r), column) for r in numbers[empty])
    return Ingested(out.reset_index(drop=True), report)


def _stripped(values: pd.Series) -> pd.Series:
    """Text without surrounding spaces (a list comprehension: twice as fast as ``.str`` on the
    NHS extract's 55,000 rows)."""
    return pd.Series([str(v).strip() for v in values.to_numpy()], index=values.index,
                     dtype=object)


def _unique_ids(given: np.ndarray, where: list[str] | np.ndarray, rows: np.ndarray,
                earlier: str = "an earlier row") -> tuple[np.ndarray, list[tuple[int, str]]]:
    """Ids unique within a source: a blank or repeated id becomes one made from its table
    (file, sheet) and row, ``where:row7``. Returns the ids and (position, problem) for each
    id replaced; a problem never quotes the id."""
    ids = pd.Series(given, dtype=object)
    blank = np.array([not v.strip() for v in given], dtype=bool)
    repeated = ids.duplicated().to_numpy() & ~blank
    bad = np.flatnonzero(blank | repeated)
    if not len(bad):
        return np.asarray(given, dtype=object), []
    ids.iloc[bad] = [f"{where[i]}:row{rows[i]}" for i in bad]
    clash = ids.duplicated()  # a made id equal to one given (unlikely): numbered apart
    if clash.any():
        ids = ids.where(~clash, ids + "#" + ids.groupby(ids).cumcount().astype(str))
    made = "the record gets an id made from file and row"
    problems = [(int(i), f"empty: {made}" if blank[i] else f"repeats the id of {earlier}: {made}")
                for i in bad]
    return ids.to_numpy(), problems


def _read_file(path: Path, source: str, authority: str,
               name: str) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """Every table of one file as records, with the private columns _where and _row."""
    try:
        tables, report = readers.read_tables(path, name, header_score)
    except readers.ReadError as exc:
        raise _error(name, exc.problem) from None
    parts, failures = [], []
    for table in tables:
        try:
            ingested = to_common_schema(table.frame, table.label, rows=table.rows)
        except IngestError as exc:
            if len(tables) == 1:
                raise
            failures.append(exc)
            report.append(readers.line(table.label, f"sheet not read: {exc.problem}"))
            continue
        report.extend(table.report + ingested.report)
        parts.append(ingested.records.assign(**{_WHERE: table.label, _ROW: table.rows}))
    if not parts:
        raise _error(name, f"no sheet could be read ({failures[0].file}: "
                           f"{failures[0].problem})")
    frame = _concat(parts)
    if len(parts) > 1:
        report.extend(_dedupe(frame))
    frame["source"], frame["authority"], frame["file"] = source, authority, name
    frame.attrs["sheets"] = len(parts)
    return frame, report


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Tables of one source as one frame (a column absent from a table: NaN, unknown)."""
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def _dedupe(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Make ids unique across the tables of a source, in place; report each one replaced."""
    ids, problems = _unique_ids(frame["record_id"].to_numpy(), frame[_WHERE].to_numpy(),
                                frame[_ROW].to_numpy(), earlier="an earlier file or sheet")
    frame["record_id"] = ids
    return [readers.line(frame[_WHERE].iat[i], problem, int(frame[_ROW].iat[i]), "record_id")
            for i, problem in problems]


# With ``toolkit_ids``, the columns that keep what an LA calls each record (restricted/ only).
LA_ID_COLUMNS = ["la_record_id", "la_location"]


def _finish(frame: pd.DataFrame, report: list[dict[str, object]], source: str,
            toolkit_ids: bool = False) -> pd.DataFrame:
    """The records without their private columns. With ``toolkit_ids`` each record is named
    ``<source>:<n>`` (n-th record read, from 1) and what the LA's files call it (its id, and
    file, sheet and row) moves to ``LA_ID_COLUMNS``: an LA's ids may be NHS numbers, so they
    may appear only in ``restricted/``."""
    if toolkit_ids:
        given = frame["record_id"].astype(str).to_numpy() if len(frame) else []
        where = (frame[_WHERE].astype(str) + " row " + frame[_ROW].astype(str)
                 if len(frame) and _WHERE in frame.columns else pd.Series([], dtype=object))
        frame = frame.assign(record_id=[f"{source}:{n}" for n in range(1, len(frame) + 1)],
                             la_record_id=list(given), la_location=where.to_numpy())
    sheets = frame.attrs.get("sheets", 0)
    frame = frame.drop(columns=[_WHERE, _ROW], errors="ignore")
    frame.attrs["ingest_report"] = report
    frame.attrs["sheets"] = sheets
    return frame


def read_records(path: Path, source: str, authority: str, *, label: str | None = None,
                 toolkit_ids: bool = False):
    """One file as records in the common schema (values as text, nothing dropped): every sheet
    of a workbook that holds pupils, the header found below any title rows."""
    frame, report = _read_file(Path(path), source, authority, label or Path(path).name)
    return _finish(frame, report, source, toolkit_ids)


def read_returns(folder: Path, authority: str, toolkit_ids: bool = False) -> pd.DataFrame:
    """Every independent school's return in ``folder``, as one source.

    A file that cannot be read (or is not a return: a lock file, a PDF, a folder) is listed in
    the report with the reason, and its records are unknown; the others are read. Ids are
    unique across all returns.
    """
    folder = Path(folder)
    paths = sorted(folder.iterdir(), key=lambda p: p.name) if folder.is_dir() else []
    frames: list[pd.DataFrame] = []
    report: list[dict[str, object]] = []
    if not folder.is_dir():
        report.append(readers.line(RETURNS_DIR, (
            "is a file, not a folder" if folder.exists() else "folder not found")
            + ": no independent school return read"))
    elif not paths:
        report.append(readers.line(RETURNS_DIR, "empty folder: no independent school return"))
    for path in paths:
        label = f"{RETURNS_DIR}/{path.name}"
        reason = OUTSIDE if leads_out(folder, path) else readers.skip_reason(path)
        if reason:
            report.append(readers.line(label, reason))
            continue
        try:
            frame, lines = _read_file(path, INDEPENDENT, authority, label)
        except IngestError as exc:
            report.append(readers.line(label, f"{exc.problem}; its records are unknown"))
            continue
        except Exception as exc:  # noqa: BLE001 - a fault on one return must not stop the LA
            report.append(readers.line(label, f"unreadable: {type(exc).__name__} while reading "
                                              "it; its records are unknown"))
            continue
        if frame.empty:
            lines.append(readers.line(label, "no records: a header row but no pupils below it"))
        frames.append(frame)
        report.extend(lines)
    sheets = sum(f.attrs.get("sheets", 0) for f in frames)
    frames = [f for f in frames if len(f)]
    if not frames:
        return _finish(pd.DataFrame(columns=RECORD_COLUMNS).assign(
            source=INDEPENDENT, authority=authority), report, INDEPENDENT, toolkit_ids)
    combined = _concat(frames)
    report.extend(_dedupe(combined))
    combined.attrs["sheets"] = sheets
    return _finish(combined, report, INDEPENDENT, toolkit_ids)


def read_authority(folder: Path, authority: str, *,
                   toolkit_ids: bool = False) -> dict[str, pd.DataFrame]:
    """Every source of one LA from a folder laid out as ``cme-eval generate`` writes its
    ``inputs/`` (the folder itself, or the folder holding ``inputs/``), or as its
    ``inputs.yaml`` says (other file names, further header spellings: see inputs_layout).

    Each frame's ``attrs['ingest_report']`` lists what could not be read (see ``report_of``).
    ``toolkit_ids`` (an LA's own extracts): records are named by the toolkit (see ``_finish``).
    """

    folder = inputs_folder(folder)
    try:
        layout = read_layout(folder)
    except LayoutError as exc:
        raise _error("inputs.yaml", str(exc).removeprefix("inputs.yaml: ")) from None
    spellings = {header_key(h): name for name, headers in layout.headers.items() for h in headers}
    token = _LA_SPELLINGS.set(spellings)
    try:
        out = {}
        for source in (NWSSP, *LA_DATASETS, *OPTIONAL_DATASETS):
            named = layout.files.get(FILE_NAMES[source], FILE_NAMES[source])
            path = layout.path(folder, FILE_NAMES[source])
            if source in OPTIONAL_DATASETS and not path.is_file():
                frame = _no_records(source, authority, toolkit_ids, [])
                status = "not held (optional)"
            else:
                try:
                    if path.is_symlink() and leads_out(folder, path):
                        raise _error(named, OUTSIDE)
                    frame = read_records(path, source, authority, toolkit_ids=toolkit_ids)
                    status = "read" if len(frame) else "no records (a header row only)"
                    if not len(frame):
                        frame.attrs["ingest_report"].append(readers.line(
                            named, "no records: a header row but nothing below it"))
                except IngestError as exc:
                    if source == NWSSP:  # nothing to evaluate without the NHS extract
                        raise
                    frame = _no_records(source, authority, toolkit_ids, [readers.line(
                        named, f"{exc.problem}: not read; the run goes on as if it held no "
                               "records")])
                    status = f"not read: {exc.problem}"
            frame.attrs["read"] = {"file": named, "status": status}
            out[source] = frame
        returns = layout.files.get(RETURNS_DIR, RETURNS_DIR)
        returns_path = layout.path(folder, RETURNS_DIR)
        if leads_out(folder, returns_path):
            out[INDEPENDENT] = _no_records(INDEPENDENT, authority, toolkit_ids,
                                           [readers.line(returns, OUTSIDE)])
            status = f"not read: {OUTSIDE}"
        else:
            out[INDEPENDENT] = read_returns(returns_path, authority, toolkit_ids)
            status = _returns_status(returns_path, out[INDEPENDENT])
        out[INDEPENDENT].attrs["read"] = {"file": f"{returns}/", "status": status}
    finally:
        _LA_SPELLINGS.reset(token)
    return out


def _no_records(source: str, authority: str, toolkit_ids: bool,
                report: list[dict[str, object]]) -> pd.DataFrame:
    return _finish(pd.DataFrame(columns=RECORD_COLUMNS).assign(source=source,
                                                               authority=authority),
                   report, source, toolkit_ids)


def _returns_status(folder: Path, frame: pd.DataFrame) -> str:
    if not folder.is_dir():
        return "not read: a file, not a folder" if folder.exists() else "not found"
    files = [p for p in folder.iterdir() if readers.skip_reason(p) is None]
    read = frame["file"].nunique() if len(frame) else 0
    if not files:
        return "no returns (no readable file in the folder)"
    return "read" if read == len(files) else f"read {read} of {len(files)} files"


READ_COLUMNS = ["authority", "source", "file", "sheets", "records", "rows_rejected", "status",
                "note"]
_REJECTED = re.compile(r"rejected|not a record")


def what_was_read(sources: dict[str, pd.DataFrame], authority: str) -> pd.DataFrame:
    """For each source and the returns folder, what the run read: file (or folder), sheets,
    records, rows rejected (each is also a line of the ingest report) and status; ``note``
    says what a record count cannot: a required field empty in every record. Counts and
    names only."""
    rows = []
    for source, frame in sources.items():
        read = frame.attrs.get("read", {"file": "", "status": "read"})
        rejected = sum(1 for r in frame.attrs.get("ingest_report", [])
                       if r["row"] != "" and _REJECTED.search(str(r["problem"])))
        empty = [f for f in ("forename", "surname", "dob") if len(frame)
                 and not frame[f].astype(str).str.strip().ne("").any()]
        note = "; ".join(f"{FIELD_WORDS[f]} empty in every record" for f in empty)
        rows.append({"authority": authority, "source": source, "file": read["file"],
                     "sheets": int(frame.attrs.get("sheets", 0)), "records": len(frame),
                     "rows_rejected": rejected, "status": read["status"], "note": note})
    return pd.DataFrame(rows, columns=READ_COLUMNS)


FIELD_WORDS = {"forename": "forename", "surname": "surname", "dob": "date of birth"}


def read_warnings(table: pd.DataFrame) -> list[str]:
    """One line per source a user should know about: not read, not found, no records, or a
    required field empty throughout (optional sources not held are not news)."""
    out = []
    for row in table.itertuples(index=False):
        problems = [p for p in (row.status if row.status not in (
            "read", "not held (optional)") else "", row.note) if p]
        if problems:
            out.append(f"{row.authority}: {row.source} ({row.file}): {'; '.join(problems)}")
    return out


def record_ids(sources: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The key from the toolkit's ids to the LA's (``toolkit_ids``): for ``restricted/`` only."""
    columns = ["source", "record_id", *LA_ID_COLUMNS]
    frames = [f[columns] for f in sources.values() if set(LA_ID_COLUMNS) <= set(f.columns)]
    return (pd.concat(frames, ignore_index=True) if frames
            else pd.DataFrame(columns=columns))


def report_of(sources: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The ingest report of every source: file, row, field, problem."""
    rows = [r for frame in sources.values() for r in frame.attrs.get("ingest_report", [])]
    return pd.DataFrame(rows, columns=REPORT_COLUMNS)
