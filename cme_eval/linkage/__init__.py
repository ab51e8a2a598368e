"""Matching received records against what an LA holds: one spec, engines, one outcome each."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cme_eval.linkage import rl_engine
from cme_eval.linkage.classify import classify
from cme_eval.linkage.spec import LinkSpec, default_spec
from cme_eval.schema import INDEPENDENT, LA_DATASETS, NWSSP, RECEIVED_SOURCES
from cme_eval.standardise import standardise

# What each received source is matched against. The LA's own datasets, plus the other received
# source: an NHS record is accounted for by an independent school's return, and a school's
# pupil is confirmed as resident by the NHS extract (see the README's design notes).
TARGETS = {
    NWSSP: (*LA_DATASETS, INDEPENDENT),
    INDEPENDENT: (*LA_DATASETS, NWSSP),
}

__all__ = ["LinkSpec", "default_spec", "link_source", "link_authority", "TARGETS"]


def _prepare(records: pd.DataFrame, reference_date: dt.date) -> pd.DataFrame:
    std = standardise(records.reset_index(drop=True), reference_year=reference_date.year)
    std["birth_year"] = std["dob_std"].str[:4]
    return std


def link_source(
    left: pd.DataFrame, right: pd.DataFrame, spec: LinkSpec, *, reference_date: dt.date
) -> pd.DataFrame:
    """Outcomes for every record of ``left`` against ``right`` (which carries ``dataset``)."""
    left_std, right_std = _prepare(left, reference_date), _prepare(right, reference_date)
    levels = rl_engine.score_pairs(left_std, right_std, spec)
    return classify(left_std, right_std, levels, spec, reference_date=reference_date)


def link_authority(
    sources: dict[str, pd.DataFrame], spec: LinkSpec, *, reference_date: dt.date
) -> pd.DataFrame:
    """One outcome row per received record of one LA (NWSSP then independent schools)."""
    outcomes = []
    for source in RECEIVED_SOURCES:
        right = pd.concat(
            [sources[d].assign(dataset=d) for d in TARGETS[source]], ignore_index=True
        )
        outcomes.append(link_source(sources[source], right, spec, reference_date=reference_date))
    return pd.concat(outcomes, ignore_index=True)
