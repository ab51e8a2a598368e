"""Blocking that protects the machine: count the pairs first, then decide, then make them.

Every engine makes its candidate pairs from the plan this module draws up, so none can be asked
for more pairs than the budget, whatever the input:

1. **Uninformative columns.** A column on which two random records agree at least
   ``spec.uninformative_agreement`` of the time (every postcode '00000', every surname 'Jones')
   cannot tell people apart. It is dropped from the blocking passes and its comparison from the
   spec, with a warning naming it. Judged only when both sides have enough records to judge.
2. **Counting before pairing.** A pass's candidate pairs are counted from value counts
   (sum over keys of left count x right count): no pair is made to count them.
3. **A budget.** Passes are taken in the spec's order while their counts fit within
   ``spec.max_candidate_pairs`` together. A pass that does not fit is refined (another column,
   e.g. the birth year, added to its key) if that makes it fit, else skipped; either way with a
   warning. The union of the passes kept never exceeds the budget.

4. **Families.** Whether the data hold families (``family_share``: records with a brother or
   sister of another birth beside them) decides whether the spec's family guards apply
   (``spec.Guard.families``): a child of another age at the same home is a sibling only where
   siblings live together in the data.

Records with a missing value (``cme_eval.inputs.standardised.present``: '' for text, 0 for
``dob_int``) in any of a pass's columns never block together on it, and missing values are left
out when judging whether a column is informative.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from cme_eval.exceptions import one_line
from cme_eval.inputs.standardised import (
    BIRTH_YEAR,
    DOB_INT,
    DOB_STD,
    FORENAME_INITIAL,
    POSTCODE_DISTRICT,
    POSTCODE_STD,
    SURNAME_INITIAL,
    SURNAME_STD,
    present,
)
from cme_eval.linkage.spec import Comparison, Guard, LinkSpec

# Columns tried, in order, to refine a pass that is over budget.
REFINERS = (BIRTH_YEAR, SURNAME_INITIAL, FORENAME_INITIAL, POSTCODE_DISTRICT, DOB_STD,
            POSTCODE_STD)


class LinkWarning(UserWarning):
    """Something about the input changed how it was linked; the message says what and why."""


def warn(message: str) -> None:
    warnings.warn(one_line(message), LinkWarning, stacklevel=3)


def key_codes(left: pd.DataFrame, right: pd.DataFrame, columns: tuple[str, ...]
              ) -> tuple[np.ndarray, np.ndarray]:
    """A pass's key of each record as an integer code shared by both sides, -1 where any of
    the columns is missing: two records block together exactly when their codes are equal and
    not -1, that is when every column's value, as text, is the same. Integers, because joining
    and counting keys made of joined strings cost more than the rest of blocking."""
    n = len(left)
    code = np.zeros(n + len(right), dtype=np.int64)
    missing = np.zeros(n + len(right), dtype=bool)
    for column in columns:
        values = pd.concat([left[column], right[column]], ignore_index=True)
        codes, uniques = pd.factorize(values.astype(str).to_numpy(), use_na_sentinel=False)
        code, _ = pd.factorize(code * len(uniques) + codes)  # kept dense: no overflow
        missing |= ~present(values, column)
    code[missing] = -1
    return code[:n], code[n:]


def _matches(left_code: np.ndarray, right_code: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (left, right) position pair with equal codes (not -1), in order of left position,
    then right position: a sort-merge join."""
    order = np.argsort(right_code, kind="stable")
    ordered = right_code[order]
    start = np.searchsorted(ordered, left_code, side="left")
    count = np.searchsorted(ordered, left_code, side="right") - start
    count[left_code < 0] = 0
    li = np.repeat(np.arange(len(left_code), dtype=np.int64), count)
    first = np.repeat(start - (np.cumsum(count) - count), count)  # start, less pairs before
    return li, order[first + np.arange(len(li))]


def pair_count(left: pd.DataFrame, right: pd.DataFrame, columns: tuple[str, ...],
               keys: dict | None = None) -> int:
    """Candidate pairs one blocking pass would make, from key counts alone. ``keys``: a dict
    that keeps each pass's key codes (``key_codes``) for the candidates made after."""
    if left.empty or right.empty:
        return 0
    lk, rk = key_codes(left, right, columns)
    if keys is not None:
        keys[columns] = lk, rk
    size = int(max(lk.max(), rk.max())) + 1
    lc = np.bincount(lk[lk >= 0], minlength=size).astype(np.int64)
    rc = np.bincount(rk[rk >= 0], minlength=size).astype(np.int64)
    return int((lc * rc).sum())


def agreement(left: pd.Series, right: pd.Series) -> float:
    """Chance that a random (left, right) pair, both values present, agrees exactly.

    Present as ``standardised.present`` says, for the column the series is named after (a text
    '0' is a value, as it is when blocking and comparing)."""
    lv = left[present(left, left.name)]
    rv = right[present(right, right.name)]
    if lv.empty or rv.empty:
        return 0.0
    pl, pr = lv.value_counts(normalize=True), rv.value_counts(normalize=True)
    return float((pl * pr.reindex(pl.index, fill_value=0)).sum())


@dataclass(frozen=True)
class BlockingPlan:
    """What will be linked and how: the passes kept (with their counted pairs), the spec with
    uninformative comparisons removed, and a note of everything changed."""

    spec: LinkSpec
    passes: tuple[tuple[str, ...], ...]
    counts: tuple[int, ...]
    uninformative: tuple[str, ...]
    notes: tuple[str, ...]
    # The larger side's share of records with a sibling of another birth (``family_share``):
    # at ``spec.family_share`` or more the data hold families and the family guards apply.
    families: float = 0.0
    # The candidate pairs, once made (``candidates``): every engine that links the same records
    # with this plan uses them, instead of making them again. Until then, the passes' key
    # codes as ``plan`` counted them ("keys"), which the candidates are joined from.
    made: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def pair_budget_used(self) -> int:
        return int(sum(self.counts))


def uninformative_columns(left: pd.DataFrame, right: pd.DataFrame, spec: LinkSpec,
                          columns: list[str]) -> list[str]:
    """The columns (of those given) on which random pairs agree too often to tell people apart.

    Judged only when each side has at least ``spec.min_records_to_estimate`` records: on a
    handful of records a shared value is no evidence that the column is constant."""
    if min(len(left), len(right)) < spec.min_records_to_estimate:
        return []
    return [c for c in columns if c in left and c in right
            and agreement(left[c], right[c]) >= spec.uninformative_agreement]


def plan(left: pd.DataFrame, right: pd.DataFrame, spec: LinkSpec) -> BlockingPlan:
    """The blocking passes and comparisons to use on these records (see the module docstring)."""
    notes: list[str] = []
    blocking_cols = sorted({c for p in spec.blocking for c in p})
    compared = [c.column for c in spec.comparisons]
    useless = uninformative_columns(left, right, spec, sorted(set(blocking_cols) | set(compared)))
    for column in useless:
        notes.append(f"column {column!r} is uninformative (two random records agree on it "
                     f"{agreement(left[column], right[column]):.0%} of the time): left out of "
                     "blocking and comparisons")
    comparisons = tuple(c for c in spec.comparisons if c.column not in useless)
    guards = tuple(g for g in spec.max_level_to_link if g[0] in {c.name for c in comparisons})
    families = max(family_share(left, useless), family_share(right, useless))
    reduced = replace(spec, comparisons=comparisons, max_level_to_link=guards,
                      guards=_guards_that_apply(spec, comparisons, families))

    passes: list[tuple[str, ...]] = []
    counts: list[int] = []
    keys: dict = {}  # each pass's key codes, counted here and joined by ``candidates``
    budget = spec.max_candidate_pairs
    for rule in spec.blocking:
        rule = tuple(c for c in rule if c not in useless)
        if not rule or rule in passes:
            continue
        n = pair_count(left, right, rule, keys)
        if n <= budget - sum(counts):
            passes.append(rule)
            counts.append(n)
            continue
        room = budget - sum(counts)
        over = (f"blocking pass {' + '.join(rule)} would make {n:,} candidate pairs, over the "
                f"budget of {budget:,} (linkage.max_candidate_pairs)"
                + (f" with {room:,} left after the passes before it" if counts else ""))
        refined = _refine(left, right, rule, room, useless, passes, keys)
        if refined is None:
            notes.append(f"{over}: skipped")
            continue
        new_rule, new_n = refined
        notes.append(f"{over}: refined to {' + '.join(new_rule)} ({new_n:,} pairs)")
        passes.append(new_rule)
        counts.append(new_n)
    if not passes and spec.blocking:
        notes.append("no blocking pass fits the budget: no record has a candidate")
    for note in notes:
        warn(note)
    made = {"keys": {rule: keys[rule] for rule in passes if rule in keys}}
    return BlockingPlan(reduced, tuple(passes), tuple(counts), tuple(useless), tuple(notes),
                        families, made)


FAMILY_COLUMNS = (SURNAME_STD, POSTCODE_STD, DOB_INT)


def _guards_that_apply(spec: LinkSpec, comparisons: tuple[Comparison, ...],
                       families: float) -> tuple[Guard, ...]:
    """The spec's conditional guards these data can judge: the comparison a guard watches
    and one that may lift it are both compared (a constant postcode, dropped, lifts no
    stranger guard and should not make every other surname a stranger), and a family guard
    only where the data hold families (``families`` at least ``spec.family_share``)."""
    names = {c.name for c in comparisons}
    return tuple(g for g in spec.guards
                 if g.when[0] in names and any(name in names for name, _ in g.unless)
                 and (not g.families or families >= spec.family_share))


def family_share(frame: pd.DataFrame, useless: tuple[str, ...] | list[str] = ()) -> float:
    """The share of ``frame``'s records that have a brother or sister in it: another record
    of the same surname and postcode born on another day (records missing any of the three
    count as without). 0 when a column is absent or uninformative (``useless``: a constant
    postcode says nothing of who lives together).

    Measured: 43% of Cardiff's NHS records and 61% of its pupils (pilot-2025); FEBRL 1-3 at
    most 6% (a duplicate whose date was mistyped), the hostile frames of unrelated people 0."""
    if not len(frame) or any(c not in frame or c in useless for c in FAMILY_COLUMNS):
        return 0.0
    known = np.ones(len(frame), dtype=bool)
    for column in FAMILY_COLUMNS:
        known &= np.asarray(present(frame[column], column), dtype=bool)
    homes = frame.loc[known, list(FAMILY_COLUMNS)]
    births = homes.groupby([SURNAME_STD, POSTCODE_STD])[DOB_INT].transform("nunique")
    return float((births.to_numpy() > 1).sum() / len(frame))


def _refine(left, right, rule, room, useless, taken, keys=None):
    for extra in REFINERS:
        if extra in rule or extra in useless or extra not in left or extra not in right:
            continue
        refined = (*rule, extra)
        if refined in taken:
            continue
        n = pair_count(left, right, refined, keys)
        if n <= room:
            return refined, n
    return None


def candidate_positions(left: pd.DataFrame, right: pd.DataFrame,
                        passes: tuple[tuple[str, ...], ...], keys: dict | None = None
                        ) -> pd.MultiIndex:
    """The union of the passes' candidate pairs (positions in left and right), sorted.

    Made with a sort-merge join on each pass's integer keys (``key_codes``); each pass was
    counted first (``plan``), so the result's size is known before it is made. ``keys``: the
    passes' key codes as the plan counted them (made again where absent)."""
    if left.empty or right.empty or not passes:
        return pd.MultiIndex.from_arrays([np.zeros(0, np.int64), np.zeros(0, np.int64)])
    codes = []
    for rule in passes:
        coded = (keys or {}).get(rule)
        li, ri = _matches(*(coded if coded is not None else key_codes(left, right, rule)))
        codes.append(li * len(right) + ri)  # ascending: by left, then right position
        del li, ri
    # Each pass's codes are sorted, so a stable sort only merges runs; then drop repeats.
    code = np.sort(np.concatenate(codes), kind="stable")
    code = code[np.r_[True, code[1:] != code[:-1]]] if len(code) else code
    return positions_index(code // len(right), code % len(right), len(left), len(right))


def positions_index(li: np.ndarray, ri: np.ndarray, n_left: int, n_right: int
                    ) -> pd.MultiIndex:
    """Pairs of positions as a MultiIndex whose levels are every position of each side and
    whose codes are the positions themselves. The same index as
    ``MultiIndex.from_arrays([li, ri])``, without hashing millions of positions to find the
    levels: 0.1-0.5 s for Cardiff's 3 million pairs, now a few milliseconds."""
    return pd.MultiIndex(levels=[pd.RangeIndex(n_left), pd.RangeIndex(n_right)],
                         codes=[li, ri], verify_integrity=False)


def candidates(left: pd.DataFrame, right: pd.DataFrame, plan: BlockingPlan) -> pd.MultiIndex:
    """The plan's candidate pairs for the records it was made for (``candidate_positions``),
    made on first use and kept with the plan: the main engine and the Excel baseline of one
    link share them."""
    if "pairs" not in plan.made:
        plan.made["pairs"] = candidate_positions(left, right, plan.passes,
                                                 plan.made.pop("keys", None))
    return plan.made["pairs"]


def candidate_count(left: pd.DataFrame, right: pd.DataFrame, spec: LinkSpec) -> int:
    """How many distinct candidate pairs the plan for these records makes (benchmarks)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LinkWarning)
        passes = plan(left, right, spec).passes
    return len(candidate_positions(left, right, passes))
