"""Fellegi-Sunter m and u estimated without labels, smoothed so that no weight can blow up.

u (how often non-matches show each level) comes from random record pairs, nearly all of which
are non-matches; the exact level's u from value frequencies (computed, not sampled). m (how
often true matches do) comes from expectation-maximisation over the candidate pairs with u held
fixed, the approach Splink takes. Missing values (level -1) are left out of both.

**Smoothing.** Every estimate is a Dirichlet posterior centred on the declared values of the
spec: ``(counts + PRIOR_PAIRS x declared) / (n + PRIOR_PAIRS)``. The declared m and u are all
strictly positive, so no estimate is 0 and no weight infinite or undefined; a level never seen
among random pairs keeps (a share of) its declared u; with plenty of data the prior is
negligible (100 pseudo-pairs against up to a million sampled ones).

**Too little data.** With fewer than ``spec.min_records_to_estimate`` records on either side,
or fewer than ``MIN_PAIRS`` possible pairs, the declared values are used, with a warning. Every
engine goes through this one module, so they all weigh alike.

Pure numpy over the level matrix (``comparisons.levels_at``): engine-independent.
"""

from __future__ import annotations

from dataclasses import replace
from typing import cast

import numpy as np
import pandas as pd

from cme_eval.linkage.blocking import agreement, warn
from cme_eval.linkage.comparisons import levels_at
from cme_eval.linkage.spec import Comparison, LinkSpec
from cme_eval.rng import keyed_rng

PRIOR_PAIRS = 100.0  # strength of the declared values, in pseudo-pairs
MIN_PAIRS = 10_000  # fewer possible pairs than this: keep the declared values
U_SAMPLE = 1_000_000  # random pairs for u (Splink samples up to 2 million)


def declared(spec: LinkSpec, which: str) -> dict[str, np.ndarray]:
    """The spec's own m or u values, in the shape the estimators return."""
    return {c.name: np.asarray([getattr(lv, which) for lv in c.levels]) for c in spec.comparisons}


def smoothed(levels: np.ndarray, prior: np.ndarray, weights: np.ndarray | None = None,
             strength: float = PRIOR_PAIRS) -> np.ndarray:
    """Level frequencies (missing left out) shrunk towards ``prior`` by ``strength``
    pseudo-observations: strictly positive whenever the prior is."""
    ok = levels >= 0
    w = np.ones(len(levels)) if weights is None else weights
    counts = np.bincount(levels[ok], weights=w[ok], minlength=len(prior))[:len(prior)]
    return (counts + strength * prior) / (counts.sum() + strength)


def random_positions(n_left: int, n_right: int, n: int, seed: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random (left position, right position) pairs, the same for the same seed."""
    rng = keyed_rng(seed, "estimate-u")
    return rng.integers(0, n_left, n), rng.integers(0, n_right, n)



def _exact_column(comparison: Comparison) -> str | None:
    """The column whose exact agreement defines the comparison's best level, if it is so."""
    rules = comparison.levels[0].rules
    return rules[0].column if len(rules) == 1 and rules[0].kind == "exact" else None


def estimate_u(left: pd.DataFrame, right: pd.DataFrame, spec: LinkSpec, *, seed: int = 1,
               sample: int = U_SAMPLE) -> dict[str, np.ndarray]:
    """u per level from random pairs, smoothed; where the best level is exact agreement, its u
    is computed from value frequencies instead (no sampling noise where weights are largest)
    and the other levels share the rest in their (smoothed) sampled proportions."""
    n = min(sample, 20 * len(left))
    # levels as arrays: no index of a million random pairs is made, none is read
    random_levels = levels_at(left, right, *random_positions(len(left), len(right), n, seed),
                              spec.comparisons)
    prior = declared(spec, "u")
    u = {}
    for c in spec.comparisons:
        observed = random_levels[c.name]
        freq = smoothed(observed, prior[c.name])
        column = _exact_column(c)
        if column is not None:
            p = agreement(left[column], right[column])
            sampled = int((observed >= 0).sum())
            exact = (sampled * p + PRIOR_PAIRS * prior[c.name][0]) / (sampled + PRIOR_PAIRS)
            rest = freq[1:] / freq[1:].sum()
            freq = np.r_[exact, (1 - exact) * rest]
        u[c.name] = freq
    return u


def estimate_m(levels: pd.DataFrame, spec: LinkSpec, u: dict[str, np.ndarray], *,
               prior: float = 0.3, iterations: int = 30, tol: float = 1e-6,
               labels: np.ndarray | None = None):
    """EM for m (and the share of matches among candidates) with u fixed, smoothed towards the
    declared m. ``labels`` (per pair: 1 a match, 0 not, NaN unknown; ``linkage.review``) hold
    the labelled pairs' posteriors at their labels: a semi-supervised EM."""
    known = None if labels is None else ~np.isnan(labels)
    mats = {c.name: levels[c.name].to_numpy() for c in spec.comparisons}
    declared_m = declared(spec, "m")
    m = dict(declared_m)
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
        if known is not None:
            p[known] = cast(np.ndarray, labels)[known]
        new_lam = float(np.clip(p.mean(), 1e-6, 1 - 1e-6))
        new_m = {c.name: smoothed(mats[c.name], declared_m[c.name], p)
                 for c in spec.comparisons}
        change = max(abs(new_lam - lam), max(np.abs(new_m[k] - m[k]).max() for k in m))
        lam, m = new_lam, new_m
        if change < tol:
            break
    return m, lam


def with_parameters(spec: LinkSpec, m: dict[str, np.ndarray], u: dict[str, np.ndarray]) -> LinkSpec:
    comparisons = tuple(
        replace(c, levels=tuple(replace(lv, m=float(m[c.name][i]), u=float(u[c.name][i]))
                                for i, lv in enumerate(c.levels)))
        for c in spec.comparisons)
    return replace(spec, comparisons=comparisons)


def too_few(n_left: int, n_right: int, spec: LinkSpec) -> str | None:
    """Why these sizes are too few to estimate from, or None."""
    need = spec.min_records_to_estimate
    if n_left < need or n_right < need:
        return (f"too few records to estimate m and u ({n_left:,} left, {n_right:,} right; "
                f"linkage.min_records_to_estimate is {need}): declared values used")
    if n_left * n_right < MIN_PAIRS:
        return (f"too few possible pairs to estimate m and u ({n_left * n_right:,}; need "
                f"{MIN_PAIRS:,}): declared values used")
    return None


def labelled_m(levels: pd.DataFrame, spec: LinkSpec, labels: np.ndarray,
               exact: np.ndarray) -> dict[str, np.ndarray]:
    """m from labelled matches, for a spec that declares m (``estimate_m`` off) given a
    reviewer's decisions: a stratified count of each level among known matches, smoothed
    towards the declared m by ``PRIOR_PAIRS``.

    Two strata of matches are known. Exact pairs (the perfect rule) are matches by definition
    and count once each. Reviewed pairs are a sample of the partial band only, so counting them
    once would under-represent the band when a reviewer decided part of it: each confirmed
    pair counts for ``records in the band / pairs decided`` (at least 1), the band being the
    records with a non-exact candidate at or above the partial weight under the declared m.
    A pair judged not a match counts for nothing."""
    weights = sum(np.append(np.asarray(c.weights()), 0.0)[levels[c.name].to_numpy()]
                  for c in spec.comparisons)
    left = levels.index.get_level_values(0).to_numpy()
    band = ~exact & (np.asarray(weights) >= spec.partial_min_weight)
    in_band = np.setdiff1d(np.unique(left[band]), left[exact]).size
    decided = ~np.isnan(labels) & ~exact
    scale = max(1.0, in_band / max(1, int(decided.sum())))
    w = np.where(exact & (labels != 0), 1.0, 0.0) + np.where((labels == 1) & ~exact, scale, 0.0)
    prior = declared(spec, "m")
    return {c.name: smoothed(levels[c.name].to_numpy(), prior[c.name], w)
            for c in spec.comparisons}


def parameters_for(left: pd.DataFrame, right: pd.DataFrame, levels: pd.DataFrame,
                   spec: LinkSpec, seed: int = 1, labels: np.ndarray | None = None,
                   exact: np.ndarray | None = None) -> tuple[LinkSpec, str]:
    """The spec with m and/or u estimated from these records as it asks, and a note saying
    where its m and u came from ('declared', 'estimated ...' or why not estimated).

    ``labels``: per candidate pair, a reviewer's decision (1 a match, 0 not, NaN undecided),
    with ``exact`` (the perfect rule per pair). They re-estimate m: inside the EM when the spec
    estimates m (``estimate_m``), otherwise from the labelled pairs (``labelled_m``)."""
    labelled = 0 if labels is None or not len(levels) else int((~np.isnan(labels)).sum())
    if not (spec.estimate_u or spec.estimate_m or labelled):
        return spec, "declared"
    if left.empty or right.empty:
        return spec, "declared (nothing to link)"
    reason = too_few(len(left), len(right), spec)
    if reason is not None:
        warn(reason)
        return spec, reason
    u = estimate_u(left, right, spec, seed=seed) if spec.estimate_u else declared(spec, "u")
    if spec.estimate_m and len(levels):
        m = estimate_m(levels, spec, u, labels=labels)[0]
    elif labelled:
        m = labelled_m(levels, spec, cast(np.ndarray, labels),
                       np.zeros(len(levels), dtype=bool) if exact is None else exact)
    else:
        m = declared(spec, "m")
    which = " and ".join(w for w, on in (("u", spec.estimate_u), ("m", spec.estimate_m)) if on)
    notes = [f"{which} estimated from these records" if which else "u declared"]
    if labelled and spec.estimate_m:
        notes.append(f"m with {labelled:,} pairs labelled by review")
    elif labelled:
        notes.append(f"m from the exact pairs and {labelled:,} pairs labelled by review")
    return with_parameters(spec, m, u), "; ".join(notes)
