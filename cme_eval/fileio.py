"""Writing and reading files one way everywhere, so the same data always gives the same bytes.

CSV: UTF-8, no index, '\\n' line ends, fixed float format. XLSX: openpyxl stamps the current time
into the workbook's properties and into every zip entry; ``write_xlsx`` pins both, so a
spreadsheet is as reproducible as a CSV.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pandas as pd

FIXED_TIME = (2025, 5, 20, 0, 0, 0)  # the pilot's disclosure deadline; any constant would do
_CORE_TIMES = re.compile(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def write_csv(frame: pd.DataFrame, path: Path, float_format: str = "%.4f") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n",
                 float_format=float_format)
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
        frame.to_excel(writer, sheet_name=sheet, index=False)
    return pin_zip_times(path)
