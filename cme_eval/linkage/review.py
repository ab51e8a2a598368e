"""A reviewer's decisions in the link: they override the classifier and teach it m (issue 23,
point 4).

Decisions (``cme_eval.inputs.decisions``) name pairs by ids; here they become positions in one
link's left and right records (``Review``), and act twice:

- **In the classifier** (``classify``): a pair confirmed as a match is assigned before any other
  pair, whatever its weight or guards, and reported "confirmed by review"; a pair judged not a
  match is never assigned, and a record left without a match for it says so. The rest are
  assigned as usual around them.
- **In the estimate of m** (``estimation.estimate_m``): labelled pairs are the simplest
  supervised signal there is, so the EM keeps its unlabelled estimate for every other pair and
  holds each labelled pair's posterior at its label (1 for a match, 0 for not a match): a
  semi-supervised EM. A few hundred reviewed partial matches move m where they disagree with
  what the unlabelled pairs suggest (a forename variant the linker did not know is common among
  true matches); the smoothing towards the declared m is unchanged. A confirmed pair that no
  blocking pass proposed is compared and added to the candidates, so it is both labelled and
  assigned.

Decisions apply to the link whose outcomes were reviewed: the main engine's. Engines compared
beside it link as they would on their own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cme_eval.linkage.comparisons import compare
from cme_eval.linkage.spec import LinkSpec


@dataclass(frozen=True)
class Review:
    """Decided pairs of one link by position (``left``, ``right``) and whether each is a match."""

    left: np.ndarray
    right: np.ndarray
    match: np.ndarray

    @classmethod
    def of(cls, decisions: pd.DataFrame | None, left: pd.DataFrame, right: pd.DataFrame
           ) -> Review | None:
        """The decisions on these records (``decisions`` as ``inputs.decisions.for_authority``
        gives them for one source), or None when there are none. ``right`` carries
        ``dataset``; a decision whose records are not both here (matched centrally, say) is not
        this link's."""
        if decisions is None or not len(decisions):
            return None
        lpos = pd.Series(np.arange(len(left)), index=left["record_id"].to_numpy())
        rkey = pd.MultiIndex.from_arrays([right["dataset"], right["record_id"]])
        rpos = pd.Series(np.arange(len(right)), index=rkey)
        keys = pd.MultiIndex.from_arrays([decisions["matched_dataset"],
                                          decisions["matched_record_id"]])
        li = lpos.reindex(decisions["record_id"].to_numpy()).to_numpy()
        ri = rpos.reindex(keys).to_numpy()
        here = ~(np.isnan(li) | np.isnan(ri))
        if not here.any():
            return None
        return cls(li[here].astype(int), ri[here].astype(int),
                   decisions["match"].to_numpy(dtype=bool)[here])

    @property
    def confirmed(self) -> pd.MultiIndex:
        keep = self.match
        return pd.MultiIndex.from_arrays([self.left[keep], self.right[keep]])

    def labels(self, pairs: pd.MultiIndex) -> np.ndarray:
        """Per pair: 1.0 confirmed, 0.0 not a match, NaN not decided."""
        decided = pd.Series(self.match.astype(float),
                            index=pd.MultiIndex.from_arrays([self.left, self.right]))
        return decided.reindex(pairs).to_numpy(dtype=float)


def with_confirmed_pairs(levels: pd.DataFrame, left: pd.DataFrame, right: pd.DataFrame,
                         spec: LinkSpec, review: Review | None) -> pd.DataFrame:
    """``levels`` (one row per candidate pair) with every confirmed pair no blocking pass
    proposed compared and added, so that it can be labelled and assigned."""
    if review is None:
        return levels
    missing = review.confirmed.difference(levels.index, sort=False)
    if not len(missing):
        return levels
    added = compare(left, right, missing, spec.comparisons)
    return pd.concat([levels, added[levels.columns]])
