"""The documented follow-up model: which potential CME an LA's checks would resolve.

The pilot's LAs followed up unmatched records by hand (neighbouring LAs, schools, health
visitors, home visits). Here each potential CME is resolved with a probability that depends on
the child's true status (``follow_up.resolve_probability`` in the scenario); what is left is
added to the CME register ('CME known after'). Only the evaluation reads the truth.
"""

from __future__ import annotations

import pandas as pd

from cme_eval.config import Scenario
from cme_eval.inputs.schema import NOT_MATCHED, NWSSP, OUT_OF_SCOPE
from cme_eval.rng import keyed_rng


def true_status_of(outcomes: pd.DataFrame, truth_records: pd.DataFrame,
                   truth_people: pd.DataFrame) -> pd.Series:
    """Each outcome row's true status, via record -> person (aligned with ``outcomes``)."""
    person = outcomes["record_id"].map(truth_records.set_index("record_id")["person_id"])
    return person.map(truth_people.set_index("person_id")["status"])


def follow_up(scenario: Scenario, authority: str, outcomes: pd.DataFrame,
              status: pd.Series) -> pd.DataFrame:
    """Potential CME (NWSSP, not matched) with their true status and whether follow-up resolves."""
    potential = (outcomes["source"] == NWSSP) & (outcomes["outcome"] == NOT_MATCHED)
    frame = pd.DataFrame({"record_id": outcomes.loc[potential, "record_id"],
                          "true_status": status[potential]}).reset_index(drop=True)
    p = frame["true_status"].map(scenario.follow_up.resolve_probability).fillna(0.0)
    draws = keyed_rng(scenario.seed, authority, "follow-up").random(len(frame))
    frame["resolved"] = draws < p.to_numpy()
    return frame


BREAKDOWN_COLUMNS = ["authority", "true_status", "potential_cme", "resolved_by_follow_up"]


def potential_cme_breakdown(followed: pd.DataFrame, authority: str) -> pd.DataFrame:
    """One LA's potential CME (``follow_up``'s frame) counted by true status, with how many
    of each follow-up resolves."""
    return (
        followed.groupby("true_status")
        .agg(potential_cme=("record_id", "size"), resolved_by_follow_up=("resolved", "sum"))
        .reset_index()
        .assign(authority=authority)[BREAKDOWN_COLUMNS]
    )


STATUS_COLUMNS = ["authority", "true_status", "nhs_records"]


def nhs_by_status(outcomes: pd.DataFrame, status: pd.Series, authority: str) -> pd.DataFrame:
    """One LA's NHS records of compulsory school age counted by the child's true status: what
    the GP registrations really are (the composition the SAIL study measured for Wales)."""
    kept = (outcomes["source"] == NWSSP) & (outcomes["outcome"] != OUT_OF_SCOPE)
    counts = status[kept].value_counts().sort_index()
    return pd.DataFrame({"authority": authority, "true_status": counts.index.astype(str),
                         "nhs_records": counts.to_numpy(dtype="int64")}, columns=STATUS_COLUMNS)
