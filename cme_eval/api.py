"""Link any two DataFrames with the toolkit's standardisation, spec and engines.

    import cme_eval
    out = cme_eval.link(nhs, pupils, columns={"forename": "first_name", "surname": "last_name",
                                              "dob": "date_of_birth", "address": "addr",
                                              "postcode": "pc"})

``columns`` maps the standard fields to the frames' column names: one mapping for both frames,
or ``{"left": {...}, "right": {...}}``. Fields left out are treated as empty (their comparisons
carry no weight); forename, surname and dob are required. ``address`` may name several columns
(a list or tuple, e.g. ``["street_number", "address_1", "suburb"]``): their values are joined
with ", ", empty parts skipped. The result has one outcome row per left record, identified by
the left frame's index values, with the right frame's index value as ``matched_record_id``.
Odd values (non-UK postcodes, unreadable dates, empty cells) are compared as well as they can
be and flagged in ``reason``; no row is ever lost.

Data that are not about school children, or not British, take four keywords:

- ``school_age_only=False``: every record is in scope (default True: only children of
  compulsory school age on ``reference_date`` are matched, the rest are ``out_of_scope``);
- ``one_to_one=False``: several left records may take the same right record, e.g. duplicates
  of one person in the left frame (default True: a right record is used at most once);
- ``twin_guard=False``: a pair whose forenames are plainly different may still be linked
  (default True: among children, such a pair agreeing on everything else is usually a twin;
  in data without twins, e.g. adults' records whose forename was replaced, it is a match);
- ``date_order``: how numeric dates such as 03/08/2014 are read: "dmy" (day first), "mdy"
  (month first, US style) or "auto" (default: per column, month first when at least 90% of
  the dates that can be read only one way can only be month first, so a few typing errors do
  not turn a US column; a date valid only the other way round is read so and flagged).

A keyword left out keeps what ``spec`` says (the package defaults when no spec is given).
Mapping errors raise :class:`LinkInputError`, whose message names the frame and the column.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd

from cme_eval.config import Linkage
from cme_eval.exceptions import DATA_SHAPES, CmeEvalError, columns_text, shape
from cme_eval.inputs.standardise import prepare
from cme_eval.linkage import engines, link_prepared, score, spec_from_settings
from cme_eval.linkage.comparisons import compare
from cme_eval.linkage.explain import comparison_weights, explain_pair, waterfall
from cme_eval.linkage.spec import TWIN_GUARD, LinkSpec

STANDARD_FIELDS = ("forename", "surname", "dob", "address", "postcode")
REQUIRED = ("forename", "surname", "dob")
MULTI_COLUMN = ("address",)  # fields that may be put together from several columns
DATE_ORDERS = ("dmy", "mdy", "auto")


class LinkInputError(CmeEvalError, ValueError):
    """A frame cannot be linked; the message names the frame and the column."""


def _mapping(columns: Mapping, side: str) -> Mapping[str, str]:
    if not isinstance(columns, Mapping):
        raise LinkInputError(f"columns: expected a mapping of field to column name, got "
                             f"{type(columns).__name__}")
    if "left" in columns or "right" in columns:
        if side not in columns:
            raise LinkInputError(f"columns: a mapping for the {side} frame is missing")
        if not isinstance(columns[side], Mapping):
            raise LinkInputError(f"columns: the {side} mapping is a "
                                 f"{type(columns[side]).__name__}, not a mapping")
        return columns[side]
    return columns


def _as_text(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        values = values.dt.strftime("%Y-%m-%d")
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


def _column_names(spec, field: str, side: str) -> list:
    """The column(s) a mapping value names: one column, or a list/tuple for address."""
    if isinstance(spec, (list, tuple)):
        if field not in MULTI_COLUMN:
            raise LinkInputError(f"{side}: {field} takes one column, got a "
                                 f"{type(spec).__name__} ({', '.join(map(str, spec))}); only "
                                 f"{', '.join(MULTI_COLUMN)} may join several columns")
        if not spec:
            raise LinkInputError(f"{side}: the column list for {field} is empty")
        return list(spec)
    return [spec]


def _joined(parts: list[pd.Series]) -> pd.Series:
    """Values of several columns joined with ', ', empty parts skipped."""
    if len(parts) == 1:
        return parts[0]
    rows = zip(*(p.to_numpy() for p in parts), strict=True)
    return pd.Series([", ".join(v for v in row if v) for row in rows], index=parts[0].index)


def _columns_text(frame: pd.DataFrame) -> str:
    """A frame's columns for a message: named when they are header strings (text, none shaped
    like a date, postcode or number: a record read as a header row has at least its date of
    birth), otherwise counted and described by shape, since they may be a child's record."""
    names = list(frame.columns)
    header = all(isinstance(c, str) for c in names) and not any(
        shape(c) in DATA_SHAPES for c in names)
    return ("columns: " if header else "the frame has ") + columns_text(names, header)


def _named(column: object) -> str:
    """A column the caller named, for a message: quoted when it reads as a column name, by its
    shape when it is shaped like data (a frame read without its header row has a child's
    values for column names, and a mapping may repeat them)."""
    if isinstance(column, str) and shape(column) not in DATA_SHAPES:
        return repr(column)
    return f"<a {shape(column)}>"


def _position(frame: pd.DataFrame, key: object, name: str) -> int:
    """The row of ``key`` in a frame's index; a missing key is a LinkInputError that does not
    repeat it (an LA's record id may be an NHS number)."""
    try:
        found = frame.index.get_loc(key)
    except (KeyError, TypeError):
        raise LinkInputError(f"{name}: not in the frame's index") from None
    if not isinstance(found, int):
        raise LinkInputError(f"{name}: matches more than one row of the frame's index")
    return found


def _to_records(frame: pd.DataFrame, mapping: Mapping, side: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise LinkInputError(f"{side}: expected a pandas DataFrame, got {type(frame).__name__}")
    unknown = sorted(map(str, set(mapping) - set(STANDARD_FIELDS)))
    if unknown:
        raise LinkInputError(f"columns: unknown field {unknown[0]!r}; allowed: "
                             + ", ".join(STANDARD_FIELDS))
    for field in REQUIRED:
        if mapping.get(field) is None:
            raise LinkInputError(f"{side}: no column given for required field {field!r}")
    out = pd.DataFrame(index=range(len(frame)))
    for field in STANDARD_FIELDS:
        spec = mapping.get(field)
        if spec is None:
            out[field] = ""
            continue
        names = _column_names(spec, field, side)
        for column in names:
            if isinstance(column, (list, tuple, dict, set)) or column not in frame.columns:
                raise LinkInputError(f"{side}: column {_named(column)} (for {field}) not found; "
                                     f"{_columns_text(frame)}")
        if frame.columns.duplicated().any():
            repeated = [c for c in names if (frame.columns == c).sum() > 1]
            if repeated:
                raise LinkInputError(f"{side}: column {_named(repeated[0])} (for {field}) appears "
                                     "more than once; give each column its own name")
        text = _joined([_as_text(frame[column]) for column in names])
        if field in REQUIRED and len(frame) and text.eq("").all():
            raise LinkInputError(f"{side}: column {_named(names[0])} (for {field}) is empty in "
                                 "every row")
        out[field] = text.to_numpy()
    out.insert(0, "record_id", [str(v) for v in frame.index])
    if out["record_id"].duplicated().any():
        raise LinkInputError(f"{side}: the index has repeated values; give each row its own id")
    out["source"] = side
    return out


def _settings(spec: LinkSpec | None, school_age_only: bool | None, one_to_one: bool | None,
              date_order: str, twin_guard: bool | None = None) -> LinkSpec:
    """The spec to link with (the package defaults unless given), with the keywords given set.
    """
    if date_order not in DATE_ORDERS:
        raise LinkInputError(f"date_order: expected one of {', '.join(DATE_ORDERS)}, "
                             f"got {date_order!r}")
    if spec is None:

        spec = spec_from_settings(Linkage())
    changes: dict[str, Any] = {  # Any: replace() checks ** against every field's type
        k: bool(v) for k, v in (("school_age_only", school_age_only),
                                ("one_to_one", one_to_one)) if v is not None}
    if twin_guard is False:
        changes["max_level_to_link"] = tuple(g for g in spec.max_level_to_link
                                             if g[0] != "forename")
    elif twin_guard and "forename" not in dict(spec.max_level_to_link):
        changes["max_level_to_link"] = (*spec.max_level_to_link, TWIN_GUARD)
    return dataclasses.replace(spec, **changes)


def _reference_date(value: dt.date | str | None) -> dt.date:
    """The reference date as a date: a date, an ISO date text (2025-04-30) or None (today)."""
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise LinkInputError(f"reference_date: expected an ISO date such as 2025-04-30, "
                                 f"got {value!r}") from None
    raise LinkInputError(f"reference_date: expected a date or an ISO date text such as "
                         f"2025-04-30, got {type(value).__name__}")


def _engine(name: str | None) -> str | None:
    """``name`` if it is an engine of ``linkage.engines`` (None: the default); else a
    LinkInputError naming the allowed ones."""
    if name is None:
        return None
    allowed = engines.engine_names()
    if not isinstance(name, str) or name not in allowed:
        raise LinkInputError(f"engine: unknown engine {name!r}; allowed: {', '.join(allowed)}")
    return name


def _prepared(left: pd.DataFrame, right: pd.DataFrame, columns: Mapping, ref: dt.date,
              date_order: str):
    """Both frames as records in the common schema, and standardised (the right one carries
    ``dataset``): (left records, right records, left standardised, right standardised)."""

    lrec = _to_records(left, _mapping(columns, "left"), "left")
    rrec = _to_records(right, _mapping(columns, "right"), "right").assign(dataset="right")
    return (lrec, rrec, prepare(lrec, ref, date_order=date_order),
            prepare(rrec, ref, date_order=date_order))


def link(left: pd.DataFrame, right: pd.DataFrame, columns: Mapping, *,
         engine: str | None = None, reference_date: dt.date | str | None = None,
         spec: LinkSpec | None = None, school_age_only: bool | None = None,
         one_to_one: bool | None = None, date_order: str = "auto",
         twin_guard: bool | None = None) -> pd.DataFrame:
    """One outcome row per left record (see the module docstring).

    ``reference_date`` decides compulsory school age (out_of_scope) and the century of
    two-digit years: a date or an ISO date text ("2025-04-30"); default: today. ``engine``: a
    name of ``linkage.engines`` (default: the package's); any other raises LinkInputError.
    ``school_age_only``, ``one_to_one``, ``twin_guard`` and
    ``date_order``: see the module docstring.
    """

    ref = _reference_date(reference_date)
    chosen = _engine(engine)
    spec = _settings(spec, school_age_only, one_to_one, date_order, twin_guard)
    lrec, rrec, lstd, rstd = _prepared(left, right, columns, ref, date_order)
    out = link_prepared(lstd, rstd, spec, engine=chosen, reference_date=ref)
    index_of = dict(zip(lrec["record_id"], left.index, strict=True))
    right_of = dict(zip(rrec["record_id"], right.index, strict=True))
    out.index = pd.Index([index_of[r] for r in out["record_id"]], name=left.index.name)
    out["matched_record_id"] = pd.Series(
        [right_of.get(r, None) if r else None for r in out["matched_record_id"]],
        index=out.index, dtype=object)
    return out.drop(columns=["record_id", "source"])


def explain(left: pd.DataFrame, right: pd.DataFrame, columns: Mapping, left_key,
            right_key=None, *, reference_date: dt.date | str | None = None,
            spec: LinkSpec | None = None, figure: bool = False,
            school_age_only: bool | None = None, one_to_one: bool | None = None,
            date_order: str = "auto", twin_guard: bool | None = None):
    """Why ``left_key`` got its outcome: per comparison, the level and weight (a waterfall).

    Compares the left record with ``right_key`` (default: the record it was matched to, else
    its best-scoring candidate). Returns the table, or (table, matplotlib figure) with
    ``figure=True``. Values of the records are never shown, only comparison levels.
    ``school_age_only``, ``one_to_one`` and ``date_order`` are as for :func:`link` (the first
    two only matter for finding the matched record).
    """

    ref = _reference_date(reference_date)
    spec = _settings(spec, school_age_only, one_to_one, date_order, twin_guard)
    _, _, lrec, rrec = _prepared(left, right, columns, ref, date_order)
    lpos = _position(left, left_key, "left_key")
    if right_key is None:
        matched = link(left, right, columns, reference_date=ref, spec=spec,
                       school_age_only=school_age_only, one_to_one=one_to_one,
                       date_order=date_order).loc[left_key]
        right_key = matched["matched_record_id"]
    # The candidates, and the spec that weighs them, exactly as the link has them (columns
    # too uniform to tell people apart dropped, m and u estimated as the spec asks).
    candidates, weighed, _, _ = score(lrec, rrec, spec)
    if right_key is None:
        mine = candidates.index[candidates.index.get_level_values(0) == lpos]
        if len(mine) == 0:
            raise LinkInputError("left_key: the record has no candidate to explain")
        pairs = mine
    else:
        pairs = pd.MultiIndex.from_tuples([(lpos, _position(right, right_key, "right_key"))])
    levels = compare(lrec, rrec, pairs, weighed.comparisons)
    weights = comparison_weights(levels, weighed, lrec, rrec)
    best = weights.sum(axis=1).idxmax()
    table = explain_pair(levels.loc[best], weighed, weights.loc[best])
    if figure:
        return table, waterfall(table, weighed.partial_min_weight)
    return table
