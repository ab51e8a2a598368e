"""Duplicates within a received extract take their copy's match (issue 23, point 2).

One-to-one assignment rightly keeps two children from sharing one record, but it also leaves
the second copy of a child sent twice with nothing to match: counted as not matched, followed
up as a potential CME and billed in review hours. A careful analyst who sees two copies of one
child in the extract matches both. So after a link, each record left unmatched is compared
with the records of its own extract that were matched (Splink's ``link_and_dedupe`` is the
model, done here as a second, small link: unmatched against matched), with the same spec and
engine, several copies allowed per matched record. A record that is the same child as a
matched one takes that record's match, as a partial match (a copy is worth a look), with the
reason "duplicate of <id>".

Within one extract a different forename of the same birth *is* a twin there to see, and in an
LA of 55,000 children two of the same name born days apart are common (Cardiff: 19 such pairs
taken for copies with looser rules). So a copy must agree closely on every name and the birth
(``COPY_GUARDS``: forename and surname exact, a known variant or Jaro-Winkler 0.92; date of
birth exact or day and month swapped; postcode in the same sector), and a record without a
forename, surname or date of birth is never taken for one, nor is its match shared: a sibling,
a twin or a namesake is never a copy. Two children of one name and birth in one postcode
sector, or twins whose records were made identical by an error, cannot be told from a copy by
anyone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

from cme_eval.inputs.schema import (
    DUPLICATE_REASON,
    NAME_VARIANT,
    NOT_MATCHED,
    PARTIAL,
    PERFECT,
)
from cme_eval.inputs.standardised import DOB_INT, FORENAME_STD, SURNAME_STD, present
from cme_eval.linkage.blocking import LinkWarning
from cme_eval.linkage.spec import LinkSpec

# The worst level of each comparison a copy may have (levels of ``spec.NAME_LEVELS`` ...).
COPY_GUARDS = (("forename", 1), ("surname", 1), ("dob", 1), ("postcode", 1))
DUPLICATE = DUPLICATE_REASON
# Records of one surname and birth in one extract that can still be a child, a twin and a
# copy; more, and an exact name is no longer evidence of a copy (``same_child_elsewhere``).
MAX_SAME_BIRTH = 3


def dedupe_spec(spec: LinkSpec) -> LinkSpec:
    """``spec`` for comparing an extract with itself: several copies may share one record,
    and the names and birth must agree closely whatever the weight (``COPY_GUARDS``)."""
    names = {c.name for c in spec.comparisons}
    guards = dict(spec.max_level_to_link)
    for name, worst in COPY_GUARDS:
        if name in names:
            guards[name] = min(guards.get(name, worst), worst)
    return dataclasses.replace(spec, one_to_one=False, same_birth=None,
                               max_level_to_link=tuple(guards.items()))


def take_copies_matches(left_std: pd.DataFrame, outcomes: pd.DataFrame, spec: LinkSpec,
                        link: Callable[..., pd.DataFrame], *,
                        reference_date: dt.date,
                        decided: np.ndarray | None = None) -> pd.DataFrame:
    """``outcomes`` (one row per record of ``left_std``, in order) with each unmatched record
    that is a copy of a matched one given that record's match (see the module docstring).

    ``link(left, right, spec, reference_date=...)`` links two standardised frames with the
    engine of the first link (scoring engines only). Returns ``outcomes`` itself when no record
    is both unmatched and a copy. ``decided``: positions of records a reviewer decided on,
    whose outcome the review settles (never taken for a copy)."""
    outcome = outcomes["outcome"].to_numpy()
    named = np.ones(len(left_std), dtype=bool)
    for column in (FORENAME_STD, SURNAME_STD, DOB_INT):
        named &= present(left_std[column], column)
    known = named.copy()
    if decided is not None:
        known[decided] = False
    unmatched = np.flatnonzero((outcome == NOT_MATCHED) & known)
    # A match made despite a different forename is no match to share: beside an identical
    # record, its forename may be a twin's, entered on the wrong child (pilot-2025: the one
    # pair of twins this pass merged).
    differs = outcomes["reason"].astype(str).str.contains(NAME_VARIANT, regex=False).to_numpy()
    # Nor is a match of a record without a forename (or surname, or birth): beside it, a named
    # record of its surname and birth may be its twin (Cardiff: Julie Parkinson took the match
    # of her twin's NHS record, sent without a forename).
    matched = np.flatnonzero(np.isin(outcome, (PERFECT, PARTIAL)) & ~differs & named)
    if not len(unmatched) or not len(matched):
        return outcomes
    copies = left_std.iloc[matched].reset_index(drop=True).assign(dataset="")
    with warnings.catch_warnings():  # the main link has said what it had to about the data;
        warnings.simplefilter("ignore", LinkWarning)  # a few unmatched: declared m and u
        found = link(left_std.iloc[unmatched].reset_index(drop=True), copies,
                     dedupe_spec(spec), reference_date=reference_date)
    hit = np.isin(found["outcome"].to_numpy(), (PERFECT, PARTIAL))
    by_id = pd.Series(matched, index=left_std["record_id"].to_numpy()[matched])
    copy_of = np.full(len(unmatched), -1)
    copy_of[hit] = by_id.loc[found["matched_record_id"].to_numpy()[hit]].to_numpy()
    elsewhere = same_child_elsewhere(left_std, unmatched, matched)
    copy_of = np.where(copy_of < 0, elsewhere, copy_of)
    taken = np.flatnonzero(copy_of >= 0)
    if not len(taken):
        return outcomes
    copy_rows, rows = copy_of[taken], unmatched[taken]
    out = outcomes.copy()
    for column in ("matched_record_id", "matched_dataset"):
        out.loc[rows, column] = outcomes[column].to_numpy()[copy_rows]
    out.loc[rows, "outcome"] = PARTIAL
    out.loc[rows, "score"] = found["score"].to_numpy()[taken]
    copy_ids = left_std["record_id"].to_numpy()[copy_rows]
    out.loc[rows, "reason"] = [
        "; ".join([DUPLICATE.format(copy=copy), reason] if reason else [
            DUPLICATE.format(copy=copy)])
        for copy, reason in zip(copy_ids, _own_issues(outcomes, rows), strict=True)]
    return out


def same_child_elsewhere(left_std: pd.DataFrame, unmatched: np.ndarray,
                         matched: np.ndarray) -> np.ndarray:
    """Per unmatched record, the one matched record of the extract with exactly its forename,
    surname and date of birth (standardised), wherever it lives; -1 if none, or if more than
    one (namesakes: which is the copy cannot be told).

    The copy of a child sent twice often carries an older address (pilot-2025 at full size:
    of the unmatched records that agree so with a matched one in another postcode sector,
    61 are the same child and 3 are not), which the postcode guard of the dedupe link would
    refuse. Twins never agree on forename, so they are not taken for copies here. Where more
    than ``MAX_SAME_BIRTH`` records share the surname and birth (a crowded block: a common
    surname and a data error, or data made to be hostile), namesakes are likely and no copy is
    taken this way."""
    keys = [FORENAME_STD, SURNAME_STD, DOB_INT]
    births = left_std.groupby([SURNAME_STD, DOB_INT])[SURNAME_STD].transform("size")
    few = (births <= MAX_SAME_BIRTH).to_numpy()
    held = left_std.iloc[matched][keys].assign(row=matched)
    held = held[~held.duplicated(keys, keep=False)]  # a key matched twice: namesakes
    asked = left_std.iloc[unmatched][keys].reset_index(drop=True)
    found = asked.merge(held, on=keys, how="left")["row"].fillna(-1).to_numpy(dtype=int)
    return np.where(few[unmatched], found, -1)


def _own_issues(outcomes: pd.DataFrame, rows: np.ndarray) -> list[str]:
    """What the record's reason said besides why it was not matched: its own issues (age
    unknown, a date unreadable), the parts after the first."""
    return ["; ".join(str(r).split("; ")[1:]) for r in outcomes["reason"].to_numpy()[rows]]
