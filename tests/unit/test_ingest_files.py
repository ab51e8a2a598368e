"""Ingest loses nothing and quotes no one (issue 12, points 4 and 5).

Each test writes the files a school or an LA really sends into pytest's tmp_path: other formats
(.txt, .tsv, .xls, .ods), every sheet of a workbook, title rows above the header, other header
spellings, other encodings and delimiters, and broken files (empty, random bytes, lock files,
truncated or password-protected workbooks, no header row). A bad independent return is listed
in the ingest report and never stops the LA's run; no message or report line carries a value
from a record.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import subprocess
import sys
import warnings
import zlib
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from cme_eval.inputs.ingest import (
    REPORT_COLUMNS,
    IngestError,
    header_score,
    read_authority,
    read_records,
    read_warnings,
    report_of,
    what_was_read,
)
from cme_eval.inputs.readers import READABLE_SUFFIXES, read_tables, sniff_delimiter

HEADER = ["record_id", "forename", "surname", "dob", "address", "postcode"]
CORE = ("nhs_extract.csv", "plasc.csv", "ehe.csv", "eotas.csv", "ooc.csv", "cme_register.csv")
# A pupil whose every value is unusual enough to be found in any text it leaks into.
SECRET = {"forename": "Zebedeeqx", "surname": "Quillborne", "dob": "17/03/2013",
          "address": "7 Vexmoor Lane", "postcode": "ZZ99 9ZZ", "record_id": "IDqx-4471"}
SECRET_VALUES = tuple(SECRET.values()) + ("Vexmoor", "ZZ99", "2013")
PUPIL = [SECRET[k] for k in ("forename", "surname", "dob", "address", "postcode")]
RETURN_HEADER = ["Forename", "Surname", "Date of Birth", "Address", "Postcode"]


def _text(path: Path, rows: list[list[str]], sep: str = ",", encoding: str = "utf-8",
          newline: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = newline.join(sep.join(f'"{c}"' if sep in c else c for c in row) for row in rows)
    path.write_bytes((body + newline).encode(encoding))
    return path


def _xlsx(path: Path, sheets: dict[str, list[list[object]]],
          hidden: tuple[str, ...] = ()) -> Path:
    """A workbook with the sheets given, rows from A1 (None: an empty cell)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if title in hidden:
            sheet.sheet_state = "hidden"
    book.save(path)
    return path


def _core_folder(folder: Path) -> Path:
    for name in CORE:
        _text(folder / name, [HEADER, [f"{name[:3].upper()}1", "A", "B", "2014-01-02", "", ""]])
    return folder


def _report(frame: pd.DataFrame) -> list[dict]:
    return report_of({"x": frame}).to_dict("records")


def _problems(frame: pd.DataFrame, file: str | None = None) -> list[str]:
    return [r["problem"] for r in _report(frame) if file is None or r["file"] == file]


# --- formats --------------------------------------------------------------------------------

def test_the_readable_formats_are_the_ones_schools_send():
    assert set(READABLE_SUFFIXES) == {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xlsb", ".xls",
                                      ".ods"}


def test_a_tab_separated_tsv_is_read(tmp_path):
    path = _text(tmp_path / "school.tsv", [RETURN_HEADER, PUPIL], sep="\t")
    frame = read_records(path, "independent", "Powys")
    assert frame[["forename", "surname", "dob", "address", "postcode"]].values.tolist() == [PUPIL]


def test_a_txt_saved_as_excel_unicode_text_is_read(tmp_path):
    # Excel's "Unicode Text (*.txt)": UTF-16 with a byte-order mark, tab-separated, CRLF
    path = _text(tmp_path / "school.txt", [RETURN_HEADER, ["Siân", "Öztürk", "2014-01-02",
                                                           "Tŷ Gwyn, Bala", "LL23 7AA"]],
                 sep="\t", encoding="utf-16", newline="\r\n")
    frame = read_records(path, "independent", "Powys")
    assert frame[["forename", "surname", "address"]].values.tolist() == [
        ["Siân", "Öztürk", "Tŷ Gwyn, Bala"]]


def test_utf16_without_a_byte_order_mark_is_read(tmp_path):
    path = _text(tmp_path / "school.csv", [RETURN_HEADER, ["Siân", "Jones", "", "", ""]],
                 encoding="utf-16-le")
    assert read_records(path, "independent", "Powys")["forename"].tolist() == ["Siân"]


def test_a_utf8_file_with_a_byte_order_mark_is_read(tmp_path):
    path = _text(tmp_path / "plasc.csv", [HEADER, ["P1", "Siân", "Jones", "", "", ""]],
                 encoding="utf-8-sig")
    frame = read_records(path, "plasc", "Powys")
    assert frame[["record_id", "forename"]].values.tolist() == [["P1", "Siân"]]


@pytest.mark.parametrize("encoding", ["cp1252", "mac_roman"])
def test_windows_and_mac_encodings_are_read(tmp_path, encoding):
    rows = [RETURN_HEADER, ["Siân", "Öztürk", "", "Café Row", ""], ["Zoë", "Prys", "", "", ""]]
    path = _text(tmp_path / "school.csv", rows, encoding=encoding)
    frame = read_records(path, "independent", "Powys")
    assert frame[["forename", "surname"]].values.tolist() == [["Siân", "Öztürk"],
                                                              ["Zoë", "Prys"]]


@pytest.mark.parametrize("sep", [";", "\t", "|", ","])
def test_each_delimiter_is_found_even_with_commas_in_addresses(tmp_path, sep):
    rows = [RETURN_HEADER, ["Siân", "Jones", "03/08/2011", "1 Stryd Fawr, Bala", "LL23 7AA"],
            ["Tomos", "Prys", "14.02.13", "Y Bwthyn, Harlech, Gwynedd", "LL46 2AA"]]
    path = _text(tmp_path / "school.csv", rows, sep=sep)
    frame = read_records(path, "independent", "Powys")
    assert frame["address"].tolist() == ["1 Stryd Fawr, Bala", "Y Bwthyn, Harlech, Gwynedd"]
    assert frame["postcode"].tolist() == ["LL23 7AA", "LL46 2AA"]
    assert _report(frame) == []


def test_the_delimiter_is_the_one_that_splits_a_header_into_known_names():
    text = "Title of the return\nForename;Surname;DOB\nA, B;C;D\n"
    assert sniff_delimiter(text, header_score)[0] == ";"


XLS_FIXTURE = (  # tests/unit/test_ingest_files.py::_xls_bytes, made by xlwt 1.3.0, zlib, base64
    "eNrtWE1IVFEUPvfNPB3NnxnTQAO5CJmaqKNCbXScyR8ItSmDMoIae48cdN6T90ZkIsoyl0HQqmgj2KKN1aYfalG7"
    "FoFRi0AI1JathIIW6nTumTvDaAYJJRjvDPe8e8797rln7jn35733877FmScVS7CJ2sEF68k8yMnSMSx5acEL2J5M"
    "imr66cGSdGhXUZ4HA5mjwsvCd7kihiLeS6DAY/cb5ADLWM7BGPSbhs53kELkQ4QJH9qYG3NPgftYiqCc/CohfpH4"
    "XuKPCPuKeAdpbhFvQ+wiOwvzgf66IzKPzyhV1FaEnMEz6rNAGj+UwVuRx9dusxRWhaAVjYzusoZKdwHMAoa0Rzd0"
    "S8jF8ADyATo7G/v6GgeRFqEUwz0L35Mc4Ft6Xb/mjn5n9QxQ/2OjPvc3eg8GcbP+juIGmITkBSaSeRqTesUtMiEH"
    "ek1zZHxMaKZzUos7PD4WHbVX0Y0SWkQACD1qajpmSp8eMaLGJayFzIil6VY1SDy3dDuq6UacRw0eH9Z5b7Ce22MW"
    "onlct2KFEsgHxi0jEtNR7o5adpz3o1Bj1+IW03k8xGs0rTEWa0wg1eIoQU1DuzaeKGETscILFeAYbjQ2OjUQXTbQ"
    "Pz8fiFsJjXdHJqx6HoqMRvCU6e1tbuGHg0GEha2Ejb1OmTHTxhZ/a0NTc4O/BauDPDQRH04YhG9t4v6u7nxxgNGG"
    "592w4RXSNlCAXINiqvtoM/DifK8+XPnQNxQOnCfNJB1yqaPwgJh3SMJ10QM7F1GLkuF1xA8Rv0FW91O9gngprlR8"
    "VofLZKV7ijA3qbUax2kh+hg4mFWvwfr01xPPK6e/BGqxPtezdLl07lNgBqrwaNawv/hNQT2rZ/fuCnoRSD+Z3DQ/"
    "Ey//ZQP1KF7pe1Ke98WwJrYMJB/xlCRmh0k824S/quSTzkfzKvAsM5vtSgk8penpyLpU7ERMUpcYdRfHhG0ZE5dE"
    "KPTvNiIUQrhlFFLzp2YkJStCCtrxiaNCSm6UPNKyawvLLrKcJ/Eusiw8ErF3Yf8SWLiiyDZheU8GKSwXSMvqFpZV"
    "slwo8SpZLspIwufijCQsezOSsOxL5xhslWMOOeSQQw455NCGbzriquBKvQrQESwuBrnyu84alnXnM8l/SyfBxF8c"
    "Xym7wMCnBYlt5c8+UFnaFvvDPunvhYJO4+gWjMAQ+TGy7fzF6zPL/j9/3NH795bQdsdf346f/3j8n3e4Td8="
)


def _xls_bytes() -> bytes:
    """A real BIFF8 .xls: a hidden 'Lookup' sheet first, then 'Pupils' with a title row, the
    header on row 3, a date cell formatted DD/MM/YYYY, a blank row 5. Made with xlwt when it is
    installed (and checked against the stored copy); otherwise the stored copy, made by the
    same code (no .xls writer ships with the project's dependencies)."""
    try:
        import xlwt
    except ImportError:
        return zlib.decompress(base64.b64decode("".join(XLS_FIXTURE)))
    book = xlwt.Workbook()
    lookup = book.add_sheet("Lookup")
    for c, value in enumerate(["Code", "Meaning"]):
        lookup.write(0, c, value)
    lookup.write(1, 0, 1)
    lookup.write(1, 1, "Boarder")
    lookup.visibility = 1  # hidden
    pupils = book.add_sheet("Pupils")
    pupils.write(0, 0, "Pupils resident in the LA, spring term")
    for c, h in enumerate(["Pupil Surname", "First Name(s)", "DOB (dd/mm/yyyy)", "Address",
                           "Post Code"]):
        pupils.write(2, c, h)
    date = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    for c, value in enumerate(["Jones", "Siân"]):
        pupils.write(3, c, value)
    pupils.write(3, 2, dt.date(2011, 8, 3), date)
    pupils.write(3, 3, "1 Stryd Fawr, Bala")
    pupils.write(3, 4, "LL23 7AA")
    for c, value in enumerate(["Prys", "Tomos", "14.02.13", "Y Bwthyn", "LL40 1EF"]):
        pupils.write(5, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_stored_xls_is_what_its_code_makes():
    pytest.importorskip("xlwt")
    assert _xls_bytes() == zlib.decompress(base64.b64decode("".join(XLS_FIXTURE)))


def test_an_xls_workbook_is_read_with_its_title_row_hidden_lookup_and_dates(tmp_path):
    path = tmp_path / "school.xls"
    path.write_bytes(_xls_bytes())
    assert path.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"  # OLE2: a genuine .xls, not a renamed file
    frame = read_records(path, "independent", "Powys", label="independent_returns/school.xls")
    assert frame[["forename", "surname", "dob", "address", "postcode"]].values.tolist() == [
        ["Siân", "Jones", "2011-08-03", "1 Stryd Fawr, Bala", "LL23 7AA"],
        ["Tomos", "Prys", "14.02.13", "Y Bwthyn", "LL40 1EF"]]
    # two sheets: ids and the report name the sheet; the data rows are rows 4 and 6
    assert frame["record_id"].tolist() == ["independent_returns/school.xls:Pupils:row4",
                                           "independent_returns/school.xls:Pupils:row6"]
    assert _report(frame) == [{
        "file": "independent_returns/school.xls:Lookup", "row": "", "field": "",
        "problem": "hidden sheet skipped: no pupil columns found: none of the first 20 rows "
                   "names a known column such as Forename, Surname or Date of Birth as a "
                   "header row does (is the header row missing?); it has 2 columns shaped "
                   "text, text"}]


def test_an_ods_workbook_is_read(tmp_path):
    path = tmp_path / "school.ods"
    pd.DataFrame([PUPIL], columns=RETURN_HEADER).to_excel(path, index=False, engine="odf")
    frame = read_records(path, "independent", "Powys")
    assert frame[["forename", "postcode"]].values.tolist() == [[SECRET["forename"],
                                                               SECRET["postcode"]]]


def test_an_xlsm_workbook_is_read(tmp_path):
    path = _xlsx(tmp_path / "school.xlsm", {"Pupils": [RETURN_HEADER, PUPIL]})
    assert read_records(path, "independent", "Powys")["surname"].tolist() == [SECRET["surname"]]


def test_an_xls_saved_under_an_xlsx_name_is_read_by_its_content(tmp_path):
    path = tmp_path / "school.xlsx"
    path.write_bytes(_xls_bytes())  # OLE2 content, .xlsx name
    assert read_records(path, "independent", "Powys")["forename"].tolist() == ["Siân", "Tomos"]


def test_a_csv_saved_under_an_xlsx_name_is_read_as_text_and_reported(tmp_path):
    path = _text(tmp_path / "school.xlsx", [RETURN_HEADER, ["A", "B", "", "", ""]])
    frame = read_records(path, "independent", "Powys")
    assert frame["forename"].tolist() == ["A"]
    assert _problems(frame)[0] == "read as text: the content is not .xlsx data"


# --- sheets, title rows, header spellings ---------------------------------------------------

def test_every_sheet_with_pupils_is_read_and_the_others_are_listed(tmp_path):
    path = _xlsx(tmp_path / "school.xlsx", {
        "Lookup": [["Code", "Meaning"], [1, "Boarder"]],
        "Year 7": [RETURN_HEADER, ["A", "B", dt.date(2013, 1, 2), "1 High St", "CF1 1AA"]],
        "Notes": [["Sent by the bursar"]],
        "Year 8": [["Surname", "Forename", "DOB"], ["D", "C", "2012-05-06"]],
        "Empty": [],
    }, hidden=("Lookup",))
    frame = read_records(path, "independent", "Powys", label="independent_returns/school.xlsx")
    assert frame[["forename", "surname", "dob"]].values.tolist() == [
        ["A", "B", "2013-01-02"], ["C", "D", "2012-05-06"]]
    name = "independent_returns/school.xlsx"
    assert frame["record_id"].tolist() == [f"{name}:Year 7:row2", f"{name}:Year 8:row2"]
    report = report_of({"independent": frame})
    whole = report[report["row"] == ""].groupby("file")["problem"].apply(list).to_dict()
    assert sorted(whole) == [f"{name}:{s}" for s in ("Empty", "Lookup", "Notes", "Year 8")]
    assert whole[f"{name}:Lookup"][0].startswith("hidden sheet skipped: no pupil columns found")
    assert whole[f"{name}:Notes"][0].startswith("sheet skipped: no pupil columns found")
    assert whole[f"{name}:Empty"] == ["empty sheet: skipped"]
    # Year 8 has no address column: reported against that sheet
    assert whole[f"{name}:Year 8"] == ["no address column: every record lacks an address",
                                       "no postcode column and none found inside the address"]


def test_a_hidden_first_sheet_of_lookups_does_not_hide_the_pupils(tmp_path):
    path = _xlsx(tmp_path / "school.xlsx", {"Codes": [["Year", "Code"], [7, "Y7"]],
                                            "Pupils": [RETURN_HEADER, PUPIL]},
                 hidden=("Codes",))
    frame = read_records(path, "independent", "Powys")
    assert frame["forename"].tolist() == [SECRET["forename"]]


def test_a_hidden_sheet_of_pupils_is_read_and_flagged(tmp_path):
    path = _xlsx(tmp_path / "school.xlsx", {"Old": [RETURN_HEADER, ["A", "B", "", "", ""]],
                                            "Pupils": [RETURN_HEADER, ["C", "D", "", "", ""]]},
                 hidden=("Old",))
    frame = read_records(path, "independent", "Powys")
    assert frame["forename"].tolist() == ["A", "C"]
    assert "school.xlsx:Old" in {r["file"] for r in _report(frame)
                                 if r["problem"].startswith("hidden sheet read")}


def test_a_sheet_with_a_name_but_no_date_of_birth_column_is_listed_not_fatal(tmp_path):
    path = _xlsx(tmp_path / "school.xlsx", {
        "Pupils": [RETURN_HEADER, ["A", "B", "", "", ""]],
        "Leavers": [["Forename", "Surname", "Destination"], ["C", "D", "Sixth form"]]})
    frame = read_records(path, "independent", "Powys")
    assert frame["forename"].tolist() == ["A"]
    assert {"file": "school.xlsx:Leavers", "row": "", "field": "",
            "problem": "sheet not read: no date of birth column; found: Forename, Surname, "
                       "Destination"} in _report(frame)


def test_a_title_row_above_the_header_is_skipped(tmp_path):
    path = _text(tmp_path / "school.csv", [["St Teilo's School - pupils living in Powys"],
                                           RETURN_HEADER, ["A", "B", "2014-01-02", "", ""]])
    frame = read_records(path, "independent", "Powys")
    assert frame["forename"].tolist() == ["A"]
    assert frame["record_id"].tolist() == ["school.csv:row3"]


def test_a_header_on_row_5_of_a_workbook_is_found(tmp_path):
    path = _xlsx(tmp_path / "school.xlsx", {"Return": [
        ["Independent school return"], ["School: St Teilo's"], [None], [None],
        RETURN_HEADER, ["A", "B", dt.date(2014, 1, 2), "", ""], [None],
        ["C", "", "2014-03-04", "", ""]]})
    frame = read_records(path, "independent", "Powys")
    assert frame[["forename", "dob"]].values.tolist() == [["A", "2014-01-02"], ["C", "2014-03-04"]]
    assert frame["record_id"].tolist() == ["school.xlsx:row6", "school.xlsx:row8"]
    assert [(r["row"], r["field"]) for r in _report(frame)] == [(8, "surname")]


@pytest.mark.parametrize("header, field", [
    ("First Name(s)", "forename"), ("Child's Forename", "forename"),
    ("Child\u2019s First Name", "forename"), ("Legal Forename", "forename"),
    ("Given Names", "forename"), ("Enw cyntaf", "forename"),
    ("Pupil Surname", "surname"), ("Legal Surname", "surname"), ("Family name", "surname"),
    ("Cyfenw / Surname", "surname"), ("SURNAME", "surname"),
    ("DOB (dd/mm/yyyy)", "dob"), ("Date of Birth", "dob"), ("D.O.B.", "dob"),
    ("Date of birth [required]", "dob"), ("DOB ddmmyyyy", "dob"), ("Dyddiad geni", "dob"),
    ("Post Code", "postcode"), ("Home Postcode", "postcode"), ("Côd Post", "postcode"),
    ("Pupil Name", "full_name"), ("Student Name", "full_name"), ("Child's Name", "full_name"),
    ("Home Address", "address"), ("Address Line 1", "address_line"), ("Town/City", "town"),
])
def test_header_spellings_schools_use_are_recognised(header, field):
    from cme_eval.inputs.ingest import field_of

    assert field_of(header)[0] == field


@pytest.mark.parametrize("header", ["Preferred Forename", "Parent Surname", "Contact Name",
                                    "Year Group", "School", "Middle Name"])
def test_headers_that_are_not_the_pupils_fields_are_not_taken(header):
    from cme_eval.inputs.ingest import field_of

    assert field_of(header) is None


def test_a_return_with_new_spellings_maps_every_field(tmp_path):
    path = _text(tmp_path / "school.csv", [
        ["Pupil Surname", "Child's Forename", "Preferred Forename", "DOB (dd/mm/yyyy)",
         "Address", "Post Code"],
        ["Jones", "Siân", "Sia", "03/08/2011", "1 Stryd Fawr", "LL23 7AA"]])
    frame = read_records(path, "independent", "Powys")
    assert frame[["forename", "surname", "dob", "postcode"]].values.tolist() == [
        ["Siân", "Jones", "03/08/2011", "LL23 7AA"]]


# --- row numbers, blank rows, NUL bytes -----------------------------------------------------

def test_a_blank_csv_line_keeps_the_row_numbers_a_person_sees(tmp_path):
    path = tmp_path / "plasc.csv"
    path.write_text("record_id,forename,surname,dob,address,postcode\n"
                    "P1,A,B,2014-01-02,,\n\n"
                    "P2,,C,2014-01-02,,\n", encoding="utf-8")
    frame = read_records(path, "plasc", "Powys")
    assert frame["record_id"].tolist() == ["P1", "P2"]  # the blank line is not a record
    assert _report(frame) == [{"file": "plasc.csv", "row": 4, "field": "forename",
                               "problem": "empty"}]


def test_a_quoted_line_break_is_one_row_as_a_spreadsheet_shows_it(tmp_path):
    path = tmp_path / "school.csv"
    path.write_text('Forename,Surname,DOB,Address\nA,B,2014-01-02,"1 High St\nBala"\n'
                    ",C,2014-01-02,\n", encoding="utf-8")
    frame = read_records(path, "independent", "Powys")
    assert frame["address"].tolist() == ["1 High St\nBala", ""]
    assert [(r["row"], r["field"]) for r in _report(frame) if r["row"] != ""] == [
        (3, "forename")]


def test_blank_workbook_rows_are_not_records(tmp_path):
    path = _xlsx(tmp_path / "school.xlsx", {"Pupils": [
        RETURN_HEADER, ["A", "B", "", "", ""], [None, None, None], ["  ", None, ""],
        ["C", "D", "", "", ""], [None], [None]]})
    frame = read_records(path, "independent", "Powys")
    assert frame["forename"].tolist() == ["A", "C"]
    assert frame["record_id"].tolist() == ["school.xlsx:row2", "school.xlsx:row5"]


def test_a_nul_byte_is_removed_and_reported_not_cutting_the_name(tmp_path):
    path = tmp_path / "school.csv"
    path.write_bytes(b"Forename,Surname,DOB\nZebe\x00deeqx,Quill\x00borne,2014-01-02\n"
                     b"Ann,Lee,2014-01-02\n")
    frame = read_records(path, "independent", "Powys")
    assert frame[["forename", "surname"]].values.tolist() == [["Zebedeeqx", "Quillborne"],
                                                              ["Ann", "Lee"]]
    nul = [r for r in _report(frame) if "NUL" in r["problem"]]
    assert nul == [
        {"file": "school.csv", "row": 2, "field": "Forename",
         "problem": "NUL bytes removed from the value"},
        {"file": "school.csv", "row": 2, "field": "Surname",
         "problem": "NUL bytes removed from the value"}]


def test_a_row_with_more_fields_than_the_header_is_rejected_by_line(tmp_path):
    # Row 300 is wider than the header (and than any row near the top): its values may be
    # shifted (an unquoted comma), so it is rejected and reported by line, the others kept
    # (issue 22, point 3; it was read with its extra value dropped before).
    rows = [["Forename", "Surname", "DOB"]] + [["A", "B", "2014-01-02"]] * 298
    rows.append(["C", "D", "2014-01-02", "extra"])
    path = _text(tmp_path / "school.csv", rows)
    frame = read_records(path, "independent", "Powys")
    assert len(frame) == 298 and frame["forename"].eq("A").all()
    assert {"file": "school.csv", "row": 300, "field": "",
            "problem": "line 300 rejected: field count 4, header has 3; the row is not read"
            } in _report(frame)


def test_values_under_a_column_with_no_name_are_reported(tmp_path):
    path = _text(tmp_path / "school.csv", [["Forename", "Surname", "DOB", ""],
                                           ["A", "B", "2014-01-02", "extra"]])
    frame = read_records(path, "independent", "Powys")
    assert len(frame) == 1
    assert {"file": "school.csv", "row": "", "field": "column 4",
            "problem": "values under a column with no name in the header row: not read"
            } in _report(frame)


# --- record ids -----------------------------------------------------------------------------

def test_two_returns_with_the_same_record_ids_keep_every_record_with_unique_ids(tmp_path):
    folder = _core_folder(tmp_path)
    header = ["Record ID", *RETURN_HEADER]
    _text(folder / "independent_returns" / "a.csv",
          [header, ["1", "A", "B", "", "", ""], ["2", "C", "D", "", "", ""]])
    _text(folder / "independent_returns" / "b.csv",
          [header, ["1", "E", "F", "", "", ""], ["3", "G", "H", "", "", ""],
           ["3", "I", "J", "", "", ""]])
    ind = read_authority(folder, "Powys")["independent"]
    assert ind["forename"].tolist() == ["A", "C", "E", "G", "I"]
    assert ind["record_id"].is_unique
    assert ind["record_id"].tolist() == ["1", "2", "independent_returns/b.csv:row2", "3",
                                         "independent_returns/b.csv:row4"]
    report = report_of({"independent": ind})
    assert report[report["field"] == "record_id"][["file", "row"]].values.tolist() == [
        ["independent_returns/b.csv", 4], ["independent_returns/b.csv", 2]]


# --- broken returns never stop the LA's run -------------------------------------------------

def _broken_returns(folder: Path) -> dict[str, str]:
    """Every kind of file a folder of returns holds, bad ones included, with the start of the
    problem each is reported with ('' when it is read)."""
    returns = folder / "independent_returns"
    returns.mkdir(parents=True, exist_ok=True)
    _text(returns / "good.csv", [RETURN_HEADER, PUPIL])
    (returns / "empty.csv").write_bytes(b"")
    (returns / "random.xlsx").write_bytes(bytes(range(256)) * 8)
    (returns / "random.csv").write_bytes(bytes(range(256)) * 8)
    _xlsx(returns / "~$good.xlsx", {"Pupils": [RETURN_HEADER, PUPIL]})
    _xlsx(returns / "headers-only.xlsx", {"Pupils": [RETURN_HEADER]})
    _text(returns / "headers-only.csv", [RETURN_HEADER])
    whole = _xlsx(returns / "whole.xlsx", {"Pupils": [RETURN_HEADER, PUPIL]}).read_bytes()
    (returns / "whole.xlsx").unlink()
    (returns / "truncated.xlsx").write_bytes(whole[: len(whole) // 2])
    (returns / "encrypted.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    _text(returns / "no-header.csv", [PUPIL, PUPIL])
    _xlsx(returns / "no-header.xlsx", {"Sheet1": [PUPIL]})
    _text(returns / "no-dob.csv", [["Forename", "Surname"], PUPIL[:2]])
    (returns / "letter.pdf").write_bytes(b"%PDF-1.4 " + " ".join(PUPIL).encode())
    (returns / "notes").mkdir()
    (returns / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    _text(returns / "semicolon.txt", [RETURN_HEADER, PUPIL], sep=";", encoding="cp1252")
    return {
        "good.csv": "", "semicolon.txt": "", "headers-only.csv": "no records",
        "headers-only.xlsx": "no records", "empty.csv": "empty file",
        "random.xlsx": "unreadable", "random.csv": "unreadable",
        "~$good.xlsx": "lock file ignored", "truncated.xlsx": "unreadable",
        "encrypted.xlsx": "unreadable", "no-header.csv": "no pupil columns found",
        "no-header.xlsx": "no pupil columns found", "no-dob.csv": "no date of birth column",
        "letter.pdf": "unsupported type", "notes": "a folder", ".DS_Store": "system file ignored",
    }


def test_every_file_of_the_returns_folder_is_read_or_listed_with_its_reason(tmp_path):
    expected = _broken_returns(_core_folder(tmp_path))
    sources = read_authority(tmp_path, "Powys")  # does not raise: bad returns are reported
    ind = sources["independent"]
    assert sorted(set(ind["file"])) == ["independent_returns/good.csv",
                                        "independent_returns/semicolon.txt"]
    assert ind["forename"].tolist() == [SECRET["forename"]] * 2
    report = report_of(sources)
    assert list(report.columns) == REPORT_COLUMNS
    for name, problem in expected.items():
        lines = report[report["file"] == f"independent_returns/{name}"]
        if problem:
            assert len(lines) == 1, (name, lines)
            assert lines["problem"].iloc[0].startswith(problem), (name, lines["problem"].iloc[0])
            assert lines["row"].iloc[0] == ""
        else:
            assert lines.empty, lines
    unread = report[report["problem"].str.startswith(("unreadable", "no pupil", "empty file",
                                                      "no date of birth"))]
    assert unread["problem"].str.endswith("its records are unknown").all()


def test_the_report_of_broken_returns_writes_and_reads_back(tmp_path):
    _broken_returns(_core_folder(tmp_path))
    report = report_of(read_authority(tmp_path, "Powys"))
    report.to_csv(tmp_path / "ingest_report.csv", index=False)
    back = pd.read_csv(tmp_path / "ingest_report.csv", dtype=str, keep_default_na=False)
    assert len(back) == len(report) and list(back.columns) == REPORT_COLUMNS


# --- the LA's own files: robust reading, clear errors ---------------------------------------

def test_a_core_file_in_cp1252_with_semicolons_and_a_title_row_is_read(tmp_path):
    folder = _core_folder(tmp_path)
    _text(folder / "plasc.csv", [["PLASC extract 2025"], HEADER,
                                 ["P1", "Siân", "Öztürk", "2014-01-02", "1 High St, Bala", ""]],
          sep=";", encoding="cp1252")
    plasc = read_authority(folder, "Powys")["plasc"]
    assert plasc[["record_id", "forename", "surname", "address"]].values.tolist() == [
        ["P1", "Siân", "Öztürk", "1 High St, Bala"]]


@pytest.mark.parametrize("content, problem", [
    (b"", "plasc.csv: empty file (0 bytes)"),
    (bytes(range(256)) * 8, "plasc.csv: unreadable: not text"),
    (b"A,B,2014-01-02\n", "plasc.csv: no pupil columns found"),
])
def test_an_unreadable_la_file_is_reported_and_read_as_holding_no_records(tmp_path, content,
                                                                          problem):
    # Issue 22, point 3: a source that cannot be read is a line of the ingest report and a
    # status in what was read (a warning on the console); only the NHS extract stops the run.
    folder = _core_folder(tmp_path)
    (folder / "plasc.csv").write_bytes(content)
    sources = read_authority(folder, "Powys")
    assert sources["plasc"].empty
    lines = report_of(sources).query("file == 'plasc.csv'")
    assert len(lines) == 1 and lines["problem"].iloc[0].startswith(
        problem.removeprefix("plasc.csv: "))
    read = what_was_read(sources, "Powys").set_index("source")
    assert read.loc["plasc", "status"].startswith("not read: " + problem.removeprefix(
        "plasc.csv: "))
    assert read_warnings(read.reset_index())[0].startswith("Powys: plasc (plasc.csv): not read")
    (folder / "nhs_extract.csv").write_bytes(content)
    with pytest.raises(IngestError, match=re.escape(problem.replace("plasc", "nhs_extract"))):
        read_authority(folder, "Powys")


# --- no personal data in any message --------------------------------------------------------

def _leaks(text: str) -> list[str]:
    return [v for v in SECRET_VALUES if v.lower() in text.lower()]


def _broken_files(folder: Path) -> list[Path]:
    """The pupil's values in every broken form a file can take."""
    folder.mkdir(parents=True, exist_ok=True)
    pupil = PUPIL
    files = [
        _text(folder / "no-header.csv", [pupil, pupil]),
        _text(folder / "no-header.tsv", [pupil], sep="\t"),
        _text(folder / "no-header-cp1252.csv", [pupil], encoding="cp1252"),
        _text(folder / "no-header-utf16.txt", [pupil], sep="\t", encoding="utf-16"),
        _xlsx(folder / "no-header.xlsx", {"Sheet1": [pupil], "Sheet2": [pupil]}),
        _text(folder / "no-dob.csv", [["Forename", "Surname", "Address"], pupil[:2] + pupil[3:4]]),
        _text(folder / "no-name.csv", [["DOB", "Postcode"], pupil[2:3] + pupil[4:]]),
        _text(folder / "title-is-data.csv", [[" ".join(pupil)], ["Notes"], pupil]),
        _text(folder / "dup-ids.csv", [["Record ID", *RETURN_HEADER],
                                       [SECRET["record_id"], *pupil],
                                       [SECRET["record_id"], *pupil], [" ", *pupil]]),
        _text(folder / "blanks.csv", [RETURN_HEADER, ["", "", pupil[2], pupil[3], pupil[4]],
                                      [pupil[0], pupil[1], "", "", ""]]),
        _text(folder / "unnamed-columns.csv", [["Forename", "", "DOB"], pupil[:3]]),
        _text(folder / "wide-row.csv", [["Forename", "Surname", "DOB"]] + [pupil[:3]] * 250
              + [pupil]),
    ]
    nul = folder / "nul.csv"
    nul.write_bytes(b"Forename,Surname,DOB\n"
                    + ",".join(v[:3] + "\x00" + v[3:] for v in pupil[:3]).encode() + b"\n")
    files.append(nul)
    big = folder / "huge-field.csv"  # past pandas' sample, then csv.Error on a huge field
    big.write_text("Forename,DOB\n" + "A,2014-01-02\n" * 250 + "A,B,C\n"
                   + f'"{SECRET["forename"] * 20000}",2014\n', encoding="utf-8")
    files.append(big)
    whole = _xlsx(folder / "whole.xlsx", {"Pupils": [RETURN_HEADER, pupil]}).read_bytes()
    (folder / "truncated.xlsx").write_bytes(whole[: len(whole) // 2])
    (folder / "junk.xlsx").write_bytes(" ".join(pupil).encode() + bytes(range(256)))
    (folder / "ole2.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
                                       + " ".join(pupil).encode() + bytes(600))
    (folder / "~$lock.xlsx").write_bytes(" ".join(pupil).encode())
    (folder / "email.msg").write_bytes(" ".join(pupil).encode())
    hidden = _xlsx(folder / "hidden.xlsx", {"Lookup": [pupil], "Pupils": [RETURN_HEADER, pupil,
                                                                          [None], pupil]},
                   hidden=("Lookup",))
    files += [folder / "truncated.xlsx", folder / "junk.xlsx", folder / "ole2.xlsx", hidden,
              folder / "~$lock.xlsx", folder / "email.msg"]
    return files


def test_no_message_or_report_line_carries_a_value_from_a_record(tmp_path):
    files = _broken_files(tmp_path / "independent_returns")
    texts: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for path in files:  # each file alone, read as an LA's own file would be: errors raised
            try:
                texts.extend(str(v) for r in _report(read_records(path, "plasc", "Powys"))
                             for v in r.values())
            except IngestError as exc:
                texts += [str(exc), repr(exc), exc.problem, exc.file]
        sources = read_authority(_core_folder(tmp_path), "Powys")  # all together, as returns
    report = report_of(sources)
    texts += [str(v) for v in report.to_numpy().ravel()]
    texts += [str(w.message) for w in caught]
    assert len(report) > 20  # the broken forms were reported ...
    assert sources["independent"]["forename"].eq(SECRET["forename"]).sum() >= 5  # ... and read
    assert {t: _leaks(t) for t in texts if _leaks(t)} == {}


def test_an_error_on_a_record_quotes_neither_the_ids_nor_the_cells(tmp_path):
    # The message of an LA's file without a header row (its first row is a child's record)
    path = _text(tmp_path / "plasc.csv", [[SECRET["record_id"], *PUPIL]])
    with pytest.raises(IngestError) as caught:
        read_records(path, "plasc", "Powys")
    assert str(caught.value).startswith("plasc.csv: no pupil columns found")
    assert _leaks(str(caught.value)) == []


# --- issue 22, point 6: a stray cell far away costs nothing -----------------------------------

# The reading process's own peak (VmHWM, kB): getrusage's ru_maxrss survives exec, so in a
# child of a large pytest worker it reports the worker's size, not the read's.
_PEAK_READ = """
import sys
from pathlib import Path
from cme_eval.inputs.ingest import header_score
from cme_eval.inputs.readers import read_tables
tables, _ = read_tables(Path(sys.argv[1]), "school.xlsx", header_score)
peak = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(sum(len(t.frame) for t in tables), peak)
"""


@pytest.mark.parametrize("stray", ["XFD3000", "Z200000"])
def test_a_stray_cell_far_away_costs_nothing_and_makes_no_record(tmp_path, stray):
    # One pupil and one stray value at the last column or far down: before, the whole range up
    # to the stray cell was held in memory (2.4 GB, 20 s for XFD3000) and made an empty record.
    book = openpyxl.Workbook()
    book.active.append(RETURN_HEADER)
    book.active.append(PUPIL)
    book.active[stray] = "stray"
    path = tmp_path / "school.xlsx"
    book.save(path)
    tables, _ = read_tables(path, "school.xlsx", header_score)
    assert [len(t.frame) for t in tables] == [1]
    frame = read_records(path, "independent", "Powys")
    assert frame["forename"].tolist() == [SECRET["forename"]]
    assert {"file": "school.xlsx", "row": int(stray.lstrip("XFDZ")), "field": "",
            "problem": "values only under columns with no name in the header row: not a "
                       "record"} in _report(frame)
    done = subprocess.run([sys.executable, "-c", _PEAK_READ, str(path)], capture_output=True,
                          text=True, check=True, timeout=120)
    records, peak_kb = (int(v) for v in done.stdout.split())
    assert records == 1 and peak_kb < 500 * 1024


# --- issue 22, point 3: broken CSV rows are reported by line, never merged ---------------------

def _pupils_csv(n: int = 10) -> list[list[str]]:
    """A header and n pupils whose every value is unique (to be found if it leaks)."""
    return [["Record ID", *RETURN_HEADER]] + [
        [f"IDqx{i:02d}", f"Forqx{i:02d}", f"Surqx{i:02d}", f"{10 + i}/04/2013",
         f"{i} Qxlane Street", f"QX{i} 9QZ"] for i in range(1, n + 1)]


def _csv_with(tmp_path: Path, rows: list[list[str]], line: int, raw: str,
              newline: str) -> Path:
    """The rows as CSV, line ``line`` (1-based, the header is line 1) replaced by ``raw``."""
    lines = [",".join(r) for r in rows]
    lines[line - 1] = raw
    path = tmp_path / "nhs_extract.csv"
    path.write_bytes((newline.join(lines) + newline).encode("utf-8"))
    return path


def _read_all(path: Path) -> tuple[pd.DataFrame, list[dict], list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = read_records(path, "nwssp", "Powys")
    report = _report(frame)
    return frame, report, [str(v) for r in report for v in r.values()] + [
        str(w.message) for w in caught]


def _leaked(rows: list[list[str]], texts: list[str]) -> list[str]:
    values = {v for r in rows[1:] for v in r} | {p for r in rows[1:] for p in r[4].split()[1:]}
    return [t for t in texts if any(v.lower() in t.lower() for v in values)]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("case, raw, reason", [
    ("unbalanced quote", 'IDqx04,Forqx04,"Surqx04,13/04/2013,4 Qxlane Street,QX4 9QZ',
     "unbalanced quote"),
    ("too many fields", "IDqx04,Forqx04,Surqx04,13/04/2013,4 Qxlane, Street,QX4 9QZ",
     "field count 7, header has 6"),
])
def test_a_broken_csv_row_is_rejected_by_line_and_no_good_row_is_lost(tmp_path, newline, case,
                                                                      raw, reason):
    # The row of pupil 4 is line 5; before, an open quote merged the rows below it into one
    # address, unreported, and a row with an extra field was read shifted.
    rows = _pupils_csv()
    frame, report, texts = _read_all(_csv_with(tmp_path, rows, 5, raw, newline))
    rejected = [r for r in report if "rejected" in r["problem"]]
    assert [(r["file"], r["row"]) for r in rejected] == [("nhs_extract.csv", 5)]
    assert rejected[0]["problem"].startswith(f"line 5 rejected: {reason}")
    assert frame["record_id"].tolist() == [r[0] for r in rows[1:] if r[0] != "IDqx04"]
    assert frame["address"].tolist() == [r[4] for r in rows[1:] if r[0] != "IDqx04"]
    assert len(frame) + len(rejected) == len(rows) - 1  # every data line accounted for
    assert _leaked(rows, texts) == []


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_bare_carriage_return_inside_a_field_keeps_the_row_whole_and_is_reported(tmp_path,
                                                                                 newline):
    # Before, the CR split pupil 3's row in two and only one half was flagged.
    rows = _pupils_csv()
    raw = "IDqx03,Forqx03,Surqx03,12/04/2013,3 Qxlane\rStreet,QX3 9QZ"
    frame, report, texts = _read_all(_csv_with(tmp_path, rows, 4, raw, newline))
    assert frame["record_id"].tolist() == [r[0] for r in rows[1:]]
    assert frame["address"].tolist() == [r[4] for r in rows[1:]]  # the CR made a space
    assert [(r["row"], r["field"]) for r in report] == [(4, "Address")]
    assert "carriage return inside a field" in report[0]["problem"]
    assert _leaked(rows, texts) == []


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_quoted_line_break_is_legal_csv_and_stays_one_record(tmp_path, newline):
    rows = _pupils_csv()
    raw = f'IDqx03,Forqx03,Surqx03,12/04/2013,"3 Qxlane{newline}Street",QX3 9QZ'
    frame, report, _ = _read_all(_csv_with(tmp_path, rows, 4, raw, newline))
    assert frame["record_id"].tolist() == [r[0] for r in rows[1:]]
    assert frame["address"].iloc[2].replace("\r", "") == "3 Qxlane\nStreet"
    assert frame["forename"].iloc[3:].tolist() == [r[1] for r in rows[4:]]
    assert report == []


def test_a_quote_left_open_to_the_end_of_a_large_file_rejects_one_line_only(tmp_path):
    rows = _pupils_csv(400)
    raw = 'IDqx07,Forqx07,"Surqx07,16/04/2013,7 Qxlane Street,QX7 9QZ'
    frame, report, texts = _read_all(_csv_with(tmp_path, rows, 8, raw, "\n"))
    assert [r["row"] for r in report] == [8]
    assert len(frame) == 399 and _leaked(rows, texts) == []
