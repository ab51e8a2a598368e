"""The second engine: the same link spec executed by Splink on DuckDB (embedded, nothing to start).

Each spec comparison becomes a Splink comparison whose SQL levels mirror the vectorised level
functions in ``comparisons.py`` (same thresholds, same variant groups, same date rules), and
each blocking pass a blocking rule. Splink then returns its comparison vectors (``gamma_*``),
which are turned back into the spec's levels, so both engines are classified by the same code.
Splink's own training (u by random sampling, m by EM) is available with ``train=True``.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from cme_eval.linkage.comparisons import COLUMNS_FOR_KIND, JW_TOLERANCE, variant_groups
from cme_eval.linkage.spec import Comparison, Level, LinkSpec

NAME = "splink"
_DIGIT_TERMS = " + ".join(
    f"CAST((dob_int_l // {10 ** k}) % 10 <> (dob_int_r // {10 ** k}) % 10 AS INTEGER)"
    for k in range(8)
)


def _jw(column: str, threshold: float) -> str:
    return f"jaro_winkler_similarity({column}_l, {column}_r) + {JW_TOLERANCE} >= {threshold}"


def _conditions(comparison: Comparison) -> tuple[str, list[str]]:
    """(null condition, one SQL condition per spec level, best first; the last is ELSE)."""
    c = comparison.column
    if comparison.kind == "name" and comparison.name == "surname":
        tokens = (f"len(list_intersect(string_split({c}_l, ' '), string_split({c}_r, ' '))) > 0"
                  f" AND (contains({c}_l, ' ') OR contains({c}_r, ' '))")
        return (f"{c}_l = '' OR {c}_r = ''",
                [f"{c}_l = {c}_r", f"({tokens}) OR {_jw(c, 0.92)}", _jw(c, 0.80), "ELSE"])
    if comparison.kind == "name":
        group = f"{c}_group"
        variant = f"({group}_l = {group}_r AND {group}_l <> '')"
        return (f"{c}_l = '' OR {c}_r = ''",
                [f"{c}_l = {c}_r", f"{variant} OR {_jw(c, 0.92)}", _jw(c, 0.80), "ELSE"])
    if comparison.kind == "dob":
        swapped = ("dob_int_l // 10000 = dob_int_r // 10000"
                   " AND (dob_int_l // 100) % 100 = dob_int_r % 100"
                   " AND dob_int_l % 100 = (dob_int_r // 100) % 100"
                   " AND (dob_int_l // 100) % 100 <> dob_int_l % 100")
        return ("dob_int_l = 0 OR dob_int_r = 0",
                ["dob_int_l = dob_int_r", swapped, f"({_DIGIT_TERMS}) = 1", "ELSE"])
    if comparison.kind == "postcode":
        return ("postcode_std_l = '' OR postcode_std_r = ''",
                ["postcode_std_l = postcode_std_r",
                 "postcode_sector_l = postcode_sector_r AND postcode_sector_l <> ''",
                 "postcode_district_l = postcode_district_r AND postcode_district_l <> ''",
                 "ELSE"])
    if comparison.kind == "identifier":
        return (f"{c}_l = '' OR {c}_r = ''", [f"{c}_l = {c}_r", "ELSE"])
    address = [_jw("address_std", 0.90),
               "house_number_l = house_number_r AND house_number_l <> ''", "ELSE"]
    if comparison.kind == "address":
        return "address_std_l = '' OR address_std_r = ''", address
    if comparison.kind == "address_uprn":
        same = f"{c}_l = {c}_r AND {c}_l <> ''"
        return (f"(address_std_l = '' OR address_std_r = '') AND NOT ({same})",
                [same, *address])
    raise ValueError(f"unknown comparison kind {comparison.kind!r}")


def splink_settings(spec: LinkSpec, prior: float = 1e-4) -> dict:
    comparisons = []
    for comparison in spec.comparisons:
        null, levels = _conditions(comparison)
        if len(levels) != len(comparison.levels):
            raise ValueError(f"{comparison.name}: SQL levels do not match the spec's levels")
        comparisons.append({
            "output_column_name": comparison.name,
            "comparison_levels": [
                {"sql_condition": null, "label_for_charts": "missing", "is_null_level": True},
                *({"sql_condition": sql, "label_for_charts": level.label,
                   "m_probability": level.m, "u_probability": level.u}
                  for sql, level in zip(levels, comparison.levels, strict=True)),
            ],
        })
    rules = [" AND ".join(f"l.{c} = r.{c} AND l.{c} <> ''" for c in columns)
             for columns in spec.blocking]
    return {
        "link_type": "link_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": prior,
        "blocking_rules_to_generate_predictions": rules,
        "comparisons": comparisons,
        "retain_matching_columns": True,  # keeps the gamma (level) columns in the output
        "retain_intermediate_calculation_columns": False,
    }


def _table(frame: pd.DataFrame, spec: LinkSpec) -> pd.DataFrame:
    columns = sorted({c for comp in spec.comparisons for c in COLUMNS_FOR_KIND[comp.kind](comp)}
                     | {c for cols in spec.blocking for c in cols})
    table = frame[columns].copy()
    groups = variant_groups(spec.name_variants)
    for comp in spec.comparisons:
        if comp.kind == "name" and comp.name != "surname":
            table[f"{comp.column}_group"] = frame[comp.column].map(groups).fillna("")
    table.insert(0, "unique_id", np.arange(len(frame)))
    return table


DUCKDB_MEMORY_LIMIT = "3GB"  # DuckDB's default is 80% of RAM; it spills to disk beyond this


def _connection():
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
    try:  # no progress bar on the terminal; inside Jupyter DuckDB refuses the setting (it
        con.execute("SET enable_progress_bar = false")  # would need ipywidgets to draw one)
    except duckdb.Error:
        pass
    con.execute("SET preserve_insertion_order = false")  # pairs are sorted afterwards anyway
    return con


def score_pairs(left: pd.DataFrame, right: pd.DataFrame, spec: LinkSpec, *,
                train: bool = False) -> tuple[pd.DataFrame, LinkSpec]:
    """Candidate pairs (positional left, right) with spec levels, as ``rl_engine.score_pairs``.

    With ``train``, Splink estimates u (random sampling) and m (EM over each blocking pass) and
    the returned spec carries its estimates; otherwise the spec's declared m and u are used.
    """
    from splink import DuckDBAPI, Linker

    empty = pd.DataFrame({c.name: np.zeros(0, dtype=int) for c in spec.comparisons},
                         index=pd.MultiIndex.from_arrays([[], []]))
    if left.empty or right.empty:
        return empty, spec
    con = _connection()
    db = DuckDBAPI(con)
    tables = [db.register(_table(left, spec), dataset_display_name="received"),
              db.register(_table(right, spec), dataset_display_name="held")]
    linker = Linker(tables, splink_settings(spec), log_level=logging.WARNING)
    if train:
        spec = _train(linker, spec, estimate_m=spec.estimate_m)
    # Only positions and levels come back to Python, computed and sorted in DuckDB: at national
    # size (17 million pairs) the pairs' compared values would need gigabytes in pandas.
    flip = "source_dataset_l <> 'received'"
    columns = [f"CASE WHEN {flip} THEN unique_id_r ELSE unique_id_l END AS lpos",
               f"CASE WHEN {flip} THEN unique_id_l ELSE unique_id_r END AS rpos"]
    for comparison in spec.comparisons:
        gamma, top = f"gamma_{comparison.name}", len(comparison.levels) - 1
        columns.append(f"CAST(CASE WHEN {gamma} < 0 THEN -1 ELSE {top} - {gamma} END AS TINYINT)"
                       f' AS "{comparison.name}"')
    pred = con.sql(f"SELECT {', '.join(columns)} FROM "
                   f"{linker.inference.predict().physical_name} ORDER BY lpos, rpos").fetchnumpy()
    if len(pred["lpos"]) == 0:
        return empty, spec
    index = pd.MultiIndex.from_arrays([np.asarray(pred.pop("lpos"), dtype=np.int64),
                                       np.asarray(pred.pop("rpos"), dtype=np.int64)])
    return pd.DataFrame({name: np.asarray(v) for name, v in pred.items()}, index=index), spec


def _train(linker, spec: LinkSpec, estimate_m: bool) -> LinkSpec:
    """Splink's unsupervised training (u by random sampling; m by EM when asked); the
    estimates replace the spec's m and u."""
    from splink import block_on

    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    if estimate_m:
        for columns in spec.blocking[:2]:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*columns), fix_u_probabilities=True)
    trained = linker.misc.save_model_to_json()
    by_name = {c["output_column_name"]: c for c in trained["comparisons"]}
    comparisons = []
    for comparison in spec.comparisons:
        levels = [lv for lv in by_name[comparison.name]["comparison_levels"]
                  if not lv.get("is_null_level")]
        comparisons.append(Comparison(comparison.name, comparison.kind, comparison.column, tuple(
            Level(old.label, float(new.get("m_probability", old.m) or old.m),
                  float(new.get("u_probability", old.u) or old.u))
            for old, new in zip(comparison.levels, levels, strict=True))))
    from dataclasses import replace

    return replace(spec, comparisons=tuple(comparisons))
