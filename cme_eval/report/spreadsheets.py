"""Accessible spreadsheets: tables.xlsx (gptables: cover, contents, notes, one table per sheet,
following the Analysis Function's guidance) and tables.ods (the same tables, open format).

Both are written with fixed timestamps (``fileio.pin_zip_times``) so a re-run gives the same
bytes. Each sheet's table goes through ``fileio.neutralised``: no cell a spreadsheet would
execute.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cme_eval.fileio import neutralised, pin_zip_times

SYNTHETIC_SOURCE = "cme-eval synthetic re-run of the CME database pilot evaluation"


@dataclass(frozen=True)
class Sheet:
    name: str  # sheet name: short, no spaces (screen readers read it out)
    title: str
    table: pd.DataFrame
    source: str = SYNTHETIC_SOURCE
    scope: str = "Seven pilot local authorities, Wales"


SYNTHETIC_ABOUT = ("Synthetic data: no real child is described in these tables.",
                   "Built by cme-eval; parameters and versions in manifest.json.")
NOT_AVAILABLE = "[x]"  # the GSS shorthand for a value not available or not applicable
SHORTHANDS = f"{NOT_AVAILABLE}: not available or not applicable (for example a precision with " \
             "no links made, or a measure that does not apply to this run); [c]: confidential."


def _filled(table: pd.DataFrame) -> pd.DataFrame:
    """No empty cell: the Analysis Function's guidance asks for a shorthand with its reason;
    and nothing a spreadsheet would execute (``fileio.neutralised``)."""
    filled = table.astype(object).where(table.notna(), NOT_AVAILABLE)
    return neutralised(filled.replace("", NOT_AVAILABLE))


def write_xlsx(path: Path, sheets: list[Sheet], title: str, intro: list[str],
               notes: pd.DataFrame, about: tuple[str, ...] = SYNTHETIC_ABOUT) -> Path:
    import gptables as gpt

    gp_sheets = {
        s.name: gpt.GPTable(table=_filled(s.table), table_name=s.name.lower(), title=s.title,
                            scope=s.scope, source=s.source)
        for s in sheets
    }
    cover = gpt.Cover(title=title, intro=intro, about=[*about, SHORTHANDS])
    gpt.write_workbook(filename=str(path), sheets=gp_sheets, cover=cover,
                       notes_table=notes, contentsheet_options={
                           "additional_elements": ["scope", "source"]},
                       auto_width=True)
    return pin_zip_times(path)


def write_ods(path: Path, sheets: list[Sheet], title: str, intro: list[str]) -> Path:
    with pd.ExcelWriter(path, engine="odf") as writer:
        cover = pd.DataFrame({title: intro + [""] + [f"{s.name}: {s.title}" for s in sheets]})
        cover.to_excel(writer, sheet_name="Cover", index=False)
        for s in sheets:
            _filled(s.table).to_excel(writer, sheet_name=s.name, index=False)
    return pin_zip_times(path)
