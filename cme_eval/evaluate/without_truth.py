"""What can be said of an LA's own extracts, which have no truth: counts, and the working lists.

Table 5.1 and Table 6.1 need no truth (Table 6.1 without 'CME known after', which only the LA's
follow-up can tell); the methods are compared by what they leave unmatched, not by accuracy.
The working lists are the records an LA must follow up or review, with the reason and, for a
partial match, the candidate: record-level personal data, so they are written only under
``restricted/`` (see ``RESTRICTED``), which reports, manifests and notebooks never show.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cme_eval.inputs.decisions import MATCH
from cme_eval.inputs.ingest import LA_ID_COLUMNS
from cme_eval.inputs.schema import (
    CONFIRMED,
    NOT_MATCHED,
    NWSSP,
    OUT_OF_SCOPE,
    PARTIAL,
    PERFECT,
)

RESTRICTED = "restricted"
METHOD_COUNT_COLUMNS = ["authority", "engine", "records_in_scope", "perfect_match",
                        "partial_match", "not_matched"]
RECORD_FIELDS = ["forename", "surname", "dob", "address", "postcode"]
# Why each truth-only output is absent from a run on an LA's own extracts (report and notebooks).
WITHOUT_TRUTH = {
    "potential_cme_breakdown": "what the potential CME really are needs the truth about each "
                               "child: only the LA's follow-up can tell",
    "linkage_quality": "the accuracy of the matching needs the truth about who is who",
    "published_vs_reproduced": "the published evaluation is compared with synthetic re-runs of "
                               "the pilot, not with one LA's extracts",
    "cme_known_after": "CME known after follow-up is known only once the LA has followed up",
}


def method_counts(by_engine: dict[str, pd.DataFrame], authority: str) -> pd.DataFrame:
    """Per engine, how many received records in scope it matches perfectly, partially or not
    at all: the methods side by side without truth (counts only)."""
    rows = []
    for engine, outcomes in by_engine.items():
        scoped = outcomes[outcomes["outcome"] != OUT_OF_SCOPE]
        counts = scoped["outcome"].value_counts()
        rows.append({"authority": authority, "engine": engine, "records_in_scope": len(scoped),
                     "perfect_match": int(counts.get(PERFECT, 0)),
                     "partial_match": int(counts.get(PARTIAL, 0)),
                     "not_matched": int(counts.get(NOT_MATCHED, 0))})
    return pd.DataFrame(rows, columns=METHOD_COUNT_COLUMNS)


def _fields(sources: dict[str, pd.DataFrame]) -> list[str]:
    """The fields a working list shows of each record: what the LA calls it, when ingest named
    it by the toolkit's id (``LA_ID_COLUMNS``), then the record's own fields."""
    named = any(set(LA_ID_COLUMNS) <= set(f.columns) for f in sources.values())
    return [*LA_ID_COLUMNS, *RECORD_FIELDS] if named else RECORD_FIELDS


def _records(sources: dict[str, pd.DataFrame], fields: list[str]) -> pd.DataFrame:
    frames = [f.reindex(columns=["record_id", *fields]).assign(dataset=name)
              for name, f in sources.items() if len(f)]
    columns = ["record_id", *fields, "dataset"]
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns))


def working_lists(outcomes: pd.DataFrame, sources: dict[str, pd.DataFrame]
                  ) -> dict[str, pd.DataFrame]:
    """The two lists an LA works from (record-level: for ``restricted/`` only).

    ``unmatched_for_follow_up``: NHS records in scope that matched nothing (the potential CME),
    and independent-school pupils that matched nothing, each with the reason.
    ``partial_for_review``: every partial match, the received record beside its candidate, with
    the match weight, the reason and a ``decision`` column for the reviewer (match / not a
    match), which ``--decisions`` takes back.
    """
    # One lookup of every record by (dataset, id): received records and candidates alike.
    fields = _fields(sources)
    by_id = _records(sources, fields).drop_duplicates(["dataset", "record_id"]).set_index(
        ["dataset", "record_id"])[fields]

    def with_fields(frame: pd.DataFrame, dataset: str, ident: str, prefix: str = ""):
        keys = pd.MultiIndex.from_arrays([frame[dataset], frame[ident]])
        found = pd.DataFrame(by_id.reindex(keys).to_numpy(), index=frame.index,
                             columns=[f"{prefix}{f}" for f in fields])
        return frame.join(found)

    unmatched = outcomes.loc[outcomes["outcome"] == NOT_MATCHED,
                             ["record_id", "source", "score", "reason"]]
    unmatched = with_fields(unmatched, "source", "record_id")
    unmatched.insert(2, "potential_cme", unmatched["source"] == NWSSP)
    partial = outcomes.loc[outcomes["outcome"] == PARTIAL,
                           ["record_id", "source", "score", "reason", "matched_record_id",
                            "matched_dataset"]]
    partial = with_fields(with_fields(partial, "source", "record_id"),
                          "matched_dataset", "matched_record_id", prefix="candidate_")
    # For the reviewer to fill in and give back (``--decisions``); a pair already confirmed
    # by review says so, so a list given back again keeps every decision.
    partial["decision"] = np.where(
        partial["reason"].str.startswith(CONFIRMED).to_numpy(dtype=bool), MATCH, "")
    return {"unmatched_for_follow_up": unmatched.reset_index(drop=True),
            "partial_for_review": partial.reset_index(drop=True)}
