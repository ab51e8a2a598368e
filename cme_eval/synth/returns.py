"""Independent-school returns as schools really sent them: one file per school, many layouts.

The pilot's returns came in Excel, Word and email bodies with differing columns, names as
"SURNAME, Forename", dates of birth in several formats, missing fields, out-of-age pupils,
boarders and LA-placed pupils. Each layout here renders a school's pupils (standard fields) as
that school's file; the ingest layer has to map it back without knowing which layout it was.
Returns carry no record ids: a record is identified by its file and row (``file.csv:row2``),
which is also how the truth refers to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cme_eval.config import ConfigError, Scenario
from cme_eval.fileio import write_csv, write_xlsx

Render = Callable[[pd.DataFrame], pd.DataFrame]


def _split_address(address: pd.Series) -> pd.DataFrame:
    parts = address.fillna("").str.rsplit(", ", n=1, expand=True).reindex(columns=[0, 1])
    return parts.fillna("").rename(columns={0: "street", 1: "town"})


def _standard(df: pd.DataFrame) -> pd.DataFrame:
    return df[["forename", "surname", "dob", "address", "postcode"]]


def _admissions(df: pd.DataFrame) -> pd.DataFrame:
    lines = _split_address(df["address"])
    return pd.DataFrame({
        "Legal Surname": df["surname"], "Legal Forename": df["forename"],
        "Date of Birth": df["dob"], "Address Line 1": lines["street"], "Town": lines["town"],
        "Postcode": df["postcode"], "Boarder": np.where(df["boarder"], "Y", "N"),
    })


def _combined_name(df: pd.DataFrame) -> pd.DataFrame:
    name = df["surname"].str.upper() + ", " + df["forename"]
    home = df["address"] + np.where(df["postcode"].ne(""), ", " + df["postcode"], "")
    return pd.DataFrame({"Pupil Name": name, "DOB": df["dob"], "Home Address": home})


def _mis_export(df: pd.DataFrame) -> pd.DataFrame:
    lines = _split_address(df["address"])
    return pd.DataFrame({
        "Surname": df["surname"], "Forename": df["forename"], "DoB": df["dob"],
        "Street": lines["street"], "Town/City": lines["town"], "Post Code": df["postcode"],
        "Placed by LA": np.where(df["la_placed"], "Yes", ""),
    })


def _minimal(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"Name": df["forename"] + " " + df["surname"], "Date of birth": df["dob"]})


@dataclass(frozen=True)
class Layout:
    name: str
    suffix: str  # .csv or .xlsx
    render: Render
    description: str


LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        Layout("standard_csv", ".csv", _standard, "the requested three fields, one column each"),
        Layout("admissions_xlsx", ".xlsx", _admissions,
               "admissions system: legal names, address lines, a boarder flag"),
        Layout("combined_name_csv", ".csv", _combined_name,
               "'SURNAME, Forename' in one column; postcode inside the address"),
        Layout("mis_export_xlsx", ".xlsx", _mis_export,
               "school MIS export: street and town apart, an LA-placed flag"),
        Layout("minimal_csv", ".csv", _minimal, "name and date of birth only: no address"),
    )
}


def file_name(school_id: str, layout: str) -> str:
    return f"{school_id}{LAYOUTS[layout].suffix}"


def record_ids(name: str, n: int) -> list[str]:
    """Ids of a return's records: its file name and spreadsheet row (data starts on row 2)."""
    return [f"{name}:row{i + 2}" for i in range(n)]


IDENTIFIER_HEADERS = {"nhs_number": "NHS Number", "uprn": "UPRN", "upn": "UPN"}


def write_return(pupils: pd.DataFrame, layout: str, folder: Path, school_id: str) -> Path:
    """Write one school's return in its layout (rows in the order given), with any shared
    identifiers as extra columns (as a school asked for them would add them)."""
    spec = LAYOUTS[layout]
    pupils = pupils.reset_index(drop=True)
    frame = spec.render(pupils).copy()
    for column, header in IDENTIFIER_HEADERS.items():
        if column in pupils:
            frame[header] = pupils[column].astype(str)
    path = folder / file_name(school_id, layout)
    return write_csv(frame, path) if spec.suffix == ".csv" else write_xlsx(frame, path, "Pupils")


def check_settings(scenario: Scenario) -> None:
    """Every return layout the scenario weighs is one this module writes."""
    for layout in scenario.independent_schools.layouts:
        if layout not in LAYOUTS:
            raise ConfigError(f"independent_schools.layouts: unknown layout {layout!r}; "
                              "allowed: " + ", ".join(LAYOUTS))
