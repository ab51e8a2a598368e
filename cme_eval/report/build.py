"""Every report output of a run, from the per-LA tables: CSVs, figures, spreadsheets, the HTML
report and the manifest, each as the registries of ``report.outputs`` and ``report.narrative``
declare it. Published tables go through their disclosure rule when the run is protected."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cme_eval.config import Scenario
from cme_eval.fileio import write_csv
from cme_eval.report import labels, narrative, outputs, spreadsheets
from cme_eval.report.manifest import write_manifest

NOTE_TEXT = (
    "Each record received has exactly one outcome: received = perfect + partial + not "
    "matched + out of scope, for every row.",
    "Out of scope: outside compulsory school age on the NHS extract date.",
    "Potential CME: NHS records in scope that matched nothing the LA holds.",
)
SYNTHETIC_NOTES = pd.DataFrame({
    "Note number": ["note1", "note2", "note3", "note4", "note5"],
    "Note text": [
        *NOTE_TEXT,
        "Synthetic data: counts are exact unless the run applies disclosure control, when "
        "counts of 1-4 show as [c] and the rest are rounded to the nearest 5.",
        "Judged against the synthetic truth, which a real evaluation does not have. 'Lost "
        "before comparison': true partners that no blocking pass brought together.",
    ],
})
REAL_NOTES = pd.DataFrame({
    "Note number": ["note1", "note2", "note3", "note4"],
    "Note text": [
        *NOTE_TEXT,
        "Counts of 1-4 show as [c] and the rest are rounded to the nearest 5, unless the run "
        "was made with --no-disclosure-control (then exact, for internal use only).",
    ],
})


@dataclass(frozen=True)
class Publication:
    """How a run's spreadsheets and report present themselves: a re-run on a synthetic
    population, or the evaluation of an LA's own extracts."""

    title: str
    intro: list[str]
    source: str
    scope: str
    notes: pd.DataFrame
    about: tuple[str, ...] = spreadsheets.SYNTHETIC_ABOUT


def publication(scenario: Scenario, has_truth: bool) -> Publication:
    if has_truth:
        covered = narrative.covered(scenario.authorities)
        return Publication(
            f"CME database pilot: evaluation re-run ({scenario.name})",
            [f"Scenario {scenario.name}: {covered}, {narrative.size(scenario.scale)}, "
             f"seed {scenario.seed}."],
            spreadsheets.SYNTHETIC_SOURCE, f"{covered[:1].upper()}{covered[1:]}, Wales",
            SYNTHETIC_NOTES)
    las = narrative.las_of(scenario)
    return Publication(
        f"CME database: evaluation of {las}'s extracts",
        [f"{las}: extracts of {scenario.dates.nhs_extract:%d %B %Y}."],
        f"cme-eval evaluation of {las}'s own extracts", f"{las}, Wales", REAL_NOTES,
        ("Real data: " + ("published counts apply disclosure control."
                          if scenario.report.protect else
                          "EXACT COUNTS, NOT FOR RELEASE (--no-disclosure-control)."),
         "No record-level data: the working lists are kept apart, in restricted/.",
         "Built by cme-eval; parameters and versions in manifest.json."))


def write_outputs(pooling: outputs.Pooling, out: Path, scores: pd.DataFrame, *,
                  has_truth: bool, threshold: float) -> dict[str, pd.DataFrame]:
    """Pool every LA's tables and write every output that applies to the run. ``scores``:
    every outcome's match weight and ``threshold`` the partial-match weight of the spec that
    classified them (the score figure). Returns the tables as released."""
    scenario = pooling.scenario
    exact = outputs.pooled(pooling, has_truth)
    released = outputs.released(scenario, exact, has_truth)
    for name, frame in released.items():
        write_csv(frame, out / f"{name}.csv", float_format="%.6f")
    figs = outputs.draw_figures(outputs.Drawing(scenario, exact, scores, threshold), has_truth,
                                out / "figures")
    pub = publication(scenario, has_truth)
    sheets = [spreadsheets.Sheet(name, title, labels.relabelled(released[key]),
                                 source=pub.source, scope=pub.scope)
              for name, title, key in outputs.sheets(has_truth, released)]
    spreadsheets.write_xlsx(out / "tables.xlsx", sheets, pub.title, pub.intro, pub.notes,
                            pub.about)
    spreadsheets.write_ods(out / "tables.ods", sheets, pub.title, pub.intro)
    story = narrative.Story(scenario, released, exact, figs, has_truth)
    title = "CME database pilot: evaluation re-run" if has_truth else pub.title
    (out / "report.html").write_text(narrative.report_html(story, title), encoding="utf-8")
    write_manifest(scenario, out)
    return released
