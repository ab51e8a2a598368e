"""Reading extracts into the common record schema, with errors that name the file, row and field.

Every input row becomes exactly one record: a row that cannot be read well (an empty name, an
unreadable date) is kept and flagged by standardisation, never dropped. A file that cannot be
read at all (missing, or without a required column) stops the run with a message naming it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cme_eval.schema import FILE_NAMES, INDEPENDENT, LA_DATASETS, NWSSP, RETURNS_DIR

REQUIRED_FIELDS = ("forename", "surname", "dob", "address", "postcode")


class IngestError(ValueError):
    """An input file cannot be read into the common schema; the message names file and field."""


def read_records(path: Path, source: str, authority: str, *, label: str | None = None):
    """One CSV file as records in the common schema (all values as text, nothing dropped)."""
    name = label or path.name
    if not path.is_file():
        raise IngestError(f"{name}: file not found")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise IngestError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except pd.errors.EmptyDataError:
        raise IngestError(f"{name}: the file is empty (no header row)") from None
    frame.columns = [c.strip() for c in frame.columns]
    missing = [c for c in REQUIRED_FIELDS if c not in frame.columns]
    if missing:
        raise IngestError(
            f"{name}: missing required column {missing[0]!r}; found: {', '.join(frame.columns)}"
        )
    if "record_id" not in frame.columns:
        frame.insert(0, "record_id", [f"{name}:row{i + 2}" for i in range(len(frame))])
    blank_ids = frame["record_id"].str.strip().eq("")
    if blank_ids.any():
        row = int(blank_ids.to_numpy().argmax()) + 2
        raise IngestError(f"{name}: row {row}, field 'record_id' is empty")
    dupes = frame["record_id"].duplicated()
    if dupes.any():
        row = int(dupes.to_numpy().argmax()) + 2
        raise IngestError(f"{name}: row {row}, field 'record_id' repeats an earlier id")
    frame["source"] = source
    frame["authority"] = authority
    frame["file"] = name
    return frame


def read_authority(folder: Path, authority: str) -> dict[str, pd.DataFrame]:
    """Every source of one LA from a folder laid out as ``cme-eval generate`` writes it."""
    folder = Path(folder)
    out = {
        source: read_records(folder / FILE_NAMES[source], source, authority)
        for source in (NWSSP, *LA_DATASETS)
    }
    returns = sorted((folder / RETURNS_DIR).glob("*.csv"))
    frames = [
        read_records(p, INDEPENDENT, authority, label=f"{RETURNS_DIR}/{p.name}") for p in returns
    ]
    empty = pd.DataFrame(columns=["record_id", *REQUIRED_FIELDS, "source", "authority", "file"])
    out[INDEPENDENT] = pd.concat(frames, ignore_index=True) if frames else empty
    return out
