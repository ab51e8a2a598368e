"""A folder of hostile LA extracts, built here (never committed), each run through `evaluate`
(issue 22, "Bad input").

Every case either finishes with every row accounted for (a record, or a line of the ingest
report) and every source stated, or stops with one line naming the file. In no case does a
value of a record appear outside ``restricted/``: not on the console, in run.log, the executed
notebooks, the report, the CSVs or inside the spreadsheets.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from cme_eval.fileio import read_csv
from cme_eval.run.cli import main

from ..conftest import generated_inputs

LA = "Powys"
SCALE = "0.03"
# Values planted in the hostile rows: names shaped like column names or formulas, and an id
# shaped like an NHS number.
PLANTED = {"forename": "=HYPERLINK(\"http://x\",\"Qlinkzx\")", "surname": "Street",
           "address": "1 Main Street", "dob": "2013-07-21", "postcode": "SY21 7QQ",
           "record_id": "9434765919"}
FORMULAS = ["+cmd|' /C calc'!A0", "@SUM(1+1)", "\t=1+1", "-2+3"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    return generated_inputs(tmp_path_factory, "bad-inputs", LA, SCALE)


def _values(inputs: Path) -> set[str]:
    """Strings no output outside restricted/ may hold: every id, date of birth and postcode
    of the inputs, their longer names and addresses, and the planted values."""
    values = {v for v in PLANTED.values() if len(v) >= 6} | {"Qlinkzx"}
    for path in inputs.rglob("*.csv"):
        frame = read_csv(path)
        for column in frame.columns:
            key = column.lower()
            short = 6 if key in ("record_id", "dob", "postcode", "date_of_birth") else 9
            if key in ("record_id", "dob", "postcode", "date_of_birth", "forename", "surname",
                       "address"):
                values |= {v for v in frame[column] if len(v) >= short}
    return values


def _texts(out: Path) -> dict[str, str]:
    """Every file of a run folder outside restricted/, as text (spreadsheets: their XML)."""
    texts = {}
    for path in sorted(out.rglob("*")):
        if not path.is_file() or "restricted" in path.relative_to(out).parts:
            continue
        name = path.relative_to(out).as_posix()
        if path.suffix in (".xlsx", ".ods"):
            with zipfile.ZipFile(path) as book:
                texts[name] = " ".join(book.read(n).decode("utf-8", "replace")
                                       for n in book.namelist())
        elif path.suffix != ".png":
            texts[name] = path.read_text(encoding="utf-8")
    return texts


def _assert_no_values(values: set[str], texts: dict[str, str]) -> None:
    leaks = {name: found[:3] for name, text in texts.items()
             if (found := sorted(v for v in values if v in text))}
    assert leaks == {}


def _row(fields: dict[str, str]) -> str:
    return ",".join('"' + v.replace('"', '""') + '"' for v in (
        fields["record_id"], fields["forename"], fields["surname"], fields["dob"],
        fields["address"], fields["postcode"]))


def _messy(inputs: Path) -> dict[str, int]:
    """Every kind of damage a run should survive; returns the NHS extract's data lines."""
    nhs = inputs / "nhs_extract.csv"
    lines = nhs.read_text(encoding="utf-8").splitlines()
    extra = [_row(PLANTED)]
    extra += [_row({**PLANTED, "record_id": f"X{i}", "forename": f}) for i, f in
              enumerate(FORMULAS)]
    extra += [_row({**PLANTED, "record_id": ""}),  # a blank id
              _row(PLANTED),  # a repeated id
              _row({**PLANTED, "record_id": "X9"}).replace('"Street"', '"Str\reet"'),
              '"X10","Qopenzx,"Jones",2014-01-01,"2 Road","CF10 1AA"',  # a quote left open
              _row({**PLANTED, "record_id": "X11"}) + ',"surplus"']  # a field too many
    nhs.write_text("\n".join(lines[:5] + extra + lines[5:]) + "\n", encoding="utf-8")
    plasc = inputs / "plasc.csv"  # its header row lost: not read, said
    plasc.write_text("\n".join(plasc.read_text(encoding="utf-8").splitlines()[1:]) + "\n",
                     encoding="utf-8")
    (inputs / "ehe.csv").unlink()  # missing: said
    eotas = inputs / "eotas.csv"  # a header row only: said
    eotas.write_text(eotas.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    ooc = read_csv(inputs / "ooc.csv")  # an xlsx under another name, a stray far cell
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Pupil Ref", "Legal Forename", "Legal Surname", "D.O.B.", "Home Address",
                  "Post Code"])
    for row in ooc.itertuples(index=False):
        sheet.append(list(row[:6]))
    sheet["XFD3000"] = "x"
    book.save(inputs / "Out of county 2025.xlsx")
    (inputs / "ooc.csv").unlink()
    (inputs / "inputs.yaml").write_text(
        "files:\n  ooc.csv: Out of county 2025.xlsx\nheaders:\n  record_id: Pupil Ref\n",
        encoding="utf-8")
    cme = inputs / "cme_register.csv"  # title rows above the header
    cme.write_text("CME register\nExported 2025\n\n" + cme.read_text(encoding="utf-8"),
                   encoding="utf-8")
    returns = inputs / "independent_returns"
    returns.mkdir(exist_ok=True)
    (returns / "~$locked.xlsx").write_bytes(b"lock")
    (returns / "notes.pdf").write_bytes(b"%PDF-1.4")
    (returns / "no-header.csv").write_text(_row(PLANTED) + "\n", encoding="utf-8")
    # (bytes: read_text would take the carriage return inside a field for a line end)
    data_lines = [line for line in nhs.read_bytes().decode("utf-8").split("\n")[1:]
                  if line.strip()]
    return {"nhs_lines": len(data_lines)}


def test_a_messy_folder_finishes_with_every_row_and_source_accounted_for(generated, tmp_path,
                                                                         capsys):
    inputs = tmp_path / "in"
    shutil.copytree(generated, inputs)
    values = _values(inputs)
    counts = _messy(inputs)
    out = tmp_path / "out"
    assert main(["evaluate", str(inputs), "--authority", LA, "--out", str(out), "-q"]) == 0
    said = capsys.readouterr()
    warnings = [line for line in said.err.splitlines() if line]
    assert all(line.startswith("cme-eval: warning: Powys: ") for line in warnings), warnings
    assert {re.match(r"cme-eval: warning: Powys: (\w+)", line)[1] for line in warnings} == {
        "plasc", "ehe", "eotas", "independent"}  # independent: a return without a header

    la = out / "authorities" / "powys"
    read = read_csv(la / "what_was_read.csv").set_index("source")
    nhs = read.loc["nwssp"]
    assert int(nhs["records"]) + int(nhs["rows_rejected"]) == counts["nhs_lines"]
    assert int(nhs["rows_rejected"]) == 2  # the quote left open and the field too many
    assert read.loc["ooc", "file"] == "Out of county 2025.xlsx" and int(
        read.loc["ooc", "records"]) > 0
    assert int(read.loc["cme_register", "records"]) > 0
    assert read.loc["independent", "status"].startswith("read ")  # the headerless one not
    report = read_csv(la / "ingest_report.csv")
    rejected = report[report["problem"].str.contains("rejected")]
    assert len(rejected) == 2 and rejected["row"].ne("").all()
    for problem in ("lock file ignored", "unsupported type (.pdf)", "no pupil columns found"):
        assert report["problem"].str.contains(problem, regex=False).any(), problem
    outcomes = read_csv(la / "outcomes.csv")
    assert outcomes.groupby("source").size()["nwssp"] == int(nhs["records"])
    t51 = pd.read_csv(out / "table_5_1.csv").set_index(["authority", "source"])
    assert len(t51) > 0

    _assert_no_values(values, {**_texts(out), "stdout": said.out, "stderr": said.err})
    follow_up = (out / "restricted" / "unmatched_for_follow_up.csv").read_text("utf-8")
    partial = (out / "restricted" / "partial_for_review.csv").read_text("utf-8")
    lists = follow_up + partial
    assert "Qlinkzx" in lists  # the checks can see a value where it may be
    cells = [c for text in (follow_up, partial) for row in csv.reader(io.StringIO(text))
             for c in row]
    executable = [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")
                  or (c[:1] == "-" and not re.fullmatch(r"-\d+(\.\d+)?", c))]
    assert executable == []  # nothing a spreadsheet would execute
    assert {"'" + f for f in FORMULAS} <= set(cells)


def _no_nhs(inputs: Path) -> None:
    (inputs / "nhs_extract.csv").unlink()


def _headerless_nhs(inputs: Path) -> None:
    nhs = inputs / "nhs_extract.csv"
    lines = nhs.read_text(encoding="utf-8").splitlines()
    nhs.write_text("\n".join([_row(PLANTED), *lines[1:]]) + "\n", encoding="utf-8")


def _nhs_without_dates(inputs: Path) -> None:
    frame = read_csv(inputs / "nhs_extract.csv").drop(columns="dob")
    frame.to_csv(inputs / "nhs_extract.csv", index=False)


def _nhs_not_text(inputs: Path) -> None:
    (inputs / "nhs_extract.csv").write_bytes(PLANTED["surname"].encode() + bytes(range(256)))


def _leading_out(inputs: Path) -> None:
    (inputs.parent / "secret.csv").write_text(_row(PLANTED) + "\n", encoding="utf-8")
    (inputs / "inputs.yaml").write_text("files:\n  plasc.csv: ' ../secret.csv'\n",
                                        encoding="utf-8")


def _returns_are_the_folder(inputs: Path) -> None:
    (inputs / "inputs.yaml").write_text("files:\n  independent_returns: .\n", encoding="utf-8")


STOPS = {  # case: (how to break the folder, what the one line must say)
    "no NHS extract": (_no_nhs, "nhs_extract.csv"),
    "NHS extract without its header row": (_headerless_nhs, "nhs_extract.csv: no pupil columns"),
    "NHS extract without a date of birth column": (
        _nhs_without_dates, "nhs_extract.csv: no date of birth column; found: record_id"),
    "NHS extract not text": (_nhs_not_text, "nhs_extract.csv: unreadable"),
    "inputs.yaml leading out of the folder": (_leading_out, "inputs.yaml: files: plasc.csv"),
    "returns mapped to the folder itself": (
        _returns_are_the_folder, "inputs.yaml: files: independent_returns: give a file name "
                                 "inside the folder; this one is the folder itself"),
}


def _nhs_header_only(inputs: Path) -> None:
    nhs = inputs / "nhs_extract.csv"
    nhs.write_text(nhs.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")


def _nhs_dates_blank(inputs: Path) -> None:
    read_csv(inputs / "nhs_extract.csv").assign(dob="").to_csv(inputs / "nhs_extract.csv",
                                                               index=False)


QUIET_ONCE = {  # case: (how to break the folder, the warning it must give)
    "NHS extract with a header row only": (
        _nhs_header_only, "nwssp (nhs_extract.csv): no records (a header row only)"),
    "NHS extract with every date of birth blank": (
        _nhs_dates_blank, "nwssp (nhs_extract.csv): date of birth empty in every record"),
}


@pytest.mark.parametrize("case", list(QUIET_ONCE))
def test_a_folder_that_once_finished_silently_now_warns(case, generated, tmp_path, capsys):
    inputs = tmp_path / "in"
    shutil.copytree(generated, inputs)
    breaks, warning = QUIET_ONCE[case]
    breaks(inputs)
    out = tmp_path / "out"
    assert main(["evaluate", str(inputs), "--authority", LA, "--out", str(out), "-q"]) == 0
    said = capsys.readouterr()
    assert said.err.splitlines() == [f"cme-eval: warning: {LA}: {warning}"]
    read = read_csv(out / "authorities" / "powys" / "what_was_read.csv").set_index("source")
    outcomes = read_csv(out / "authorities" / "powys" / "outcomes.csv")
    assert (outcomes["source"] == "nwssp").sum() == int(read.loc["nwssp", "records"])


@pytest.mark.parametrize("case", list(STOPS))
def test_a_folder_that_cannot_be_evaluated_stops_in_one_line(case, generated, tmp_path, capsys):
    inputs = tmp_path / "in"
    shutil.copytree(generated, inputs)
    breaks, names = STOPS[case]
    values = _values(inputs) | {PLANTED["surname"]}
    breaks(inputs)
    out = tmp_path / "out"
    assert main(["evaluate", str(inputs), "--authority", LA, "--out", str(out), "-q"]) == 2
    said = capsys.readouterr()
    lines = said.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("cme-eval: error: "), said.err
    assert names in lines[0]
    texts = {"stdout": said.out, "stderr": said.err}
    if out.exists():
        texts.update(_texts(out))
    _assert_no_values(values, texts)
