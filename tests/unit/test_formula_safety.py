"""Nothing a spreadsheet would execute: every CSV, xlsx and ods the toolkit writes neutralises
text that starts like a formula (issue 22, point 4; OWASP's CSV-injection rule)."""

from __future__ import annotations

import csv

import openpyxl
import pandas as pd
import pytest

from cme_eval.fileio import neutralised, read_csv, write_csv, write_xlsx
from cme_eval.report import spreadsheets
from cme_eval.run import cli

HOSTILE = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "\t=1+1",
           "\r=1"]
STARTS = ("=", "+", "-", "@", "\t", "\r")


def _hostile_frame() -> pd.DataFrame:
    return pd.DataFrame({"record_id": ["=1+1", *[f"r{i}" for i in range(len(HOSTILE) - 1)]],
                         "forename": HOSTILE, "score": [-1.5, 2.0, -3.25, 0.0, 1.0, -0.5],
                         "count": [-1, 2, 3, 4, 5, 6], "note": ["ok", None, "-1.5", "a-b", "",
                                                                 "+/- 0.03"]})


def test_hostile_text_comes_back_from_a_csv_prefixed_with_a_quote(tmp_path):
    path = write_csv(_hostile_frame(), tmp_path / "t.csv")
    back = read_csv(path)
    assert back["forename"].tolist() == ["'" + v for v in HOSTILE]
    assert back["record_id"].iloc[0] == "'=1+1"
    assert back["record_id"].iloc[1:].tolist() == [f"r{i}" for i in range(len(HOSTILE) - 1)]
    # numbers stay numbers, and so does text that is only a number or a tolerance
    assert back["score"].tolist() == ["-1.5000", "2.0000", "-3.2500", "0.0000", "1.0000",
                                      "-0.5000"]
    assert back["count"].iloc[0] == "-1"
    assert back["note"].tolist() == ["ok", "", "-1.5", "a-b", "", "+/- 0.03"]


def test_a_negative_float_is_written_unchanged(tmp_path):
    path = write_csv(pd.DataFrame({"weight": [-1.5]}), tmp_path / "w.csv", float_format="%g")
    assert path.read_text() == "weight\n-1.5\n"


def test_headers_from_an_input_are_neutralised_too(tmp_path):
    path = write_csv(pd.DataFrame({"=cmd": ["x"], "name": ["y"]}), tmp_path / "h.csv")
    assert path.read_text().splitlines()[0] == "'=cmd,name"


def test_string_categorical_and_non_text_columns(tmp_path):
    frame = pd.DataFrame({"s": pd.array(["=a", None], dtype="string"),
                          "c": pd.Categorical(["@x", "y"]),
                          "o": pd.Series([1, 2], dtype=object), "b": [True, False]})
    out = neutralised(frame)
    assert out["s"].iloc[0] == "'=a" and pd.isna(out["s"].iloc[1])
    assert out["c"].tolist() == ["'@x", "y"]
    assert out["o"].tolist() == [1, 2] and out["b"].tolist() == [True, False]
    assert frame["s"].iloc[0] == "=a"  # the caller's frame is left alone
    clean = pd.DataFrame({"a": ["x"]})
    assert neutralised(clean) is clean  # nothing to change: nothing copied


def test_an_xlsx_holds_no_formula(tmp_path):
    table = _hostile_frame().assign(**{"=h": ["=x", None, "", "y", "z", "w"]})
    sheet = spreadsheets.Sheet("Hostile", "Hostile values", table)
    notes = pd.DataFrame({"Note number": ["1"], "Note text": ["a note"]})
    path = spreadsheets.write_xlsx(tmp_path / "tables.xlsx", [sheet], "Title", ["intro"], notes)
    book = openpyxl.load_workbook(path)
    cells = [cell for ws in book.worksheets for row in ws.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert not [c.value for c in cells if isinstance(c.value, str) and c.value.startswith("=")]
    values = {c.value for c in book["Hostile"].iter_rows() for c in c}
    assert {"'=1+1", "'=h", "'=x", "[x]"} <= values and -1.5 in values


def test_the_plain_xlsx_and_the_ods_hold_no_formula(tmp_path):
    book = openpyxl.load_workbook(write_xlsx(_hostile_frame(), tmp_path / "p.xlsx"))
    cells = [cell for row in book.active.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    sheet = spreadsheets.Sheet("Hostile", "Hostile values", _hostile_frame())
    path = spreadsheets.write_ods(tmp_path / "t.ods", [sheet], "Title", ["intro"])
    back = pd.read_excel(path, sheet_name="Hostile", engine="odf", dtype=str)
    assert back["forename"].str.startswith("'").all()


@pytest.mark.slow
def test_an_evaluated_la_writes_no_field_a_spreadsheet_would_execute(tmp_path):
    assert cli.main(["generate", "smoke", "--authority", "Powys", "--out",
                     str(tmp_path / "gen"), "-q"]) == 0
    extract = tmp_path / "gen" / "inputs" / "nhs_extract.csv"
    frame = read_csv(extract)
    frame.loc[0, "forename"] = '=HYPERLINK("x")'
    frame.to_csv(extract, index=False)  # the hostile file as an LA might receive it
    out = tmp_path / "out"
    assert cli.main(["evaluate", str(extract.parent), "--authority", "Powys", "--out",
                     str(out), "-q"]) == 0
    written = sorted(out.rglob("*.csv"))
    assert any(p.parent.name == "restricted" for p in written)
    hostile: list[tuple[str, str]] = []
    seen = False
    for path in written:
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle):
                seen |= any("HYPERLINK" in field for field in row)
                hostile += [(path.name, f) for f in row if f.startswith("=")]
    assert seen and not hostile


def test_the_hostile_starts_are_all_covered():
    frame = pd.DataFrame({"v": [s + "x" for s in STARTS]})
    assert neutralised(frame)["v"].str.startswith("'").all()


def test_a_carriage_return_inside_a_cell_cannot_start_a_row(tmp_path):
    path = write_csv(pd.DataFrame({"a": ["x\r=cmd", "y"], "b": [1, 2]}), tmp_path / "r.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [["a", "b"], ["x\r=cmd", "1"], ["y", "2"]]
