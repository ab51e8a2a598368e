"""Splink on Spark (local mode) gives the same answer as Splink on DuckDB, record by record,
for an LA's own link and for central matching; it keeps its folders out of the current
directory and its memory within its settings.

pyspark is an optional extra (``cme-eval[spark]``), which ``make test`` installs. Where it is
missing these tests skip, except in CI (``CI`` set), where they fail: CI must run them.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from cme_eval.config import load_scenario
from cme_eval.inputs.ingest import read_authority
from cme_eval.inputs.schema import MATCHED_AGAINST, NWSSP
from cme_eval.inputs.standardise import prepare
from cme_eval.linkage import (
    blocking,
    default_spec,
    engines,
    link_authority,
    prepare_sources,
    spec_from_settings,
)
from cme_eval.linkage import spark as spark_session
from cme_eval.synth.sources import synthesise, write_synthetic

# The Spark session is owned by the splink-spark engine (its runtime), opened by its links.
RUNTIME = engines.get("splink-spark").runtime

pytestmark = pytest.mark.slow

LA = "Monmouthshire"


@pytest.fixture(scope="module", autouse=True)
def pyspark_installed():
    if not spark_session.available():
        if os.environ.get("CI"):
            pytest.fail('pyspark is not installed in CI: make test installs ".[dev,spark]"')
        pytest.skip('pyspark is not installed (pip install "cme-eval[spark]")')
    yield
    RUNTIME.stop()


def _world(folder: Path, overlays=()):
    scenario = load_scenario("smoke", authorities=[LA], scale=0.05, overlays=list(overlays))
    write_synthetic(synthesise(scenario, LA), folder, scenario)
    return scenario, read_authority(folder, LA)


def test_the_spark_engine_executes_the_same_spec_as_duckdb(tmp_path):
    # identifiers too: every rule kind (name variants, shared words, swapped names, dates)
    scenario, sources = _world(tmp_path, ("uprn", "nhs-number"))
    ref = scenario.dates.nhs_extract
    std = {k: prepare(v, ref) for k, v in sources.items()}
    right = pd.concat([std[d].assign(dataset=d) for d in MATCHED_AGAINST[NWSSP]],
                      ignore_index=True)
    spec = default_spec(identifiers=scenario.shared_identifiers())
    plan = blocking.plan(std[NWSSP], right, spec)
    duck = engines.get("splink").score_pairs(std[NWSSP], right, plan)
    spark = engines.get("splink-spark").score_pairs(std[NWSSP], right, plan)
    assert len(duck) > 500 and (duck["address"] == 0).sum() > 100
    assert_frame_equal(spark, duck)


def test_an_las_link_on_spark_gives_every_record_the_same_outcome(tmp_path):
    scenario, sources = _world(tmp_path)
    ref = scenario.dates.nhs_extract
    spec = default_spec()
    prepared = prepare_sources(sources, ref)
    duck = link_authority(sources, spec, engine="splink", reference_date=ref, prepared=prepared)
    spark = link_authority(sources, spec, engine="splink-spark", reference_date=ref,
                           prepared=prepared)
    assert len(duck) > 500 and (duck["outcome"] == "partial").any()
    assert_frame_equal(spark, duck)


def test_central_matching_on_spark_gives_every_record_the_same_outcome(tmp_path):
    from cme_eval.linkage.central import link_central
    from cme_eval.run.bench import central_inputs
    from cme_eval.run.stages import Run, link_centrally

    run = Run.open("wales-2025", tmp_path / "run", scale=0.01, overlays=("central-all-wales",),
                   overrides={"cross_border": {"central_engine": "splink-spark"}})
    spark = link_centrally(run)  # as a run does it: the scenario's central engine (Spark)
    nhs, plasc = central_inputs(run)
    spec = spec_from_settings(run.scenario.linkage, run.scenario.shared_identifiers())
    duck = link_central(nhs, plasc, spec, reference_date=run.scenario.dates.nhs_extract,
                        engine="splink",
                        other_la_min_weight=run.scenario.cross_border.other_la_min_weight)
    assert len(duck) > 3000 and (duck["matched_dataset"] == "plasc_wales").any()
    assert_frame_equal(spark, duck)


def test_spark_writes_nothing_in_the_current_directory_and_cleans_up(tmp_path, monkeypatch):
    here = tmp_path / "cwd"
    here.mkdir()
    monkeypatch.chdir(here)
    RUNTIME.stop()  # a session of its own, started here
    RUNTIME.configure(dataclasses.replace(load_scenario("smoke").spark,
                                          driver_memory="1g", shuffle_partitions=3))
    scenario, sources = _world(tmp_path / "data")
    ref = scenario.dates.nhs_extract
    spark = RUNTIME.session()
    folder = RUNTIME.folder
    conf = spark.sparkContext.getConf()
    assert conf.get("spark.driver.memory") == "1g"
    assert spark.conf.get("spark.sql.shuffle.partitions") == "3"
    assert Path(conf.get("spark.jars")).is_file()  # Splink's similarity jar
    for key in ("spark.local.dir", "spark.sql.warehouse.dir"):
        assert Path(conf.get(key).removeprefix("file:")).is_relative_to(folder), key
    # the JVM's heap is bounded by the setting (1g, less what the JVM keeps for itself)
    heap = spark.sparkContext._jvm.java.lang.Runtime.getRuntime().maxMemory()
    assert heap <= 2**30
    link_authority(sources, default_spec(), engine="splink-spark", reference_date=ref)
    assert list(here.iterdir()) == []  # no spark-warehouse, metastore_db, derby.log
    assert Path(folder).is_relative_to(tempfile.gettempdir())
    RUNTIME.stop()
    assert not Path(folder).exists() and list(here.iterdir()) == []
    RUNTIME.configure(load_scenario("smoke").spark)


def test_bench_central_runs_spark_beside_duckdb_on_the_same_data(tmp_path, capsys):
    from cme_eval.run.cli import main

    out = tmp_path / "bench"
    assert main(["bench", "central", "wales-2025", "--scale", "0.01", "--engine",
                 "splink-spark", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "pairs_per_s" in printed and "jvm_peak_mb" in printed
    table = pd.read_csv(out / "bench_central.csv")
    assert table["engine"].tolist() == ["splink", "splink-spark"]
    spark = table.iloc[1]
    assert bool(spark["same_outcomes"]) and spark["jvm_peak_mb"] > 0
    assert (table["candidate_pairs"] > 0).all() and (table["pairs_per_s"] > 0).all()
    assert table["f1"].nunique() == 1 and table["nhs_records"].nunique() == 1
