"""Link any two DataFrames with the toolkit's standardisation, spec and engines.

    import cme_eval
    out = cme_eval.link(nhs, pupils, columns={"forename": "first_name", "surname": "last_name",
                                              "dob": "date_of_birth", "address": "addr",
                                              "postcode": "pc"})

``columns`` maps the standard fields to the frames' column names: one mapping for both frames,
or ``{"left": {...}, "right": {...}}``. Fields left out are treated as empty (their comparisons
carry no weight); forename, surname and dob are required. The result has one outcome row per
left record, identified by the left frame's index values, with the right frame's index value as
``matched_record_id``. Odd values (non-UK postcodes, unreadable dates, empty cells) are compared
as well as they can be and flagged in ``reason``; no row is ever lost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd

from cme_eval.linkage.spec import LinkSpec

STANDARD_FIELDS = ("forename", "surname", "dob", "address", "postcode")
REQUIRED = ("forename", "surname", "dob")


class LinkInputError(ValueError):
    """A frame cannot be linked; the message names the frame and the column."""


def _mapping(columns: Mapping, side: str) -> Mapping[str, str]:
    if "left" in columns or "right" in columns:
        if side not in columns:
            raise LinkInputError(f"columns: a mapping for the {side} frame is missing")
        return columns[side]
    return columns


def _to_records(frame: pd.DataFrame, mapping: Mapping[str, str], side: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise LinkInputError(f"{side}: expected a pandas DataFrame, got {type(frame).__name__}")
    unknown = sorted(set(mapping) - set(STANDARD_FIELDS))
    if unknown:
        raise LinkInputError(f"columns: unknown field {unknown[0]!r}; allowed: "
                             + ", ".join(STANDARD_FIELDS))
    for field in REQUIRED:
        if field not in mapping:
            raise LinkInputError(f"{side}: no column given for required field {field!r}")
    out = pd.DataFrame(index=range(len(frame)))
    for field in STANDARD_FIELDS:
        column = mapping.get(field)
        if column is None:
            out[field] = ""
            continue
        if column not in frame.columns:
            raise LinkInputError(f"{side}: column {column!r} (for {field}) not found; "
                                 f"columns: {', '.join(map(str, frame.columns))}")
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            values = values.dt.strftime("%Y-%m-%d")
        text = values.astype(object).where(values.notna(), "").astype(str).str.strip()
        if field in REQUIRED and len(frame) and text.eq("").all():
            raise LinkInputError(f"{side}: column {column!r} (for {field}) is empty in every row")
        out[field] = text.to_numpy()
    out.insert(0, "record_id", [str(v) for v in frame.index])
    if out["record_id"].duplicated().any():
        raise LinkInputError(f"{side}: the index has repeated values; give each row its own id")
    out["source"] = side
    return out


def link(left: pd.DataFrame, right: pd.DataFrame, columns: Mapping, *,
         engine: str = "recordlinkage", reference_date: dt.date | None = None,
         spec: LinkSpec | None = None) -> pd.DataFrame:
    """One outcome row per left record (see the module docstring).

    ``reference_date`` decides compulsory school age (out_of_scope); default: today.
    """
    from cme_eval.config import Linkage
    from cme_eval.linkage import link_prepared, spec_from_settings
    from cme_eval.standardise import prepare

    ref = reference_date or dt.date.today()
    lrec = _to_records(left, _mapping(columns, "left"), "left")
    rrec = _to_records(right, _mapping(columns, "right"), "right").assign(dataset="right")
    spec = spec or spec_from_settings(Linkage())
    out = link_prepared(prepare(lrec, ref), prepare(rrec, ref), spec, engine=engine,
                        reference_date=ref)
    index_of = dict(zip(lrec["record_id"], left.index, strict=True))
    right_of = dict(zip(rrec["record_id"], right.index, strict=True))
    out.index = pd.Index([index_of[r] for r in out["record_id"]], name=left.index.name)
    out["matched_record_id"] = pd.Series(
        [right_of.get(r, None) if r else None for r in out["matched_record_id"]],
        index=out.index, dtype=object)
    return out.drop(columns=["record_id", "source"])


def explain(left: pd.DataFrame, right: pd.DataFrame, columns: Mapping, left_key,
            right_key=None, *, reference_date: dt.date | None = None,
            spec: LinkSpec | None = None, figure: bool = False):
    """Why ``left_key`` got its outcome: per comparison, the level and weight (a waterfall).

    Compares the left record with ``right_key`` (default: the record it was matched to, else
    its best-scoring candidate). Returns the table, or (table, matplotlib figure) with
    ``figure=True``. Values of the records are never shown, only comparison levels.
    """
    from cme_eval.config import Linkage
    from cme_eval.linkage import estimated_spec, rl_engine, spec_from_settings
    from cme_eval.linkage.explain import comparison_weights, explain_pair, waterfall
    from cme_eval.standardise import prepare

    ref = reference_date or dt.date.today()
    spec = spec or spec_from_settings(Linkage())
    lrec = prepare(_to_records(left, _mapping(columns, "left"), "left"), ref)
    rrec = prepare(_to_records(right, _mapping(columns, "right"), "right"), ref)
    lpos = left.index.get_loc(left_key)
    if right_key is None:
        matched = link(left, right, columns, reference_date=ref, spec=spec).loc[left_key]
        right_key = matched["matched_record_id"]
    if right_key is None:
        levels = rl_engine.score_pairs(lrec, rrec, spec)
        mine = levels[levels.index.get_level_values(0) == lpos]
        if mine.empty:
            raise LinkInputError(f"left: record {left_key!r} has no candidate to explain")
        pairs = mine.index
    else:
        pairs = pd.MultiIndex.from_tuples([(lpos, right.index.get_loc(right_key))])
    levels = rl_engine.compare(lrec, rrec, pairs, spec)
    if spec.estimate_u or spec.estimate_m:
        all_levels = rl_engine.score_pairs(lrec, rrec, spec)
        if len(all_levels):
            spec = estimated_spec(lrec, rrec, all_levels, spec)
    weights = comparison_weights(levels, spec, lrec, rrec)
    best = weights.sum(axis=1).idxmax()
    table = explain_pair(levels.loc[best], spec, weights.loc[best])
    if figure:
        return table, waterfall(table, spec.partial_min_weight)
    return table
