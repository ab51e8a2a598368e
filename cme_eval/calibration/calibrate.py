"""``cme-eval calibrate``: fit a scenario's free settings to its targets, check a fit, and
write what was done.

The fit (``calibrate``):

1. the scenario runs once at ``calibration.fit_scale`` with every free setting at its prior
   (a zero share lifted to the middle of its range, so no status the emulator weighs is
   absent); the emulator is measured on that run's records and truth;
2. the declared loss is minimised on the emulator (``calibration.fit``);
3. steps 1-2 are repeated once from the fit (``iterations``), so the emulator is measured
   where the answer is;
4. the fitted world runs at full size on ``replicates`` seeds (the scenario's own first):
   the fitted value of each target is the real run's, with the replicates' range beside it.

Outputs in ``--out``: ``calibration.csv`` (target, source, published, allowed interval, the
emulator's value, the fitted run's value, its replicate range, within), ``parameters.csv``,
``fitted.yaml`` (every fitted value with its interval; ``--save`` also writes it where the
scenario reads it) and ``calibration.png``. A target the fit does not meet is named, and the
command fails after writing the best fit: it never claims success.

The check (``check``) reruns the scenario as it stands (with its fitted values) at
``calibration.check_scale`` and judges every target, counts scaled to full size and each
interval widened by two standard errors of the run's own sampling at that size.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from cme_eval.calibration.emulator import Emulator, measure_run
from cme_eval.calibration.fit import Fit, Free, fit, free_settings, judged, parameters_table
from cme_eval.calibration.measures import Figures, value
from cme_eval.calibration.targets import Target, Targets, load_targets, scope_las
from cme_eval.config import ConfigError, Scenario, resolved_settings, scenario_path
from cme_eval.config.convert import build, merge, nested
from cme_eval.config.load import display, fitted_path
from cme_eval.fileio import write_csv
from cme_eval.inputs.schema import ALL_AUTHORITIES
from cme_eval.run.stages import Run
from cme_eval.uncertainty.replicates import Variant, measure, replicate_seeds, run_variants

Say = Callable[[str], None]
CALIBRATION_COLUMNS = ["target", "label", "source", "published", "allowed_low", "allowed_high",
                       "weight", "emulated", "fitted", "replicate_low", "replicate_high",
                       "within"]


class CalibrationError(ConfigError):
    """A fit or a check missed a target; the message names each one."""


def _targets_of(scenario: Scenario) -> Targets:
    if not scenario.calibration.targets:
        raise ConfigError(f"{scenario.name}: calibration.targets: the scenario names no "
                          "targets file, so there is nothing to fit or check")
    return load_targets(scenario.calibration.targets)


def _overrides(free: list[Free], x: np.ndarray) -> dict:
    out: dict = {}
    for f, v in zip(free, x, strict=True):
        out = merge(out, nested(f.key, int(round(v)) if f.whole else round(float(v), 6)))
    return out


def _start(free: list[Free]) -> np.ndarray:
    """The priors, with a zero share or rate lifted to the middle of its range."""
    return np.array([f.prior if f.prior > 0 or f.whole else (f.low + f.high) / 2
                     for f in free])


def _figures(tables: dict[str, pd.DataFrame]) -> Figures:
    def per_la(name: str) -> pd.DataFrame | None:
        t = tables.get(name)
        return None if t is None else t[t["authority"] != ALL_AUTHORITIES]
    return Figures(per_la("table_5_1"), per_la("table_6_1"), per_la("nhs_by_status"))


@dataclass(frozen=True)
class Calibrated:
    table: pd.DataFrame       # calibration.csv
    parameters: pd.DataFrame  # parameters.csv
    missed: list[str]


def calibrate(name: str, out: Path, *, iterations: int = 2, replicates: int = 3,
              workers: int = 1, save: bool = False, say: Say = print) -> Calibrated:
    path = scenario_path(name)
    data = resolved_settings(path, fitted_layer=False)
    prior_world = build(Scenario, data)
    targets = _targets_of(prior_world)
    free = free_settings(prior_world, data)
    if not free:
        raise ConfigError(f"{display(path)}: calibration.free: no free setting to fit")
    las, subset = tuple(prior_world.authorities), tuple(prior_world.report.published_subset)
    chosen = judged(targets, las, subset)
    out.mkdir(parents=True, exist_ok=True)
    work = out / ".work"
    x = _start(free)
    result: Fit | None = None
    for k in range(1, iterations + 1):
        say(f"calibrate: emulator run {k} of {iterations} at scale "
            f"{prior_world.calibration.fit_scale:g}")
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        variant = Variant(str(path), prior_world.seed, scale=prior_world.calibration.fit_scale,
                          overrides=_overrides(free, x))
        measure(variant, work, keep=True)
        measured_world = build(Scenario, merge(data, merge(
            _overrides(free, x), {"scale": prior_world.calibration.fit_scale})))
        emulator = Emulator(measure_run(work / "base", measured_world), [f.key for f in free])
        result = fit(emulator, data, free, chosen, start=x)
        x = result.x
        say(f"calibrate: fit {k}: loss {result.cost:.3f} ({result.message})")
    shutil.rmtree(work, ignore_errors=True)
    assert result is not None
    say(f"calibrate: {replicates} full-size run(s) of the fitted world")
    seeds = [prior_world.seed, *replicate_seeds(prior_world.seed, replicates - 1)]
    runs = run_variants([Variant(str(path), s, scale=1.0, overrides=_overrides(free, x))
                         for s in seeds], work, workers=workers)
    shutil.rmtree(work, ignore_errors=True)
    values = [c.set_index("target")["reproduced"] for _, c in runs]
    table = _calibration_table(chosen, result, values)
    parameters = parameters_table(result)
    missed = table.loc[~table["within"], "target"].tolist()
    fitted_doc = _fitted_document(path, targets, result, missed)
    write_csv(table, out / "calibration.csv", float_format="%.6f")
    write_csv(parameters, out / "parameters.csv", float_format="%.6f")
    (out / "fitted.yaml").write_text(fitted_doc, encoding="utf-8")
    _figure(table, out / "calibration.png")
    if save:
        target = _save_path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(fitted_doc, encoding="utf-8")
        say(f"calibrate: fitted values written to {display(target)}")
    if missed:
        raise CalibrationError(
            f"{display(path)}: the best fit (written to {out}) misses {len(missed)} target(s): "
            + ", ".join(missed))
    return Calibrated(table, parameters, missed)


def _save_path(path: Path) -> Path:
    own = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    fitted = (own.get("calibration") or {}).get("fitted")
    if not fitted:
        raise ConfigError(f"{display(path)}: calibration.fitted: the scenario's own file names "
                          "no fitted-values file, so --save has nowhere to write")
    return fitted_path(path, str(fitted))


def _calibration_table(chosen, result: Fit, values: list[pd.Series]) -> pd.DataFrame:
    rows = []
    for j in chosen:
        t: Target = j.target
        got = [float(v.get(t.key, np.nan)) for v in values]
        rows.append({"target": t.key, "label": t.label, "source": t.source,
                     "published": t.published, "allowed_low": t.low, "allowed_high": t.high,
                     "weight": t.weight, "emulated": result.emulated[t.key], "fitted": got[0],
                     "replicate_low": np.nanmin(got), "replicate_high": np.nanmax(got),
                     "within": bool(t.within(got[0]))})
    return pd.DataFrame(rows, columns=CALIBRATION_COLUMNS)


def _fitted_document(path: Path, targets: Targets, result: Fit, missed: list[str]) -> str:
    values, intervals = {}, {}
    for f, v, lo, hi in zip(result.free, result.x, result.low, result.high, strict=True):
        values[f.key] = int(round(v)) if f.whole else round(float(v), 6)
        intervals[f.key] = ([int(round(lo)), int(round(hi))] if f.whole
                            else [round(float(lo), 6), round(float(hi), 6)])
    header = (f"# Written by `cme-eval calibrate {path.stem} --save`: do not edit by hand; refit.\n"
              f"# Targets: {', '.join(targets.files)} (sha256 {targets.digest}).\n"
              f"# Targets the fit misses: {', '.join(missed) or 'none'}.\n")
    body = yaml.safe_dump({"values": values, "intervals": intervals}, sort_keys=False,
                          allow_unicode=True, width=100)
    return header + body


def _figure(table: pd.DataFrame, path: Path) -> None:
    """Each target's fitted value as a position in its allowed interval (-1 to 1 inside)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    centre = (table["allowed_low"] + table["allowed_high"]) / 2
    half = ((table["allowed_high"] - table["allowed_low"]) / 2).clip(lower=1e-12)
    pos = (table["fitted"] - centre) / half
    lo, hi = (table["replicate_low"] - centre) / half, (table["replicate_high"] - centre) / half
    fig, ax = plt.subplots(figsize=(7, 0.32 * len(table) + 1.2))
    y = np.arange(len(table))[::-1]
    ax.axvspan(-1, 1, color="#dde8f0", label="allowed by the publication")
    ax.hlines(y, lo, hi, color="#555555", linewidth=1.5, label="replicate range")
    ax.scatter(pos, y, c=np.where(table["within"], "#1f5f8b", "#c0392b"), zorder=3,
               label="fitted world")
    ax.set_yticks(y, table["label"].str.slice(0, 60), fontsize=7)
    ax.set_xlabel("position in the allowed interval (centre 0, edges -1 and 1)")
    ax.set_xlim(min(-2, float(np.nanmin(lo)) - 0.2), max(2, float(np.nanmax(hi)) + 0.2))
    ax.legend(loc="lower right", fontsize=7)
    ax.set_title("Targets against the fitted world", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)


def _widened(t: Target, v: float, n: float) -> tuple[float, float]:
    """A share's interval widened by two binomial standard errors of a share of ``n``."""
    if not np.isfinite(v) or n <= 0:
        return t.low, t.high
    se = np.sqrt(max(v * (1 - v), 1e-12) / n)
    return t.low - 2 * se, t.high + 2 * se


def check(name: str, *, scale: float | None = None, work: Path, say: Say = print
          ) -> pd.DataFrame:
    """Rerun the scenario as it stands at ``calibration.check_scale`` and judge each target.
    Raises :class:`CalibrationError` naming every target outside its (widened) interval."""
    path = scenario_path(name)
    world_ = build(Scenario, resolved_settings(path))
    targets = _targets_of(world_)
    run_scale = scale or world_.calibration.check_scale
    say(f"calibrate --check: {world_.name} at scale {run_scale:g}")
    work.mkdir(parents=True, exist_ok=True)
    measure(Variant(str(path), world_.seed, scale=run_scale), work, keep=True)
    figures = _figures_of(work / "base", world_, run_scale)
    shutil.rmtree(work / "base", ignore_errors=True)
    las, subset = tuple(world_.authorities), tuple(world_.report.published_subset)
    rows = []
    for t in targets:
        scoped, reason = scope_las(t.scope, las, subset)
        if reason:
            continue
        v = value(t.measure, figures, scoped)
        received = figures.total(scoped)["received"].sum()
        if t.kind == "count":
            n = v  # the count at the run's size
            v = v / run_scale
            low, high = _count_interval(t, n, run_scale)
        else:
            low, high = _widened(t, v, received)
        rows.append({"target": t.key, "label": t.label, "published": t.published,
                     "allowed_low": t.low, "allowed_high": t.high, "checked_low": low,
                     "checked_high": high, "value": v, "within": bool(low <= v <= high)})
    table = pd.DataFrame(rows)
    missed = table.loc[~table["within"], "target"].tolist()
    if missed:
        raise CalibrationError(
            f"{display(path)}: {len(missed)} target(s) outside their interval at scale "
            f"{run_scale:g}: " + ", ".join(missed) + f"; refit with `cme-eval calibrate "
            f"{path.stem} --save`")
    return table


def _count_interval(t: Target, n: float, run_scale: float) -> tuple[float, float]:
    """A count's interval at full size widened by two Poisson standard errors of the count
    seen at ``run_scale``, carried to full size."""
    se = np.sqrt(max(n, 1.0)) / run_scale
    return t.low - 2 * se, t.high + 2 * se


def _figures_of(folder: Path, scenario: Scenario, scale: float) -> Figures:
    run = Run(build(Scenario, merge(scenario.to_dict(), {"scale": scale})), folder)
    frames: dict[str, list[pd.DataFrame]] = {}
    for authority in run.scenario.authorities:
        for name in ("table_5_1", "table_6_1", "nhs_by_status"):
            frames.setdefault(name, []).append(
                pd.read_csv(run.la_dir(authority) / f"{name}.csv", keep_default_na=False))
    return Figures(*(pd.concat(frames[n], ignore_index=True)
                     for n in ("table_5_1", "table_6_1", "nhs_by_status")))

