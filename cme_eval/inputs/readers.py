"""Reading one input file into tables of text, whatever its format, encoding, delimiter or layout.

Schools send returns as CSV, TXT and TSV saved by Excel on Windows (cp1252), Excel's "Unicode
text" (UTF-16, tabs) or European Excel (semicolons), and as XLS, XLSX, XLSM, XLSB and ODS
workbooks with title rows above the header, several sheets, hidden lookup sheets and blank rows.
This module turns any of them into tables of text; ``cme_eval.inputs.ingest`` maps the columns. The two
are apart so that how a file is read can change (and be tested) without touching the mapping.

Spreadsheets are read with python-calamine (Python binding of the Rust calamine crate) because
one reader covers every spreadsheet format, where pandas would need three (xlrd for .xls only,
openpyxl for .xlsx only, odfpy for .ods, slowly); it is fast, returns typed cells (dates as
dates), tells hidden sheets apart (``sheets_metadata``) and recognises the format by content,
so an .xls saved under an .xlsx name still opens.

Text is decoded by its byte-order mark, by the NUL pattern of UTF-16, as strict UTF-8, and
otherwise by charset-normalizer restricted to the encodings UK office software writes
(Windows-1252 first on a tie: unrestricted, it names rare encodings for short Welsh text).

Row numbers are those a person sees on opening the file: 1-based, the header row and blank rows
counted (a CSV row is a record, as a spreadsheet shows it, so a quoted line break does not move
the rows below it). Blank rows are not records. No problem text quotes a cell: problems name
the file, sheet, row and column only, never a value from a record.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from cme_eval.exceptions import CmeEvalError

Score = Callable[[Sequence[str]], int]  # how many known pupil columns a row of cells names
ReportLine = dict[str, object]

HEADER_SCAN_ROWS = 20  # the header is looked for in this many rows from the top
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
SHEET_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
READABLE_SUFFIXES = TEXT_SUFFIXES + SHEET_SUFFIXES
DELIMITERS = (",", ";", "\t", "|")
LEGACY_ENCODINGS = ("cp1252", "mac_roman", "iso8859_15", "cp850")  # preference on a tie
SYSTEM_FILES = ("thumbs.db", "desktop.ini")
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_ZIP, _OLE2 = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # xlsx/xlsm/ods; xls
# NUL characters are swapped for this private-use character before parsing (the csv module of
# Python 3.10 refuses NUL; pandas' parser cuts a value at it), found per cell, then removed.
_NUL_MARK = "\ue000"
NO_HEADER = (f"no pupil columns found: none of the first {HEADER_SCAN_ROWS} rows names a known "
             "column such as Forename, Surname or Date of Birth (is the header row missing?)")


class ReadError(CmeEvalError, ValueError):
    """A file (or all of it that matters) cannot be read; ``problem`` says why, without data."""

    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem


@dataclass
class Table:
    """One table of text: header cells as column names, one row per non-blank row below it."""

    label: str  # the file's name, with ':<sheet>' when the workbook has more than one sheet
    frame: pd.DataFrame  # every value a str
    rows: np.ndarray  # per frame row, the row number a person sees
    report: list[ReportLine] = field(default_factory=list)


def line(file: str, problem: str, row: object = "", column: str = "") -> ReportLine:
    """One ingest report line (file, row, field, problem)."""
    return {"file": file, "row": row, "field": column, "problem": problem}


def skip_reason(path: Path) -> str | None:
    """Why a file in a folder of returns is not read at all, or None if it is tried."""
    name = path.name
    if path.is_dir():
        return "a folder: not read (returns are read from the folder itself, not from sub-folders)"
    if name.startswith("~$"):
        return ("lock file ignored: Excel's marker of a workbook open elsewhere (~$...), "
                "not a return")
    if name.startswith(".") or name.lower() in SYSTEM_FILES:
        return "system file ignored: not a return"
    suffix = path.suffix.lower()
    if suffix not in READABLE_SUFFIXES:
        kind = suffix or "no extension"
        return (f"unsupported type ({kind}): not read; readable are "
                f"{', '.join(READABLE_SUFFIXES)}")
    return None


def read_tables(path: Path, name: str, score: Score) -> tuple[list[Table], list[ReportLine]]:
    """Every table of pupils in a file, and report lines for what was skipped.

    Raises ReadError when nothing can be read: missing, empty, unreadable, unsupported, or no
    sheet with a row that names known columns.
    """
    if not path.is_file():
        raise ReadError("file not found")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReadError(f"unreadable: cannot be opened ({type(exc).__name__})") from None
    if not data:
        raise ReadError("empty file (0 bytes)")
    suffix = path.suffix.lower()
    if suffix not in READABLE_SUFFIXES:
        raise ReadError(f"unsupported type ({suffix or 'no extension'}): not read")
    if data.startswith((_ZIP, _OLE2)):  # a workbook, whatever its name says
        return _read_workbook(data, name, score)
    if suffix in SHEET_SUFFIXES:
        text = _clean_text(data)
        if text is None:
            raise ReadError(f"unreadable: not a spreadsheet (the content is not {suffix} data)")
        tables, report = _read_text(text, name, score, tab_first=False)
        return tables, [line(name, f"read as text: the content is not {suffix} data"), *report]
    return _read_text(decode(data), name, score, tab_first=suffix == ".tsv")


# --- text -----------------------------------------------------------------------------------

def decode(data: bytes) -> str:
    """Bytes to text: BOM, UTF-16 by its NULs, strict UTF-8, else the likeliest legacy code page.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode_as(data, encoding)
    utf16 = _utf16_by_nuls(data)
    if utf16:
        try:
            return data.decode(utf16)
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    rank = {e: i for i, e in enumerate(LEGACY_ENCODINGS)}
    matches = list(from_bytes(data, cp_isolation=list(LEGACY_ENCODINGS)))
    if not matches:
        raise ReadError("unreadable: not text in UTF-8, UTF-16 or a Windows or Mac encoding")
    best = min(matches, key=lambda m: (round(m.chaos, 3), rank.get(m.encoding, len(rank))))
    return str(best)


def _decode_as(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ReadError(f"unreadable: not valid {encoding.upper()} text (at byte {exc.start}, "
                        "after its byte-order mark)") from None


def _utf16_by_nuls(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark: mostly-Latin text has a NUL in every other byte."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    even_nul, odd_nul = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_nul > 0.4 and even_nul < 0.1:
        return "utf-16-le"
    if even_nul > 0.4 and odd_nul < 0.1:
        return "utf-16-be"
    return None


def _clean_text(data: bytes) -> str | None:
    """Text only if it is unmistakably text (a BOM, or UTF-8 without NULs); else None."""
    try:
        text = decode(data) if data.startswith(tuple(b for b, _ in _BOMS)) \
            else data.decode("utf-8")
    except (ReadError, UnicodeDecodeError):
        return None
    return None if "\x00" in text else text


def _read_text(text: str, name: str, score: Score,
               tab_first: bool) -> tuple[list[Table], list[ReportLine]]:
    if not text.strip():
        raise ReadError("empty file (no text)")
    nul = "\x00" in text
    if nul:
        text = text.replace("\x00", _NUL_MARK)
    delimiter, width = sniff_delimiter(text, score, tab_first=tab_first)
    table = build_table(parse_delimited(text, delimiter, width), name, score, nul=nul)
    if table is None:
        raise ReadError(NO_HEADER)
    return [table], []


def parse_delimited(text: str, delimiter: str, width: int) -> pd.DataFrame:
    """Every record of a delimited text as a row of text (blank lines as blank rows), columns
    0..n-1. pandas' C parser when no row is wider than ``width`` (the common case, and the fast
    one); the csv module for the rest."""
    try:
        grid = pd.read_csv(io.StringIO(text), sep=delimiter, header=None, names=range(width),
                           dtype=str, na_filter=False, skip_blank_lines=False, engine="c",
                           quotechar='"', doublequote=True)
    except pd.errors.ParserError:  # a row wider than the sample's widest
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            rows = list(reader)
        except csv.Error:
            raise ReadError("unreadable: not a well-formed delimited file (near line "
                            f"{reader.line_num})") from None
        grid = pd.DataFrame(rows, dtype=object).fillna("")
    return grid


def sniff_delimiter(text: str, score: Score, tab_first: bool = False) -> tuple[str, int]:
    """Comma, semicolon, tab or pipe, and the widest record it gives near the top.

    The delimiter is the one whose split names most known columns in a row of the top of the
    file, then the one giving most rows of the same width (ties: comma, or tab for .tsv): a
    header of known names decides even when addresses hold commas.
    """
    sample = text[:65536]
    order = ("\t", ",", ";", "|") if tab_first else DELIMITERS
    best, best_key, best_width = order[0], (-1, -1, -1), 1
    for delimiter in order:
        try:
            records = list(itertools.islice(csv.reader(
                io.StringIO(sample, newline=""), delimiter=delimiter), 200))
        except csv.Error:
            continue
        header = max((score(r) for r in records[:HEADER_SCAN_ROWS]), default=0)
        widths = Counter(len(r) for r in records if len(r) > 1)
        width, agree = widths.most_common(1)[0] if widths else (1, 0)
        key = (header, agree, width)
        if key > best_key:
            best, best_key = delimiter, key
            best_width = max((len(r) for r in records), default=1)
    return best, max(best_width, 1)


# --- one table from rows of text ------------------------------------------------------------

def build_table(grid: pd.DataFrame, label: str, score: Score,
                nul: bool = False) -> Table | None:
    """The table below the header row of a grid of text (row i of the grid is row i + 1 of
    the file). The header is the row among the first ``HEADER_SCAN_ROWS`` that names most
    known columns (the first of equals); None when no row names any. Blank rows are dropped,
    and columns without a name (reported when they hold values)."""
    scan = grid.iloc[:HEADER_SCAN_ROWS].to_numpy().tolist()
    scores = [score(r) for r in scan]
    if not scores or max(scores) == 0:
        return None
    top = scores.index(max(scores))
    header = [str(c).replace(_NUL_MARK, "").strip() for c in scan[top]]
    body = grid.iloc[top + 1:]
    blank = _blank_rows(body.to_numpy())
    numbers = np.arange(top + 2, top + 2 + len(body))[~blank]
    if blank.any():
        body = body[~blank]
    report: list[ReportLine] = []
    names: list[str] = []
    used: Counter[str] = Counter()
    for i, title in enumerate(header):
        if not title:
            if body.iloc[:, i].str.strip().ne("").any():
                report.append(line(label, "values under a column with no name in the header "
                                          "row: not read", column=f"column {i + 1}"))
            names.append("")
            continue
        used[title] += 1
        names.append(title if used[title] == 1 else f"{title}.{used[title] - 1}")
    named = [i for i, n in enumerate(names) if n]
    frame = body.iloc[:, named].set_axis([names[i] for i in named], axis=1)
    frame = frame.reset_index(drop=True)
    if nul:
        report.extend(_remove_nuls(frame, numbers, label))
    return Table(label, frame, numbers, report)


def _blank_rows(cells: np.ndarray) -> np.ndarray:
    """Rows whose every cell is empty or spaces (vectorised: only rows whose first cell is
    blank are looked at cell by cell)."""
    if cells.size == 0:
        return np.zeros(len(cells), dtype=bool)
    first_blank = np.array([not v.strip() for v in cells[:, 0]], dtype=bool)
    blank = first_blank.copy()
    for i in np.flatnonzero(first_blank):
        blank[i] = not "".join(str(v) for v in cells[i]).strip()
    return blank


def _remove_nuls(frame: pd.DataFrame, numbers: np.ndarray, label: str) -> list[ReportLine]:
    report: list[ReportLine] = []
    for column in frame.columns:
        has = frame[column].str.contains(_NUL_MARK, regex=False).to_numpy()
        if has.any():
            report.extend(line(label, "NUL bytes removed from the value", int(r), column)
                          for r in numbers[has])
            frame[column] = frame[column].str.replace(_NUL_MARK, "", regex=False)
    return sorted(report, key=lambda r: cast(int, r["row"]))  # each line has a row number


# --- spreadsheets ---------------------------------------------------------------------------

def _calamine_failure(exc: BaseException) -> bool:
    """An error from calamine: its own exceptions, or a Rust panic (a BaseException)."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def _read_workbook(data: bytes, name: str, score: Score) -> tuple[list[Table], list[ReportLine]]:
    import python_calamine as calamine

    try:
        book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = list(book.sheets_metadata)
    except BaseException as exc:  # noqa: B036 - a Rust panic is a BaseException
        if not _calamine_failure(exc):
            raise
        raise ReadError("unreadable: the workbook cannot be opened (damaged, password-protected "
                        f"or not a spreadsheet; {type(exc).__name__})") from None
    several = len(sheets) > 1
    tables: list[Table] = []
    skipped: list[ReportLine] = []
    empty = 0
    for meta in sheets:
        label = f"{name}:{meta.name}" if several else name
        hidden = meta.visible != calamine.SheetVisibleEnum.Visible
        where = "hidden sheet" if hidden else "sheet"
        if meta.typ != calamine.SheetTypeEnum.WorkSheet:
            skipped.append(line(label, f"{where} skipped: not a worksheet (chart or macro sheet)"))
            continue
        try:
            grid = book.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
        except BaseException as exc:  # noqa: B036
            if not _calamine_failure(exc):
                raise
            skipped.append(line(label, f"unreadable {where}: skipped ({type(exc).__name__})"))
            continue
        rows = [[cell_text(c) for c in row] for row in grid]
        if not any(any(row) for row in rows):
            empty += 1
            skipped.append(line(label, f"empty {where}: skipped"))
            continue
        table = build_table(pd.DataFrame(rows, dtype=object).fillna(""), label, score)
        if table is None:
            skipped.append(line(label, f"{where} skipped: {NO_HEADER}"))
            continue
        if hidden:
            table.report.insert(0, line(label, "hidden sheet read: check it is not an old copy"))
        tables.append(table)
    if not tables:
        if empty == len(sheets):
            raise ReadError("empty workbook: no sheet holds any data")
        raise ReadError(NO_HEADER if not several else
                        f"no pupil columns found in any of its {len(sheets)} sheets: none of "
                        f"the first {HEADER_SCAN_ROWS} rows of a sheet names a known column")
    return tables, skipped


def cell_text(value: object) -> str:
    """A spreadsheet cell as text: dates as ISO dates, whole numbers without '.0', blanks ''."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()
