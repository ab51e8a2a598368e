"""The default engine: the link spec's comparisons executed with recordlinkage's Compare API.

Each comparison is a vectorised recordlinkage ``BaseCompareFeature`` whose value is the
comparison's level, compiled from the spec's rules by the numpy backend (rapidfuzz underneath,
much faster than the built-in per-pair comparators). Candidate pairs come from the blocking
plan (``linkage.blocking``), counted before they are made; they are compared a million at a
time (in chunks compared side by side in threads, ``comparisons.in_threads``), so memory stays
bounded by the pair budget.

Compare is handed each record's values as integer codes (``comparisons.encode_columns``), not
as text: it indexes small integer columns for every pair, and the features compute what needs
the values (Jaro-Winkler...) once per distinct pair of values, from the vocabularies they hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import numpy as np
import pandas as pd

from cme_eval.linkage.blocking import BlockingPlan, candidates
from cme_eval.linkage.comparisons import chunk_size, encode_columns, in_threads, levels_in
from cme_eval.linkage.engines import Engine, empty_levels
from cme_eval.linkage.rules import Encoded, PairCache
from cme_eval.linkage.spec import Comparison


@lru_cache(maxsize=1)
def level_feature() -> type:
    """The recordlinkage feature class whose value is a spec comparison's level.

    Made on first use: recordlinkage imports scikit-learn (about 1.4 s), and this module is
    imported whenever a scenario names the engine, by every stage notebook, the CLI and the
    settings check, most of which never link.
    """
    from recordlinkage.base import BaseCompareFeature

    class LevelFeature(BaseCompareFeature):
        """One spec comparison as a recordlinkage feature whose value is the comparison level."""

        def __init__(self, comparison: Comparison, encoded: Mapping[str, Encoded]):
            columns = comparison.columns()
            super().__init__(columns, columns, label=comparison.name)
            self.comparison = comparison
            self.vocabulary = {c: encoded[c].vocabulary for c in columns}

        def _compute_vectorized(self, *args):
            """The level of each pair, from the pairs' codes of each column (left, then
            right)."""
            columns = self.comparison.columns()
            n = len(columns)
            left = {c: np.asarray(v) for c, v in zip(columns, args[:n], strict=True)}
            right = {c: np.asarray(v) for c, v in zip(columns, args[n:], strict=True)}
            cache = PairCache.from_codes(self.vocabulary, left, right)
            return pd.Series(levels_in(self.comparison, cache), index=args[0].index)

    return LevelFeature


class RecordLinkageEngine(Engine):
    name = "recordlinkage"
    label = "This toolkit"
    description = "recordlinkage Compare with the spec's levels (numpy, rapidfuzz)"

    def open(self) -> None:
        level_feature()  # recordlinkage's import (scikit-learn, ~1.4 s) is not a link's time

    def score_pairs(self, left, right, plan: BlockingPlan) -> pd.DataFrame:
        spec = plan.spec
        pairs = candidates(left, right, plan)
        if len(pairs) == 0:
            return empty_levels(spec)
        import recordlinkage

        encoded = encode_columns(left, right, spec.comparisons)
        left_codes = pd.DataFrame({c: e.left for c, e in encoded.items()})
        right_codes = pd.DataFrame({c: e.right for c, e in encoded.items()})
        feature = level_feature()
        features = [feature(c, encoded) for c in spec.comparisons]
        size = chunk_size(len(pairs))

        def compare(start: int) -> pd.DataFrame:
            # a Compare per chunk: it keeps a log of its calls, which threads must not share
            comparer = recordlinkage.Compare(features=features)
            return comparer.compute(pairs[start:start + size], left_codes, right_codes
                                    ).astype(np.int8)

        chunks = in_threads(compare, range(0, len(pairs), size))
        return pd.concat(chunks) if len(chunks) > 1 else chunks[0]


ENGINE = RecordLinkageEngine()
