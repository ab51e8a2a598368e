"""Writing and reading files one way everywhere, so the same data always gives the same bytes.

CSV: UTF-8, no index, '\\n' line ends, fixed float format. XLSX: openpyxl stamps the current time
into the workbook's properties and into every zip entry; ``write_xlsx`` pins both, so a
spreadsheet is as reproducible as a CSV.

Nothing a spreadsheet would execute: every table written here (and by ``report.spreadsheets``)
goes through ``neutralised`` first, which prefixes with a single quote every text cell and
header that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (OWASP's rule
against CSV injection). Numbers, text that is only a number (``-1.5``, which a spreadsheet
reads as a number, never a formula) and a tolerance such as ``+/- 0.03`` (no formula can start
with ``+/``) are left as they are.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

FIXED_TIME = (2025, 5, 20, 0, 0, 0)  # the pilot's disclosure deadline; any constant would do
_CORE_TIMES = re.compile(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")
FORMULA_START = r"[=+\-@\t\r]"  # what a spreadsheet may take for the start of a formula
# Text left as it is although it starts like a formula: a plain number (read as a number) and
# a tolerance such as "+/- 25% of published" (letters, digits, spaces, '.' and '%' only, after
# '+/-': no function, reference or DDE call is possible, and '+/' cannot start a formula).
_HARMLESS = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|\+/-[ 0-9A-Za-z.%]*"


def _joined(values: pd.Series) -> str:
    """Every text cell of ``values`` in one string, each after a NUL: one scan in C tells
    whether any cell starts like a formula or holds a carriage return (most columns: none)."""
    cells = values.to_numpy(dtype=object)
    try:
        return "\x00" + "\x00".join(cells.tolist())
    except TypeError:  # numbers or missing values among the text
        return "\x00" + "\x00".join(v for v in cells.tolist() if isinstance(v, str))


_ANY_FORMULA_START = re.compile("\x00" + FORMULA_START)


def _risky(values: pd.Series) -> np.ndarray:
    """Where ``values`` holds text a spreadsheet might execute (False for non-text cells)."""
    if not _ANY_FORMULA_START.search(_joined(values)):
        return np.zeros(len(values), dtype=bool)
    text = values.astype(object) if isinstance(values.dtype, pd.CategoricalDtype) else values
    try:
        starts = text.str.match(FORMULA_START, na=False).to_numpy(dtype=bool, na_value=False)
    except AttributeError:  # an object column without any text (numbers, booleans, None)
        return np.zeros(len(values), dtype=bool)
    if starts.any():  # a number, or a tolerance: nothing to run
        number = text[starts].str.fullmatch(_HARMLESS, na=False)
        starts[starts] = ~number.to_numpy(dtype=bool, na_value=False)
    return starts


def _is_text_column(values: pd.Series) -> bool:
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def _neutral_name(name: object) -> object:
    if isinstance(name, str) and re.match(FORMULA_START, name) \
            and not re.fullmatch(_HARMLESS, name):
        return "'" + name
    return name


def _holds_carriage_return(frame: pd.DataFrame) -> bool:
    if any(isinstance(c, str) and "\r" in c for c in frame.columns):
        return True
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position]
        if _is_text_column(values) and "\r" in _joined(values):
            return True
    return False


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell and header a spreadsheet might execute prefixed with
    ``'`` (see the module docstring); the frame itself when nothing needs it. Vectorised:
    only text columns are looked at, one regular expression per column."""
    out = frame
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position]
        if not _is_text_column(values):
            continue
        risky = _risky(values)
        if not risky.any():
            continue
        if out is frame:
            out = frame.copy()
        fixed = values.to_numpy(dtype=object, copy=True)
        fixed[risky] = np.char.add("'", fixed[risky].astype(str)).astype(object)
        out.isetitem(position, fixed)
    names = [_neutral_name(c) for c in frame.columns]
    if names != list(frame.columns):
        if out is frame:
            out = frame.copy()
        out.columns = pd.Index(names, dtype=object)
    return out


def write_csv(frame: pd.DataFrame, path: Path, float_format: str = "%.4f") -> Path:
    """``frame`` as CSV (see the module docstring), neutralised. A text cell holding a carriage
    return (which the csv module leaves unquoted with '\\n' line ends, so a reader would start a
    new row there) makes every field quoted."""
    path.parent.mkdir(parents=True, exist_ok=True)
    safe = neutralised(frame)
    quoting = csv.QUOTE_ALL if _holds_carriage_return(safe) else csv.QUOTE_MINIMAL
    safe.to_csv(path, index=False, encoding="utf-8", lineterminator="\n",
                float_format=float_format, quoting=quoting)
    return path


def read_csv(path: Path) -> pd.DataFrame:
    """All values as text, empty cells as '' (never NaN), nothing dropped."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def pin_zip_times(path: Path) -> Path:
    """Rewrite an Office zip (xlsx, ods) with fixed entry times and document timestamps."""
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info.filename)) for info in src.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as dst:
        for info, data in entries:
            if info.filename in ("docProps/core.xml", "meta.xml"):
                data = _CORE_TIMES.sub(r"\g<1>2025-05-20T00:00:00Z\g<2>", data.decode()).encode()
                data = re.sub(rb"(<meta:creation-date>)[^<]*", rb"\g<1>2025-05-20T00:00:00", data)
                data = re.sub(rb"(<dc:date>)[^<]*", rb"\g<1>2025-05-20T00:00:00", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            fixed.compress_type = info.compress_type
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, data)
    path.write_bytes(buffer.getvalue())
    return path


def write_xlsx(frame: pd.DataFrame, path: Path, sheet: str = "Sheet1") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        neutralised(frame).to_excel(writer, sheet_name=sheet, index=False)
    return pin_zip_times(path)
