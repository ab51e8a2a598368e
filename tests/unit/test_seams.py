"""cme_eval.inputs.seams: the record schema after ingest and the outcomes after linkage,
checked where one stage hands over to the next (issue 12, point 6)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from cme_eval.evaluate.tables import ReconciliationError
from cme_eval.fileio import read_csv, write_csv
from cme_eval.inputs.ingest import read_records
from cme_eval.inputs.schema import INDEPENDENT, NWSSP, OUTCOME_COLUMNS, PLASC
from cme_eval.inputs.seams import SeamError, check_outcomes, check_records

INGEST = "Cardiff: ingest -> link"
LINK = "Cardiff: link -> evaluate"
# Distinctive personal values: none may ever appear in a message.
PERSONAL = ("Zebedeeqx", "Quillfeatherz", "2013-07-19", "20130719", "Xylophone", "CF99 9ZZ",
            "9434765919")


def _records(n: int = 5, source: str = NWSSP, prefix: str = "nhs") -> pd.DataFrame:
    return pd.DataFrame({
        "record_id": [f"{prefix}:row{i + 2}" for i in range(n)],
        "forename": ["Zebedeeqx"] * n,
        "surname": ["Quillfeatherz"] * n,
        "dob": ["2013-07-19"] * n,
        "address": ["7 Xylophone Row"] * n,
        "postcode": ["CF99 9ZZ"] * n,
        "nhs_number": ["9434765919"] * n,
        "source": [source] * n,
        "authority": ["Cardiff"] * n,
        "file": ["nhs_extract.csv"] * n,
    })


def _received() -> dict[str, pd.DataFrame]:
    return {NWSSP: _records(4), INDEPENDENT: _records(2, INDEPENDENT, "ind"),
            PLASC: _records(3, PLASC, "plasc")}  # an LA dataset: needs no outcomes


def _outcomes() -> pd.DataFrame:
    return pd.DataFrame({
        "record_id": ["nhs:row2", "nhs:row3", "nhs:row4", "nhs:row5", "ind:row2", "ind:row3"],
        "source": [NWSSP] * 4 + [INDEPENDENT] * 2,
        "outcome": ["perfect", "partial", "not_matched", "out_of_scope", "perfect",
                    "not_matched"],
        "matched_record_id": ["plasc:row2", "plasc:row3", "", "", "nhs:row2", ""],
        "matched_dataset": [PLASC, PLASC, "", "", NWSSP, ""],
        "score": [31.2, 14.5, 3.25, np.nan, 28.0, np.nan],
        "reason": ["exact on standardised name, date of birth and postcode"] * 6,
    }, columns=list(OUTCOME_COLUMNS))


def _message(excinfo: pytest.ExceptionInfo) -> str:
    message = str(excinfo.value)
    assert "\n" not in message and "\r" not in message, "one line"
    for value in PERSONAL:
        assert value not in message, f"a cell value leaked into the message: {message}"
    return message


# -- valid frames pass, unchanged ---------------------------------------------------------


def test_valid_records_pass_unchanged():
    frame = _records()
    before = frame.copy()
    assert check_records(frame, NWSSP, INGEST) is frame
    assert_frame_equal(frame, before)


def test_records_read_by_ingest_pass(tmp_path):
    path = tmp_path / "nhs_extract.csv"
    path.write_text("NHS Number,Legal Surname,Forename,D.O.B.,Address\n"
                    "9434765919,Quillfeatherz,Zebedeeqx,2013-07-19,\"7 Xylophone Row, CF99 9ZZ\"\n"
                    ",Jones,,,\n", encoding="utf-8")
    frame = read_records(path, NWSSP, "Cardiff")
    assert check_records(frame, NWSSP, INGEST) is frame


def test_empty_records_pass():
    empty = _records(0)
    assert check_records(empty, NWSSP, INGEST) is empty


def test_valid_outcomes_pass_unchanged_fresh_and_read_back(tmp_path):
    fresh = _outcomes()
    before = fresh.copy()
    assert check_outcomes(fresh, _received(), LINK) is fresh
    assert_frame_equal(fresh, before)
    # as the evaluate stage reads them: every value text, blanks as ''
    back = read_csv(write_csv(fresh, tmp_path / "outcomes.csv"))
    assert back["score"].tolist()[-1] == ""
    assert check_outcomes(back, _received(), LINK) is back


def test_received_as_one_frame():
    received = pd.concat([_records(4), _records(2, INDEPENDENT, "ind")], ignore_index=True)
    check_outcomes(_outcomes(), received, LINK)
    check_outcomes(_outcomes(), received[["record_id"]], LINK)  # ids only: compared by id


def test_no_received_records_no_outcomes():
    empty = _outcomes().iloc[:0]
    check_outcomes(empty, {NWSSP: _records(0), INDEPENDENT: _records(0, INDEPENDENT)}, LINK)


def test_seam_error_is_a_value_error_and_a_reconciliation_error():
    assert issubclass(SeamError, ValueError)
    assert issubclass(SeamError, ReconciliationError)  # old `except` clauses keep working


# -- records: each broken rule ------------------------------------------------------------


def test_missing_required_column():
    with pytest.raises(SeamError) as excinfo:
        check_records(_records().drop(columns="postcode"), NWSSP, INGEST)
    message = _message(excinfo)
    assert message.startswith(f"{INGEST}: nwssp records: ")
    assert "column 'postcode' required but missing" in message


def test_nan_in_text_column():
    frame = _records()
    frame.loc[2, "forename"] = np.nan
    with pytest.raises(SeamError) as excinfo:
        check_records(frame, NWSSP, INGEST)
    message = _message(excinfo)
    assert INGEST in message
    assert "column 'forename' NaN/None instead of text ('' for missing): 1 row" in message
    assert "(e.g. id 'nhs:row4')" in message


def test_nan_in_optional_text_column():
    frame = _records()
    frame.loc[0, "nhs_number"] = None
    with pytest.raises(SeamError, match=r"column 'nhs_number' NaN/None instead of text"):
        check_records(frame, NWSSP, INGEST)


def test_value_that_is_not_text():
    frame = _records()
    frame["dob"] = 20130719  # a number where the schema has text
    with pytest.raises(SeamError) as excinfo:
        check_records(frame, NWSSP, INGEST)
    assert "column 'dob' not text: 5 rows" in _message(excinfo)


def test_duplicate_record_ids():
    frame = _records()
    frame.loc[3, "record_id"] = "nhs:row2"
    with pytest.raises(SeamError) as excinfo:
        check_records(frame, NWSSP, INGEST)
    assert "column 'record_id' not unique: 2 rows (e.g. id 'nhs:row2')" in _message(excinfo)


def test_blank_record_id():
    frame = _records()
    frame.loc[1, "record_id"] = "  "
    with pytest.raises(SeamError) as excinfo:
        check_records(frame, NWSSP, INGEST)
    assert "column 'record_id' empty (blank id): 1 row" in _message(excinfo)


def test_source_other_than_the_one_given():
    frame = _records()
    frame.loc[[0, 4], "source"] = PLASC
    with pytest.raises(SeamError) as excinfo:
        check_records(frame, NWSSP, INGEST)
    assert "column 'source' not equal to 'nwssp': 2 rows" in _message(excinfo)


def test_every_broken_rule_reported_at_once():
    frame = _records().drop(columns="address")
    frame.loc[0, "surname"] = np.nan
    frame.loc[1, "record_id"] = "nhs:row4"
    with pytest.raises(SeamError) as excinfo:
        check_records(frame, NWSSP, INGEST)
    message = _message(excinfo)
    for part in ("column 'address' required but missing", "column 'surname' NaN/None",
                 "column 'record_id' not unique"):
        assert part in message


def test_not_a_frame():
    with pytest.raises(SeamError, match=r"not a table \(got list\)"):
        check_records([{"record_id": "a"}], NWSSP, INGEST)


def test_pandera_message_is_not_chained():
    """A traceback shows the exception's context: pandera's own message lists cell values."""
    frame = _records()
    frame.loc[0, "forename"] = 7
    with pytest.raises(SeamError) as excinfo:
        check_records(frame, NWSSP, INGEST)
    assert excinfo.value.__context__ is None and excinfo.value.__cause__ is None


# -- outcomes: each broken rule -----------------------------------------------------------


def test_missing_outcome_column():
    with pytest.raises(SeamError) as excinfo:
        check_outcomes(_outcomes().drop(columns="matched_dataset"), _received(), LINK)
    message = _message(excinfo)
    assert message.startswith(f"{LINK}: outcomes: ")
    assert "column 'matched_dataset' required but missing" in message


def test_unknown_outcome_value():
    outcomes = _outcomes()
    outcomes.loc[2, "outcome"] = "maybe"
    with pytest.raises(SeamError) as excinfo:
        check_outcomes(outcomes, _received(), LINK)
    message = _message(excinfo)
    assert ("column 'outcome' not an allowed outcome (perfect, partial, not_matched, "
            "out_of_scope): 1 row (e.g. id 'nhs:row4')") in message
    assert "maybe" not in message  # a cell value, even when it is no personal data
    assert "matched_record_id" not in message  # left to the outcome rule


def test_duplicate_outcome_ids():
    outcomes = _outcomes()
    outcomes.loc[1, "record_id"] = "nhs:row2"
    with pytest.raises(SeamError) as excinfo:
        check_outcomes(outcomes, _received(), LINK)
    message = _message(excinfo)
    assert "column 'record_id' not unique: 2 rows (e.g. id 'nhs:row2')" in message
    assert "1 received record without an outcome (e.g. id 'nhs:row3' (nwssp))" in message


def test_received_record_without_outcome():
    outcomes = _outcomes().drop(index=[1, 5])
    with pytest.raises(SeamError) as excinfo:
        check_outcomes(outcomes, _received(), LINK)
    message = _message(excinfo)
    assert ("column 'record_id' not exactly one outcome per received record: "
            "6 records received, 4 outcomes; 2 received records without an outcome "
            "(e.g. ids 'nhs:row3' (nwssp), 'ind:row3' (independent))") in message


def test_outcome_for_a_record_never_received():
    outcomes = _outcomes()
    outcomes.loc[6] = outcomes.loc[2]
    outcomes.loc[6, "record_id"] = "nhs:row99"
    with pytest.raises(SeamError) as excinfo:
        check_outcomes(outcomes, _received(), LINK)
    message = _message(excinfo)
    assert "6 records received, 7 outcomes" in message
    assert "1 outcome for a record never received (e.g. id 'nhs:row99' (nwssp))" in message


def test_outcome_under_the_wrong_source():
    outcomes = _outcomes()
    outcomes.loc[4, "source"] = NWSSP  # ind:row2 was received from an independent school
    with pytest.raises(SeamError) as excinfo:
        check_outcomes(outcomes, _received(), LINK)
    message = _message(excinfo)
    assert "without an outcome (e.g. id 'ind:row2' (independent))" in message
    assert "never received (e.g. id 'ind:row2' (nwssp))" in message


def test_outcome_for_a_source_that_is_not_received():
    outcomes = _outcomes()
    outcomes.loc[0, "source"] = PLASC
    with pytest.raises(SeamError) as excinfo:
        check_outcomes(outcomes, _received(), LINK)
    assert ("column 'source' not a received source (nwssp, independent): 1 row "
            "(e.g. id 'nhs:row2')") in _message(excinfo)


def test_missing_ids_capped_at_three():
    with pytest.raises(SeamError) as excinfo:
        check_outcomes(_outcomes().iloc[:0], {NWSSP: _records(50)}, LINK)
    message = _message(excinfo)
    assert "50 received records without an outcome" in message
    assert message.count("'nhs:row") == 3


@pytest.mark.parametrize("row, outcome, matched", [
    (0, "perfect", ""),               # matched, but to nothing
    (2, "not_matched", "plasc:row4"),  # not matched, yet a match is named
    (3, "out_of_scope", "plasc:row4"),
])
def test_matched_record_id_set_exactly_when_matched(row, outcome, matched):
    outcomes = _outcomes()
    outcomes.loc[row, ["outcome", "matched_record_id"]] = [outcome, matched]
    with pytest.raises(SeamError) as excinfo:
        check_outcomes(outcomes, _received(), LINK)
    assert ("column 'matched_record_id' not set exactly when the outcome is perfect or partial "
            f"(empty when not_matched or out_of_scope): 1 row (e.g. id '{outcomes.record_id[row]}')"
            ) in _message(excinfo)


@pytest.mark.parametrize("score", [np.nan, np.inf, "", "high"])
def test_score_finite_where_matched(score):
    outcomes = _outcomes().astype({"score": object})
    outcomes.loc[1, "score"] = score
    with pytest.raises(SeamError) as excinfo:
        check_outcomes(outcomes, _received(), LINK)
    assert ("column 'score' not a finite number where the outcome is perfect or partial: 1 row "
            "(e.g. id 'nhs:row3')") in _message(excinfo)


def test_score_not_a_number_where_not_matched():
    outcomes = read_csv_like(_outcomes())
    outcomes.loc[2, "score"] = "Zebedeeqx"
    with pytest.raises(SeamError) as excinfo:
        check_outcomes(outcomes, _received(), LINK)
    assert "column 'score' not a number or blank: 1 row (e.g. id 'nhs:row4')" in _message(excinfo)


def test_nan_in_outcome_text_column():
    outcomes = _outcomes()
    outcomes.loc[3, "reason"] = np.nan
    with pytest.raises(SeamError) as excinfo:
        check_outcomes(outcomes, _received(), LINK)
    assert ("column 'reason' NaN/None instead of text ('' for missing): 1 row "
            "(e.g. id 'nhs:row5')") in _message(excinfo)


def read_csv_like(frame: pd.DataFrame) -> pd.DataFrame:
    """Every value as text and blanks as '', as ``fileio.read_csv`` returns outcomes."""
    return frame.astype(object).where(frame.notna(), "").astype(str)
