"""The smoke scenario end to end through the CLI: files, reconciliation, manifest, report."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from cme_eval import wales
from cme_eval.config import load_scenario
from cme_eval.report.manifest import sha256

pytestmark = pytest.mark.slow
PILOT = sorted(wales.PILOT_AUTHORITIES)


def test_every_output_exists_for_all_seven_authorities(smoke_run):
    for name in ("table_5_1.csv", "table_6_1.csv", "report.html", "manifest.json",
                 "potential_cme_breakdown.csv", "linkage_quality.csv", "review_workload.csv",
                 "published_vs_reproduced.csv", "method_comparison.csv", "tables.xlsx",
                 "tables.ods", "figures/outcomes_by_authority.png",
                 "figures/published_vs_reproduced.png", "figures/potential_cme_by_true_status.png",
                 "figures/score_distribution.png", "figures/precision_recall.png",
                 "notebooks/04_compile.ipynb"):
        assert (smoke_run / name).is_file(), name
    for authority in PILOT:
        slug = wales.get(authority).slug
        for nb in ("01_generate.ipynb", "02_link.ipynb", "03_evaluate.ipynb"):
            assert (smoke_run / "notebooks" / slug / nb).is_file(), (authority, nb)
    t51 = pd.read_csv(smoke_run / "table_5_1.csv")
    assert sorted(set(t51.authority) - {"All"}) == PILOT
    assert set(t51.source) == {"NWSSP", "Independent schools", "Total"}
    assert len(t51) == 3 * (len(PILOT) + 1)


def test_every_row_of_table_5_1_adds_up(smoke_run):
    t51 = pd.read_csv(smoke_run / "table_5_1.csv")
    parts = t51.perfect_match + t51.partial_match + t51.not_matched + t51.out_of_scope
    pd.testing.assert_series_equal(parts, t51.received, check_names=False)
    # Total = NWSSP + independent schools, and All = sum of the LAs, for every column.
    numeric = ["received", "perfect_match", "partial_match", "not_matched", "out_of_scope"]
    by = t51.set_index(["authority", "source"])[numeric]
    for authority in [*PILOT, "All"]:
        pd.testing.assert_series_equal(
            by.loc[(authority, "NWSSP")] + by.loc[(authority, "Independent schools")],
            by.loc[(authority, "Total")], check_names=False)
    for source in ("NWSSP", "Independent schools", "Total"):
        pd.testing.assert_series_equal(
            by.xs(source, level="source").drop(index="All").sum(),
            by.loc[("All", source)], check_names=False)


def test_received_equals_the_records_in_the_synthetic_files(smoke_run):
    t51 = pd.read_csv(smoke_run / "table_5_1.csv").set_index(["authority", "source"])
    for authority in PILOT:
        syn = smoke_run / "authorities" / wales.get(authority).slug / "synthetic" / "inputs"
        nhs = len(pd.read_csv(syn / "nhs_extract.csv"))
        returns = sum(len(pd.read_csv(p)) for p in (syn / "independent_returns").glob("*.csv"))
        assert t51.loc[(authority, "NWSSP"), "received"] == nhs
        assert t51.loc[(authority, "Independent schools"), "received"] == returns


def test_nhs_records_follow_the_scenario_sizes(smoke_run):
    scenario = load_scenario("smoke")
    t51 = pd.read_csv(smoke_run / "table_5_1.csv").set_index(["authority", "source"])
    for authority, settings in scenario.authorities.items():
        expected = settings.nhs_records * scenario.scale
        assert abs(t51.loc[(authority, "NWSSP"), "received"] - expected) <= 0.03 * expected + 2


def test_table_6_1_definitions_hold(smoke_run):
    t61 = pd.read_csv(smoke_run / "table_6_1.csv").set_index("authority")
    t51 = pd.read_csv(smoke_run / "table_5_1.csv").set_index(["authority", "source"])
    for authority in [*PILOT, "All"]:
        row = t61.loc[authority]
        assert row.potential_cme_identified == t51.loc[(authority, "NWSSP"), "not_matched"]
        assert row.cme_known_before <= row.cme_known_after
        assert row.cme_known_after - row.cme_known_before <= row.potential_cme_identified


def test_manifest_records_parameters_versions_and_table_hashes(smoke_run):
    manifest = json.loads((smoke_run / "manifest.json").read_text())
    assert manifest["scenario"] == "smoke"
    assert manifest["seed"] == load_scenario("smoke").seed
    assert manifest["parameters"]["scale"] == 0.01
    assert sorted(manifest["authorities"]) == PILOT
    assert {"pandas", "recordlinkage", "papermill", "python"} <= set(manifest["versions"])
    assert manifest["git_commit"]
    assert "table_5_1.csv" in manifest["tables"]
    for rel, digest in manifest["tables"].items():
        assert sha256(smoke_run / rel) == digest, rel


def test_report_is_self_contained_and_shows_no_code(smoke_run):
    html = (smoke_run / "report.html").read_text(encoding="utf-8")
    assert "Table 5.1" in html and "Table 6.1" in html
    assert "data:image/png;base64," in html
    for forbidden in ("http://", "https://", "<script", "import ", "stages."):
        assert forbidden not in html, forbidden


def test_executed_notebooks_hold_no_machine_paths(smoke_run):
    for nb in (smoke_run / "notebooks").rglob("*.ipynb"):
        text = nb.read_text(encoding="utf-8")
        assert str(smoke_run) not in text, nb
        for prefix in ('"/tmp/', '"/home/', '"/root/', '"/work/'):
            assert prefix not in text, (nb, prefix)


def _reader_text(page: str) -> str:
    """What a reader sees: no style, no code (file names, flags), no tags."""
    page = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    page = re.sub(r"<code>.*?</code>", "", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", page)


def test_every_label_in_the_report_is_words_not_machine_names(smoke_run):
    page = (smoke_run / "report.html").read_text(encoding="utf-8")
    assert re.findall(r"\b[a-z0-9]+_[a-z0-9_]+\b", _reader_text(page)) == []
    assert "Perfect match" in page and "Local authority" in page  # labels, not column names
    assert '<meta name="viewport"' in page and 'class="table-wrap"' in page


def test_the_reports_comparison_holds_only_what_applies_and_says_what_it_covers(smoke_run):
    page = (smoke_run / "report.html").read_text(encoding="utf-8")
    intro = _reader_text(page[page.index("<p>"):page.index("</p>")])
    assert "rest on 5 of the seven pilot LAs" in intro and "at 1% of full size" in intro
    assert "only shares, not counts, are compared" in intro  # at 1%, counts do not apply
    table = page[page.index("Published and reproduced measures that apply"):]
    table = _reader_text(table[:table.index("</table>")])
    comparison = pd.read_csv(smoke_run / "published_vs_reproduced.csv", keep_default_na=False)
    for row in comparison.itertuples():
        shown = row.measure[:1].upper() + row.measure[1:] in table
        assert shown == (str(row.applicable) == "True"), row.measure
    assert "Records received, the five LAs" not in table and "Applies to this run" not in table


def test_run_log_times_every_notebook_the_compile_one_too(smoke_run):
    log = (smoke_run / "run.log").read_text(encoding="utf-8")
    timed = re.findall(r"INFO (.+?): (\d\d_\w+\.ipynb) ran in [\d.]+ s", log)
    assert ("all authorities", "04_compile.ipynb") in timed
    assert len(timed) == 7 * 3 + 1


def test_each_executed_notebook_ran_as_if_in_a_kernel_of_its_own(smoke_run):
    """An LA's notebooks share a kernel, cleared before each: every one counts from 1."""
    for notebook in (smoke_run / "notebooks").rglob("*.ipynb"):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        counts = [c["execution_count"] for c in cells if c["cell_type"] == "code"]
        assert counts == list(range(1, len(counts) + 1)), notebook.name
