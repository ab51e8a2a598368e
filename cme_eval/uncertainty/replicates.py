"""How much of each figure is chance: the scenario re-run on seeds derived from its own.

A replicate is a whole run (generate, link, evaluate every LA) through the library stages, in
a scratch folder of its own that is removed once its measures are taken: nothing a seed
changes is shared between replicates. Replicates run in a process pool (``spawn``, so no
state is inherited from the parent); which worker ran a replicate cannot change its figures,
because every draw is keyed by the replicate's seed.

Outputs (``write_replicates``):

- ``replicates.csv``: one row per replicate and LA (and ``All``): every Table 5.1 and 6.1
  count, the potential CME by true status, review hours, precision and recall;
- ``replicates_published.csv``: per replicate, the reproduced value of each published measure
  (``published_vs_reproduced``);
- ``replicate_summary.csv``: ``measure, authority, mean, sd, p2_5, p50, p97_5, n``, for both;
- ``replicates.json``: what was run (scenario, seeds, scale, LAs), so a report or a
  sensitivity run can check it is given replicates of the same thing.

The comparison engines (the Excel baseline) are not run in replicates: only the main engine's
figures are measured, and the baseline would double the linkage time.
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cme_eval.config import ConfigError, merge, scenario_path
from cme_eval.fileio import write_csv
from cme_eval.report.outputs import Pooling, pooled
from cme_eval.rng import keyed_int
from cme_eval.run import stages
from cme_eval.run.scenario import load as load_scenario
from cme_eval.uncertainty.draws import parameter_draw
from cme_eval.uncertainty.intervals import (  # noqa: F401 - the names replicates are read by
    HEADLINE,
    MEASURES,
    META_FILE,
    PARAMETERS_SUMMARY,
    PUBLISHED_PREFIX,
    SUMMARY_COLUMNS,
    check_same_run,
    copy_summary,
    headline_intervals,
    measures_of,
    read_replicates,
    summarise,
    summary_table,
    with_replicate_interval,
)

# A progress bar around a loop: ``progress(items, total)`` yields the items. The total is
# passed because a process pool's results arrive as an iterator that has no length.
Progress = Callable[[Iterable, int], Iterable]

REPLICATE_OVERRIDES: dict[str, Any] = {"report": {"compare_engines": []}}


@dataclass(frozen=True)
class Variant:
    """One run to measure: the scenario (a name or an absolute YAML path), its seed, and the
    settings it changes (``overrides``, as in ``load_scenario``). ``reuse``: the folder of a
    run of the same population already linked, when the variant changes only what happens
    after linkage (follow-up): it is then only re-evaluated there, nothing is re-run."""

    scenario: str
    seed: int
    authorities: tuple[str, ...] = ()
    scale: float | None = None
    overrides: dict = field(default_factory=dict)
    reuse: str | None = None


def replicate_seeds(seed: int, n: int) -> list[int]:
    """``n`` seeds derived from the scenario's seed, the same for any ``n`` (seed k of 20 is
    seed k of 5): keyed, so no replicate depends on how many were asked for."""
    return [keyed_int(seed, "replicate", k) for k in range(1, n + 1)]


def measure(variant: Variant, work: Path, *, keep: bool = False
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run one variant through the library stages in a fresh folder under ``work`` and return
    its measures per LA and its published comparison. The folder is removed unless ``keep``
    (then it is ``work/base``, for variants that ``reuse`` it)."""
    overrides = merge(REPLICATE_OVERRIDES, variant.overrides)
    per_la: dict[str, list[pd.DataFrame]] = {}
    if variant.reuse:
        scenario = load_scenario(variant.scenario, seed=variant.seed, scale=variant.scale,
                                 authorities=list(variant.authorities) or None,
                                 overrides=overrides)
        run = stages.Run(scenario, Path(variant.reuse))
        for authority in scenario.authorities:
            for name, table in stages.evaluation(run, authority, judge_links=False).items():
                per_la.setdefault(name, []).append(table)
    else:
        folder = work / "base" if keep else Path(tempfile.mkdtemp(prefix="variant-", dir=work))
        try:
            run = stages.Run.open(variant.scenario, folder, seed=variant.seed,
                                  authorities=list(variant.authorities), scale=variant.scale,
                                  overrides=overrides)
            for authority in run.scenario.authorities:
                stages.generate(run, authority)
                stages.link(run, authority)
                for name, table in stages.evaluate(run, authority).items():
                    per_la.setdefault(name, []).append(table)
        finally:
            if not keep:
                shutil.rmtree(folder, ignore_errors=True)
    tables = pooled(Pooling(run.scenario, {k: pd.concat(v, ignore_index=True)
                                           for k, v in per_la.items()}), has_truth=True)
    return measures_of(tables, run.scenario.linkage.engine), tables["published_vs_reproduced"]


def _one(args: tuple[int, Variant, str]) -> tuple[int, pd.DataFrame, pd.DataFrame]:
    index, variant, work = args
    rows, comparison = measure(variant, Path(work))
    return index, rows, comparison


def run_variants(variants: list[Variant], work: Path, *, workers: int = 1,
                 progress: Progress | None = None
                 ) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """Measure each variant, ``workers`` at a time in separate processes; results in the
    order of ``variants`` whatever order they finish in."""
    work.mkdir(parents=True, exist_ok=True)
    tasks = [(i, v, str(work)) for i, v in enumerate(variants)]
    results: dict[int, tuple[pd.DataFrame, pd.DataFrame]] = {}
    wrap = progress or (lambda it, total: it)
    if workers <= 1:
        for task in wrap(tasks, len(tasks)):
            i, rows, comparison = _one(task)
            results[i] = rows, comparison
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            for i, rows, comparison in wrap(pool.map(_one, tasks), len(tasks)):
                results[i] = rows, comparison
    return [results[i] for i in range(len(variants))]


@dataclass(frozen=True)
class Replicates:
    """The outputs of :func:`replicate`, as written."""

    rows: pd.DataFrame        # replicates.csv
    published: pd.DataFrame   # replicates_published.csv
    summary: pd.DataFrame     # replicate_summary.csv
    meta: dict


def _tables(seeds: list[int], results: list[tuple[pd.DataFrame, pd.DataFrame]]
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = pd.concat([r.assign(replicate=k, seed=s).loc[:, ["replicate", "seed", *r.columns]]
                      for k, (s, (r, _)) in enumerate(zip(seeds, results, strict=True), 1)],
                     ignore_index=True)
    published = pd.concat(
        [c[["measure", "reproduced", "applicable"]].assign(replicate=k, seed=s)
         .loc[:, ["replicate", "seed", "measure", "reproduced", "applicable"]]
         for k, (s, (_, c)) in enumerate(zip(seeds, results, strict=True), 1)],
        ignore_index=True)
    return rows, published


def replicate(scenario: str, n: int, out: Path, *, authorities: tuple[str, ...] = (),
              seed: int | None = None, scale: float | None = None, workers: int = 1,
              progress: Progress | None = None, parameter_draws: bool = False) -> Replicates:
    """Run ``scenario`` on ``n`` derived seeds and write the replicate tables into ``out``.

    ``parameter_draws``: also run the same ``n`` seeds with every fitted setting drawn from its
    95% interval (``uncertainty.draws``), and write their tables beside the others with the
    suffix ``_parameters``: the first set is chance alone, the second chance and the
    uncertainty of the fit, so the report can say how much each adds."""

    if n < 1:
        raise ConfigError(f"--replicates: {n} is not allowed; give 1 or more")
    path = str(scenario_path(scenario))
    base = load_scenario(path, seed=seed, scale=scale, authorities=list(authorities) or None)
    seeds = replicate_seeds(base.seed, n)
    variants = [Variant(path, s, tuple(authorities), scale) for s in seeds]
    if parameter_draws:
        if not base.calibration.intervals:
            raise ConfigError(f"--parameter-draws: scenario {base.name!r} has no fitted "
                              "intervals; fit it first with cme-eval calibrate --save")
        variants += [Variant(path, s, tuple(authorities), scale,
                             overrides=parameter_draw(base, k))
                     for k, s in enumerate(seeds, 1)]
    out.mkdir(parents=True, exist_ok=True)
    results = run_variants(variants, out / ".work", workers=workers, progress=progress)
    shutil.rmtree(out / ".work", ignore_errors=True)
    rows, published = _tables(seeds, results[:n])
    summary = summary_table(rows, published)
    meta = {"scenario": base.name, "scenario_seed": base.seed, "scale": base.scale,
            "authorities": list(base.authorities), "replicates": n, "seeds": seeds,
            "engine": base.linkage.engine, "parameter_draws": parameter_draws}
    write_csv(rows, out / "replicates.csv", float_format="%.6f")
    write_csv(published, out / "replicates_published.csv", float_format="%.6f")
    write_csv(summary, out / "replicate_summary.csv", float_format="%.6f")
    if parameter_draws:
        drawn, drawn_published = _tables(seeds, results[n:])
        write_csv(drawn, out / "replicates_parameters.csv", float_format="%.6f")
        write_csv(drawn_published, out / "replicates_published_parameters.csv",
                  float_format="%.6f")
        write_csv(summary_table(drawn, drawn_published), out / PARAMETERS_SUMMARY,
                  float_format="%.6f")
    (out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return Replicates(rows, published, summary, meta)


