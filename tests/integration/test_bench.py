"""The benchmark commands run and report what they measured (figures are printed, never
asserted: speed and memory targets belong to the benchmark, not to tests)."""

from __future__ import annotations

import pandas as pd
import pytest

from cme_eval.cli import main
from cme_eval.fileio import read_csv

pytestmark = pytest.mark.slow


def test_bench_central_links_every_nhs_record_in_wales_and_judges_it(tmp_path, capsys):
    assert main(["bench", "central", "wales-2025", "--scale", "0.01", "--out",
                 str(tmp_path)]) == 0
    assert "central_link_s" in capsys.readouterr().out
    row = pd.read_csv(tmp_path / "bench_central.csv").iloc[0]
    assert row["engine"] == "splink" and row["authorities"] == 22
    nhs = sum(len(read_csv(p)) for p in tmp_path.glob("authorities/*/synthetic/nhs_extract.csv"))
    assert row["nhs_records"] == nhs
    assert row["central_link_s"] > 0 and row["central_peak_mb"] > 0
    assert row["precision"] > 0.95 and row["recall"] > 0.9
