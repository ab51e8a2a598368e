"""Fellegi-Sunter m and u estimated without labels, over the spec's comparison levels.

u (how often non-matches show each level) comes from random record pairs, nearly all of which
are non-matches; m (how often true matches do) from expectation-maximisation over the candidate
pairs with u held fixed, the approach Splink takes. Missing values (level -1) carry no
information and are left out of both. Pure numpy over the level matrix: engine-independent.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from cme_eval.linkage.spec import Comparison, Level, LinkSpec
from cme_eval.rng import keyed_rng

FLOOR = 1e-6  # no level is ever impossible


def _frequencies(levels: np.ndarray, n_levels: int, weights: np.ndarray | None = None):
    ok = levels >= 0
    w = np.ones(len(levels)) if weights is None else weights
    counts = np.bincount(levels[ok], weights=w[ok], minlength=n_levels)[:n_levels]
    total = counts.sum()
    freq = counts / total if total > 0 else np.full(n_levels, 1 / n_levels)
    freq = np.maximum(freq, FLOOR)
    return freq / freq.sum()


def random_pairs(n_left: int, n_right: int, n: int, seed: int) -> pd.MultiIndex:
    rng = keyed_rng(seed, "estimate-u")
    return pd.MultiIndex.from_arrays([rng.integers(0, n_left, n), rng.integers(0, n_right, n)])


EXACT_FIRST_LEVEL = ("name", "dob", "postcode", "identifier", "address_uprn")  # kinds whose level 0 is exact agreement


def exact_agreement(left: pd.Series, right: pd.Series) -> float:
    """Probability that a random (left, right) pair agrees exactly, both values present:
    sum over values of p_left(v) x p_right(v). Computed, not sampled."""
    lv, rv = left[left.astype(str) != ""], right[right.astype(str) != ""]
    if lv.empty or rv.empty:
        return FLOOR
    pl = lv.value_counts() / len(lv)
    pr = rv.value_counts() / len(rv)
    return float(max((pl * pr.reindex(pl.index, fill_value=0)).sum(), FLOOR))


def estimate_u(random_levels: pd.DataFrame, spec: LinkSpec, left: pd.DataFrame | None = None,
               right: pd.DataFrame | None = None) -> dict[str, np.ndarray]:
    """u per level from random pairs; with the frames, the exact-agreement level's u is
    computed from value frequencies instead (no sampling noise where weights are largest)
    and the other levels share the rest in their sampled proportions."""
    u = {}
    for c in spec.comparisons:
        freq = _frequencies(random_levels[c.name].to_numpy(), len(c.levels))
        if left is not None and c.kind in EXACT_FIRST_LEVEL:
            exact = exact_agreement(left[c.column], right[c.column])
            rest = freq[1:] / freq[1:].sum()
            freq = np.r_[exact, (1 - exact) * rest]
        u[c.name] = freq
    return u


def estimate_m(levels: pd.DataFrame, spec: LinkSpec, u: dict[str, np.ndarray], *,
               prior: float = 0.3, iterations: int = 30, tol: float = 1e-6):
    """EM for m (and the share of matches among candidates) with u fixed."""
    mats = {c.name: levels[c.name].to_numpy() for c in spec.comparisons}
    m = {c.name: np.asarray([lv.m for lv in c.levels]) for c in spec.comparisons}
    lam = prior
    for _ in range(iterations):
        log_m = np.full(len(levels), np.log(lam))
        log_u = np.full(len(levels), np.log(1 - lam))
        for c in spec.comparisons:
            g = mats[c.name]
            ok = g >= 0
            log_m[ok] += np.log(m[c.name][g[ok]])
            log_u[ok] += np.log(u[c.name][g[ok]])
        p = 1 / (1 + np.exp(np.clip(log_u - log_m, -700, 700)))
        new_lam = float(np.clip(p.mean(), 1e-6, 1 - 1e-6))
        new_m = {c.name: _frequencies(mats[c.name], len(c.levels), p) for c in spec.comparisons}
        change = max(abs(new_lam - lam),
                     max(np.abs(new_m[k] - m[k]).max() for k in m))
        lam, m = new_lam, new_m
        if change < tol:
            break
    return m, lam


def declared(spec: LinkSpec, which: str) -> dict[str, np.ndarray]:
    """The spec's own m or u values, in the shape the estimators return."""
    return {c.name: np.asarray([getattr(lv, which) for lv in c.levels]) for c in spec.comparisons}


def with_parameters(spec: LinkSpec, m: dict[str, np.ndarray], u: dict[str, np.ndarray]) -> LinkSpec:
    comparisons = tuple(
        Comparison(c.name, c.kind, c.column, tuple(
            Level(lv.label, float(m[c.name][i]), float(u[c.name][i]))
            for i, lv in enumerate(c.levels)))
        for c in spec.comparisons)
    return replace(spec, comparisons=comparisons)
