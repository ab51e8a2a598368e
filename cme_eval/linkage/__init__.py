"""Matching received records against what an LA holds: one spec, engines, one outcome each."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cme_eval.linkage import rl_engine
from cme_eval.linkage.classify import classify
from cme_eval.linkage.spec import LinkSpec, default_spec, spec_from_settings
from cme_eval.schema import MATCHED_AGAINST, NWSSP, RECEIVED_SOURCES
from cme_eval.standardise import prepare

TARGETS = MATCHED_AGAINST  # kept as the linkage package's name for it

__all__ = ["LinkSpec", "default_spec", "link_source", "link_authority", "TARGETS"]


def _prepare(records: pd.DataFrame, reference_date: dt.date) -> pd.DataFrame:
    return prepare(records, reference_date)


def link_source(
    left: pd.DataFrame, right: pd.DataFrame, spec: LinkSpec, *, reference_date: dt.date
) -> pd.DataFrame:
    """Outcomes for every record of ``left`` against ``right`` (which carries ``dataset``)."""
    return link_prepared(_prepare(left, reference_date), _prepare(right, reference_date), spec,
                         reference_date=reference_date)


ENGINES = ("recordlinkage", "splink", "excel_baseline")


def link_prepared(left_std: pd.DataFrame, right_std: pd.DataFrame, spec: LinkSpec, *,
                  reference_date: dt.date, engine: str = "recordlinkage") -> pd.DataFrame:
    """As ``link_source``, for records already standardised (each source once, not per use).

    With ``spec.estimate_u`` / ``estimate_m`` the declared m and u are replaced by estimates from
    these records (u from random pairs, m by EM); Splink uses its own training for the same.
    """
    estimate = spec.estimate_u or spec.estimate_m
    if engine == "excel_baseline":
        from cme_eval.linkage import baseline

        return baseline.link(left_std, right_std, spec, reference_date=reference_date)
    if engine == "splink":
        from cme_eval.linkage import splink_engine

        levels, spec = splink_engine.score_pairs(left_std, right_std, spec, train=estimate)
    elif engine == "recordlinkage":
        levels = rl_engine.score_pairs(left_std, right_std, spec)
        if estimate and len(levels) and len(right_std):
            spec = estimated_spec(left_std, right_std, levels, spec)
    else:
        raise ValueError(f"unknown engine {engine!r}; allowed: {', '.join(ENGINES)}")
    return classify(left_std, right_std, levels, spec, reference_date=reference_date)


MIN_PAIRS_TO_ESTIMATE = 10_000  # fewer possible pairs than this: keep the declared values
U_SAMPLE = 1_000_000  # random pairs for u (Splink samples up to 2 million)


def estimated_spec(left_std, right_std, levels, spec: LinkSpec, seed: int = 1) -> LinkSpec:
    """The spec with m and/or u estimated from these records (declared values kept where the
    data are too few to estimate from)."""
    from cme_eval.linkage import estimate as em

    if len(left_std) * len(right_std) < MIN_PAIRS_TO_ESTIMATE:
        return spec
    pairs = em.random_pairs(len(left_std), len(right_std), min(U_SAMPLE, 20 * len(left_std)), seed)
    u = (em.estimate_u(rl_engine.compare(left_std, right_std, pairs, spec), spec,
                       left_std, right_std)
         if spec.estimate_u else em.declared(spec, "u"))
    m = em.estimate_m(levels, spec, u)[0] if spec.estimate_m else em.declared(spec, "m")
    return em.with_parameters(spec, m, u)


def link_authority(
    sources: dict[str, pd.DataFrame], spec: LinkSpec, *, reference_date: dt.date,
    engine: str = "recordlinkage", central: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One outcome row per received record of one LA (NWSSP then independent schools).

    With ``central`` (the outcomes of central matching against all-Wales PLASC), an NHS record
    matched centrally keeps that outcome; the others are matched here as usual, against what
    the LA holds less the PLASC records central matching has already taken.
    """
    prepared = {name: _prepare(frame, reference_date) for name, frame in sources.items()}
    outcomes = []
    for source in RECEIVED_SOURCES:
        left = prepared[source]
        right = pd.concat([prepared[d].assign(dataset=d) for d in TARGETS[source]],
                          ignore_index=True)
        if central is None or source != NWSSP:
            outcomes.append(link_prepared(left, right, spec, engine=engine,
                                          reference_date=reference_date))
            continue
        from cme_eval.linkage.central import resolved_centrally

        kept = resolved_centrally(central[central["record_id"].isin(left["record_id"])])
        claimed = central["matched_record_id"].loc[lambda s: s != ""]
        rest = left[~left["record_id"].isin(kept["record_id"])].reset_index(drop=True)
        right = right[~right["record_id"].isin(claimed)].reset_index(drop=True)
        local = link_prepared(rest, right, spec, engine=engine, reference_date=reference_date)
        both = pd.concat([kept, local], ignore_index=True).set_index("record_id")
        outcomes.append(both.loc[left["record_id"]].reset_index()[local.columns])
    return pd.concat(outcomes, ignore_index=True)
