"""scripts/mechanism_reach.py on the smoke run: each mechanism's records split by what a linker
could tell, counts that add up, and nothing written into the run folder."""

from __future__ import annotations

import pandas as pd
import pytest

from cme_eval.evaluate.accuracy import REACH_KINDS
from cme_eval.run import stages
from cme_eval.run.pipeline import SCENARIO_FILE
from scripts.mechanism_reach import main, reach_of_run


def _listing(folder):
    return {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def test_reach_of_the_smoke_run_adds_up_to_the_linkage_quality_row(smoke_run, capsys):
    before = _listing(smoke_run)
    table = reach_of_run(smoke_run, "outdated_address").set_index("kind")
    assert list(table.index) == [*REACH_KINDS, "all"]
    assert table.loc["all", "records"] == table.loc[list(REACH_KINDS), "records"].sum() > 0
    # The same records and links as the main engine's row of linkage_quality.csv, pooled.
    engine = stages.Run.open(smoke_run / SCENARIO_FILE, smoke_run).scenario.linkage.engine
    quality = pd.read_csv(smoke_run / "linkage_quality.csv")
    row = quality[(quality["authority"] == "All") & (quality["source"] == "Total")
                  & (quality["engine"] == engine)
                  & (quality["mechanism"] == "outdated_address")].iloc[0]
    assert table.loc["all", "records"] == row["with_true_partner"]
    assert table.loc["all", "linked_to_own"] == row["correct_links"]
    assert main([str(smoke_run), "--mechanism", "outdated_address"]) == 0
    assert "with other errors" in capsys.readouterr().out
    assert _listing(smoke_run) == before


def test_an_unknown_mechanism_is_refused_not_counted_as_nothing(smoke_run):
    with pytest.raises(SystemExit, match="unknown mechanism 'copied_from_houshold'"):
        reach_of_run(smoke_run, "copied_from_houshold")
