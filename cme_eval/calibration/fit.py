"""Fitting the free settings of a scenario to its targets: the loss, the fit and its intervals.

The loss is declared, not tuned: each target with weight ``w`` adds
``w x (distance outside the central half of its allowed interval / (half-width / 2))^2``
(nothing inside it: any value the publication allows is as good as any other, and aiming at the
central half leaves a seed's chance room before the edge) plus a quarter of that weight x
``((value - centre) / (half-width / 2))^2``, a gentle pull to the centre so the optimum is
unique and away from the interval's edge; each free setting adds
``((x - prior) / (range / 4))^2``, a prior whose range is two standard deviations either side.
It is minimised by SciPy's bounded trust-region least squares (``least_squares``, method
``trf``) on the emulator (``calibration.emulator``), with every setting scaled to its range.
The fitted settings' 95% intervals come from the curvature at the optimum (the Gauss-Newton
covariance ``(J'J)^-1`` in the same units), clipped to each range: how far a setting can move
before the targets or its prior object. A setting no target constrains keeps its prior's
width, which is the honest answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from cme_eval.calibration.emulator import Emulator, Pooled
from cme_eval.calibration.free import Free, world
from cme_eval.calibration.measures import MEASURES, Figures, value
from cme_eval.calibration.targets import Target, Targets, scope_las

Z95 = 1.959964
CENTRE_PULL = 0.25
AIM = 0.5  # the fit aims at the central half of each allowed interval


@dataclass(frozen=True)
class Judged:
    target: Target
    las: tuple[str, ...]


def judged(targets: Targets, authorities: tuple[str, ...], subset: tuple[str, ...],
           has_truth: bool = True) -> list[Judged]:
    """The targets that apply to a run of ``authorities`` (all at full size here)."""
    out = []
    for t in targets:
        las, reason = scope_las(t.scope, authorities, subset)
        if not reason and (has_truth or not MEASURES[t.measure].needs_truth):
            out.append(Judged(t, las))
    return out


def residuals(figures: Figures, chosen: list[Judged]) -> np.ndarray:
    out = []
    for j in chosen:
        t = j.target
        centre, half = (t.low + t.high) / 2, max((t.high - t.low) / 2, 1e-12)
        v = value(t.measure, figures, j.las)
        if not np.isfinite(v):
            out += [0.0, 0.0]
            continue
        inner_low, inner_high = centre - AIM * half, centre + AIM * half
        outside = v - min(max(v, inner_low), inner_high)
        out += [np.sqrt(t.weight) * outside / (half / 2),
                np.sqrt(t.weight * CENTRE_PULL) * (v - centre) / (half / 2)]
    return np.asarray(out, dtype=float)


@dataclass(frozen=True)
class Fit:
    free: list[Free]
    x: np.ndarray            # fitted values
    low: np.ndarray          # 95% interval
    high: np.ndarray
    emulated: dict[str, float]  # target key -> the emulator's value at the fit
    cost: float
    message: str


def fit(emulator: Emulator | Pooled, data: dict, free: list[Free], chosen: list[Judged],
        start: np.ndarray | None = None) -> Fit:
    """Minimise the declared loss over the free settings (scaled to [0, 1] by their ranges)."""
    lo = np.array([f.low for f in free])
    width = np.array([f.high - f.low for f in free])
    prior = np.array([f.prior for f in free])
    weighted = [j for j in chosen if j.target.weight > 0]

    def at(u: np.ndarray) -> np.ndarray:
        return lo + u * width

    def loss(u: np.ndarray) -> np.ndarray:
        figures = emulator.figures(world(data, free, at(u)))
        return np.concatenate([residuals(figures, weighted), (at(u) - prior) / (width / 4)])

    u0 = np.clip(((start if start is not None else prior) - lo) / width, 0, 1)
    result = least_squares(loss, u0, bounds=(0.0, 1.0), method="trf", diff_step=1e-3,
                           x_scale=1.0, max_nfev=400)
    x = at(result.x)
    jac = result.jac * (1 / width)  # d residual / d x
    try:
        cov = np.linalg.pinv(jac.T @ jac)
        sd = np.sqrt(np.clip(np.diag(cov), 0, None))
    except np.linalg.LinAlgError:
        sd = width / 4
    low = np.clip(x - Z95 * sd, lo, lo + width)
    high = np.clip(x + Z95 * sd, lo, lo + width)
    figures = emulator.figures(world(data, free, x))
    emulated = {j.target.key: value(j.target.measure, figures, j.las) for j in chosen}
    return Fit(free, x, low, high, emulated, float(result.cost), str(result.message))


def parameters_table(f: Fit) -> pd.DataFrame:
    """``parameters.csv``: each free setting's prior, range, fitted value and 95% interval."""
    return pd.DataFrame({
        "setting": [p.key for p in f.free],
        "prior": [p.prior for p in f.free],
        "range_low": [p.low for p in f.free], "range_high": [p.high for p in f.free],
        "fitted": f.x, "interval_low": f.low, "interval_high": f.high,
        "why": [p.why for p in f.free]})
