"""The default engine: the link spec executed with recordlinkage's Index and Compare API.

Blocking passes are recordlinkage ``Block`` indexers whose union is the candidate set; each
comparison is a custom, vectorised ``BaseCompareFeature`` that returns the comparison's level
(rapidfuzz underneath, much faster than the built-in per-pair string comparators).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import recordlinkage
from recordlinkage.base import BaseCompareFeature

from cme_eval.linkage.comparisons import COLUMNS_FOR_KIND, compute_levels
from cme_eval.linkage.spec import Comparison, LinkSpec

NAME = "recordlinkage"


class LevelFeature(BaseCompareFeature):
    """One spec comparison as a recordlinkage feature whose value is the comparison level."""

    def __init__(self, comparison: Comparison, variants):
        columns = COLUMNS_FOR_KIND[comparison.kind](comparison)
        super().__init__(columns, columns, label=comparison.name)
        self.comparison = comparison
        self.variants = variants
        self.n_columns = len(columns)

    def _compute_vectorized(self, *args):
        left, right = list(args[: self.n_columns]), list(args[self.n_columns :])
        levels = compute_levels(self.comparison, left, right, self.variants)
        return pd.Series(levels, index=args[0].index)


def _blocking_keys(frame: pd.DataFrame, columns: tuple[str, ...], side: str) -> pd.DataFrame:
    """Key columns with empty values made unique, so missing values never block together."""
    keys = frame[list(columns)].astype(str).copy()
    empty = (keys == "").any(axis=1)
    for column in columns:
        keys.loc[empty, column] = f"\x00{side}" + keys.index[empty].astype(str)
    return keys


def candidate_pairs(left: pd.DataFrame, right: pd.DataFrame, spec: LinkSpec) -> pd.MultiIndex:
    if left.empty or right.empty or not spec.blocking:
        return pd.MultiIndex.from_arrays([[], []], names=[None, None])
    pairs = []
    for columns in spec.blocking:
        indexer = recordlinkage.Index()
        indexer.block(left_on=list(columns), right_on=list(columns))
        pairs.append(
            indexer.index(_blocking_keys(left, columns, "L"), _blocking_keys(right, columns, "R"))
        )
    union = pairs[0]
    for more in pairs[1:]:
        union = union.union(more)
    return union.sort_values()


def compare(left: pd.DataFrame, right: pd.DataFrame, pairs: pd.MultiIndex, spec: LinkSpec):
    """Comparison levels for each candidate pair (one int column per comparison)."""
    if len(pairs) == 0:
        return pd.DataFrame(
            {c.name: np.zeros(0, dtype=int) for c in spec.comparisons},
            index=pd.MultiIndex.from_arrays([[], []]),
        )
    comparer = recordlinkage.Compare(
        features=[LevelFeature(c, spec.name_variants) for c in spec.comparisons]
    )
    return comparer.compute(pairs, left, right).astype(int)


def score_pairs(left: pd.DataFrame, right: pd.DataFrame, spec: LinkSpec) -> pd.DataFrame:
    """Candidate pairs (positional index of left and right) with their comparison levels."""
    return compare(left, right, candidate_pairs(left, right, spec), spec)
