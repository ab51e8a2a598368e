"""The what-if comparison's outputs: scenario_comparison.csv, its figure and a short HTML
report (same bytes for the same table)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cme_eval.config import overlay_description
from cme_eval.evaluate import compare
from cme_eval.fileio import write_csv
from cme_eval.inputs.schema import ALL_AUTHORITIES
from cme_eval.report import figures, html


def write_comparison_report(table: pd.DataFrame, names: list[str],
                            overlay_sets: list[tuple[str, ...]], out: Path) -> Path:
    """Write the comparison table (per LA and 'All', see ``compare.with_totals``), its figure
    and report into ``out``; ``names`` are the scenarios' names, baseline first. Returns the
    CSV's path."""
    out = Path(out)
    csv = out / "scenario_comparison.csv"
    write_csv(table, csv, float_format="%.1f")
    fig = figures.save_png(figures.scenario_comparison(table), out / "scenario_comparison.png")
    lines = compare.verdict(table, names[0])
    described = pd.DataFrame(
        [(name, overlay_description(name)) for name in dict.fromkeys(
            o for overlays in overlay_sets for o in overlays)],
        columns=["what-if", "what it changes"])
    page = html.render("What would the recommendations change?", tuple(lines), [
        html.Section("Scenario comparison (all authorities)", figures=(
            ("Review hours and potential CME who are not missing, by scenario", fig),),
            tables=(("Scenario comparison", table[table["authority"] == ALL_AUTHORITIES]),)),
        html.Section("The what-ifs compared", paragraphs=(
            "Each runs on the baseline's population and seed; a combination (a+b) applies "
            "each in turn. Per-LA figures are in scenario_comparison.csv.",),
            tables=(("What each what-if changes", described),))])
    (out / "scenario_comparison.html").write_text(page, encoding="utf-8")
    return csv
