"""Central matching through the notebooks (papermill): every LA generated before any is linked,
each per-LA notebook keeps every LA, and nothing but results reaches the executed notebooks."""

from __future__ import annotations

import pandas as pd
import pytest

from cme_eval.run.cli import main

pytestmark = pytest.mark.slow

SCENARIO = """\
base: wales-2025
name: wales-central-test
description: wales-2025 at 1% with central matching.
scale: 0.01
cross_border:
  central_matching: true
"""


def test_a_central_matching_run_through_the_notebooks(tmp_path):
    scenario = tmp_path / "central.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(out)]) == 0
    t51 = pd.read_csv(out / "table_5_1.csv")
    assert t51["authority"].nunique() == 23  # 22 LAs and All
    parts = t51.perfect_match + t51.partial_match + t51.not_matched + t51.out_of_scope
    assert (parts == t51.received).all()
    central = pd.read_csv(out / "central" / "central_outcomes.csv", keep_default_na=False)
    nhs = t51[(t51.authority == "All") & (t51.source == "NWSSP")]["received"].item()
    assert len(central) == nhs and central["record_id"].is_unique
    assert (central["matched_dataset"] == "plasc_wales").any()
    for notebook in (out / "notebooks").rglob("*.ipynb"):
        text = notebook.read_text(encoding="utf-8")
        assert '"name": "stderr"' not in text and "\u2588" not in text, notebook.name
