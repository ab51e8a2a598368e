"""cme_eval.report.comparison: the what-if comparison's CSV, figure and HTML from a table."""

from __future__ import annotations

import pandas as pd

from cme_eval.config import overlay_description
from cme_eval.evaluate.compare import COLUMNS, with_totals
from cme_eval.report.comparison import write_comparison_report

NAMES = ["smoke", "smoke+nhs-number"]


def _table():
    rows = [(NAMES[0], "Powys", 100, 60, 20, 20, 30.0, 3, 3, 15),
            (NAMES[1], "Powys", 100, 75, 10, 15, 20.5, 3, 3, 10)]
    return with_totals(pd.DataFrame(rows, columns=COLUMNS))


def test_writes_csv_figure_and_self_contained_report(tmp_path):
    table = _table()
    path = write_comparison_report(table, NAMES, [("nhs-number",)], tmp_path)
    assert path == tmp_path / "scenario_comparison.csv"
    assert pd.read_csv(path)["authority"].tolist() == ["Powys", "Powys", "All", "All"]
    assert (tmp_path / "scenario_comparison.png").read_bytes().startswith(b"\x89PNG")
    page = (tmp_path / "scenario_comparison.html").read_text(encoding="utf-8")
    assert "What would the recommendations change?" in page
    assert "smoke+nhs-number buys most" in page
    # the what-ifs table names each overlay once, heading its row
    assert '<th scope="row">nhs-number</th>' in page
    assert overlay_description("nhs-number")[:30] in page.replace("&#x27;", "'")
    assert "data:image/png;base64," in page
    assert "http://" not in page and "https://" not in page and "<script" not in page


def test_same_table_gives_the_same_bytes(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        out.mkdir()
        write_comparison_report(_table(), NAMES, [("nhs-number",), ("nhs-number",)], out)
    for name in ("scenario_comparison.csv", "scenario_comparison.png",
                 "scenario_comparison.html"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
