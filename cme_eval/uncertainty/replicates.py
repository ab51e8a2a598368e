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

import numpy as np
import pandas as pd

from cme_eval.config import ConfigError
from cme_eval.fileio import write_csv
from cme_eval.rng import keyed_int
from cme_eval.inputs.schema import ALL_AUTHORITIES, STATUSES, TOTAL, TRULY_MISSING

# A progress bar around a loop: ``progress(items, total)`` yields the items. The total is
# passed because a process pool's results arrive as an iterator that has no length.
Progress = Callable[[Iterable, int], Iterable]

T51_MEASURES = ("received", "perfect_match", "partial_match", "not_matched", "out_of_scope")
T61_MEASURES = ("cme_known_before", "cme_known_after", "potential_cme_identified")
HOURS = ("hours_checking_partials", "hours_following_up", "hours_total")
BREAKDOWN = tuple(f"potential_cme_{s}" for s in STATUSES)
MEASURES = (*T51_MEASURES, *T61_MEASURES, "truly_missing_found", *BREAKDOWN, *HOURS,
            "precision", "recall")
"""The columns of ``replicates.csv`` after ``replicate, seed, authority``. ``truly_missing_found``:
potential CME who are truly missing (known or unknown to the LA before)."""
PUBLISHED_PREFIX = "published: "
SUMMARY_COLUMNS = ["measure", "authority", "mean", "sd", "p2_5", "p50", "p97_5", "n"]
REPLICATE_OVERRIDES = {"report": {"compare_engines": []}}
META_FILE = "replicates.json"


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


def _merged(a: dict, b: dict) -> dict:
    out = dict(a)
    for key, value in b.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(
            out.get(key), dict) else value
    return out


def measure(variant: Variant, work: Path, *, keep: bool = False
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run one variant through the library stages in a fresh folder under ``work`` and return
    its measures per LA and its published comparison. The folder is removed unless ``keep``
    (then it is ``work/base``, for variants that ``reuse`` it)."""
    from cme_eval.run import stages
    from cme_eval.run.scenario import load as load_scenario
    from cme_eval.report.build import pooled_tables

    overrides = _merged(REPLICATE_OVERRIDES, variant.overrides)
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
    tables = pooled_tables(run.scenario, {k: pd.concat(v, ignore_index=True)
                                          for k, v in per_la.items()})
    return measures_of(tables, run.scenario.linkage.engine), tables["published_vs_reproduced"]


def measures_of(tables: dict[str, pd.DataFrame], engine: str) -> pd.DataFrame:
    """One row per LA and ``All``: the columns of :data:`MEASURES`, from a run's report tables."""
    t51 = tables["table_5_1"]
    t51 = t51[t51["source"] == TOTAL].set_index("authority")
    out = t51[list(T51_MEASURES)].copy()
    out = out.join(tables["table_6_1"].set_index("authority")[list(T61_MEASURES)])
    breakdown = tables["potential_cme_breakdown"].pivot_table(
        index="authority", columns="true_status", values="potential_cme", aggfunc="sum")
    breakdown = breakdown.reindex(columns=list(STATUSES)).fillna(0).astype("int64")
    out["truly_missing_found"] = breakdown[list(TRULY_MISSING)].sum(axis=1).reindex(
        out.index).fillna(0).astype("int64")
    breakdown.columns = [f"potential_cme_{s}" for s in breakdown.columns]
    out = out.join(breakdown).fillna({c: 0 for c in BREAKDOWN})
    out = out.join(tables["review_workload"].set_index("authority")[list(HOURS)])
    quality = tables["linkage_quality"]
    quality = quality[(quality["source"] == TOTAL) & (quality["mechanism"] == "all")
                      & (quality["engine"] == engine)].set_index("authority")
    out = out.join(quality[["precision", "recall"]])
    out = out.reset_index()
    return out[["authority", *MEASURES]]


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


def summarise(frame: pd.DataFrame, value_columns: list[str],
              by: list[str]) -> pd.DataFrame:
    """``mean, sd, p2_5, p50, p97_5, n`` of each value column within each group of ``by``.

    Percentiles are numpy's linear interpolation between order statistics: with 20
    replicates the 2.5th percentile lies halfway between the smallest and the second smallest.
    ``sd`` is the sample standard deviation (empty for one replicate)."""
    rows = []
    for keys, group in frame.groupby(by, sort=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        for column in value_columns:
            values = pd.to_numeric(group[column], errors="coerce").dropna().to_numpy(float)
            if not len(values):
                continue
            p = np.percentile(values, [2.5, 50, 97.5])
            rows.append({**dict(zip(by, keys, strict=True)), "measure": column,
                         "mean": values.mean(),
                         "sd": values.std(ddof=1) if len(values) > 1 else np.nan,
                         "p2_5": p[0], "p50": p[1], "p97_5": p[2], "n": len(values)})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Replicates:
    """The outputs of :func:`replicate`, as written."""

    rows: pd.DataFrame        # replicates.csv
    published: pd.DataFrame   # replicates_published.csv
    summary: pd.DataFrame     # replicate_summary.csv
    meta: dict


def replicate(scenario: str, n: int, out: Path, *, authorities: tuple[str, ...] = (),
              seed: int | None = None, scale: float | None = None, workers: int = 1,
              progress: Progress | None = None) -> Replicates:
    """Run ``scenario`` on ``n`` derived seeds and write the replicate tables into ``out``."""
    from cme_eval.config import scenario_path
    from cme_eval.run.scenario import load as load_scenario

    if n < 1:
        raise ConfigError(f"--replicates: {n} is not allowed; give 1 or more")
    path = str(scenario_path(scenario))
    base = load_scenario(path, seed=seed, scale=scale, authorities=list(authorities) or None)
    seeds = replicate_seeds(base.seed, n)
    variants = [Variant(path, s, tuple(authorities), scale) for s in seeds]
    out.mkdir(parents=True, exist_ok=True)
    results = run_variants(variants, out / ".work", workers=workers, progress=progress)
    shutil.rmtree(out / ".work", ignore_errors=True)
    rows = pd.concat([r.assign(replicate=k, seed=s).loc[:, ["replicate", "seed", *r.columns]]
                      for k, (s, (r, _)) in enumerate(zip(seeds, results, strict=True), 1)],
                     ignore_index=True)
    published = pd.concat(
        [c[["measure", "reproduced", "applicable"]].assign(replicate=k, seed=s)
         .loc[:, ["replicate", "seed", "measure", "reproduced", "applicable"]]
         for k, (s, (_, c)) in enumerate(zip(seeds, results, strict=True), 1)],
        ignore_index=True)
    summary = summary_table(rows, published)
    meta = {"scenario": base.name, "scenario_seed": base.seed, "scale": base.scale,
            "authorities": list(base.authorities), "replicates": n, "seeds": seeds,
            "engine": base.linkage.engine}
    write_csv(rows, out / "replicates.csv", float_format="%.6f")
    write_csv(published, out / "replicates_published.csv", float_format="%.6f")
    write_csv(summary, out / "replicate_summary.csv", float_format="%.6f")
    (out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return Replicates(rows, published, summary, meta)


def summary_table(rows: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """``replicate_summary.csv``: every measure per LA, then each published measure (pooled,
    its name prefixed ``published: ``)."""
    per_la = summarise(rows, list(MEASURES), ["authority"])
    pub = summarise(published.assign(authority=ALL_AUTHORITIES,
                                     name=PUBLISHED_PREFIX + published["measure"]),
                    ["reproduced"], ["authority", "name"])
    if len(pub):
        pub["measure"] = pub.pop("name")
    return pd.concat([per_la, pub], ignore_index=True)[SUMMARY_COLUMNS]


def read_replicates(folder: Path) -> tuple[dict, pd.DataFrame]:
    """A replicate folder's meta and summary, or a one-line error naming what is missing."""
    folder = Path(folder)
    meta_path, summary_path = folder / META_FILE, folder / "replicate_summary.csv"
    for path in (meta_path, summary_path):
        if not path.is_file():
            raise ConfigError(f"{path}: not found; make it with cme-eval replicate "
                                    "SCENARIO --replicates N --out FOLDER")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    return meta, pd.read_csv(summary_path)


def check_same_run(meta: dict, scenario, flag: str) -> None:
    """Refuse replicates of another scenario, seed, scale or set of LAs than ``scenario``."""
    wanted = {"scenario": scenario.name, "scenario_seed": scenario.seed,
              "scale": scenario.scale, "authorities": list(scenario.authorities)}
    for key, value in wanted.items():
        if meta.get(key) != value:
            raise ConfigError(f"{flag}: the replicates are of {key} {meta.get(key)!r}, this run "
                             f"is of {value!r}; make replicates of the same scenario, seed, "
                             "scale and LAs")


def copy_summary(folder: Path, into: Path) -> None:
    """The summary and meta of a replicate folder, copied into a run folder's ``into``."""
    into.mkdir(parents=True, exist_ok=True)
    for name in (META_FILE, "replicate_summary.csv"):
        shutil.copyfile(Path(folder) / name, into / name)


HEADLINE = ("received", "perfect_match", "partial_match", "not_matched",
            "potential_cme_identified", "cme_known_after", "truly_missing_found", "hours_total",
            "precision", "recall")
"""The figures the report shows with the replicates' range beside them."""


def headline_intervals(this_run: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """The pooled headline figures of a run (its :func:`measures_of` rows) beside the mean
    and 95% range of the replicates: ``measure, this_run, mean, p2_5, p97_5, n``."""
    run_all = this_run.set_index("authority").loc[ALL_AUTHORITIES]
    pooled = summary[summary["authority"] == ALL_AUTHORITIES].set_index("measure")
    rows = [{"measure": m, "this_run": run_all[m], **pooled.loc[m, ["mean", "p2_5", "p97_5",
                                                                      "n"]].to_dict()}
            for m in HEADLINE if m in pooled.index]
    return pd.DataFrame(rows, columns=["measure", "this_run", "mean", "p2_5", "p97_5", "n"])


def with_replicate_interval(comparison: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """``published_vs_reproduced`` with the replicates' 95% range of each reproduced share
    and whether the published value lies inside it (empty for counts and checks, and where
    the measure does not apply or the replicates lack it)."""
    pooled = summary[summary["measure"].str.startswith(PUBLISHED_PREFIX)].set_index("measure")
    out = comparison.copy()
    lows, highs, inside = [], [], []
    for row in out.itertuples(index=False):
        key = PUBLISHED_PREFIX + row.measure
        if (key not in pooled.index or not row.applicable or pd.isna(row.published)
                or "share" not in row.measure):
            lows.append(np.nan), highs.append(np.nan), inside.append("")
            continue
        lo, hi = float(pooled.loc[key, "p2_5"]), float(pooled.loc[key, "p97_5"])
        lows.append(lo), highs.append(hi), inside.append(bool(lo <= row.published <= hi))
    out["replicate_p2_5"], out["replicate_p97_5"] = lows, highs
    out["published_in_replicate_interval"] = inside
    return out
