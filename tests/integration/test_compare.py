"""Policy what-ifs: direction and size that follow from the mechanisms, on one population."""

from __future__ import annotations

import pandas as pd
import pytest

from cme_eval.config import ConfigError, load_scenario
from cme_eval.evaluate.compare import COLUMNS, parse_overlays
from cme_eval.run.stages import compare_scenarios

pytestmark = pytest.mark.slow
LAS = ["Cardiff", "Powys", "Monmouthshire"]


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    compare_scenarios("smoke", parse_overlays("nhs-number,uprn,quarterly,standard-template"), out,
                      authorities=LAS)
    table = pd.read_csv(out / "scenario_comparison.csv")
    return out, table.set_index(["scenario", "authority"])


def _all(table, scenario):
    return table.loc[(scenario, "All")]


def test_outputs_and_columns(comparison):
    out, table = comparison
    assert list(table.reset_index().columns) == COLUMNS
    assert (out / "scenario_comparison.png").is_file()
    html = (out / "scenario_comparison.html").read_text(encoding="utf-8")
    assert "buys most" in html and "http" not in html
    assert "What each what-if changes" in html and "Recommendation 7.2" in html
    assert set(table.index.get_level_values(0)) == {
        "smoke", "smoke+nhs-number", "smoke+uprn", "smoke+quarterly", "smoke+standard-template"}


def test_sharing_the_nhs_number_never_leaves_more_records_unmatched(comparison):
    _, table = comparison
    base, nhs = _all(table, "smoke"), _all(table, "smoke+nhs-number")
    assert nhs["received"] == base["received"]  # the same population and records
    assert nhs["not_matched"] <= base["not_matched"]
    assert nhs["false_potential_cme"] <= base["false_potential_cme"]
    assert nhs["true_cme"] == base["true_cme"]


def test_a_shared_uprn_never_leaves_more_records_unmatched(comparison):
    # A UPRN is the address read without typing errors: it can add agreement, never remove it
    # (it once did, when it was a separate comparison that penalised moved families twice).
    _, table = comparison
    base, uprn = _all(table, "smoke"), _all(table, "smoke+uprn")
    assert uprn["received"] == base["received"]
    assert uprn["not_matched"] <= base["not_matched"]
    assert uprn["false_potential_cme"] <= base["false_potential_cme"]


def test_quarterly_transfers_cut_stale_records_and_change_no_one_else(comparison):
    _, table = comparison
    base, quarterly = _all(table, "smoke"), _all(table, "smoke+quarterly")
    assert quarterly["not_matched"] < base["not_matched"]
    assert quarterly["review_hours"] < base["review_hours"]
    # keyed draws: fewer families moved away, but every truly missing child is still there
    assert quarterly["true_cme"] == base["true_cme"]


def test_every_row_adds_up_to_at_most_what_was_received(comparison):
    _, table = comparison
    parts = table["perfect_match"] + table["partial_match"] + table["not_matched"]
    assert (parts <= table["received"]).all()
    assert (table["true_cme_found"] <= table["true_cme"]).all()


def test_overlays_parse_and_unknown_ones_are_named():
    assert parse_overlays("nhs-number,uprn,nhs-number+uprn") == [
        ("nhs-number",), ("uprn",), ("nhs-number", "uprn")]
    with pytest.raises(ConfigError, match="unknown overlay 'nhs'; available: .*nhs-number"):
        load_scenario("smoke", overlays=["nhs"])
