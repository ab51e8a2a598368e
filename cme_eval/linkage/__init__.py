"""Matching received records against what an LA holds: one spec, engines, one outcome each."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cme_eval.inputs.decisions import DecisionsError
from cme_eval.inputs.schema import MATCHED_AGAINST, NOT_MATCHED, NWSSP, RECEIVED_SOURCES
from cme_eval.inputs.seams import check_standardised
from cme_eval.inputs.standardise import prepare
from cme_eval.linkage import blocking, duplicates, engines, estimation
from cme_eval.linkage.classify import classify, exact_pairs
from cme_eval.linkage.review import Review, with_confirmed_pairs
from cme_eval.linkage.spec import LinkSpec, default_spec, spec_from_settings

TARGETS = MATCHED_AGAINST  # kept as the linkage package's name for it

__all__ = ["LinkSpec", "default_spec", "spec_from_settings", "link_source", "link_authority",
           "link_prepared", "score", "TARGETS", "ENGINES"]

ENGINES = engines.engine_names()


def resolved_centrally(central: pd.DataFrame) -> pd.DataFrame:
    """The central outcomes an LA keeps (``linkage.central``): matched, or out of scope, before
    distribution; the rest of its NHS records are linked by the LA as usual."""
    kept = central[central["outcome"] != NOT_MATCHED].drop(columns="authority")
    return kept.assign(reason="central: " + kept["reason"])


def _prepare(records: pd.DataFrame, reference_date: dt.date) -> pd.DataFrame:
    return prepare(records, reference_date)


def link_source(
    left: pd.DataFrame, right: pd.DataFrame, spec: LinkSpec, *, reference_date: dt.date
) -> pd.DataFrame:
    """Outcomes for every record of ``left`` against ``right`` (which carries ``dataset``)."""
    return link_prepared(_prepare(left, reference_date), _prepare(right, reference_date), spec,
                         reference_date=reference_date)


def score(left_std: pd.DataFrame, right_std: pd.DataFrame, spec: LinkSpec,
          engine: str | None = None, plan: blocking.BlockingPlan | None = None,
          review: Review | None = None
          ) -> tuple[pd.DataFrame, LinkSpec, blocking.BlockingPlan, str]:
    """Candidate pairs with their levels, the spec that weighs them (uninformative comparisons
    dropped, m and u estimated as the spec asks), the blocking plan and where m and u came from.
    ``plan``: one already made for these records and ``spec`` (see ``link_authority``).
    ``review``: a reviewer's decisions; confirmed pairs join the candidates, and every decided
    pair is labelled in the estimate of m (``linkage.review``).
    """
    plan = plan or blocking.plan(left_std, right_std, spec)
    chosen = engines.get(engine)
    if plan.spec.comparisons:
        levels = chosen.score_pairs(left_std, right_std, plan)
    else:  # every comparison uninformative: the candidates all weigh 0
        levels = pd.DataFrame(index=blocking.candidates(left_std, right_std, plan))
    levels = with_confirmed_pairs(levels, left_std, right_std, plan.spec, review)
    labels = exact = None
    if review is not None:
        labels = review.labels(levels.index)
        exact = exact_pairs(left_std, right_std, levels.index, plan.spec)
    weighed, parameters = estimation.parameters_for(left_std, right_std, levels, plan.spec,
                                                    labels=labels, exact=exact)
    return levels, weighed, plan, parameters


def link_prepared(left_std: pd.DataFrame, right_std: pd.DataFrame, spec: LinkSpec, *,
                  reference_date: dt.date, engine: str | None = None,
                  diagnostics: list | None = None,
                  plan: blocking.BlockingPlan | None = None,
                  decisions: pd.DataFrame | None = None) -> pd.DataFrame:
    """As ``link_source``, for records already standardised (each source once, not per use).

    Every engine links from the same blocking plan (``blocking.plan``: pairs counted and
    budgeted, uninformative columns dropped) and, when it scores pairs, the same estimation
    and classification. ``diagnostics``, when given, receives one dict describing this link
    (passes, pair counts, what was dropped and why, where m and u came from): no record data.
    ``engine``: a name of ``linkage.engines`` (None: the package default).
    ``decisions``: a reviewer's decisions on pairs of these records (``inputs.decisions``),
    which override the classifier and label pairs for the estimate of m (``linkage.review``).
    """
    chosen = engines.get(engine)
    chosen.require()  # an optional extra missing: one line naming it, before any work
    if decisions is not None and len(decisions) and not chosen.scores_pairs:
        raise DecisionsError(f"review decisions need an engine that scores pairs; "
                             f"{chosen.name} does not")

    for side, frame in (("left", left_std), ("right", right_std)):
        check_standardised(frame, f"standardise -> link ({side} records)")
    weights: dict[str, list[list[float]]] = {}
    review = None
    if chosen.scores_pairs:
        review = Review.of(decisions, left_std, right_std)
        levels, weighed, plan, parameters = score(left_std, right_std, spec, engine, plan,
                                                  review)
        outcomes = classify(left_std, right_std, levels, weighed, reference_date=reference_date,
                            review=review)
        weights = {c.name: [[lv.m, lv.u] for lv in c.levels] for c in weighed.comparisons}
        if spec.one_to_one and spec.find_duplicates:  # copies of one child share its match
            outcomes = duplicates.take_copies_matches(
                left_std, outcomes, spec, _scored_link(engine), reference_date=reference_date,
                decided=None if review is None else review.left)
    else:
        plan, parameters = plan or blocking.plan(left_std, right_std, spec), "not used"
        outcomes = chosen.link(left_std, right_std, plan, reference_date=reference_date)
    if diagnostics is not None:
        diagnostics.append({
            "engine": chosen.name, "left_records": len(left_std), "right_records": len(right_std),
            "passes": [list(p) for p in plan.passes], "pair_counts": list(plan.counts),
            "uninformative": list(plan.uninformative), "notes": list(plan.notes),
            # whether the data hold families (a share, not data), and the guards that applied
            "families": round(plan.families, 3),
            "guards": [g.name for g in plan.spec.guards],
            "parameters": parameters,
            # decisions given for this link, and how many were on pairs of its records
            "review": {"given": 0 if decisions is None else len(decisions),
                       "applied": 0 if review is None else len(review.left)},
            # how each side's numeric dates were read ("auto": the order chosen, and on what)
            "date_order": {"left": left_std.attrs.get("date_order", {}),
                           "right": right_std.attrs.get("date_order", {})},
            # m and u of each comparison's levels as the link weighed them (parameters, not
            # data): an explanation of a pair reuses them instead of estimating again
            "m_u": weights})
    return outcomes


def _scored_link(engine: str | None):
    """A plain scored link with ``engine`` (no duplicates pass, no diagnostics), for the
    duplicates pass itself."""
    def link(left_std: pd.DataFrame, right_std: pd.DataFrame, spec: LinkSpec, *,
             reference_date: dt.date) -> pd.DataFrame:
        levels, weighed, _, _ = score(left_std, right_std, spec, engine)
        return classify(left_std, right_std, levels, weighed, reference_date=reference_date)
    return link


def prepare_sources(sources: dict[str, pd.DataFrame], reference_date: dt.date
                    ) -> dict[str, pd.DataFrame]:
    """Every source of an LA standardised, for ``link_authority(..., prepared=)``."""
    return {name: _prepare(frame, reference_date) for name, frame in sources.items()}


def link_authority(
    sources: dict[str, pd.DataFrame], spec: LinkSpec, *, reference_date: dt.date,
    engine: str | None = None, central: pd.DataFrame | None = None,
    diagnostics: list | None = None, prepared: dict[str, pd.DataFrame] | None = None,
    shared: dict | None = None, decisions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One outcome row per received record of one LA (NWSSP then independent schools).

    With ``central`` (the outcomes of central matching against all-Wales PLASC), an NHS record
    matched centrally keeps that outcome; the others are matched here as usual, against what
    the LA holds less the PLASC records central matching has already taken.

    ``shared``: a dict kept by the caller across calls that link the same ``prepared`` sources
    with the same ``spec`` (one engine, then another): each source's right-hand records,
    blocking plan and candidate pairs are made once and reused.

    ``decisions``: a reviewer's decisions on this LA's pairs (``inputs.decisions.for_authority``),
    applied to the link of the source they concern.
    """
    if prepared is None:  # standardised once per LA, however many engines link it
        prepared = prepare_sources(sources, reference_date)
    shared = {} if shared is None else shared
    outcomes = []
    for source in RECEIVED_SOURCES:
        left = prepared[source]
        decided = None if decisions is None else decisions[decisions["source"] == source]
        if central is None or source != NWSSP:
            if source not in shared:
                right = _targets(prepared, source)
                shared[source] = right, blocking.plan(left, right, spec)
            right, plan = shared[source]
            outcomes.append(link_prepared(left, right, spec, engine=engine,
                                          reference_date=reference_date,
                                          diagnostics=_for(diagnostics, source), plan=plan,
                                          decisions=decided))
            continue
        right = _targets(prepared, source)

        kept = resolved_centrally(central[central["record_id"].isin(left["record_id"])])
        claimed = central["matched_record_id"].loc[lambda s: s != ""]
        rest = left[~left["record_id"].isin(kept["record_id"])].reset_index(drop=True)
        right = right[~right["record_id"].isin(claimed)].reset_index(drop=True)
        local = link_prepared(rest, right, spec, engine=engine, reference_date=reference_date,
                              diagnostics=_for(diagnostics, source), decisions=decided)
        both = pd.concat([kept, local], ignore_index=True).set_index("record_id")
        outcomes.append(both.loc[left["record_id"]].reset_index()[local.columns])
    return pd.concat(outcomes, ignore_index=True)


def _targets(prepared: dict[str, pd.DataFrame], source: str) -> pd.DataFrame:
    """What a received source is matched against, each record tagged with its ``dataset``."""
    return pd.concat([prepared[d].assign(dataset=d) for d in TARGETS[source]],
                     ignore_index=True)


class _Tagged(list):
    """A diagnostics list that stamps each entry with the source it describes."""

    def __init__(self, target: list, source: str):
        super().__init__()
        self.target, self.source = target, source

    def append(self, entry: dict) -> None:
        self.target.append({"source": self.source, **entry})


def _for(diagnostics: list | None, source: str):
    return None if diagnostics is None else _Tagged(diagnostics, source)
