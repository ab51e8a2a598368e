"""cme_eval.inputs.ingest: one record per row, and errors that name the file, row and field."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from cme_eval.inputs.ingest import (
    IngestError,
    _split_full_name,
    read_authority,
    read_records,
    report_of,
    what_was_read,
)

HEADER = "record_id,forename,surname,dob,address,postcode\n"


def _write(path, text: str, encoding: str = "utf-8"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def test_records_are_read_as_text_with_provenance(tmp_path):
    path = _write(tmp_path / "plasc.csv",
                  HEADER + "P1,Siân,Jones,03/08/2011,\"1 Stryd Fawr, Bala\",LL23 7AA\n"
                           "P2,NA,007,,,\n")
    frame = read_records(path, "plasc", "Gwynedd")
    expected = pd.DataFrame({
        "record_id": ["P1", "P2"],
        "forename": ["Siân", "NA"],
        "surname": ["Jones", "007"],
        "dob": ["03/08/2011", ""],
        "address": ["1 Stryd Fawr, Bala", ""],
        "postcode": ["LL23 7AA", ""],
        "source": ["plasc", "plasc"],
        "authority": ["Gwynedd", "Gwynedd"],
        "file": ["plasc.csv", "plasc.csv"],
    })
    assert_frame_equal(frame, expected)


def test_missing_required_column_names_file_and_column(tmp_path):
    # A date of birth column is required: without one the file cannot be read at all.
    path = _write(tmp_path / "ehe.csv", "record_id,forename,surname,address,postcode\nE1,A,B,C,D\n")
    with pytest.raises(IngestError, match=re.escape(
            "ehe.csv: no date of birth column; found: record_id, forename, surname, address, "
            "postcode")):
        read_records(path, "ehe", "Powys")


def test_missing_name_columns_name_the_file_and_the_columns_found(tmp_path):
    path = _write(tmp_path / "ehe.csv", "record_id,forename,dob\nE1,A,2014-01-02\n")
    with pytest.raises(IngestError, match=re.escape(
            "ehe.csv: no name column (forename and surname, or a full name); "
            "found: record_id, forename, dob")):
        read_records(path, "ehe", "Powys")


def test_missing_postcode_column_is_reported_not_fatal(tmp_path):
    # Without a postcode column (and none inside the address) every record is kept, with an
    # empty postcode, and the ingest report says why.
    path = _write(tmp_path / "ehe.csv",
                  "record_id,forename,surname,dob,address\nE1,A,B,2014-01-02,1 High St\n")
    frame = read_records(path, "ehe", "Powys")
    assert frame["record_id"].tolist() == ["E1"]
    assert frame[["address", "postcode"]].values.tolist() == [["1 High St", ""]]
    report = report_of({"ehe": frame})
    assert report.to_dict("records") == [{
        "file": "ehe.csv", "row": "", "field": "postcode",
        "problem": "no postcode column and none found inside the address"}]


def test_header_whitespace_is_tolerated(tmp_path):
    path = _write(tmp_path / "ooc.csv",
                  "record_id, forename ,surname,dob,address,postcode \nO1,Ann,Lee,,,\n")
    frame = read_records(path, "ooc", "Powys")
    assert frame.columns.tolist()[:6] == ["record_id", "forename", "surname", "dob", "address",
                                          "postcode"]
    assert frame.loc[0, "forename"] == "Ann"


def test_blank_record_id_is_replaced_by_file_and_row_and_reported(tmp_path):
    # Header is line 1, so the second data row is row 3: every record stays, ids stay unique.
    path = _write(tmp_path / "eotas.csv", HEADER + "T1,A,B,,,\n  ,C,D,,,\nT3,E,F,,,\n")
    frame = read_records(path, "eotas", "Powys")
    assert frame["record_id"].tolist() == ["T1", "eotas.csv:row3", "T3"]
    report = report_of({"eotas": frame})
    assert report[report["field"] == "record_id"].to_dict("records") == [{
        "file": "eotas.csv", "row": 3, "field": "record_id",
        "problem": "empty: the record gets an id made from file and row"}]


def test_duplicate_record_id_is_replaced_at_the_repeating_row_and_reported(tmp_path):
    path = _write(tmp_path / "plasc.csv", HEADER + "A,a,a,,,\nB,b,b,,,\nC,c,c,,,\nB,d,d,,,\n")
    frame = read_records(path, "plasc", "Powys")
    assert frame["record_id"].tolist() == ["A", "B", "C", "plasc.csv:row5"]
    assert frame["forename"].tolist() == ["a", "b", "c", "d"]  # every record kept
    report = report_of({"plasc": frame})
    assert report[report["field"] == "record_id"].to_dict("records") == [{
        "file": "plasc.csv", "row": 5, "field": "record_id",
        "problem": "repeats the id of an earlier row: the record gets an id made from file "
                   "and row"}]


def test_file_without_record_id_gets_row_ids(tmp_path):
    path = _write(tmp_path / "school.csv",
                  "forename,surname,dob,address,postcode\nA,B,,,\nC,D,,,\nE,F,,,\n")
    frame = read_records(path, "independent", "Powys")
    assert frame["record_id"].tolist() == ["school.csv:row2", "school.csv:row3",
                                           "school.csv:row4"]
    assert frame.columns[0] == "record_id"


def test_label_replaces_the_file_name(tmp_path):
    path = _write(tmp_path / "x.csv", "forename,surname,dob,address,postcode\nA,B,,,\n")
    frame = read_records(path, "independent", "Powys", label="independent_returns/x.csv")
    assert frame["record_id"].tolist() == ["independent_returns/x.csv:row2"]
    assert frame["file"].tolist() == ["independent_returns/x.csv"]


def test_missing_file(tmp_path):
    with pytest.raises(IngestError, match=re.escape("absent.csv: file not found")):
        read_records(tmp_path / "absent.csv", "plasc", "Powys")


def test_empty_file(tmp_path):
    path = _write(tmp_path / "empty.csv", "")
    with pytest.raises(IngestError, match=re.escape("empty.csv: empty file (0 bytes)")):
        read_records(path, "plasc", "Powys")


def test_a_windows_1252_file_is_read(tmp_path):
    # Excel on Windows saves "CSV" in cp1252: read, not refused (it was refused before issue 12)
    path = _write(tmp_path / "latin.csv", HEADER + "A,Siân,Öztürk,,,\n", encoding="cp1252")
    frame = read_records(path, "plasc", "Powys")
    assert frame[["forename", "surname"]].values.tolist() == [["Siân", "Öztürk"]]


def test_read_authority_reads_every_source_and_all_school_returns(tmp_path):
    for name, rid in [("nhs_extract.csv", "N1"), ("plasc.csv", "P1"), ("ehe.csv", "E1"),
                      ("eotas.csv", "T1"), ("ooc.csv", "O1"), ("cme_register.csv", "C1")]:
        _write(tmp_path / name, HEADER + f"{rid},A,B,,,\n")
    _write(tmp_path / "independent_returns" / "b-school.csv",
           "forename,surname,dob,address,postcode\nX,Y,,,\nZ,W,,,\n")
    _write(tmp_path / "independent_returns" / "a-school.csv", HEADER + "S1,Q,R,,,\n")
    out = read_authority(tmp_path, "Powys")
    assert sorted(out) == sorted(["nwssp", "plasc", "ehe", "eotas", "ooc", "cme_register",
                                  "neighbour_enrolments", "independent"])
    assert out["neighbour_enrolments"].empty  # no exchange file: an empty dataset
    assert out["nwssp"]["record_id"].tolist() == ["N1"]
    assert out["cme_register"]["source"].tolist() == ["cme_register"]
    ind = out["independent"]
    assert ind["record_id"].tolist() == ["S1", "independent_returns/b-school.csv:row2",
                                         "independent_returns/b-school.csv:row3"]
    assert ind["file"].tolist() == ["independent_returns/a-school.csv",
                                    "independent_returns/b-school.csv",
                                    "independent_returns/b-school.csv"]
    assert set(ind["source"]) == {"independent"}


def test_read_authority_without_returns_gives_an_empty_independent_frame(tmp_path):
    for name in ("nhs_extract.csv", "plasc.csv", "ehe.csv", "eotas.csv", "ooc.csv",
                 "cme_register.csv"):
        _write(tmp_path / name, HEADER)
    out = read_authority(tmp_path, "Powys")
    assert len(out["independent"]) == 0
    assert out["independent"].columns.tolist() == ["record_id", "forename", "surname", "dob",
                                                   "address", "postcode", "source",
                                                   "authority", "file"]


def test_read_authority_names_a_missing_file(tmp_path):
    _write(tmp_path / "nhs_extract.csv", HEADER + "N1,A,B,2014-01-02,,\n")
    sources = read_authority(tmp_path, "Powys")
    read = what_was_read(sources, "Powys").set_index("source")
    assert read.loc["plasc", "status"] == "not read: file not found"
    assert read.loc["independent", "status"] == "not found"
    assert read.loc["nwssp", ["records", "status"]].tolist() == [1, "read"]
    assert "plasc.csv" in set(report_of(sources)["file"])
    with pytest.raises(IngestError, match=re.escape("nhs_extract.csv: file not found")):
        read_authority(tmp_path / "nowhere", "Powys")


def test_what_was_read_counts_sheets_rows_rejected_and_empty_fields(tmp_path):
    _write(tmp_path / "nhs_extract.csv", HEADER + 'N1,A,B,,,\nN2,"C,D,,,\nN3,E,F,,,\n')
    _write(tmp_path / "plasc.csv", HEADER)
    _write(tmp_path / "independent_returns" / "a.csv", HEADER + "S1,Q,R,2014-01-01,,\n")
    _write(tmp_path / "independent_returns" / "b.pdf", "not a return")
    _write(tmp_path / "independent_returns" / "c.csv", "nothing,known\n1,2\n")
    read = what_was_read(read_authority(tmp_path, "Powys"), "Powys").set_index("source")
    nhs = read.loc["nwssp"]
    assert (nhs["records"], nhs["rows_rejected"], nhs["sheets"]) == (2, 1, 1)
    assert nhs["note"] == "date of birth empty in every record"
    assert read.loc["plasc", "status"] == "no records (a header row only)"
    assert read.loc["independent", ["records", "status"]].tolist() == [1, "read 1 of 2 files"]


@pytest.mark.parametrize("full, forename, surname", [
    ("Rhys ap Gwilym", "Rhys", "ap Gwilym"),
    ("Mari ferch Dafydd", "Mari", "ferch Dafydd"),
    ("Elin verch Huw", "Elin", "verch Huw"),
    ("Owain Ab Ithel", "Owain", "Ab Ithel"),
    ("Dafydd fab Iorwerth", "Dafydd", "fab Iorwerth"),
    ("Anna van der Berg", "Anna", "van der Berg"),
    ("Mary Anne de la Cruz", "Mary Anne", "de la Cruz"),
    ("Luca  Di  Marco", "Luca", "Di Marco"),
    ("Rhys AP GWILYM", "Rhys", "ap Gwilym"),   # capitals: name case, patronymic lower case
    ("AP GWILYM, Rhys", "Rhys", "ap Gwilym"),  # 'Surname, Forename'
    ("Sion Rhys Jones", "Sion Rhys", "Jones"),  # no particle: the last word, as before
    ("La Toya Jackson", "La Toya", "Jackson"),  # a particle first is part of the forename
    ("Rhys ap", "Rhys", "ap"),                  # a particle with nothing after it
    ("Tomos O'Neill", "Tomos", "O'Neill"),
    ("JONES, Sion", "Sion", "Jones"),
    ("Madonna", "", "Madonna"),
])
def test_full_names_keep_surname_particles_with_the_surname(full, forename, surname):
    split = _split_full_name(pd.Series([full]))
    assert split.values.tolist() == [[forename, surname]]


def test_a_full_name_column_with_particles_is_read_into_forename_and_surname(tmp_path):
    path = _write(tmp_path / "school.csv",
                  "name,dob,address,postcode\nRhys ap Gwilym,2014-01-02,,\n"
                  "Anna van der Berg,2014-01-02,,\nSion Rhys Jones,2014-01-02,,\n")
    frame = read_records(path, "independent", "Powys")
    assert frame[["forename", "surname"]].values.tolist() == [
        ["Rhys", "ap Gwilym"], ["Anna", "van der Berg"], ["Sion Rhys", "Jones"]]


def test_a_link_out_of_the_inputs_folder_is_never_read(tmp_path):
    # issue 22, point 5: whatever its name, a file or folder whose link leads out of the
    # folder is not read (the NHS extract: the run stops; another source or a return: a line)
    outside = tmp_path / "elsewhere"
    _write(outside / "secret.csv", HEADER + "S1,Q,R,2014-01-01,,\n")
    folder = tmp_path / "in"
    _write(folder / "nhs_extract.csv", HEADER + "N1,A,B,2014-01-02,,\n")
    (folder / "plasc.csv").symlink_to(outside / "secret.csv")
    (folder / "independent_returns").mkdir()
    (folder / "independent_returns" / "school.csv").symlink_to(outside / "secret.csv")
    sources = read_authority(folder, "Powys")
    assert sources["plasc"].empty and sources["independent"].empty
    read = what_was_read(sources, "Powys").set_index("source")
    assert read.loc["plasc", "status"].startswith("not read: a link pointing out")
    report = report_of(sources)
    assert report["problem"].str.contains("a link pointing out").sum() == 2
    (folder / "independent_returns" / "school.csv").unlink()
    (folder / "independent_returns").rmdir()
    (folder / "independent_returns").symlink_to(outside, target_is_directory=True)
    assert read_authority(folder, "Powys")["independent"].empty
    (folder / "nhs_extract.csv").unlink()
    (folder / "nhs_extract.csv").symlink_to(outside / "secret.csv")
    with pytest.raises(IngestError, match="nhs_extract.csv: a link pointing out"):
        read_authority(folder, "Powys")
