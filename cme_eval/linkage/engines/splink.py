"""The second engine: the same link spec executed by Splink on DuckDB (embedded, nothing to start).

Each spec comparison becomes a Splink comparison whose levels are the SQL the rules compile to
(``linkage.sql``), and each blocking pass of the plan a blocking rule. Splink returns its
comparison vectors (``gamma_*``), which are turned back into the spec's levels, so estimation
and classification are the shared ones and both engines weigh alike. DuckDB works in a
temporary folder of its own (never the current directory), removed afterwards, and within a
memory limit beyond which it spills there.

The settings (``splink_settings``) and the way Splink's comparison vectors become the spec's
levels (``levels_query``, ``levels_frame``) are shared with the Spark engine
(``splink_spark``): the backends differ only in where the SQL runs and in its dialect.
"""

from __future__ import annotations

import logging
import shutil
import tempfile

import numpy as np
import pandas as pd

from cme_eval.linkage import sql
from cme_eval.linkage.blocking import BlockingPlan
from cme_eval.linkage.engines import Engine, empty_levels
from cme_eval.linkage.spec import LinkSpec

DUCKDB_MEMORY_LIMIT = "3GB"  # DuckDB's default is 80% of RAM; it spills to disk beyond this


def splink_settings(spec: LinkSpec, passes, prior: float = 1e-4, dialect: str = "duckdb"
                    ) -> dict:
    """Splink settings for ``spec`` and the blocking ``passes``, its SQL in ``dialect``."""
    comparisons = []
    for comparison in spec.comparisons:
        comparisons.append({
            "output_column_name": comparison.name,
            "comparison_levels": [
                {"sql_condition": sql.missing_condition(comparison, dialect),
                 "label_for_charts": "missing", "is_null_level": True},
                *({"sql_condition": condition, "label_for_charts": label,
                   "m_probability": level.m, "u_probability": level.u}
                  for condition, label, level in zip(sql.level_conditions(comparison, dialect),
                                                     comparison.labels(), comparison.levels,
                                                     strict=True)),
            ],
        })
    return {
        "link_type": "link_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": prior,
        "blocking_rules_to_generate_predictions": [sql.blocking_condition(r) for r in passes],
        "comparisons": comparisons,
        "retain_matching_columns": True,  # keeps the gamma (level) columns in the output
        "retain_intermediate_calculation_columns": False,
    }


def levels_query(spec: LinkSpec, predictions: str) -> str:
    """SQL (DuckDB and Spark alike) turning Splink's predictions table into positions and the
    spec's levels: ``lpos``, ``rpos`` (received, held) and one TINYINT per comparison (the
    spec's level, best 0; -1 missing), sorted. Only these come back to Python: at national
    size (17 million pairs) the compared values would need gigabytes."""
    flip = "source_dataset_l <> 'received'"
    columns = [f"CASE WHEN {flip} THEN unique_id_r ELSE unique_id_l END AS lpos",
               f"CASE WHEN {flip} THEN unique_id_l ELSE unique_id_r END AS rpos"]
    for comparison in spec.comparisons:
        gamma, top = f"gamma_{comparison.name}", len(comparison.levels) - 1
        columns.append(f"CAST(CASE WHEN {gamma} < 0 THEN -1 ELSE {top} - {gamma} END "
                       f"AS TINYINT) AS {comparison.name}")
    return f"SELECT {', '.join(columns)} FROM {predictions} ORDER BY lpos, rpos"


def levels_frame(pred: dict, spec: LinkSpec) -> pd.DataFrame:
    """The result of ``levels_query`` (column name -> array) as the engines' levels frame."""
    if len(pred["lpos"]) == 0:
        return empty_levels(spec)
    pred = dict(pred)
    index = pd.MultiIndex.from_arrays([np.asarray(pred.pop("lpos"), dtype=np.int64),
                                       np.asarray(pred.pop("rpos"), dtype=np.int64)])
    return pd.DataFrame({c.name: np.asarray(pred[c.name], dtype=np.int8)
                         for c in spec.comparisons}, index=index)


def input_tables(left: pd.DataFrame, right: pd.DataFrame, plan: BlockingPlan
                 ) -> list[tuple[pd.DataFrame, str]]:
    """The two input tables Splink links (compared and blocked columns, ``unique_id`` = row
    position) with their display names: ``received`` and ``held``."""
    out = []
    for frame, label in ((left, "received"), (right, "held")):
        table = sql.input_table(frame, plan.spec, plan.passes)
        table.insert(0, "unique_id", np.arange(len(frame)))
        out.append((table, label))
    return out


def _connection(scratch: str):
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
    con.execute(f"SET temp_directory = '{scratch}'")
    try:  # no progress bar on the terminal; inside Jupyter DuckDB refuses the setting (it
        con.execute("SET enable_progress_bar = false")  # would need ipywidgets to draw one)
    except duckdb.Error:
        pass
    con.execute("SET preserve_insertion_order = false")  # pairs are sorted afterwards anyway
    return con


class SplinkEngine(Engine):
    name = "splink"
    label = "This toolkit on Splink"
    description = "Splink 5 on embedded DuckDB, the spec compiled to SQL"

    def open(self) -> None:
        import splink  # noqa: F401 - Splink's import (~1 s) is not a link's time

    def score_pairs(self, left, right, plan: BlockingPlan) -> pd.DataFrame:
        from splink import DuckDBAPI, Linker

        spec = plan.spec
        if left.empty or right.empty or not plan.passes:
            return empty_levels(spec)
        scratch = tempfile.mkdtemp(prefix="cme-eval-duckdb-")
        con = _connection(scratch)
        try:
            db = DuckDBAPI(con)
            tables = [db.register(table, dataset_display_name=label)
                      for table, label in input_tables(left, right, plan)]
            linker = Linker(tables, splink_settings(spec, plan.passes),
                            log_level=logging.WARNING)
            # Only positions and levels come back to Python, computed and sorted in DuckDB.
            predictions = linker.inference.predict().physical_name
            pred = con.sql(levels_query(spec, predictions)).fetchnumpy()
        finally:
            con.close()
            shutil.rmtree(scratch, ignore_errors=True)
        return levels_frame(pred, spec)


ENGINE = SplinkEngine()
