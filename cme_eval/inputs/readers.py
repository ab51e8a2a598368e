"""Reading one input file into tables of text, whatever its format, encoding, delimiter or layout.

Schools send returns as CSV, TXT and TSV saved by Excel on Windows (cp1252), Excel's "Unicode
text" (UTF-16, tabs) or European Excel (semicolons), and as XLS, XLSX, XLSM, XLSB and ODS
workbooks with title rows above the header, several sheets, hidden lookup sheets and blank rows.
This module turns any of them into tables of text; ``cme_eval.inputs.ingest`` maps the columns.
The two are apart so that how a file is read can change (and be tested) without touching the
mapping.

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

A broken CSV row is never merged into its neighbours (issue 22): when a record has another
field count than the header, or a quote left open swallows the lines after it, the file is
re-read line by line; good lines are records (numbered by line), each bad line is rejected and
reported with its line number and why. A carriage return alone inside a line of an LF or CRLF
file stays inside its field (a space), reported. Only the used cells of a sheet are kept: a
stray cell far away adds one row and one column, and a sheet whose range is huge is streamed.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import openpyxl  # type: ignore[import-untyped]
import pandas as pd

from cme_eval.exceptions import CmeEvalError, one_line, shape

Score = Callable[[Sequence[str]], int]  # how many known pupil columns a row of cells names
ReportLine = dict[str, object]

HEADER_SCAN_ROWS = 20  # the header is looked for in this many rows from the top
# A worksheet whose range (first to last cell) spans more cells than this is streamed row by
# row (openpyxl, read-only) rather than loaded by calamine, which holds the whole range in
# memory: one stray cell at XFD3000 would cost 49 million cells (1.5 GB) there.
MAX_LOADED_CELLS = 2_000_000
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
_CR_MARK = "\ue001"  # a carriage return that does not end a line (the line ends are LF/CRLF)
_BARE_CR = re.compile(r"\r(?!\n)")
NO_HEADER = (f"no pupil columns found: none of the first {HEADER_SCAN_ROWS} rows names a known "
             "column such as Forename, Surname or Date of Birth as a header row does (is the "
             "header row missing?)")


def no_header(grid: pd.DataFrame) -> str:
    """NO_HEADER with what the table holds instead, by shape only: its column count and, per
    column, the commonest shape of the values in the rows scanned ("text, text, date")."""
    scan = grid.iloc[:HEADER_SCAN_ROWS]
    kinds = []
    for j in range(scan.shape[1]):
        seen = Counter(k for v in scan.iloc[:, j] if (k := shape(v)) != "empty")
        kinds.append(seen.most_common(1)[0][0] if seen else "empty")
    return f"{NO_HEADER}; it has {scan.shape[1]} columns shaped {', '.join(kinds)}"


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
    """One ingest report line (file, row, field, problem), the problem in its final form."""
    return {"file": file, "row": row, "field": column, "problem": one_line(problem)}


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
    crs = "\n" in text and "\r" in text and _BARE_CR.search(text) is not None
    if crs:  # a bare CR inside a line is kept inside its field, not taken as a line end
        text = _BARE_CR.sub(_CR_MARK, text)
    delimiter, _ = sniff_delimiter(text, score, tab_first=tab_first)
    grid, numbers, rejected = check_records(text, delimiter, name, score)
    table = build_table(grid, name, score, nul=nul, rows=numbers)
    if table is None:
        raise ReadError(no_header(grid))
    if crs:
        table.report[:0] = _remove_mark(table.frame, table.rows, name, _CR_MARK, "\r",
                                        "carriage return inside a field (line {row}): kept "
                                        "in one row, replaced by a space", " ")
    table.report[:0] = rejected
    return [table], []


def check_records(text: str, delimiter: str, name: str, score: Score
                  ) -> tuple[pd.DataFrame, np.ndarray | None, list[ReportLine]]:
    """The grid of a delimited text's records, read once by the csv module, checked as read.

    Every record is well formed when it has as many fields as the header (or more, empty) and
    spans several lines only when that keeps the header's count (a quoted line break); the
    grid then holds every record (blank lines as blank rows) and the row numbers are None (row
    i is record i + 1). Otherwise the grid holds the good records, each with its line number,
    and a report line per rejected line: a quote left open (which would swallow the lines after
    it into one field) or a wrong field count. Every non-blank line is a record or is rejected.
    """
    try:  # the common case in one call; where each record ends is read only when needed
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        ends: list[int] | None = None
    except csv.Error:
        records, ends = _records_and_ends(text, delimiter)
    head = [score(r) for r in records[:HEADER_SCAN_ROWS]]
    top = head.index(max(head)) if head and max(head) > 0 else -1
    width = len(records[top]) if top >= 0 else 0

    def fits(fields: list[str]) -> bool:
        return len(fields) == width or (len(fields) > width
                                        and not "".join(fields[width:]).strip())

    widths = np.fromiter(map(len, records), dtype=np.int64, count=len(records))
    odd = np.flatnonzero(widths != width) if top >= 0 else np.array([], dtype=np.int64)
    cut = {len(records) - 1} if ends is not None and ends[-1:] == [-1] else set()
    bad = sorted({i for i in odd.tolist() if i > top and "".join(records[i]).strip()
                  and not fits(records[i])} | cut) if top >= 0 else []
    if not bad:
        return _grid(records, widths), None, []
    if ends is None:
        records, ends = _records_and_ends(text, delimiter)
    starts = [1, *(e + 1 for e in ends[:-1])]
    lines = re.split(r"\r\n|\n|\r", text)  # as the csv module counts them
    kept: list[tuple[int, list[str]]] = []
    report: list[ReportLine] = []
    broken = set(bad)
    for i, (first, last, fields) in enumerate(zip(starts, ends, records, strict=True)):
        if i not in broken:
            kept.append((first, fields))
            continue
        for number in range(first, (last if last > 0 else len(lines)) + 1):
            physical = lines[number - 1].rstrip("\r") if number <= len(lines) else ""
            if not physical.strip():
                continue
            if physical.count('"') % 2:
                why = "unbalanced quote (a quote opened and not closed on the line)"
            else:
                try:
                    one = next(csv.reader([physical], delimiter=delimiter), [])
                except csv.Error:
                    one = None
                if one is not None and fits(one):
                    kept.append((number, one))
                    continue
                why = (f"field count {len(one)}, header has {width}" if one is not None else
                       f"a field longer than {csv.field_size_limit()} characters")
            report.append(line(name, f"line {number} rejected: {why}; the row is not read",
                               number))
    kept.sort(key=lambda k: k[0])
    rows = [f for _, f in kept]
    grid = _grid(rows, np.fromiter(map(len, rows), dtype=np.int64, count=len(rows)))
    return grid, np.array([n for n, _ in kept], dtype=int), report


def _records_and_ends(text: str, delimiter: str) -> tuple[list[list[str]], list[int]]:
    """The records of a delimited text and the line each ends on; a record the csv module
    cannot parse (and so the rest of the text) is one empty record ending on line -1."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    ends: list[int] = []
    try:
        for record in reader:
            records.append(record)
            ends.append(reader.line_num)
    except csv.Error:
        records.append([])
        ends.append(-1)
    return records, ends


def _grid(records: list[list[str]], widths: np.ndarray) -> pd.DataFrame:
    """Records as a grid of text, shorter ones (blank lines) padded with ''."""
    wide = int(widths.max()) if len(widths) and widths.max() > 0 else 1
    if len(widths) and (widths == wide).all():
        return pd.DataFrame(records, columns=range(wide), dtype=object)
    return pd.DataFrame([r + [""] * (wide - len(r)) for r in records], columns=range(wide),
                        dtype=object)


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

def build_table(grid: pd.DataFrame, label: str, score: Score, nul: bool = False,
                rows: np.ndarray | None = None,
                columns: np.ndarray | None = None) -> Table | None:
    """The table below the header row of a grid of text (row i of the grid is row i + 1 of
    the file, or ``rows[i]``; column j is column j + 1, or ``columns[j] + 1``). The header is
    the row among the first ``HEADER_SCAN_ROWS`` of the file that names most known columns (the
    first of equals); None when no row names any. Blank rows are dropped, and columns without
    a name (reported when they hold values); a row with values only under such columns is not
    a record (reported)."""
    all_rows = np.arange(1, len(grid) + 1) if rows is None else np.asarray(rows, dtype=int)
    places = np.arange(grid.shape[1]) if columns is None else np.asarray(columns, dtype=int)
    scan_rows = int(np.searchsorted(all_rows, HEADER_SCAN_ROWS, side="right"))
    scan = grid.iloc[:scan_rows].to_numpy().tolist()
    scores = [score(r) for r in scan]
    if not scores or max(scores) == 0:
        return None
    top = scores.index(max(scores))
    header = [str(c).replace(_NUL_MARK, "").strip() for c in scan[top]]
    body = grid.iloc[top + 1:]
    blank = _blank_rows(body.to_numpy())
    numbers = all_rows[top + 1:][~blank]
    if blank.any():
        body = body[~blank]
    report: list[ReportLine] = []
    names: list[str] = []
    used: Counter[str] = Counter()
    for i, title in enumerate(header):
        if not title:
            if body.iloc[:, i].str.strip().ne("").any():
                report.append(line(label, "values under a column with no name in the header "
                                          "row: not read",
                                   column=f"column {int(places[i]) + 1}"))
            names.append("")
            continue
        used[title] += 1
        names.append(title if used[title] == 1 else f"{title}.{used[title] - 1}")
    named = [i for i, n in enumerate(names) if n]
    frame = body.iloc[:, named].set_axis([names[i] for i in named], axis=1)
    frame = frame.reset_index(drop=True)
    if len(named) < len(names) and len(frame):
        stray = _blank_rows(frame.to_numpy())
        if stray.any():
            report.extend(line(label, "values only under columns with no name in the header "
                                      "row: not a record", int(r)) for r in numbers[stray])
            frame, numbers = frame[~stray].reset_index(drop=True), numbers[~stray]
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
    return _remove_mark(frame, numbers, label, _NUL_MARK, "", "NUL bytes removed from the value",
                        "")


def _remove_mark(frame: pd.DataFrame, numbers: np.ndarray, label: str, mark: str, also: str,
                 problem: str, by: str) -> list[ReportLine]:
    """Replace a marker character (and ``also``, if given) in every cell; a report line per
    cell (``{row}`` in the problem is its row)."""
    report: list[ReportLine] = []
    for column in frame.columns:
        text = frame[column].astype(str)
        has = text.str.contains(mark, regex=False).to_numpy()
        if has.any():
            report.extend(line(label, problem.format(row=int(r)), int(r), column)
                          for r in numbers[has])
            frame[column] = text.str.replace(mark, by, regex=False)
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
    streamed = _large_sheets(data)
    several = len(sheets) > 1
    tables: list[Table] = []
    skipped: list[ReportLine] = []
    empty, unheaded = 0, ""
    for meta in sheets:
        label = f"{name}:{meta.name}" if several else name
        hidden = meta.visible != calamine.SheetVisibleEnum.Visible
        where = "hidden sheet" if hidden else "sheet"
        if meta.typ != calamine.SheetTypeEnum.WorkSheet:
            skipped.append(line(label, f"{where} skipped: not a worksheet (chart or macro sheet)"))
            continue
        try:
            if meta.name in streamed:
                grid, numbers, places = _compact(streamed[meta.name].iter_rows(values_only=True))
            else:
                grid, numbers, places = _compact(book.get_sheet_by_name(meta.name).iter_rows())
        except BaseException as exc:  # noqa: B036
            if not _calamine_failure(exc):
                raise
            skipped.append(line(label, f"unreadable {where}: skipped ({type(exc).__name__})"))
            continue
        if grid.empty:
            empty += 1
            skipped.append(line(label, f"empty {where}: skipped"))
            continue
        table = build_table(grid, label, score, rows=numbers, columns=places)
        if table is None:
            unheaded = no_header(grid)
            skipped.append(line(label, f"{where} skipped: {unheaded}"))
            continue
        if hidden:
            table.report.insert(0, line(label, "hidden sheet read: check it is not an old copy"))
        tables.append(table)
    if not tables:
        if empty == len(sheets):
            raise ReadError("empty workbook: no sheet holds any data")
        raise ReadError(unheaded if not several and unheaded else
                        f"no pupil columns found in any of its {len(sheets)} sheets: none of "
                        f"the first {HEADER_SCAN_ROWS} rows of a sheet names a known column")
    return tables, skipped


def _large_sheets(data: bytes) -> dict[str, Any]:
    """The worksheets of an .xlsx/.xlsm whose range spans more than ``MAX_LOADED_CELLS``
    cells (or is not declared), by name, opened read-only for streaming; {} for other formats
    or when openpyxl cannot open the workbook (calamine then reads it as before)."""
    if not data.startswith(_ZIP):
        return {}
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheets = book.worksheets
        return {ws.title: ws for ws in sheets
                if not ws.max_row or not ws.max_column
                or ws.max_row * ws.max_column > MAX_LOADED_CELLS}
    except Exception:  # noqa: BLE001 - not an OOXML workbook (.ods) or one openpyxl refuses
        return {}


def _compact(rows: Iterable[Sequence[object]]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The cells of a sheet as text, without its empty rows and columns: the grid, each row's
    number (1-based) and each column's place (0-based). A stray cell far away costs one row
    and one column, not the whole range up to it."""
    kept: list[list[str]] = []
    numbers: list[int] = []
    used: set[int] = set()
    for number, row in enumerate(rows, start=1):
        cells = list(row)
        if cells.count(None) + cells.count("") == len(cells):  # fast: blank rows are common
            continue
        texts = [cell_text(c) for c in cells]
        filled = [i for i, t in enumerate(texts) if t]
        if filled:
            kept.append(texts)
            numbers.append(number)
            used.update(filled)
    places = np.array(sorted(used), dtype=int)
    grid = pd.DataFrame([[r[i] if i < len(r) else "" for i in places] for r in kept],
                        columns=range(len(places)), dtype=object)
    return grid, np.array(numbers, dtype=int), places


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
