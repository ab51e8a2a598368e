"""The benchmark commands run and report what they measured (figures are printed, never
asserted: speed and memory targets belong to the benchmark, not to tests)."""

from __future__ import annotations

import pandas as pd
import pytest

from cme_eval.fileio import read_csv
from cme_eval.run.cli import main

pytestmark = pytest.mark.slow


def test_bench_central_links_every_nhs_record_in_wales_and_judges_it(tmp_path, capsys):
    assert main(["bench", "central", "wales-2025", "--scale", "0.01", "--out",
                 str(tmp_path)]) == 0
    assert "central_link_s" in capsys.readouterr().out
    row = pd.read_csv(tmp_path / "bench_central.csv").iloc[0]
    assert row["engine"] == "splink" and row["authorities"] == 22
    nhs = sum(len(read_csv(p)) for p in tmp_path.glob(
        "authorities/*/synthetic/inputs/nhs_extract.csv"))
    assert row["nhs_records"] == nhs
    assert row["central_link_s"] > 0 and row["central_peak_mb"] > 0
    assert row["precision"] > 0.95 and row["recall"] > 0.9


def test_bench_hostile_quick_writes_one_row_per_task_and_engine(tmp_path, capsys):
    from cme_eval.outside_data import FEBRL_SETS, HOSTILE
    from cme_eval.run.bench import HOSTILE_COLUMNS

    assert main(["bench", "hostile", "--quick", "--out", str(tmp_path)]) == 0
    assert "bench_hostile.csv" in capsys.readouterr().out
    table = pd.read_csv(tmp_path / "bench_hostile.csv", keep_default_na=False)
    assert list(table.columns) == HOSTILE_COLUMNS == [
        "task", "engine", "left_rows", "right_rows", "candidate_pairs", "wall_s", "peak_mb",
        "precision", "recall", "f1", "status", "warnings"]
    tasks = [*HOSTILE, *(f"febrl{n}" for n in FEBRL_SETS)]
    assert sorted(zip(table["task"], table["engine"], strict=True)) == sorted(
        (t, e) for t in tasks for e in ("recordlinkage", "splink", "excel_baseline"))
    assert (table["status"] == "ok").all(), table.loc[table["status"] != "ok", "status"]
    assert (table["left_rows"] > 0).all() and (table["candidate_pairs"].astype(int) >= 0).all()
    assert table[["precision", "recall", "f1"]].astype(float).apply(
        lambda c: c.between(0, 1)).all().all()
    # --quick: hostile frames at a tenth of their size
    assert table.loc[table["task"] == "shared_surname_dob", "left_rows"].eq(2000).all()
    # constant columns are named in the warnings
    assert table.loc[table["task"] == "constant_postcode", "warnings"].str.contains(
        "postcode").all()


def test_bench_run_times_each_stage_on_both_paths(tmp_path, capsys):
    assert main(["bench", "run", "smoke", "--authorities", "Powys", "--workers", "1",
                 "--out", str(tmp_path), "-q"]) == 0
    assert "notebook path" in capsys.readouterr().out
    table = pd.read_csv(tmp_path / "bench_run.csv")
    for path in ("notebooks", "library"):
        rows = table[table["path"] == path].set_index("stage")
        assert rows.loc[["generate", "link", "evaluate", "compile"], "runs"].tolist() == [1] * 4
        assert rows.loc["whole run", "runs"] == 4 and rows.loc["whole run", "wall_s"] > 0
    # both paths made the same tables
    for name in ("table_5_1.csv", "table_6_1.csv"):
        assert ((tmp_path / "notebooks-path" / name).read_bytes()
                == (tmp_path / "library-path" / name).read_bytes())


def test_bench_linkage_times_startup_apart_and_compares_outcomes(tmp_path, capsys,
                                                                 monkeypatch):
    from cme_eval.inputs.ingest import read_authority
    from cme_eval.inputs.schema import RECEIVED_SOURCES
    from cme_eval.run import bench
    from cme_eval.run.bench import BENCH_COLUMNS

    links = []
    link_sources = bench._link_sources

    def counted(sources, spec, engine, ref):
        links.append(engine)
        return link_sources(sources, spec, engine, ref)

    monkeypatch.setattr(bench, "_link_sources", counted)

    assert main(["bench", "linkage", "smoke", "--authority", "Powys", "--out", str(tmp_path),
                 "--engines", "recordlinkage,splink", "--repeats", "2"]) == 0
    assert "bench_linkage.csv" in capsys.readouterr().out
    # each engine warmed up, then the two timed links taking turns
    assert links == ["recordlinkage", "splink"] * 3
    table = pd.read_csv(tmp_path / "bench_linkage.csv", keep_default_na=False)
    assert list(table.columns) == BENCH_COLUMNS
    assert table["engine"].tolist() == ["recordlinkage", "splink"]
    assert (table["startup_s"].astype(float) >= 0).all() and (table["wall_s"] > 0).all()
    # the first engine is what the others are compared with; Splink mirrors the same spec
    assert table["same_outcomes"].tolist() == ["", "True"]
    sources = read_authority(tmp_path / "synthetic", "Powys")
    assert (table["records_left"] == sum(len(sources[s]) for s in RECEIVED_SOURCES)).all()
