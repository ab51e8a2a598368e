"""Replicate summaries and the intervals the report reads from them: which measures a run is
summarised by, the summary's file, and the published values and headline figures beside the
replicates' 95% range. Table functions only: nothing here runs a scenario
(``uncertainty.replicates`` does), so the report can read replicates without importing the
stages that made them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from cme_eval.config import ConfigError
from cme_eval.inputs.schema import ALL_AUTHORITIES, STATUSES, TOTAL, TRULY_MISSING

T51_MEASURES = ("received", "perfect_match", "partial_match", "not_matched", "out_of_scope")


T61_MEASURES = ("cme_known_before", "cme_known_after", "potential_cme_identified")


HOURS = ("hours_checking_partials", "hours_following_up", "hours_total")


BREAKDOWN = tuple(f"potential_cme_{s}" for s in STATUSES)


MECHANISM_RECALL = {
    "recall_welsh_english_unknown": "welsh_english_variant (unknown to linker)",
    "recall_preferred_unknown": "preferred_forename (unknown to linker)",
    "recall_duplicate_record": "duplicate_record",
    "recall_copied_from_household": "copied_from_household",
}
"""The main engine's recall on the error mechanisms the linker finds hardest (rows of
``linkage_quality``): their replicate means, not one seed's, are what a target on them is judged
by. Empty for an LA without such a record."""


MEASURES = (*T51_MEASURES, *T61_MEASURES, "truly_missing_found", *BREAKDOWN, *HOURS,
            "precision", "recall", *MECHANISM_RECALL, "twins_merged", "twins_merged_alike")
"""The columns of ``replicates.csv`` after ``replicate, seed, authority``. ``truly_missing_found``:
potential CME who are truly missing (known or unknown to the LA before). ``twins_merged``:
links to the child's own twin (of which ``_alike``: records alike in name and birth)."""


PUBLISHED_PREFIX = "published: "
PARAMETERS_SUMMARY = "replicate_summary_parameters.csv"  # with the fitted settings drawn too


SUMMARY_COLUMNS = ["measure", "authority", "mean", "sd", "p2_5", "p50", "p97_5", "n"]


META_FILE = "replicates.json"


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
    # an LA without a potential CME has no row in the breakdown: its counts are 0, and stay
    # integers (a NaN filled in later would make the column float in that replicate only)
    out = out.join(breakdown.reindex(out.index, fill_value=0))
    out = out.join(tables["review_workload"].set_index("authority")[list(HOURS)])
    quality = tables["linkage_quality"]
    quality = quality[(quality["source"] == TOTAL) & (quality["engine"] == engine)]
    overall = quality[quality["mechanism"] == "all"].set_index("authority")
    out = out.join(overall[["precision", "recall", "twins_merged", "twins_merged_alike"]])
    for column, mechanism in MECHANISM_RECALL.items():
        rows = quality[quality["mechanism"] == mechanism].set_index("authority")
        out[column] = rows["recall"].reindex(out.index)
    out = out.reset_index()
    return out[["authority", *MEASURES]]


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
    for name in (META_FILE, "replicate_summary.csv", PARAMETERS_SUMMARY):
        if name == PARAMETERS_SUMMARY and not (Path(folder) / name).is_file():
            continue
        shutil.copyfile(Path(folder) / name, into / name)


HEADLINE = ("received", "perfect_match", "partial_match", "not_matched",
            "potential_cme_identified", "cme_known_after", "truly_missing_found", "hours_total",
            "precision", "recall")
"""The figures the report shows with the replicates' range beside them."""


def headline_intervals(this_run: pd.DataFrame, summary: pd.DataFrame,
                       with_parameters: pd.DataFrame | None = None) -> pd.DataFrame:
    """The pooled headline figures of a run (its :func:`measures_of` rows) beside the mean
    and 95% range of the replicates: ``measure, this_run, mean, p2_5, p97_5, n``; with
    ``with_parameters`` (replicates that also drew the fitted settings), that range too as
    ``p2_5_parameters, p97_5_parameters``."""
    run_all = this_run.set_index("authority").loc[ALL_AUTHORITIES]
    pooled = summary[summary["authority"] == ALL_AUTHORITIES].set_index("measure")
    rows = [{"measure": m, "this_run": run_all[m], **pooled.loc[m, ["mean", "p2_5", "p97_5",
                                                                      "n"]].to_dict()}
            for m in HEADLINE if m in pooled.index]
    columns = ["measure", "this_run", "mean", "p2_5", "p97_5", "n"]
    out = pd.DataFrame(rows, columns=columns)
    if with_parameters is not None:
        drawn = with_parameters[with_parameters["authority"] == ALL_AUTHORITIES].set_index(
            "measure")
        out["p2_5_parameters"] = out["measure"].map(drawn["p2_5"])
        out["p97_5_parameters"] = out["measure"].map(drawn["p97_5"])
    return out


def with_replicate_interval(comparison: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """``published_vs_reproduced`` with the replicates' 95% range of each reproduced share
    and whether the published value lies inside it (empty for counts and checks, and where
    the measure does not apply or the replicates lack it)."""
    pooled = summary[summary["measure"].str.startswith(PUBLISHED_PREFIX)].set_index("measure")
    out = comparison.copy()
    lows: list[float] = []
    highs: list[float] = []
    inside: list[bool | str] = []  # '' where not applicable
    for row in out.itertuples(index=False):
        key = PUBLISHED_PREFIX + row.measure
        if (key not in pooled.index or not row.applicable or pd.isna(row.published)
                or "share" not in row.measure):
            lows.append(np.nan)
            highs.append(np.nan)
            inside.append("")
            continue
        lo, hi = float(pooled.loc[key, "p2_5"]), float(pooled.loc[key, "p97_5"])
        lows.append(lo)
        highs.append(hi)
        inside.append(bool(lo <= row.published <= hi))
    out["replicate_p2_5"], out["replicate_p97_5"] = lows, highs
    out["published_in_replicate_interval"] = inside
    return out
