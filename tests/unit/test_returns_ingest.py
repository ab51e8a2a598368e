"""Independent-school returns: each layout written by synth.returns reads back through ingest.

The ingest layer does not know which layout a school used; it maps headers by synonyms, splits
"SURNAME, Forename", joins address lines and lifts a postcode out of an address. Whatever it
cannot read is reported (file, row, field, problem) and every record is kept.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from cme_eval.fileio import write_csv, write_xlsx
from cme_eval.inputs.ingest import (
    REPORT_COLUMNS,
    IngestError,
    read_authority,
    read_records,
    report_of,
)
from cme_eval.synth.returns import LAYOUTS, file_name, record_ids, write_return

FIELDS = ["forename", "surname", "dob", "address", "postcode"]
SCHOOL = "test-school-01"


def _pupils() -> pd.DataFrame:
    """A school's pupils as the generator holds them: Welsh letters, hyphens, apostrophes,
    two forenames, several date formats, an address with three parts, a missing address and
    a missing postcode."""
    return pd.DataFrame({
        "forename": ["Siân", "Mary Ann", "Dafydd", "Tomos", "Megan"],
        "surname": ["Jones", "Lloyd-Jones", "O'Neill", "Prys", "Öztürk"],
        "dob": ["03/08/2011", "2012-11-30", "14.02.13", "40758", "31/12/2009"],
        "address": ["1 Stryd Fawr, Bala", "Tŷ Gwyn, 5 Ffordd Las, Bangor",
                    "Flat 2, 10 High Street, Caernarfon", "", "Y Bwthyn"],
        "postcode": ["LL23 7AA", "LL57 1AB", "LL55 2CD", "LL40 1EF", ""],
        "boarder": [False, True, False, False, True],
        "la_placed": [False, False, True, False, False],
    })


def _round_trip(tmp_path, layout: str, pupils: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    path = write_return(pupils, layout, tmp_path, SCHOOL)
    assert path.name == file_name(SCHOOL, layout) == f"{SCHOOL}{LAYOUTS[layout].suffix}"
    return read_records(path, "independent", "Gwynedd"), path.name


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_each_layout_round_trips(tmp_path, layout):
    pupils = _pupils()
    back, name = _round_trip(tmp_path, layout, pupils)
    assert len(back) == len(pupils)
    assert back["record_id"].tolist() == record_ids(name, len(pupils))
    assert back["source"].eq("independent").all() and back["file"].eq(name).all()
    # names (surname case restored where the layout sent capitals) and dates as written
    assert back["forename"].tolist() == pupils["forename"].tolist()
    assert back["surname"].tolist() == pupils["surname"].tolist()
    assert back["dob"].tolist() == pupils["dob"].tolist()
    report = report_of({"independent": back})
    assert list(report.columns) == REPORT_COLUMNS
    if layout == "minimal_csv":
        assert back["address"].eq("").all() and back["postcode"].eq("").all()
        assert report[["file", "row", "field"]].values.tolist() == [
            [name, "", "address"], [name, "", "postcode"]]
        assert report["problem"].str.startswith("no ").all()
    else:
        assert back["address"].tolist() == pupils["address"].tolist()
        assert back["postcode"].tolist() == pupils["postcode"].tolist()
        assert report.empty, report.to_string()


def test_layouts_differ_and_flags_are_read_back(tmp_path):
    pupils = _pupils()
    headers = {}
    for layout in LAYOUTS:
        path = write_return(pupils, layout, tmp_path / layout, SCHOOL)
        frame = pd.read_csv(path, dtype=str) if path.suffix == ".csv" else pd.read_excel(path)
        headers[layout] = tuple(frame.columns)
    assert len(set(headers.values())) == len(LAYOUTS)
    assert {LAYOUTS[name].suffix for name in LAYOUTS} == {".csv", ".xlsx"}
    combined = pd.read_csv(tmp_path / "combined_name_csv" / f"{SCHOOL}.csv", dtype=str)
    assert combined["Pupil Name"].iloc[0] == "JONES, Siân"  # what the ingest has to undo
    admissions, _ = _round_trip(tmp_path / "a", "admissions_xlsx", pupils)
    assert admissions["boarder"].tolist() == pupils["boarder"].tolist()
    mis, _ = _round_trip(tmp_path / "m", "mis_export_xlsx", pupils)
    assert mis["la_placed"].tolist() == pupils["la_placed"].tolist()


def test_a_layout_unknown_to_the_writer_is_refused(tmp_path):
    with pytest.raises(KeyError):
        write_return(_pupils(), "word_doc", tmp_path, SCHOOL)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_an_unknown_layout_names_the_file_but_not_its_first_row(tmp_path, suffix):
    # No cell names a known column, so the first row may be a pupil's record (a return sent
    # without its header row): the message names the file and quotes none of its cells.
    frame = pd.DataFrame({"Student": ["A B"], "Born": ["2014-01-02"], "Home": ["1 High St"]})
    path = tmp_path / f"odd-school{suffix}"
    (write_csv if suffix == ".csv" else write_xlsx)(frame, path)
    with pytest.raises(IngestError, match=re.escape(
            f"odd-school{suffix}: no pupil columns found: none of the first 20 rows names a "
            "known column")) as caught:
        read_records(path, "independent", "Gwynedd")
    assert not any(word in str(caught.value) for word in ("Student", "Born", "Home"))


def test_a_return_without_a_date_of_birth_column_names_the_file_and_columns(tmp_path):
    path = write_csv(pd.DataFrame({"Pupil Name": ["JONES, Siân"], "Home Address": ["Bala"]}),
                     tmp_path / "no-dob.csv")
    with pytest.raises(IngestError, match=re.escape(
            "no-dob.csv: no date of birth column; found: Pupil Name, Home Address")):
        read_records(path, "independent", "Gwynedd")


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_a_blank_forename_is_kept_and_reported_at_its_row(tmp_path, layout):
    pupils = _pupils()
    pupils.loc[2, "forename"] = ""  # third pupil: spreadsheet row 4
    back, name = _round_trip(tmp_path, layout, pupils)
    assert len(back) == len(pupils)
    assert back.loc[2, "record_id"] == f"{name}:row4"
    assert back.loc[2, "forename"] == "" and back.loc[2, "surname"] == "O'Neill"
    report = report_of({"independent": back})
    rows = report[report["field"] != "address"]
    rows = rows[rows["field"] != "postcode"]
    assert rows.to_dict("records") == [
        {"file": name, "row": 4, "field": "forename", "problem": "empty"}]


def test_the_report_of_a_folder_names_each_return_by_its_path(tmp_path):
    header = "record_id,forename,surname,dob,address,postcode\n"
    for name in ("nhs_extract.csv", "plasc.csv", "ehe.csv", "eotas.csv", "ooc.csv",
                 "cme_register.csv"):
        (tmp_path / name).write_text(header, encoding="utf-8")
    pupils = _pupils()
    pupils.loc[1, "dob"] = ""
    write_return(pupils, "standard_csv", tmp_path / "independent_returns", "a-school")
    write_return(_pupils(), "minimal_csv", tmp_path / "independent_returns", "b-school")
    sources = read_authority(tmp_path, "Gwynedd")
    assert len(sources["independent"]) == 2 * len(pupils)
    report = report_of(sources)
    report = report[report["file"].str.startswith("independent_returns")]
    assert report.to_dict("records") == [
        {"file": "independent_returns/a-school.csv", "row": 3, "field": "dob",
         "problem": "empty"},
        {"file": "independent_returns/b-school.csv", "row": "", "field": "address",
         "problem": "no address column: every record lacks an address"},
        {"file": "independent_returns/b-school.csv", "row": "", "field": "postcode",
         "problem": "no postcode column and none found inside the address"},
    ]
