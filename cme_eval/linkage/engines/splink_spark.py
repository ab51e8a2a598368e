"""The Spark engine (``splink-spark``): the same link spec executed by Splink on a SparkSession,
for national and cross-border sizes beyond one machine.

Everything but the backend is the DuckDB engine's (``engines/splink.py``): the same Splink
settings, compiled to Spark SQL (``dialect="spark"``), the same blocking passes, and the same
query turning Splink's comparison vectors into the spec's levels, so estimation and
classification are the shared ones and every record gets the same outcome as with DuckDB.
Where the session runs (local threads or a cluster), its memory and its folders are the
``spark`` settings (``cme_eval/linkage/spark.py``). Optional: ``pip install "cme-eval[spark]"``.
"""

from __future__ import annotations

import logging

import pandas as pd

from cme_eval.linkage import spark as spark_session
from cme_eval.linkage.blocking import BlockingPlan
from cme_eval.linkage.engines import Engine, empty_levels
from cme_eval.linkage.engines.splink import (
    input_tables,
    levels_frame,
    levels_query,
    splink_settings,
)

# How Splink cuts a Spark plan's lineage between its steps: Splink's default, each step written
# as parquet under the link's checkpoint folder and read back (on disk, so memory stays
# bounded). Spark 4 logs "All paths were ignored" for those __splink__ folders (a leading
# underscore marks a hidden path) yet reads them: the levels are identical to DuckDB's (tests),
# so that notice is kept at ERROR (spark.LOG4J). "checkpoint" also worked, slower in a trial.
BREAK_LINEAGE = "parquet"


class SplinkSparkEngine(Engine):
    name = "splink-spark"
    label = "This toolkit on Splink and Spark"
    mirrors = "splink"
    description = "Splink 5 on Spark (local threads or a cluster), the spec compiled to Spark SQL"
    extra = "spark"

    def __init__(self) -> None:
        # The engine's own Spark session (and its folders): opened by its first link, or by
        # ``open``; never by a stage that runs another engine.
        self.runtime = spark_session.SparkRuntime()

    def available(self) -> bool:
        return spark_session.available()

    def setup(self, scenario) -> None:
        self.runtime.configure(scenario.spark)

    def open(self) -> None:
        self.runtime.session()

    def close(self) -> None:
        self.runtime.stop()

    def require(self) -> None:
        spark_session.require_pyspark()

    def score_pairs(self, left, right, plan: BlockingPlan) -> pd.DataFrame:
        spark_session.require_pyspark()
        spec = plan.spec
        if left.empty or right.empty or not plan.passes:
            return empty_levels(spec)
        from splink import Linker, SparkAPI

        spark = self.runtime.session()
        with self.runtime.scratch(spark) as scratch:
            # The session has Splink's jar functions registered once (SparkRuntime.session).
            db = SparkAPI(spark_session=spark, break_lineage_method=BREAK_LINEAGE,
                          register_udfs_automatically=False)
            tables = [db.register(table, dataset_display_name=label,
                                  table_name=scratch.view(label))
                      for table, label in input_tables(left, right, plan)]
            linker = Linker(tables, splink_settings(spec, plan.passes, dialect="spark"),
                            log_level=logging.WARNING)
            predictions = linker.inference.predict().physical_name
            result = spark.sql(levels_query(spec, predictions)).toPandas()
            db.delete_tables_created_by_splink_from_db()
        return levels_frame({c: result[c].to_numpy() for c in result.columns}, spec)


ENGINE = SplinkSparkEngine()
