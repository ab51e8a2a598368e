"""From scored candidate pairs to exactly one outcome per received record (engine-independent).

1. Scope: a record whose date of birth puts the child outside compulsory school age on the
   reference date is ``out_of_scope`` (an unreadable date keeps the record in scope, flagged).
2. Weights: the sum of each comparison level's log2(m/u); missing values weigh 0.
3. One-to-one: candidates are taken best first (the deterministic 'perfect' rule, exact on the
   standardised name, date of birth and postcode, before any probabilistic score), and a record
   on either side is used at most once, so twins and duplicates are not merged. Then a pair held
   back only because a twin was there to see is linked when that twin is matched and nothing
   else is left for either record (``twin_explained``).
4. Bands: an assigned exact pair is ``perfect``; an assigned pair whose weight reaches the partial
   threshold is ``partial``; everything else in scope is ``not_matched``. A record with a second
   strong candidate close to its best is flagged for review in ``reason``.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

import numpy as np
import pandas as pd

from cme_eval.inputs.schema import (
    CONFIRMED,
    NAME_VARIANT,
    NOT_MATCHED,
    OUT_OF_SCOPE,
    OUTCOME_COLUMNS,
    PARTIAL,
    PERFECT,
    REJECTED,
)
from cme_eval.inputs.standardised import DOB_INT, FORENAME_STD, SURNAME_STD
from cme_eval.linkage.review import Review
from cme_eval.linkage.rules import jaro_winkler, keystrokes
from cme_eval.linkage.spec import TWIN_GUARD, Guard, LinkSpec
from cme_eval.linkage.twins import TWIN_AGREES, corroborated, twin_evidence
from cme_eval.schooling import in_scope_mask

TF_FLOOR = 1e-5


def pair_weights(levels: pd.DataFrame, spec: LinkSpec, left: pd.DataFrame | None = None,
                 right: pd.DataFrame | None = None) -> pd.Series:
    """Sum of level weights per pair; with ``left``/``right``, exact agreements on the spec's
    term-frequency comparisons weigh log2(m / share of that value on the right)."""
    total = np.zeros(len(levels))
    for comparison in spec.comparisons:
        weights = np.asarray(comparison.weights())
        table = np.append(weights, 0.0)  # index -1 -> missing -> 0
        level = levels[comparison.name].to_numpy()
        weight = table[level]
        if comparison.name in spec.term_frequency and left is not None and len(levels):
            # right is given with left
            share = cast(pd.DataFrame, right)[comparison.column].value_counts(normalize=True)
            li = levels.index.get_level_values(0).to_numpy()
            exact = level == 0
            # each left record's share looked up once, then taken by the pairs
            own = left[comparison.column].map(share).fillna(TF_FLOOR).clip(lower=TF_FLOOR)
            tf = own.to_numpy()[li[exact]]
            # Monotone: a common value agreeing exactly still weighs at least as much as any
            # fuzzier level ('Jones' = 'Jones' never below 'Joness' ~ 'Jones').
            floor = weights[1:].max() if len(weights) > 1 else -np.inf
            weight[exact] = np.maximum(np.log2(comparison.levels[0].m / tf), floor)
        total += weight
    return pd.Series(total, index=levels.index)


def exact_pairs(left: pd.DataFrame, right: pd.DataFrame, pairs: pd.MultiIndex,
                spec: LinkSpec) -> np.ndarray:
    """Per pair, whether it is exact on every column of ``spec.perfect_on`` (the perfect rule):
    every value equal and not ''. Each column's values are coded once for both sides (equal
    values, equal codes), so pairs compare integers."""
    li, ri = pairs.get_level_values(0), pairs.get_level_values(1)
    exact = np.ones(len(pairs), dtype=bool)
    for column in spec.perfect_on:
        a = left[column].to_numpy()
        codes, _ = pd.factorize(np.concatenate([a, right[column].to_numpy()]),
                                use_na_sentinel=False)
        exact &= (codes[:len(a)][li] == codes[len(a):][ri]) & (a != "")[li]
    return exact


def one_to_one(candidates: pd.DataFrame, *, unique_right: bool = True) -> pd.DataFrame:
    """Greedy best-first assignment: exact pairs first, then by weight; ties broken by position.

    ``candidates`` has columns left, right, exact, weight, and optionally ``confirmed`` (a
    reviewer's match, ``linkage.review``): confirmed pairs come first, and may share a right
    record (the reviewer saw two copies of one child). Returns the assigned rows. With
    ``unique_right=False`` each left record simply takes its best candidate.
    """
    keys = ["exact", "weight", "left", "right"]
    if "confirmed" in candidates:
        keys.insert(0, "confirmed")
    ordered = candidates.sort_values(
        keys, ascending=[False] * (len(keys) - 2) + [True, True], kind="stable")
    if not unique_right:
        return ordered.drop_duplicates("left")
    confirmed = (ordered["confirmed"].to_numpy() if "confirmed" in ordered
                 else np.zeros(len(ordered), dtype=bool))
    used_left, used_right, keep = set(), set(), []
    for row, lpos, rpos, sure in zip(ordered.index, ordered["left"], ordered["right"],
                                     confirmed, strict=True):
        if lpos in used_left or (rpos in used_right and not sure):
            continue
        used_left.add(lpos)
        used_right.add(rpos)
        keep.append(row)
    return ordered.loc[keep]


def classify(
    left: pd.DataFrame,
    right: pd.DataFrame,
    levels: pd.DataFrame,
    spec: LinkSpec,
    *,
    reference_date: dt.date,
    review: Review | None = None,
) -> pd.DataFrame:
    """One outcome row per left record, in left order (left and right are positionally indexed).

    ``left`` and ``right`` are standardised records; ``right`` also has ``dataset``.
    ``review``: a reviewer's decisions, which override the rules for the pairs they decide:
    a confirmed pair is assigned first whatever its weight, a rejected one never.
    """
    n = len(left)
    known_dob = left["dob_parsed"].notna().to_numpy()
    in_scope = scope(left, spec, reference_date)

    cand = pd.DataFrame(
        {
            "left": levels.index.get_level_values(0).to_numpy(dtype=int),
            "right": levels.index.get_level_values(1).to_numpy(dtype=int),
            "weight": pair_weights(levels, spec, left, right).to_numpy(),
            "exact": exact_pairs(left, right, levels.index, spec),
        }
    )
    cand["guarded"], cand["differs"], cand["twin_only"] = guarded(
        left, right, levels, spec, cand["left"].to_numpy(), cand["right"].to_numpy())
    rejected: set[int] = set()
    if review is not None:
        label = review.labels(levels.index)
        cand["confirmed"] = label == 1
        rejected = set(cand.loc[label == 0, "left"])
        cand = cand[label != 0]
    cand = cand[in_scope[cand["left"].to_numpy()]]
    sure = cand["confirmed"] if review is not None else False
    strong = cand[sure | cand.exact
                  | ((cand.weight >= spec.partial_min_weight) & ~cand.guarded)]
    held = cand[cand.guarded & (cand.weight >= spec.partial_min_weight)]
    # each such record's best held candidate: what kept it (a conditional guard, or the twin
    # guard's different forename)
    held = held.sort_values(["weight", "right"], ascending=[False, True], kind="stable")
    held = held.drop_duplicates("left")
    held_why = dict(zip(held["left"], held_reasons(levels.iloc[held.index], spec),
                        strict=True))
    had_strong = set(strong["left"])
    assigned = one_to_one(strong, unique_right=spec.one_to_one).set_index("left")
    explained: set[int] = set()
    if spec.one_to_one:
        released = twin_explained(cand, assigned, had_strong, left, right, spec)
        explained = set(released.index)
        assigned = pd.concat([assigned, released])

    best = cand.groupby("left")["weight"].max()
    best_of_strong = strong["left"].map(best)
    near = strong[strong["weight"] >= best_of_strong - spec.ambiguity_margin]
    n_strong = near["left"].value_counts().to_dict()  # a dict: looked up once per record

    differs = set(assigned.index[assigned["differs"].to_numpy()])
    confirmed = (set(assigned.index[assigned["confirmed"].to_numpy()]) if review is not None
                 else set())
    pos = assigned.index.to_numpy(dtype=int)
    outcome = outcomes_of(in_scope, pos, assigned["exact"].to_numpy())
    score = np.full(n, np.nan)
    score[pos] = assigned["weight"].to_numpy()
    # Unassigned records in scope: report the best weight seen, so reviewers see how close it was.
    unassigned = np.setdiff1d(best.index.to_numpy(dtype=int), pos)
    score[unassigned] = best.loc[unassigned].to_numpy()

    reasons = []
    issues = left["issues"].to_numpy()
    for i in range(n):
        parts = []
        if outcome[i] == OUT_OF_SCOPE:
            parts.append("outside compulsory school age on the reference date")
        elif outcome[i] == PERFECT:
            parts.append("exact on standardised name, date of birth and postcode")
            if i in confirmed:
                parts.append(CONFIRMED)
        elif i in confirmed:
            parts.append(f"{CONFIRMED}; match weight {score[i]:.1f}")
        elif outcome[i] == PARTIAL:
            parts.append(f"match weight {score[i]:.1f} >= {spec.partial_min_weight:g}")
            if i in differs:
                parts.append(NAME_VARIANT)
            if i in explained:
                parts.append(TWIN_EXPLAINED)
        elif i in rejected:
            parts.append(f"{REJECTED}: its candidate was judged another child")
            if not np.isnan(score[i]):
                parts.append(f"best other weight {score[i]:.1f}")
        elif np.isnan(score[i]):
            parts.append("no candidate in any blocking pass")
        elif i in had_strong:
            parts.append("its strong candidates were matched to better-matching records "
                         "(possible duplicate)")
        elif i in held_why:
            parts.append(held_why[i])
        else:
            parts.append(f"best weight {score[i]:.1f} below {spec.partial_min_weight:g}")
        if i in rejected and outcome[i] in (PERFECT, PARTIAL):
            parts.append("another candidate was judged not a match by review")
        if n_strong.get(i, 0) > 1 and outcome[i] in (PERFECT, PARTIAL) and i not in confirmed:
            parts.append(f"review: {n_strong[i]} strong candidates")
        if not known_dob[i]:
            parts.append("age unknown: kept in scope")
        if issues[i]:
            parts.append(issues[i])
        reasons.append("; ".join(parts))

    return outcome_frame(left, right, outcome, pos, assigned["right"].to_numpy(dtype=int), score,
                         reasons)


def guarded(left: pd.DataFrame, right: pd.DataFrame, levels: pd.DataFrame, spec: LinkSpec,
            li: np.ndarray, ri: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per candidate pair: whether a guard keeps it from being linked, whether its forenames
    differ (worse than the twin guard's level), and whether a twin there to see is all that
    keeps it (``twin_explained`` may then link it).

    Every guard of ``spec.max_level_to_link`` holds as declared, except the forename guard
    (``TWIN_GUARD``): a different forename blocks a pair only when the two records are not of
    the same birth (``spec.same_birth``: siblings of other ages share surname and address) or
    a twin is there to see (``twin_evidence``). Otherwise the pair is scored as usual: the
    forename may be a variant the linker does not know (Siôn and John, a preferred name).
    The conditional guards (``spec.guards``) then block what they say."""
    blocked, differs, twin = _level_guards(left, right, levels, spec, li, ri)
    for guard in spec.guards:
        blocked |= guard_holds(guard, levels)
    return blocked | twin, differs, twin & ~blocked


TWIN_EXPLAINED = "a twin of that birth there to see is matched to its own record"


def twin_explained(cand: pd.DataFrame, assigned: pd.DataFrame, had_strong: set,
                   left: pd.DataFrame, right: pd.DataFrame, spec: LinkSpec) -> pd.DataFrame:
    """Pairs held back only by a twin there to see (``twin_only``) that a careful analyst then
    links, indexed by left position like ``one_to_one``'s: the twin is matched, so the
    evidence is explained, and the pair is all that is left for both records.

    Each such pair is strong (at the partial threshold); its left record was assigned nothing
    and had no other strong candidate; its right record was taken by no one; neither record
    has another such pair (two candidates under other forenames could be either twin's);
    another record of the left record's surname and date of birth was assigned (that twin,
    matched); and no such matched twin's forename agrees with the right record's as well as
    the left record's does and well (``TWIN_AGREES``), else the right record may be the
    twin's second one (a pupil at an independent school and on the out-of-county list).
    Without this, a twin whose forename is a form the linker does not know (Dafydd for David)
    stayed unmatched beside its matched twin: 189 such records over six seeds of pilot-2025,
    each counted as a potential CME."""
    empty = cand.iloc[:0].set_index("left")
    if not cand["twin_only"].any():
        return empty
    pool = cand[cand["twin_only"] & (cand["weight"] >= spec.partial_min_weight)]
    pool = pool[~pool["left"].isin(assigned.index) & ~pool["left"].isin(had_strong)
                & ~pool["right"].isin(assigned["right"])]
    pool = pool[~pool["left"].duplicated(keep=False) & ~pool["right"].duplicated(keep=False)]
    if pool.empty:
        return empty
    surname, dob = left[SURNAME_STD].to_numpy(), left[DOB_INT].to_numpy()
    forename, theirs = left[FORENAME_STD].to_numpy(), right[FORENAME_STD].to_numpy()
    known = (dob[pool["left"].to_numpy(dtype=int)] != 0) & (
        surname[pool["left"].to_numpy(dtype=int)] != "")
    pool = pool[known]
    mine = pool["left"].to_numpy(dtype=int)
    matched = assigned.index.to_numpy(dtype=int)
    seen = pd.DataFrame({"s": surname[mine], "d": dob[mine], "pair": np.arange(len(pool))}).merge(
        pd.DataFrame({"s": surname[matched], "d": dob[matched], "twin": matched}), on=["s", "d"])
    if seen.empty:
        return empty
    # The right record must not be a second record of the matched twin (a pupil at an
    # independent school and on the out-of-county list): no matched twin's forename agrees
    # with its forename as well as the left record's does, and well (``TWIN_AGREES``).
    pair = seen["pair"].to_numpy()
    rpos = pool["right"].to_numpy(dtype=int)[pair]
    twin = jaro_winkler(forename[seen["twin"].to_numpy()], theirs[rpos])
    seen["ours"] = ~((twin >= jaro_winkler(forename[mine[pair]], theirs[rpos]))
                     & (twin >= TWIN_AGREES))
    ours = seen.groupby("pair")["ours"].all()
    return pool.iloc[ours.index[ours.to_numpy()]].set_index("left")


def guard_holds(guard: Guard, levels: pd.DataFrame) -> np.ndarray:
    """Per pair, whether ``guard`` keeps it from being linked (False throughout when the
    comparison it watches is not in ``levels``)."""
    name, worst = guard.when
    if name not in levels:
        return np.zeros(len(levels), dtype=bool)
    hit = levels[name].to_numpy() > worst  # missing (-1) is never worse
    for other, best in guard.unless:
        if other in levels:
            level = levels[other].to_numpy()
            hit &= ~((level >= 0) & (level <= best))
    return hit


def guard_reasons(levels: pd.DataFrame, spec: LinkSpec) -> np.ndarray:
    """Per pair, the ``reason`` of the first conditional guard that blocks it ('' if none)."""
    out = np.full(len(levels), "", dtype=object)
    for guard in reversed(spec.guards):
        out[guard_holds(guard, levels)] = guard.reason
    return out


DIFFERENT_FORENAME = "best candidate has a different forename (possible twin or sibling): review"
TWIN_THERE = ("best candidate may be its twin's record (a twin of that birth is there to see): "
              "review")


def held_reasons(levels: pd.DataFrame, spec: LinkSpec) -> np.ndarray:
    """Per pair a guard keeps from being linked, what kept it, for the record's reason: a
    conditional guard's own words, a forename that differs, another level guard's comparison
    (the central date guard), else a twin there to see (a like forename, or none)."""
    out = guard_reasons(levels, spec)
    for name, worst in spec.max_level_to_link:
        if name in levels:
            words = (DIFFERENT_FORENAME if name == TWIN_GUARD[0] else
                     f"best candidate's {name} differs more than a link allows: review")
            out[(out == "") & (levels[name].to_numpy() > worst)] = words
    out[out == ""] = TWIN_THERE
    return out


def _level_guards(left: pd.DataFrame, right: pd.DataFrame, levels: pd.DataFrame,
                  spec: LinkSpec, li: np.ndarray, ri: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``guarded`` for the guards of ``spec.max_level_to_link`` alone: blocked by a guard, the
    forenames differ, blocked because a twin is there to see."""
    blocked = np.zeros(len(levels), dtype=bool)
    differs = np.zeros(len(levels), dtype=bool)
    twin = np.zeros(len(levels), dtype=bool)
    kinship: dict = {}  # each side's records of a shared birth and their siblings, found once
    for name, worst in spec.max_level_to_link:
        worse = levels[name].to_numpy() > worst
        if name != TWIN_GUARD[0] or spec.same_birth is None or spec.same_birth[0] not in levels:
            blocked |= worse
            continue
        differs |= worse
        birth, level = spec.same_birth
        same = levels[birth].to_numpy()
        same_birth = (same >= 0) & (same <= level)
        blocked |= worse & ~same_birth
        ask = np.flatnonzero(worse & same_birth)  # a variant, unless a twin is there to see
        twin[ask] |= twin_evidence(left, right, li[ask], ri[ask], kindred=True,
                                   kinship=kinship)
        # ... or the right record's forename is its child's by two datasets (``corroborated``)
        ask = ask[~twin[ask]]
        twin[ask] |= corroborated(right, ri[ask], kinship)
        # A forename merely like the other (a typo, a known variant, Isabelle and Isla) is
        # linked unless the left side holds a twin whose forename agrees better: with one
        # twin's own record missing from the right, its pair with the other twin outweighed
        # the true pair whose address is out of date (Powys: Isabelle Reed took Isla's pupil
        # record, Isla's NHS record being at an old address).
        level_of = levels[name].to_numpy()
        near = np.flatnonzero((level_of > 0) & ~worse & same_birth)
        twin[near] |= twin_evidence(left, right, li[near], ri[near], sides=("left",),
                                    at_home=(), elsewhere=("left",), kinship=kinship)
        # A forename only like the other (JW >= 0.80, not a close spelling nor a variant, nor
        # one keystroke away: a slip) is not linked either when either side holds, beside the
        # pair's record and at home or not, a twin whose forename agrees closely (``close``):
        # between twins the forename decides, not a slip in the surname or an old address
        # (RCT: Charlie Price took his twin Harry's NHS record, entered as Hari, over his own,
        # typed Prike; Charlie Graham took the second copy of his twin Archie's pupil record,
        # Archibald's by nickname). A slip is left to the weights: among the hostile frame's
        # identical people, Jonh is one of the Johns, whichever John the others take.
        weak = np.flatnonzero((level_of == worst) & same_birth & ~twin)
        weak = weak[keystrokes(left[FORENAME_STD].to_numpy()[li[weak]],
                               right[FORENAME_STD].to_numpy()[ri[weak]]) > 1]
        twin[weak] |= twin_evidence(left, right, li[weak], ri[weak], at_home=(), close=True,
                                    kinship=kinship)
        # A record without a forename beside twins cannot say which twin it is (Gwynedd: one
        # sent without a forename took the pupil record of its twin, whose NHS record was at
        # an old address): with a twin there to see, it is linked to neither.
        nameless = np.flatnonzero((level_of < 0) & same_birth)
        twin[nameless] |= twin_evidence(left, right, li[nameless], ri[nameless],
                                        at_home=("right",), kinship=kinship)
    return blocked, differs, twin


def scope(left: pd.DataFrame, spec: LinkSpec, reference_date: dt.date) -> np.ndarray:
    """Which left records are matched at all: those of compulsory school age on the reference
    date, and those whose age is unknown (kept in scope); every record when the spec is not
    about school children (``school_age_only`` False). The same rule for every engine."""
    if not spec.school_age_only:
        return np.ones(len(left), dtype=bool)
    known = left["dob_parsed"].notna().to_numpy()
    return in_scope_mask(left["dob_parsed"], reference_date).to_numpy() | ~known


def outcomes_of(in_scope: np.ndarray, pos: np.ndarray, perfect: np.ndarray) -> np.ndarray:
    """Each left record's outcome: the records at ``pos`` are matched (perfectly where
    ``perfect``), the rest not matched, or out of scope."""
    outcome = np.where(in_scope, NOT_MATCHED, OUT_OF_SCOPE).astype(object)
    outcome[pos] = np.where(perfect, PERFECT, PARTIAL)
    return outcome


def outcome_frame(left: pd.DataFrame, right: pd.DataFrame, outcome: np.ndarray,
                  pos: np.ndarray, rpos: np.ndarray, score: np.ndarray, reason) -> pd.DataFrame:
    """The outcome table every engine returns: one row per left record, in left order; the
    records at ``pos`` matched to the right records at ``rpos``."""
    n = len(left)
    matched_id = np.full(n, "", dtype=object)
    matched_ds = np.full(n, "", dtype=object)
    matched_id[pos] = right["record_id"].to_numpy()[rpos]
    matched_ds[pos] = right["dataset"].to_numpy()[rpos]
    return pd.DataFrame({"record_id": left["record_id"].to_numpy(),
                         "source": left["source"].to_numpy(), "outcome": outcome,
                         "matched_record_id": matched_id, "matched_dataset": matched_ds,
                         "score": np.round(score, 4), "reason": reason},
                        columns=list(OUTCOME_COLUMNS))
