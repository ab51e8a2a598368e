"""Fitting the free settings of a scenario to its targets: the loss, the fit and its intervals.

The loss is declared, not tuned: each target with weight ``w`` adds
``w x (distance outside its allowed interval / (half-width / 2))^2`` (nothing inside: any value
the publication allows is as good as any other) plus a quarter of that weight x
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

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from cme_eval.calibration.emulator import Emulator
from cme_eval.calibration.measures import MEASURES, Figures, value
from cme_eval.calibration.targets import Target, Targets, scope_las
from cme_eval.config import ConfigError, Scenario
from cme_eval.config.convert import build, merge, nested

_SIZE = re.compile(r"authorities\.(?P<la>[^.]+)\.nhs_records")
_LA_SHARE = re.compile(r"authorities\.(?P<la>[^.]+)\.status_shares\.(?P<status>\w+)")
_SHARE = re.compile(r"status_shares\.(?P<status>\w+)")
_ERROR = re.compile(r"errors\.(?P<error>\w+)\.(?P<source>\w+)")
_RESOLVE = re.compile(r"follow_up\.resolve_probability\.(?P<status>\w+)")
Z95 = 1.959964
CENTRE_PULL = 0.25


@dataclass(frozen=True)
class Free:
    key: str
    low: float
    high: float
    prior: float
    why: str = ""
    whole: bool = False  # a count (an LA's size): written as a whole number

    @property
    def prior_sd(self) -> float:
        return (self.high - self.low) / 4


def setting_value(scenario: Scenario, key: str) -> float:
    """The value setting ``key`` has in ``scenario`` (an LA's size as the run uses it)."""
    if m := _SIZE.fullmatch(key):
        return float(scenario.nhs_records(m["la"]))
    if m := _LA_SHARE.fullmatch(key):
        return float(scenario.shares_for(m["la"])[m["status"]])
    if m := _SHARE.fullmatch(key):
        return float(scenario.status_shares.get(m["status"], 0.0))
    if m := _ERROR.fullmatch(key):
        return float(scenario.errors.get(m["error"], {}).get(m["source"], 0.0))
    if m := _RESOLVE.fullmatch(key):
        return float(scenario.follow_up.resolve_probability.get(m["status"], 0.0))
    raise ConfigError(f"calibration.free.{key}: not a setting the fit can move (an LA's "
                      "nhs_records, a status share, an error rate or a resolve probability)")


def free_settings(prior_world: Scenario, data: dict) -> list[Free]:
    """The scenario's free settings, each with its prior (declared, or the value the
    scenario has before any fit), checked: the range must lie within the setting's bounds."""
    out = []
    for key, f in prior_world.calibration.free.items():
        prior = f.prior if f.prior is not None else setting_value(prior_world, key)
        low, high = f.range
        for end in (low, high):
            try:
                build(Scenario, merge(data, nested(key, end)))
            except ConfigError as exc:
                raise ConfigError(f"calibration.free.{key}.range: {end:g} is outside the "
                                  f"setting's bounds ({exc})") from None
        prior = min(max(prior, low), high)
        out.append(Free(key, low, high, prior, f.why, whole=bool(_SIZE.fullmatch(key))))
    return out


def world(data: dict, free: list[Free], x: np.ndarray) -> Scenario:
    """The scenario with the free settings at ``x``."""
    for f, v in zip(free, x, strict=True):
        data = merge(data, nested(f.key, int(round(v)) if f.whole else float(v)))
    return build(Scenario, data)


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
        outside = v - min(max(v, t.low), t.high)
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


def fit(emulator: Emulator, data: dict, free: list[Free], chosen: list[Judged],
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
