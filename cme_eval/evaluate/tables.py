"""Table 5.1 (records received and matched) and Table 6.1 (potential CME) of the evaluation.

Definitions (as written in the report section of every run):

- *received*: every record an LA received from a source; each has exactly one outcome, so
  received = perfect + partial + not matched + out of scope, per source, per LA and pooled.
  (The published Table 5.1 does not add up; these tables are checked to.)
- *CME known before*: records on the LA's existing CME register.
- *potential CME identified*: NWSSP (NHS) records in scope that matched nothing the LA holds.
  Independent-school records are not counted: a child on a school's roll is not missing
  education, whatever the matching says.
- *CME known after*: known before + potential CME that the documented follow-up model leaves
  unresolved (see ``follow_up``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cme_eval.exceptions import CmeEvalError
from cme_eval.inputs.schema import (
    ALL_AUTHORITIES,
    CONFIRMED,
    DUPLICATE_REASON,
    NAME_VARIANT,
    NOT_MATCHED,
    NWSSP,
    OUT_OF_SCOPE,
    PARTIAL,
    PERFECT,
    RECEIVED_SOURCES,
    REJECTED,
    SOURCE_LABELS,
    TOTAL,
)

TABLE_5_1_COLUMNS = ["authority", "source", "received", "perfect_match", "partial_match",
                     "not_matched", "out_of_scope"]
# Table 5.1's notes: how many of its partial matches and records not matched are of a kind a
# reader should know of (each a part of a published count, whose meaning is unchanged).
NOTES = {  # column: (the outcomes it is part of, the part of the reason that says so)
    "partial_duplicate_of_matched": ((PARTIAL,), DUPLICATE_REASON.split("{")[0]),
    "partial_forename_differs": ((PARTIAL,), NAME_VARIANT),
    "matched_confirmed_by_review": ((PERFECT, PARTIAL), CONFIRMED),
    "not_matched_rejected_by_review": ((NOT_MATCHED,), REJECTED),
}
TABLE_5_1_NOTES_COLUMNS = ["authority", "source", *NOTES]
TABLE_6_1_COLUMNS = ["authority", "cme_known_before", "cme_known_after",
                     "potential_cme_identified"]
_OUTCOME_COLUMN = {PERFECT: "perfect_match", PARTIAL: "partial_match",
                   NOT_MATCHED: "not_matched", OUT_OF_SCOPE: "out_of_scope"}


class ReconciliationError(CmeEvalError, AssertionError):
    """A table does not add up: a record was lost or counted twice. Never published."""


def check_adds_up(table: pd.DataFrame) -> None:
    parts = table[["perfect_match", "partial_match", "not_matched", "out_of_scope"]].sum(axis=1)
    bad = table[parts != table["received"]]
    if not bad.empty:
        row = bad.iloc[0]
        raise ReconciliationError(
            f"Table 5.1 does not add up for {row.authority} / {row.source}: received "
            f"{row.received} != {parts[bad.index[0]]} "
            "(perfect + partial + not matched + out of scope)"
        )


def table_5_1_for(authority: str, outcomes: pd.DataFrame) -> pd.DataFrame:
    """One LA's rows: NWSSP, Independent schools and Total."""
    unknown = set(outcomes["outcome"]) - set(_OUTCOME_COLUMN)
    if unknown:
        raise ReconciliationError(f"{authority}: unknown outcome(s) {sorted(unknown)}")
    rows = []
    for source in (*RECEIVED_SOURCES, None):
        subset = outcomes if source is None else outcomes[outcomes["source"] == source]
        counts = subset["outcome"].value_counts()
        label = TOTAL if source is None else SOURCE_LABELS.get(source, TOTAL)
        row = {"authority": authority, "source": label, "received": len(subset)}
        row.update({col: int(counts.get(o, 0)) for o, col in _OUTCOME_COLUMN.items()})
        rows.append(row)
    table = pd.DataFrame(rows, columns=TABLE_5_1_COLUMNS)
    check_adds_up(table)
    return table


def table_5_1_notes_for(authority: str, outcomes: pd.DataFrame) -> pd.DataFrame:
    """One LA's notes to Table 5.1 (``NOTES``), per source and in total: copies of a matched
    child that took its match (issue 23), matches whose forename differs (a name the linker
    does not know, for review) and pairs a reviewer decided (``--decisions``)."""
    reasons = outcomes["reason"].astype(str)
    said = {column: reasons.str.contains("(?:^|; )" + re.escape(text)).to_numpy()
            for column, (_, text) in NOTES.items()}
    rows = []
    for source in (*RECEIVED_SOURCES, None):
        mine = np.ones(len(outcomes), dtype=bool) if source is None else (
            outcomes["source"] == source).to_numpy()
        row: dict[str, object] = {"authority": authority,
                                  "source": TOTAL if source is None else SOURCE_LABELS[source]}
        for column, (kinds, _) in NOTES.items():
            row[column] = int((mine & said[column]
                               & outcomes["outcome"].isin(kinds).to_numpy()).sum())
        rows.append(row)
    return pd.DataFrame(rows, columns=TABLE_5_1_NOTES_COLUMNS)


def with_pooled_rows(per_la: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Append an ``All`` authority row (per ``keys`` group) summing every numeric column."""
    numeric = [c for c in per_la.columns if c not in ("authority", *keys)]
    if keys:
        pooled = per_la.groupby(keys, sort=False, as_index=False)[numeric].sum()
    else:
        pooled = per_la[numeric].sum().to_frame().T
    pooled.insert(0, "authority", ALL_AUTHORITIES)
    out = pd.concat([per_la, pooled[per_la.columns]], ignore_index=True)
    return out.astype({c: "int64" for c in numeric})


def table_5_1(per_la: list[pd.DataFrame]) -> pd.DataFrame:
    table = with_pooled_rows(pd.concat(per_la, ignore_index=True), ["source"])
    check_adds_up(table)
    return table


def table_6_1_for(
    authority: str, outcomes: pd.DataFrame, cme_register: pd.DataFrame, unresolved: int | None
) -> pd.DataFrame:
    """One LA's Table 6.1 row. ``unresolved``: potential CME that follow-up leaves unresolved;
    None (an LA's own extracts, not yet followed up): no 'CME known after' column."""
    potential = int(((outcomes["source"] == NWSSP) & (outcomes["outcome"] == NOT_MATCHED)).sum())
    before = len(cme_register)
    row = {"authority": authority, "cme_known_before": before,
           "potential_cme_identified": potential}
    if unresolved is None:
        return pd.DataFrame([row], columns=[c for c in TABLE_6_1_COLUMNS if c in row])
    return pd.DataFrame([{**row, "cme_known_after": before + unresolved}],
                        columns=TABLE_6_1_COLUMNS)


def table_6_1(per_la: list[pd.DataFrame]) -> pd.DataFrame:
    return with_pooled_rows(pd.concat(per_la, ignore_index=True), [])
