"""``cme-eval calibrate``: fit a scenario's free settings to its targets, check a fit, and
write what was done.

The fit (``calibrate``):

1. the scenario runs at ``calibration.fit_scale`` on ``calibration.emulator_runs`` seeds with
   every free setting at its prior (a zero share lifted to the middle of its range, so no
   status the emulator weighs is absent); the emulator is measured on those runs' records and
   truth, pooled;
2. the declared loss is minimised on the emulator (``calibration.fit``);
3. steps 1-2 are repeated from the fit (``iterations`` in all), so the emulator is measured
   where the answer is. Each iteration runs on new seeds, and from the second on the emulator
   pools its runs with the previous iteration's (``emulator.Pooled``): twice the seeds for the
   same runs. With four seeds the partial share the emulator saw was 0.3 points above the
   world's 20-seed mean, enough to make a share that must round to 26% round to 25%;
4. the fitted world runs at ``calibration.verify_scale`` (full size unless a test asks for
   less: a count is judged at full size only) on ``replicates`` seeds, the scenario's own
   first: the fitted value of each target is the mean over those runs, with their range.

Why the mean, not the scenario's own seed: a published figure is one realisation of the
pilot, and the per-LA extremes in particular move by whole points between seeds (an
independent school's return, a border school; Monmouthshire's not-matched share ran from
10.2% to 13.9% over six seeds of the fitted world). The world's expected value is what the
fit can answer for; the range shows what chance adds.

Outputs in ``--out``: ``calibration.csv`` (target, source, published, allowed interval, the
emulator's value, the fitted world's mean over its runs, their range, within),
``parameters.csv``, ``fitted.yaml`` (every fitted value with its interval; ``--save`` also
writes it where the scenario reads it) and ``calibration.png``. A target the fit does not meet
is named, and the command fails after writing the best fit: it never claims success.

The check (``check``) reruns the scenario as it stands (with its fitted values) at
``calibration.check_scale`` and judges every target, counts scaled to full size and each
interval widened by the run's own sampling at that size: by as many standard errors as make a
chance failure of any target at most 1 in 20 for a world that meets them all
(``targets.family_z``: 3.06 for pilot-2025's 22).
"""

from __future__ import annotations

import multiprocessing
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from cme_eval.calibration.emulator import Emulator, Pooled, Records, measure_run
from cme_eval.calibration.fit import Fit, fit, judged, parameters_table
from cme_eval.calibration.free import Free, free_settings
from cme_eval.calibration.measures import Figures, records_behind, value
from cme_eval.calibration.targets import Targets, family_z, load_targets, scope_las
from cme_eval.config import ConfigError, Scenario, resolved_settings, scenario_path
from cme_eval.config.convert import build, merge, nested
from cme_eval.config.load import display, fitted_path
from cme_eval.fileio import write_csv
from cme_eval.run.stages import Run
from cme_eval.uncertainty.replicates import Variant, measure, replicate_seeds

Say = Callable[[str], None]
CALIBRATION_COLUMNS = ["target", "label", "source", "published", "allowed_low", "allowed_high",
                       "weight", "emulated", "fitted", "replicate_low", "replicate_high",
                       "fitted_se", "within"]


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


def _measured_at(free: list[Free], x: np.ndarray) -> np.ndarray:
    """Where the emulator's runs are made for a fit at ``x``: ``x``, with a share or rate in
    the bottom tenth of its range lifted to that tenth. A run with (almost) none of a status
    or an error has no records to weigh, so an emulator measured there cannot see the setting
    move off zero; pooled with one that can, it would see half the effect, and the fit would
    overshoot (pilot-2025: two neighbour shares fitted at 0.0 went to 0.01 and the fitted
    world's not-matched share to 6.6% where the emulator said 6.3%)."""
    floor = np.array([f.low + 0.1 * (f.high - f.low) for f in free])
    whole = np.array([f.whole for f in free])
    return np.where(~whole & (x < floor), floor, x)


def _emulator(path: Path, data: dict, free: list[Free], x: np.ndarray, work: Path, *,
              seeds: list[int], workers: int = 1) -> Emulator:
    """The emulator measured on runs of the world near ``x`` (``_measured_at``; one per seed,
    pooled: the expectation it stands for is then less the chance of one seed's schools and
    moves)."""
    fit_scale = data["calibration"]["fit_scale"]
    at = _overrides(free, _measured_at(free, x))
    tasks = [(path, data, seed, fit_scale, at, work / f"emulator-{k}")
             for k, seed in enumerate(seeds)]
    records = _map(_measure_task, tasks, workers)
    pooled = Records(pd.concat([r.frame for r in records], ignore_index=True),
                     records[0].scenario, fit_scale * len(records))
    return Emulator(pooled, [f.key for f in free])


def _measure_task(task: tuple[Path, dict, int, float, dict, Path]) -> Records:
    """One emulator run: the world at ``overrides`` on ``seed``, its records and truth."""
    path, data, seed, scale, overrides, work = task
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    measure(Variant(str(path), seed, scale=scale, overrides=overrides), work, keep=True)
    measured = build(Scenario, merge(data, merge(overrides, {"scale": scale, "seed": seed})))
    records = measure_run(work / "base", measured)
    shutil.rmtree(work, ignore_errors=True)
    return records


def _map(function: Callable, tasks: list, workers: int) -> list:
    """``function`` over ``tasks``, side by side in ``workers`` spawned processes when more
    than one is asked for: each run's randomness is keyed by its seed, so results never
    depend on the number of workers."""
    if workers > 1 and len(tasks) > 1:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=context) as pool:
            return list(pool.map(function, tasks))
    return [function(task) for task in tasks]


@dataclass(frozen=True)
class Calibrated:
    table: pd.DataFrame       # calibration.csv
    parameters: pd.DataFrame  # parameters.csv
    missed: list[str]


def calibrate(name: str, out: Path, *, iterations: int = 3, replicates: int = 5,
              workers: int = 1, save: bool = False, scale: float | None = None,
              say: Say = print) -> Calibrated:
    """Fit ``name``'s free settings (see the module's docstring). ``scale``: every run at this
    size instead of ``fit_scale`` and ``verify_scale`` (a quick trial: judged as the check
    judges a small run)."""
    path = scenario_path(name)
    data = resolved_settings(path, fitted_layer="base")
    if scale is not None:
        data = merge(data, {"calibration": {"fit_scale": scale, "verify_scale": scale}})
    prior_world = build(Scenario, data)
    targets = _targets_of(prior_world)
    own = _own_free(path)
    try:
        free = [f for f in free_settings(prior_world, data) if not own or f.key in own]
    except ConfigError as exc:
        raise ConfigError(f"{display(path)}: {exc}") from None
    if not free:
        raise ConfigError(f"{display(path)}: calibration.free: no free setting to fit")
    las, subset = tuple(prior_world.authorities), tuple(prior_world.report.published_subset)
    chosen = judged(targets, las, subset)
    out.mkdir(parents=True, exist_ok=True)
    work = out / ".work"
    x = _start(free)
    runs = prior_world.calibration.emulator_runs
    all_seeds = [prior_world.seed, *replicate_seeds(prior_world.seed, iterations * runs - 1)]
    result: Fit | None = None
    emulators: list[Emulator] = []
    for k in range(1, iterations + 1):
        seeds = all_seeds[(k - 1) * runs:k * runs]
        say(f"calibrate: emulator {k} of {iterations}: {len(seeds)} run(s) at scale "
            f"{prior_world.calibration.fit_scale:g}"
            + (", pooled with the previous iteration's" if emulators else ""))
        emulators = [*emulators[-1:], _emulator(path, data, free, x, work, seeds=seeds,
                                                workers=workers)]
        result = fit(Pooled(emulators), data, free, chosen, start=x)
        x = result.x
        say(f"calibrate: fit {k}: loss {result.cost:.3f} ({result.message})")
    shutil.rmtree(work, ignore_errors=True)
    assert result is not None
    verify = prior_world.calibration.verify_scale
    say(f"calibrate: {replicates} run(s) of the fitted world at scale {verify:g}")
    seeds = [prior_world.seed, *replicate_seeds(prior_world.seed, replicates - 1)]
    tasks = [(path, s, verify, _overrides(free, x), work / f"run-{k}")
             for k, s in enumerate(seeds)]
    figures = _map(_run_task, tasks, workers)
    shutil.rmtree(work, ignore_errors=True)
    judged_runs = [_judge(targets, f, las, subset, verify) for f in figures]
    table = _calibration_table(result, judged_runs, targets, verify)
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


def _own_free(path: Path) -> set[str]:
    """The free settings a scenario's own file declares: a scenario based on a fitted one
    (wales-2025 on pilot-2025) fits only its own, keeping its base's as fitted."""
    own = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return set((own.get("calibration") or {}).get("free") or {})


def _save_path(path: Path) -> Path:
    own = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    fitted = (own.get("calibration") or {}).get("fitted")
    if not fitted:
        raise ConfigError(f"{display(path)}: calibration.fitted: the scenario's own file names "
                          "no fitted-values file, so --save has nowhere to write")
    return fitted_path(path, str(fitted))


def _calibration_table(result: Fit, runs: list[pd.DataFrame], targets: Targets,
                       scale: float) -> pd.DataFrame:
    """One row per target: the fitted world's value (the mean over the runs: the module's
    docstring says why), the range over the runs, the mean's standard error (the runs'
    spread / sqrt(runs); 0 for one run) and whether the mean is within. Below full size the
    interval is widened by the first run's sampling, as the check widens it; at full size by
    the mean's standard error, as many times as the check's (``family_z``). A mean of five
    or ten runs is itself an estimate: without this, a world whose expected value lies just
    inside an interval fails about half its fits (Cardiff's most not-matched records: ten
    runs from 2,961 to 3,347, their mean 3,156.5 +- 36 against at least 3,165.3)."""
    first = runs[0].set_index("target")
    values = pd.concat([r.set_index("target")["value"] for r in runs], axis=1)
    mean = values.mean(axis=1)
    se = (values.std(axis=1, ddof=1) / np.sqrt(len(runs))).fillna(0.0) if len(runs) > 1 \
        else pd.Series(0.0, index=mean.index)  # one run: no spread to judge by
    by_key = {t.key: t for t in targets}
    out = first.reset_index()[["target", "label", "source", "published", "allowed_low",
                               "allowed_high", "weight"]]
    out["emulated"] = out["target"].map(result.emulated)
    out["fitted"] = out["target"].map(mean)
    out["replicate_low"] = out["target"].map(values.min(axis=1))
    out["replicate_high"] = out["target"].map(values.max(axis=1))
    out["fitted_se"] = out["target"].map(se)
    z = family_z(len(out))

    def allowed(key: str) -> tuple[float, float]:
        target = by_key[key]
        if scale < 1:
            return target.widened(mean[key], first.at[key, "n"], scale, z)
        return target.low - z * se[key], target.high + z * se[key]

    out["within"] = [_inside(allowed(k), mean[k]) for k in out["target"]]
    return out[CALIBRATION_COLUMNS]


def _inside(interval: tuple[float, float], v: float) -> bool:
    low, high = interval
    return bool(np.isfinite(v) and low - 1e-12 <= v <= high + 1e-12)


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


def _run_figures(path: Path, seed: int, scale: float, overrides: dict, work: Path
                 ) -> Figures:
    """One run of the scenario (with ``overrides``) at ``scale``: its per-LA tables."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    measure(Variant(str(path), seed, scale=scale, overrides=overrides), work, keep=True)
    world_ = build(Scenario, merge(resolved_settings(path), merge(overrides, {"scale": scale})))
    figures = _figures_of(work / "base", world_)
    shutil.rmtree(work, ignore_errors=True)
    return figures


def _run_task(task: tuple[Path, int, float, dict, Path]) -> Figures:
    return _run_figures(*task)


def _judge(targets: Targets, figures: Figures, las: tuple[str, ...],
           subset: tuple[str, ...], scale: float) -> pd.DataFrame:
    """Each target that applies, judged on a run at ``scale``: below full size a count is
    scaled up, and every interval widened by the run's own sampling (``family_z`` standard
    errors: the targets are judged together, so each is given the room that keeps a false
    failure of any at 1 in 20)."""
    applies = [(t, scoped) for t in targets
               for scoped, reason in [scope_las(t.scope, las, subset)] if not reason]
    z = family_z(len(applies))
    rows = []
    for t, scoped in applies:
        v = value(t.measure, figures, scoped)
        n = v if t.kind == "count" else records_behind(t.measure, figures, scoped)
        if t.kind == "count":
            v = v / scale
        low, high = t.widened(v, n, scale, z)
        rows.append({"target": t.key, "label": t.label, "source": t.source,
                     "published": t.published, "allowed_low": t.low, "allowed_high": t.high,
                     "weight": t.weight, "checked_low": low, "checked_high": high, "value": v,
                     "n": n, "within": _inside((low, high), v)})
    return pd.DataFrame(rows)


def check(name: str, *, scale: float | None = None, work: Path, say: Say = print
          ) -> pd.DataFrame:
    """Rerun the scenario as it stands at ``calibration.check_scale`` and judge each target.
    Raises :class:`CalibrationError` naming every target outside its (widened) interval."""
    path = scenario_path(name)
    world_ = build(Scenario, resolved_settings(path))
    targets = _targets_of(world_)
    run_scale = scale or world_.calibration.check_scale
    say(f"calibrate --check: {world_.name} at scale {run_scale:g}")
    figures = _run_figures(path, world_.seed, run_scale, {}, work / "check")
    table = _judge(targets, figures, tuple(world_.authorities),
                   tuple(world_.report.published_subset), run_scale)
    missed = table.loc[~table["within"], "target"].tolist()
    if missed:
        raise CalibrationError(
            f"{display(path)}: {len(missed)} target(s) outside their interval at scale "
            f"{run_scale:g}: " + ", ".join(missed) + f"; refit with `cme-eval calibrate "
            f"{path.stem} --save`")
    return table


def _figures_of(folder: Path, scenario: Scenario) -> Figures:
    run = Run(scenario, folder)
    frames: dict[str, list[pd.DataFrame]] = {}
    for authority in run.scenario.authorities:
        for name in ("table_5_1", "table_6_1", "nhs_by_status"):
            frames.setdefault(name, []).append(
                pd.read_csv(run.la_dir(authority) / f"{name}.csv", keep_default_na=False))
    return Figures(*(pd.concat(frames[n], ignore_index=True)
                     for n in ("table_5_1", "table_6_1", "nhs_by_status")))

