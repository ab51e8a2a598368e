"""The Spark engine's registration and settings, without starting Spark: its name, the `spark`
settings and their one-line refusals, and the one-line error when the extra is missing."""

from __future__ import annotations

import sys

import pytest

from cme_eval.config import ConfigError, Spark
from cme_eval.linkage import default_spec, engines, link_prepared
from cme_eval.linkage import spark as spark_session
from cme_eval.run.scenario import load as load_scenario

EXTRA = 'pip install "cme-eval[spark]"'


def test_the_spark_engine_is_registered_under_its_own_name():
    assert "splink-spark" in engines.engine_names()
    engine = engines.get("splink-spark")
    assert engine.name == "splink-spark" and engine.scores_pairs and engine.extra == "spark"
    # benchmarks run it only when asked: the engines of the base install by default
    assert engines.default_engines() == ("recordlinkage", "excel_baseline", "splink")
    with pytest.raises(ValueError, match="unknown engine 'splink_spark'; allowed: .*splink-spark"):
        engines.get("splink_spark")


def test_spark_settings_default_to_a_small_local_session():
    settings = load_scenario("smoke").spark
    assert settings == Spark()
    assert (settings.master, settings.driver_memory, settings.shuffle_partitions) == (
        "local[2]", "2g", 8)
    assert settings.checkpoint_dir == settings.warehouse_dir == "" and settings.conf == {}


@pytest.mark.parametrize("master", ["local", "local[1]", "local[*]", "local[4,2]",
                                    "spark://head:7077", "yarn", "k8s://https://api:6443"])
def test_spark_masters_that_are_accepted(master):
    assert load_scenario("smoke", overrides={"spark": {"master": master}}).spark.master == master


@pytest.mark.parametrize("spark, message", [
    ({"master": "local[0]"}, "spark.master: 'local[0]' is not a Spark master; allowed: local"),
    ({"master": "my-cluster"}, "spark.master: 'my-cluster' is not a Spark master"),
    ({"driver_memory": "2"}, "spark.driver_memory: '2' is not a size; allowed: a whole number "
                             "and a unit"),
    ({"driver_memory": "1.5g"}, "spark.driver_memory: '1.5g' is not a size"),
    ({"driver_memory": 2}, "spark.driver_memory: expected text, got 2"),
    ({"shuffle_partitions": 0}, "spark.shuffle_partitions: 0 is out of range"),
    ({"conf": {"executor.memory": "8g"}}, "spark.conf.executor.memory: not a Spark property"),
    ({"conf": {"spark.driver.memory": "8g"}},
     "spark.conf.spark.driver.memory: set by spark.driver_memory"),
    ({"conf": {"spark.executor.memory": 8}}, "spark.conf.spark.executor.memory: expected text"),
    ({"mastr": "local"}, "spark.mastr: unknown key; allowed: checkpoint_dir, conf, "
                         "driver_memory, master, shuffle_partitions, warehouse_dir"),
])
def test_bad_spark_settings_are_refused_in_one_line(spark, message):
    with pytest.raises(ConfigError) as caught:
        load_scenario("smoke", overrides={"spark": spark})
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_cluster_property_passes_through():
    settings = load_scenario("smoke", overrides={"spark": {
        "master": "yarn", "conf": {"spark.executor.memory": "8g"}}}).spark
    assert settings.conf == {"spark.executor.memory": "8g"}


@pytest.fixture
def no_pyspark(monkeypatch):
    """pyspark made unimportable, as on an install without the extra."""
    for name in [m for m in sys.modules if m == "pyspark" or m.startswith("pyspark.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pyspark", None)  # `import pyspark` raises ImportError


def test_without_pyspark_the_engine_says_which_extra_to_install(no_pyspark):
    import pandas as pd

    assert not spark_session.available() and not engines.get("splink-spark").available()
    frame = pd.DataFrame({"record_id": ["a"]})
    with pytest.raises(spark_session.MissingExtra) as caught:
        link_prepared(frame, frame, default_spec(), engine="splink-spark",
                      reference_date=None)
    assert str(caught.value) == (
        f"the splink-spark engine needs pyspark, which is not installed: {EXTRA}")
    with pytest.raises(ImportError, match="cme-eval\\[spark\\]"):
        engines.get("splink-spark").open()


@pytest.mark.parametrize("overrides, key", [
    ({"linkage": {"engine": "splink-spark"}}, "linkage.engine"),
    ({"cross_border": {"central_engine": "splink-spark"}}, "cross_border.central_engine"),
])
def test_without_pyspark_a_scenario_asking_for_spark_is_refused_in_one_line(no_pyspark,
                                                                             overrides, key):
    with pytest.raises(ConfigError) as caught:
        load_scenario("smoke", overrides=overrides)
    assert str(caught.value).endswith(  # after the file it comes from
        f"{key}: the splink-spark engine needs pyspark, which is not installed: {EXTRA}")
    assert "\n" not in str(caught.value)
    # a scenario that does not ask for it loads as ever
    assert load_scenario("smoke").linkage.engine == "recordlinkage"


def test_without_pyspark_the_cli_refuses_in_one_line(no_pyspark, tmp_path, capsys):
    from cme_eval.run.cli import main

    assert main(["bench", "central", "wales-2025", "--scale", "0.01", "--engine",
                 "splink-spark", "--out", str(tmp_path / "bench")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("cme-eval: error: wales-2025.yaml: cross_border.central_engine: the "
                   f"splink-spark engine needs pyspark, which is not installed: {EXTRA}")
    assert not (tmp_path / "bench").exists()  # refused before anything was generated


def test_folders_of_sessions_whose_process_is_gone_are_removed(tmp_path, monkeypatch):
    import os
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = tmp_path / "cme-eval-spark-999999999-abcd1234"  # beyond any process id
    alive = tmp_path / f"cme-eval-spark-{os.getpid()}-abcd1234"
    other = tmp_path / "cme-eval-duckdb-abcd1234"
    for folder in (gone, alive, other):
        (folder / "local").mkdir(parents=True)
    spark_session.remove_stale_folders()
    assert not gone.exists() and alive.exists() and other.exists()
