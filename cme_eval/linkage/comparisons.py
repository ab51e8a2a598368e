"""The numpy backend: a comparison's levels for aligned candidate pairs, compiled from its rules.

Levels are tried best first and the first whose rules hold wins; the last level (no rules) takes
every other pair; a pair missing any of the comparison's ``missing_if_empty`` values gets -1
(weight 0) unless a level that ``decides_when_missing`` holds; missing is the one definition of
``cme_eval.inputs.standardised`` (via ``rules.present``). ``cme_eval.linkage.sql`` compiles
the same declarations to SQL; tests/unit/test_rules.py checks that both agree.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
import pandas as pd

from cme_eval.inputs.standardise import dob_as_int, postcode_parts
from cme_eval.inputs.standardised import DOB_INT, POSTCODE_STD
from cme_eval.linkage.rules import Encoded, PairCache, encode, holds
from cme_eval.linkage.spec import Comparison

MISSING = -1
CHUNK = 1_000_000  # pairs in memory at a time: bounded whatever the pair count
# Threads comparing chunks side by side. numpy, pandas' hashing and rapidfuzz release the GIL
# for most of a chunk's work, so two threads compare Cardiff's 3 million pairs about 1.5 times
# as fast as one (measured 3.1 s -> 2.1 s, the same levels); DuckDB uses every core likewise.
THREADS = max(1, min(4, os.cpu_count() or 1))

T = TypeVar("T")


def chunk_size(pairs: int, chunk: int = CHUNK, threads: int = THREADS) -> int:
    """Pairs per chunk when ``threads`` chunks are compared at once: ``chunk`` shared among
    them (the pairs in memory stay bounded by ``chunk``), and at least 1."""
    return max(1, min(chunk // threads, -(-pairs // threads)))


def in_threads(work: Callable[[int], T], starts: Iterable[int], threads: int = THREADS
               ) -> list[T]:
    """``work(start)`` for each chunk start, in ``threads`` threads; results in the order of
    ``starts`` (so the answer does not depend on which thread finished first)."""
    starts = list(starts)
    if threads <= 1 or len(starts) <= 1:
        return [work(s) for s in starts]
    with ThreadPoolExecutor(min(threads, len(starts))) as pool:
        return list(pool.map(work, starts))


def levels_of(comparison: Comparison, left: Mapping[str, np.ndarray],
              right: Mapping[str, np.ndarray]) -> np.ndarray:
    """Levels (int8) of one comparison for aligned pairs; ``left``/``right`` map each column
    the comparison reads to the pairs' values."""
    return levels_in(comparison, PairCache(left, right))


def levels_in(comparison: Comparison, cache: PairCache) -> np.ndarray:
    """Levels (int8) of one comparison for the aligned pairs of ``cache``.

    Each rule is evaluated only on the pairs no better level (or earlier rule of the same
    level) has taken, and Jaro-Winkler once per column pair: the answer is the same as
    evaluating everything, at a fraction of the cost on millions of pairs."""
    n = cache.pairs(comparison.column)
    top = len(comparison.levels) - 1
    level = np.full(n, top, dtype=np.int8)
    undecided = np.ones(n, dtype=bool)
    decisive = np.zeros(n, dtype=bool)
    for i, lv in enumerate(comparison.levels[:-1]):
        open_ = np.flatnonzero(undecided)
        for rule in lv.rules:
            if not len(open_):
                break
            hit = open_[holds(rule, cache, idx=open_)]
            level[hit] = i
            undecided[hit] = False
            if lv.decides_when_missing:
                decisive[hit] = True
            open_ = np.flatnonzero(undecided)
    missing = np.zeros(n, dtype=bool)
    for column in comparison.missing_if_empty:
        missing |= ~cache.present(column)
    return np.where(missing & ~decisive, MISSING, level).astype(np.int8)


def encode_columns(left: pd.DataFrame, right: pd.DataFrame, comparisons: Sequence[Comparison]
                   ) -> dict[str, Encoded]:
    """Every column the comparisons read, encoded once for all the records of both sides
    (``rules.Encoded``): pairs then take their codes by position."""
    columns = dict.fromkeys(c for comp in comparisons for c in comp.columns())
    return {c: encode(c, left[c].to_numpy(), right[c].to_numpy()) for c in columns}


def pair_cache(encoded: Mapping[str, Encoded], li: np.ndarray, ri: np.ndarray) -> PairCache:
    """A :class:`PairCache` over the pairs (left position ``li``, right position ``ri``)."""
    return PairCache.from_codes({c: e.vocabulary for c, e in encoded.items()},
                                {c: e.left[li] for c, e in encoded.items()},
                                {c: e.right[ri] for c, e in encoded.items()})


def levels_at(left: pd.DataFrame, right: pd.DataFrame, li: np.ndarray, ri: np.ndarray,
              comparisons: Sequence[Comparison], chunk: int = CHUNK) -> dict[str, np.ndarray]:
    """Levels (int8) of every comparison for the pairs (left position ``li``, right position
    ``ri``), at most ``chunk`` pairs in memory at a time, chunks compared in threads
    (``in_threads``); the comparisons of a chunk share one cache (the forename and surname
    comparisons both cross the two names)."""
    encoded = encode_columns(left, right, comparisons)
    out = {comp.name: np.empty(len(li), dtype=np.int8) for comp in comparisons}
    size = chunk_size(len(li), chunk)

    def work(start: int) -> None:
        sl = slice(start, start + size)
        cache = pair_cache(encoded, li[sl], ri[sl])
        for comp in comparisons:
            out[comp.name][sl] = levels_in(comp, cache)  # each chunk writes its own slice

    in_threads(work, range(0, len(li), size))
    return out


def compare(left: pd.DataFrame, right: pd.DataFrame, pairs: pd.MultiIndex,
            comparisons: Sequence[Comparison], chunk: int = CHUNK) -> pd.DataFrame:
    """Levels of every comparison for each candidate pair (positions in ``left``/``right``),
    indexed by the pairs (``levels_at``)."""
    li = np.asarray(pairs.get_level_values(0), dtype=np.int64)
    ri = np.asarray(pairs.get_level_values(1), dtype=np.int64)
    return pd.DataFrame(levels_at(left, right, li, ri, comparisons, chunk),
                        index=pd.MultiIndex.from_arrays([li, ri]))


def levels_for_values(comparison: Comparison, left: Sequence, right: Sequence) -> np.ndarray:
    """Levels for aligned values of the comparison's own column (tests and quick checks).

    Other columns the comparison reads are derived the way standardisation derives them, or
    empty when they cannot be (the other name of a swapped-names rule)."""

    def frame(values):
        values = pd.Series(list(values), dtype=object)
        if comparison.column == DOB_INT:
            return {DOB_INT: dob_as_int(values)}
        if comparison.column == POSTCODE_STD:
            parts = postcode_parts(values)
            return {POSTCODE_STD: values.to_numpy(),
                    **{c: parts[c].to_numpy() for c in parts}}
        return {comparison.column: values.to_numpy()}

    def full(values):
        columns = frame(values)
        n = len(next(iter(columns.values())))
        return {c: columns.get(c, np.full(n, "", dtype=object)) for c in comparison.columns()}

    return levels_of(comparison, full(left), full(right))
