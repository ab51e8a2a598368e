"""Validated seams: the common record schema where ingest hands over, the outcomes where linkage
hands over (issue 12, point 6), and the standardised frame where it is handed to the engines
(``check_standardised``, issue 21, point 5: its schema is in ``cme_eval.inputs.standardised``;
its messages show row positions and the shape of a bad value instead of ids).

``check_records`` and ``check_outcomes`` return the frame they are given, unchanged, or raise a
``SeamError`` whose one-line message names the seam (``where``), each column and rule broken,
and how many rows break it, with at most three example record ids: an id the toolkit made is
shown (``TOOLKIT_ID``), any other by its shape; no other cell value (names, dates, addresses,
scores, reasons) ever appears in a message.

The column rules are pandera schemas, validated lazily so that every broken rule is reported at
once; pandera's failure cases hold cell values, so only their column, check and row index are
read. Whether every received record has exactly one outcome compares two frames, which is
plain pandas.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

import numpy as np
import pandas as pd

from cme_eval.evaluate.tables import ReconciliationError
from cme_eval.inputs import standardised
from cme_eval.inputs.ingest import REQUIRED_FIELDS
from cme_eval.inputs.schema import (
    NOT_MATCHED,
    OPTIONAL_IDENTIFIERS,
    OUT_OF_SCOPE,
    OUTCOME_COLUMNS,
    OUTCOMES,
    PARTIAL,
    PERFECT,
    RECEIVED_SOURCES,
)

# pandera (~0.4 s to import) is imported when a schema is first built, not with this module.

# Text columns a record may carry beside the required ones; checked when present.
OPTIONAL_RECORD_TEXT = (*OPTIONAL_IDENTIFIERS, "authority", "file")
MATCHED = (PERFECT, PARTIAL)
EXAMPLE_IDS = 3


class SeamError(ValueError, ReconciliationError):
    """A frame handed from one stage to the next breaks the seam's schema.

    A ``ValueError``, and also a ``tables.ReconciliationError`` (an ``AssertionError``), so the
    ``except`` clauses written for the old "received == outcomes" check keep catching it.
    """


# -- element-wise rules (each returns a boolean Series: True where the row keeps the rule) --


def _non_empty(series: pd.Series) -> pd.Series:
    return series.astype(str).str.strip().ne("")


def _number_or_blank(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return pd.Series(True, index=series.index)
    number = pd.to_numeric(series, errors="coerce")
    blank = series.isna() | series.astype(str).str.strip().eq("")
    return number.notna() | blank


# Rules over two columns, each reported against the first. Checked in plain pandas: pandera's
# dataframe-wide checks reshape every failing row (minutes on 200k failing rows). Rows whose
# outcome is not an allowed value are left to the outcome rule.
def _matched_id_agrees(frame: pd.DataFrame) -> np.ndarray:
    matched = frame["outcome"].isin(MATCHED).to_numpy()
    ids = frame["matched_record_id"]
    has_id = (ids.notna() & _non_empty(ids)).to_numpy()
    return (matched == has_id) | ~frame["outcome"].isin(OUTCOMES).to_numpy()


def _score_finite_where_matched(frame: pd.DataFrame) -> np.ndarray:
    score = pd.to_numeric(frame["score"], errors="coerce").to_numpy(dtype=float)
    return ~frame["outcome"].isin(MATCHED).to_numpy() | np.isfinite(score)


CROSS_COLUMN_RULES = (
    ("matched_record_id", "outcome",
     f"not set exactly when the outcome is {' or '.join(MATCHED)} "
     f"(empty when {NOT_MATCHED} or {OUT_OF_SCOPE})", _matched_id_agrees),
    ("score", "outcome", f"not a finite number where the outcome is {' or '.join(MATCHED)}",
     _score_finite_where_matched),
)


# -- schemas ------------------------------------------------------------------------------


def _text(pa, *checks, required: bool = True, unique: bool = False):
    return pa.Column(str, checks=list(checks), nullable=False, unique=unique, required=required)


@cache
def _records_schema(source: str):
    import pandera.pandas as pa

    columns = {
        "record_id": _text(pa, pa.Check(_non_empty, name="empty (blank id)"), unique=True),
        **{name: _text(pa) for name in REQUIRED_FIELDS},
        "source": _text(pa, pa.Check(lambda s: s.eq(source), name=f"not equal to '{source}'")),
        **{name: _text(pa, required=False) for name in OPTIONAL_RECORD_TEXT},
    }
    return pa.DataFrameSchema(columns, strict=False, name=f"{source} records")


@cache
def _outcomes_schema():
    import pandera.pandas as pa

    columns = {
        "record_id": _text(pa, pa.Check(_non_empty, name="empty (blank id)"), unique=True),
        "source": _text(pa, pa.Check(lambda s: s.isin(RECEIVED_SOURCES), name=(
            f"not a received source ({', '.join(RECEIVED_SOURCES)})"))),
        "outcome": _text(pa, pa.Check(lambda s: s.isin(OUTCOMES), name=(
            f"not an allowed outcome ({', '.join(OUTCOMES)})"))),
        "matched_record_id": _text(pa),
        "matched_dataset": _text(pa),
        "score": pa.Column(checks=[pa.Check(_number_or_blank, name="not a number or blank")],
                           nullable=True),
        "reason": _text(pa),
    }
    assert set(columns) == set(OUTCOME_COLUMNS)
    return pa.DataFrameSchema(columns, strict=False, name="outcomes")


# -- running the rules and summarising what broke -----------------------------------------


def _rule_text(check: str) -> str:
    if check == "not_nullable":
        return "NaN/None instead of text ('' for missing)"
    if check == "field_uniqueness":
        return "not unique"
    if check.startswith("dtype("):
        return "not text" if check == "dtype('str')" else f"not of type {check[6:-1]}"
    return check


def _count(n: int, noun: str = "row") -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


# Ids the toolkit makes, which a message may show: ``source:n`` (an LA's own extracts, issue 22),
# ``file:row7`` (made for a blank or repeated id) and the synthetic population's ``NHS-W06...-1``.
# Any other id is an LA's own, perhaps an NHS number: shown by its shape only.
TOOLKIT_ID = re.compile(r"[a-z_]+:\d+|.+:row\d+(?:#\d+)?|[A-Z]{3}-W\d{8}-\d+")


def _id(value: object) -> str:
    text = str(value)
    return repr(text) if TOOLKIT_ID.fullmatch(text) else f"<{_shape(text)}>"


def _ids(values: Iterable) -> str:
    """'id'/'ids' and up to three distinct ids, each quoted with repr so that no id can break
    the one-line message (an id the toolkit did not make: by its shape)."""
    shown = list(dict.fromkeys(_id(v) for v in values))[:EXAMPLE_IDS]
    return f"{'id' if len(shown) == 1 else 'ids'} {', '.join(shown)}"


def _phrase(frame: pd.DataFrame, column: str, rule: str, n: int,
            positions: np.ndarray | None) -> str:
    """"column 'x' <rule>: n rows (e.g. ids ...)", the ids of the first rows breaking it."""
    phrase = f"column '{column}' {rule}: {_count(n)}"
    if positions is not None and len(positions) and "record_id" in frame.columns:
        first = np.sort(positions)[: EXAMPLE_IDS * 2]  # * 2: a duplicated id is shown once
        phrase += f" (e.g. {_ids(frame['record_id'].to_numpy()[first])})"
    return phrase


SHAPE_LENGTH = 16  # longer text is described by its length only


def _shape(value) -> str:
    """What a value looks like, never what it is: letters as A, digits as 9, spaces kept, any
    other character as '*' ('CF10 1AA' -> 'AA99 9AA'); a number by its digits and type."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "NaN/None"
    if isinstance(value, (bool, np.bool_)):
        return "a boolean"
    if isinstance(value, (int, np.integer)):
        digits = len(str(abs(int(value))))
        return (f"{'a negative' if value < 0 else 'an'} integer of {digits} "
                f"digit{'s' if digits != 1 else ''}")
    if isinstance(value, (float, np.floating)):
        return "a decimal number"
    if not isinstance(value, str):
        return f"a {type(value).__name__}"
    if not value:
        return "'' (empty text)"
    if len(value) > SHAPE_LENGTH:
        return f"text of {len(value)} characters"
    mask = "".join("A" if c.isalpha() else "9" if c.isdigit() else " " if c == " " else "*"
                   for c in value)
    return f"text shaped '{mask}'"


def _position_phrase(frame: pd.DataFrame, column: str, rule: str, n: int,
                     positions: np.ndarray | None) -> str:
    """"column 'x' <rule>: n rows (e.g. row positions 3, 17; the first is <shape>)": rows by
    their position in the frame and the first bad value by its shape (``_shape``), no value."""
    phrase = f"column '{column}' {rule}: {_count(n)}"
    if positions is not None and len(positions):
        first = np.sort(positions)[:EXAMPLE_IDS]
        shown = ", ".join(str(int(p)) for p in first)
        phrase += f" (e.g. row position{'s' if len(first) > 1 else ''} {shown}"
        if column in frame.columns:
            phrase += f"; the first is {_shape(frame[column].iloc[int(first[0])])}"
        phrase += ")"
    return phrase


def _summarise(failures: pd.DataFrame, frame: pd.DataFrame, phrase=_phrase) -> list[str]:
    """One phrase per (column, rule) from pandera's failure cases. Only their column, check and
    row index are read: the failure case itself is a cell value (a name, a date ...).
    ``phrase``: how rows breaking a rule are shown (``_phrase``: by id)."""
    parts: list[str] = []
    failures = failures.assign(check=failures["check"].astype(str))
    for (column, check), cases in failures.groupby(["column", "check"], sort=False,
                                                   dropna=False):
        if check == "column_in_dataframe":
            for name in cases["failure_case"]:  # here the failure case is the column's name
                parts.append(f"column '{name}' required but missing")
            continue
        labels = cases["index"].dropna().drop_duplicates()
        if labels.empty:  # a whole-column failure (its dtype), not particular rows
            parts.append(f"column '{column}' {_rule_text(check)}")
            continue
        positions = None  # labels that do not name one row each: count only, show no ids
        if frame.index.is_unique:
            positions = frame.index.get_indexer(labels.to_numpy())
            positions = positions[positions >= 0]
        parts.append(phrase(frame, column, _rule_text(check), len(labels), positions))
    return parts


def _cross_column(frame: pd.DataFrame, rules=CROSS_COLUMN_RULES, phrase=_phrase) -> list[str]:
    parts = []
    for column, other, rule, keeps in rules:
        if {column, other} <= set(frame.columns):  # a missing column is reported on its own
            broken = np.flatnonzero(~keeps(frame))
            if len(broken):
                parts.append(phrase(frame, column, rule, len(broken), broken))
    return parts


def _validate(schema, frame: pd.DataFrame, phrase=_phrase) -> list[str]:
    import pandera.pandas as pa
    from pandera.config import ValidationDepth, config_context

    if not isinstance(frame, pd.DataFrame):
        return [f"not a table (got {type(frame).__name__})"]
    # Whatever PANDERA_VALIDATION_ENABLED / _DEPTH say in the environment, a seam checks data.
    with config_context(validation_enabled=True,
                        validation_depth=ValidationDepth.SCHEMA_AND_DATA):
        try:
            schema.validate(frame, lazy=True)
        except pa.errors.SchemaErrors as errors:
            return _summarise(errors.failure_cases, frame, phrase)
    return []


def _raise(where: str, what: str, parts: list[str]) -> None:
    if parts:
        message = f"{where}: {what}: " + "; ".join(parts)
        raise SeamError(message.replace("\r", " ").replace("\n", " "))  # always one line


# -- the seams ----------------------------------------------------------------------------


def check_records(frame: pd.DataFrame, source: str, where: str) -> pd.DataFrame:
    """One source's records as ingest hands them over, in the common schema.

    Columns ``record_id``, the required fields and ``source`` are present and hold text (no NaN:
    '' for missing); so do the optional identifiers, ``authority`` and ``file`` when present.
    ``record_id`` is non-empty and unique within the source and ``source`` equals ``source``.
    Returns ``frame`` itself; raises ``SeamError`` naming ``where``, columns, rules and counts.
    """
    _raise(where, f"{source} records", _validate(_records_schema(source), frame))
    return frame


def check_standardised(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """Standardised records as they are handed to the engines (``standardise.prepare``'s
    output): ``cme_eval.inputs.standardised.schema()`` and its ``CROSS_COLUMN_RULES``.

    Returns ``frame`` itself; raises ``SeamError`` naming ``where``, each column and the rule it
    breaks (what was expected), how many rows break it, up to three row positions and the
    *shape* of the first bad value ('an integer of 7 digits', "text shaped 'AA99 9AA'"), never a
    value or an id.
    """

    schema = standardised.schema()
    if isinstance(frame, pd.DataFrame):  # pandera copies and consolidates what it validates:
        # only the schema's columns, not the records' own ones kept beside them (a missing
        # one is still reported as missing)
        columns = [c for c in schema.columns if c in frame.columns]
        parts = _validate(schema, frame[columns], _position_phrase)
        parts += _cross_column(frame, standardised.CROSS_COLUMN_RULES, _position_phrase)
    else:
        parts = _validate(schema, frame, _position_phrase)
    _raise(where, "standardised records", parts)
    return frame


def _received_keys(received: pd.DataFrame | dict[str, pd.DataFrame]) -> pd.DataFrame:
    if isinstance(received, dict):
        present = [s for s in RECEIVED_SOURCES if s in received]
        if any("record_id" not in received[s].columns for s in present):
            return pd.DataFrame()  # reported as a missing column
        frames = [pd.DataFrame({"record_id": received[s]["record_id"].to_numpy(), "source": s})
                  for s in present]
        if not frames:
            return pd.DataFrame({"record_id": [], "source": []}, dtype=object)
        received = pd.concat(frames, ignore_index=True)
    columns = [c for c in ("record_id", "source") if c in received.columns]
    return received[columns]


def _coverage(outcomes: pd.DataFrame, received) -> list[str]:
    """Exactly one outcome per received record: the same ids on both sides (by source and id
    when both sides name the source), and as many outcomes as records."""
    keys = _received_keys(received)
    if "record_id" not in keys.columns:
        return ["column 'record_id' required but missing from the received records"]
    if "record_id" not in outcomes.columns:
        return []  # reported by the schema
    by_source = "source" in keys.columns and "source" in outcomes.columns

    def index(frame: pd.DataFrame) -> pd.Index:
        ids = frame["record_id"].astype(str)
        if by_source:
            return pd.MultiIndex.from_arrays([frame["source"].astype(str), ids])
        return pd.Index(ids)

    def show(idx: pd.Index) -> str:
        if not by_source:
            return _ids(idx[:EXAMPLE_IDS])
        shown = [f"{_id(rid)} ({src})" for src, rid in idx[:EXAMPLE_IDS]]
        return f"{'id' if len(shown) == 1 else 'ids'} {', '.join(shown)}"

    got, expected = index(outcomes), index(keys)
    missing = expected.difference(got, sort=False)
    extra = got.difference(expected, sort=False)
    if missing.empty and extra.empty and len(got) == len(expected):
        return []
    phrase = (f"column 'record_id' not exactly one outcome per received record: "
              f"{_count(len(expected), 'record')} received, {_count(len(got), 'outcome')}")
    if not missing.empty:
        phrase += (f"; {_count(len(missing), 'received record')} without an outcome "
                   f"(e.g. {show(missing)})")
    if not extra.empty:
        phrase += (f"; {_count(len(extra), 'outcome')} for a record never received "
                   f"(e.g. {show(extra)})")
    return [phrase]


def check_outcomes(outcomes: pd.DataFrame, received: pd.DataFrame | dict[str, pd.DataFrame],
                   where: str) -> pd.DataFrame:
    """Outcomes as linkage hands them over, against the records that were received.

    Every column of ``schema.OUTCOME_COLUMNS`` is present; text columns hold text; ``outcome``
    is one of ``schema.OUTCOMES``; ``record_id`` is non-empty and unique; ``matched_record_id``
    is empty exactly when the outcome is not_matched or out_of_scope, and ``score`` is a finite
    number where the outcome is perfect or partial (a number or blank elsewhere). The ids are
    those of the received records, one outcome each, compared by source and id when both sides
    have ``source``.

    ``received`` is either a frame of the received records (``record_id``, optionally
    ``source``) or a dict by source as ``ingest.read_authority`` returns it, whose received
    sources (``schema.RECEIVED_SOURCES``) are the ones that need outcomes. ``outcomes`` may be
    fresh from the linker (score a float) or read back as text (``fileio.read_csv``).
    Returns ``outcomes`` itself; raises ``SeamError`` naming ``where``, columns, rules, counts
    and at most three example ids.
    """
    parts = _validate(_outcomes_schema(), outcomes)
    if isinstance(outcomes, pd.DataFrame):
        parts += _cross_column(outcomes) + _coverage(outcomes, received)
    _raise(where, "outcomes", parts)
    return outcomes
