"""No field value of any input record in any message, by construction (issue 22, point 1).

Hypothesis draws records (names, some of them words that look like column names; dates in two
writings; postcodes; addresses; ids shaped like NHS numbers) and drives them through every
error path of ingest, ``inputs.yaml``, ``link``/``explain`` and the seams. Whatever is raised,
warned, reported (the ingest report, what was read, its console warnings) must not hold any
value of any record. The run as a whole (notebooks, report, logs) is checked by
``tests/integration/test_bad_inputs.py`` on a folder of hostile cases.
"""

from __future__ import annotations

import datetime as dt
import string
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cme_eval.api import LinkInputError, explain, link
from cme_eval.exceptions import CmeEvalError
from cme_eval.fileio import write_csv
from cme_eval.inputs import seams
from cme_eval.inputs.ingest import (
    read_authority,
    read_records,
    read_warnings,
    report_of,
    what_was_read,
)

FIELDS = ["record_id", "forename", "surname", "dob", "address", "postcode"]
MAPPING = {f: f for f in FIELDS[1:]}
# Words that look like column names but are names or addresses of children.
HEADER_LIKE = ["Street", "Town", "City", "Main Street", "Address Line", "Surname Forename"]

_token = st.text(alphabet=string.ascii_lowercase, min_size=4, max_size=8).map(
    lambda s: "Q" + s + "zx")  # distinctive: found only where a value was copied
_name = st.one_of(_token, st.sampled_from(HEADER_LIKE))
_dob = st.dates(dt.date(2004, 1, 1), dt.date(2021, 12, 31)).flatmap(
    lambda d: st.sampled_from([d.isoformat(), d.strftime("%d/%m/%Y")]))
_postcode = st.from_regex(r"(CF|SA|LL|NP|SY)[1-9][0-9]? [0-9][A-HJ-NP-Z]{2}", fullmatch=True)
_address = st.tuples(st.integers(1, 399), _token).map(lambda t: f"{t[0]} {t[1]} Road")
_id = st.one_of(st.from_regex(r"[4-9][0-9]{9}", fullmatch=True), _token)
_record = st.fixed_dictionaries({"record_id": _id, "forename": _name, "surname": _name,
                                 "dob": _dob, "address": _address, "postcode": _postcode})
RECORDS = st.lists(_record, min_size=1, max_size=5)
PROPERTY = settings(max_examples=20, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _values(records: list[dict[str, str]]) -> set[str]:
    return {v for r in records for v in r.values()}


def _assert_clean(texts: list[str], records: list[dict[str, str]]) -> None:
    leaked = sorted({v for v in _values(records) for t in texts if v in t})
    assert leaked == [], (leaked, texts)


def _said(call: Callable[[], object]) -> list[str]:
    """Everything a call says: the message of an error it raises on purpose and its warnings.

    A ResourceWarning is not the call's: the garbage collector emits it whenever it happens to
    collect an object another test left open (an event loop of a notebook kernel), which once
    made this count one message too many on a shared worker."""
    said: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            call()
        except CmeEvalError as exc:
            said.append(str(exc))
    return said + [str(w.message) for w in caught
                   if not issubclass(w.category, ResourceWarning)]


def _rows(records, columns=FIELDS) -> list[list[str]]:
    return [[r[c] for c in columns] for r in records]


def _text_file(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("".join(",".join(f'"{v}"' for v in row) + "\n" for row in rows))
    return path


def _outputs(folder: Path) -> list[str]:
    """What ingest hands on from a folder: the report, what was read and its warnings."""
    sources = read_authority(folder, "Cardiff", toolkit_ids=True)
    read = what_was_read(sources, "Cardiff")
    return [report_of(sources).to_csv(), read.to_csv(), *read_warnings(read)]


@PROPERTY
@given(RECORDS, st.sampled_from([".csv", ".xlsx"]))
def test_a_file_without_its_header_row(records, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"nhs_extract{suffix}"
        if suffix == ".csv":
            _text_file(path, _rows(records))
        else:
            book = openpyxl.Workbook()
            for row in _rows(records):
                book.active.append(row)
            book.save(path)
        _assert_clean(_said(lambda: read_records(path, "nwssp", "Cardiff")), records)


@PROPERTY
@given(RECORDS, st.sampled_from(["dob", "forename", "surname"]))
def test_a_file_without_a_required_column(records, dropped):
    kept = [c for c in FIELDS if c not in (dropped, "forename" if dropped == "surname" else "")]
    with tempfile.TemporaryDirectory() as tmp:
        path = _text_file(Path(tmp) / "plasc.csv", [kept, *_rows(records, kept)])
        _assert_clean(_said(lambda: read_records(path, "plasc", "Cardiff")), records)


@PROPERTY
@given(RECORDS, RECORDS)
def test_broken_lines_blank_and_repeated_ids_and_unreadable_sources(records, others):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = _rows(records)
        lines = ["record_id,forename,surname,dob,address,postcode"]
        lines += [",".join(f'"{v}"' for v in row) for row in rows]
        lines.append(",".join(rows[0]) + ',"' + rows[-1][1])  # a quote left open
        lines.append(",".join(rows[0] + rows[-1]))  # more fields than the header
        lines.append(",".join(["", *rows[0][1:]]))  # a blank id
        lines.append(",".join(rows[0]))  # a repeated id
        (folder / "nhs_extract.csv").write_text("\n".join(lines) + "\n")
        _text_file(folder / "plasc.csv", _rows(others))  # no header: not read, reported
        (folder / "independent_returns").mkdir()
        _text_file(folder / "independent_returns" / "school.csv", _rows(others))
        write_csv(pd.DataFrame(_rows(records), columns=FIELDS).drop(columns="dob"),
                  folder / "ehe.csv")
        _assert_clean(_outputs(folder), records + others)


@PROPERTY
@given(RECORDS, st.sampled_from(["../{}.csv", " /tmp/{}.csv", "{}/../../x.csv", "{}.csv"]))
def test_inputs_yaml_never_repeats_a_value_it_refuses(records, pattern):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _text_file(folder / "nhs_extract.csv", [FIELDS, *_rows(records)])
        value = pattern.format(records[0]["surname"])
        (folder / "inputs.yaml").write_text(
            f"files:\n  plasc.csv: '{value}'\nheaders:\n  forename: [Given]\n")
        said = _said(lambda: _outputs(folder))
        _assert_clean(said, records)


@PROPERTY
@given(RECORDS, RECORDS)
def test_link_and_explain_refuse_without_repeating_values(left_records, right_records):
    left = pd.DataFrame(_rows(left_records), columns=FIELDS).set_index("record_id", drop=False)
    left = left[~left.index.duplicated()]
    right_rows = _rows(right_records)
    headerless = pd.DataFrame(right_rows[1:] or right_rows, columns=right_rows[0])  # read
    # with its first record as the header row: the column names are a child's values
    columns = {"left": MAPPING, "right": {**MAPPING, "dob": "date of birth"}}
    said = _said(lambda: link(left, headerless, columns=columns))
    said += _said(lambda: link(left, left, columns={"left": MAPPING, "right": {
        **MAPPING, "postcode": right_records[0]["postcode"]}}))
    blank = left.assign(dob="")
    said += _said(lambda: link(left, blank, columns=MAPPING))
    said += _said(lambda: explain(left, left, MAPPING, right_records[0]["record_id"] + "9"))
    assert len(said) == 4  # each call above was refused
    said += _said(lambda: link(left, left, columns=MAPPING))  # warnings of a link that works
    _assert_clean(said, left_records + right_records)


@PROPERTY
@given(RECORDS)
def test_seams_show_the_shape_of_an_las_ids(records):
    frame = pd.DataFrame(_rows(records), columns=FIELDS).assign(source="nwssp")
    frame = pd.concat([frame, frame.iloc[:1].assign(dob=None)], ignore_index=True)
    said = _said(lambda: seams.check_records(frame, "nwssp", "Cardiff: ingest -> link"))
    outcomes = pd.DataFrame({"record_id": frame["record_id"].iloc[:1], "source": "nwssp",
                             "outcome": "no_such_outcome", "matched_record_id": "",
                             "matched_dataset": "", "score": 0.0, "reason": ""})
    said += _said(lambda: seams.check_outcomes(outcomes, {"nwssp": frame},
                                               "Cardiff: link -> evaluate"))
    assert len(said) == 2
    _assert_clean(said, records)


def test_the_checks_can_fail():
    # The same assertion catches a value copied into a message.
    record = {"record_id": "4857773456", "forename": "Qabczx", "surname": "Street",
              "dob": "2014-03-09", "address": "1 Qdefzx Road", "postcode": "CF10 1AA"}
    with pytest.raises(AssertionError):
        _assert_clean(["found: Qabczx"], [record])
    with pytest.raises(AssertionError):
        _assert_clean(["id '4857773456'"], [record])
    assert isinstance(LinkInputError("x"), CmeEvalError)
