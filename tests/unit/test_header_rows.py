"""A header is recognised as a whole row, and messages describe cells by shape (issue 22, point 1).

A surname "Street", an address "Main Street" or a town "Town" once turned a child's record into
the header row, and the error then quoted the record. A header now has no cell shaped like data
and names at least two fields; a file without one is described by its columns' shapes."""

from __future__ import annotations

import pandas as pd
import pytest

from cme_eval import link
from cme_eval.api import LinkInputError, explain
from cme_eval.exceptions import columns_text, one_line, shape, shapes
from cme_eval.inputs.ingest import IngestError, header_score, is_header, read_records

FIELDS = {f: f for f in ("forename", "surname", "dob", "address", "postcode")}
RECORD = ["Alys", "Street", "2014-03-09", "1 Main Street", "CF10 1AA"]


@pytest.mark.parametrize("value, expected", [
    ("", "empty"), ("  ", "empty"), (None, "empty"), ("2014-03-09", "date"),
    ("09/03/2014", "date"), ("9.3.14", "date"), ("2014-03-09 00:00:00", "date"),
    ("CF10 1AA", "postcode"), ("sa11aa", "postcode"), ("123", "number"),
    ("485 777 3456", "number"), ("Street", "text"), ("Date of Birth", "text"),
    ("DOB (dd/mm/yyyy)", "text"), ("Address Line 1", "text")])
def test_shape_of_a_cell(value, expected):
    assert shape(value) == expected


def test_a_record_is_not_a_header_however_many_cells_look_like_column_names():
    assert header_score(RECORD) == 0  # a date and a postcode: data
    assert header_score(["Jo", "Street", "", "Main Street", ""]) == 0  # one field named twice
    assert header_score(["Town", "Street", "Sam"]) == 0  # two fields, most cells unknown
    assert header_score(["Forename", "Surname", "Date of Birth", "Address", "Postcode"]) == 5
    # an LA's wide extract: many columns the toolkit does not read, three or more it does
    wide = ["UPN", "Legal Surname", "Legal Forename", "Gender", "NCY", "Ethnicity", "FSM",
            "SEN", "School", "DOB"]
    assert header_score(wide) == 4


def test_a_file_without_a_header_row_is_described_by_shapes_never_values(tmp_path):
    path = tmp_path / "nhs_extract.csv"
    path.write_text("\n".join(",".join(r) for r in [RECORD, ["Bryn", "Town", "2013-01-02",
                                                             "2 Town Road", "SA1 1AA"]]) + "\n")
    with pytest.raises(IngestError) as caught:
        read_records(path, "nwssp", "Cardiff")
    message = str(caught.value)
    assert message.endswith("it has 5 columns shaped text, text, date, text, postcode")
    assert not any(v in message for v in RECORD[:1] + RECORD[2:] + ["Bryn", "2 Town Road"])


def test_a_header_found_lists_its_names_when_a_field_is_missing(tmp_path):
    path = tmp_path / "ehe.csv"
    path.write_text("Forename,Surname,Birth Dt,Postcode\nAlys,Jones,2014-03-09,CF10 1AA\n")
    with pytest.raises(IngestError, match="found: Forename, Surname, Birth Dt, Postcode$"):
        read_records(path, "ehe", "Cardiff")


def test_columns_are_named_only_for_a_header():
    assert columns_text(["a", "b"], True) == "a, b"
    assert columns_text(RECORD, False).startswith(
        "5 columns shaped text, text, date, text, postcode (names not shown")
    assert is_header(["Forename", "Surname", "DOB"]) and not is_header(RECORD)
    assert not is_header([0, 1, 2])
    assert shapes(["x", "1"]) == "text, number"


def test_link_names_a_frames_columns_only_when_they_are_header_strings():
    right = pd.DataFrame([["Bryn", "Jones", "2013-01-02", "2 Road", "SA1 1AA"]],
                         columns=RECORD)  # a headerless file read with its first record as names
    left = pd.DataFrame({"fn": ["A"], "sn": ["B"], "dob": ["2014-01-01"], "pc": ["CF10 1AA"]})
    columns = {"left": {"forename": "fn", "surname": "sn", "dob": "dob", "postcode": "pc"},
               "right": {"forename": "Alys", "surname": "Street", "dob": "date of birth",
                         "postcode": "CF10 1AA"}}
    with pytest.raises(LinkInputError) as caught:
        link(left, right, columns=columns)
    message = str(caught.value)
    assert "5 columns shaped text, text, date, text, postcode" in message
    assert "2014-03-09" not in message and "1 Main Street" not in message
    left_wrong = {**columns, "left": {**columns["left"], "dob": "birth"}}
    with pytest.raises(LinkInputError, match="columns: fn, sn, dob, pc$"):
        link(left, right, columns=left_wrong)


def test_a_missing_explain_key_is_not_repeated():
    frame = pd.DataFrame({"forename": ["A"], "surname": ["B"], "dob": ["2014-01-01"],
                          "address": ["1 Road"], "postcode": ["CF10 1AA"]}, index=["4857773456"])
    with pytest.raises(LinkInputError) as caught:
        explain(frame, frame, FIELDS, "9434765919")
    assert "9434765919" not in str(caught.value) and "left_key" in str(caught.value)


def test_every_message_is_one_bounded_line():
    assert one_line("a\nb\r\n  c") == "a b c"
    assert len(one_line("x" * 5000)) == 600
