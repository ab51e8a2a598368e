"""Every output of a run, declared once: what it needs, how it is made per LA and pooled over
LAs, how it may be released, its sheet and its figure.

A run with truth (a synthetic population) and a run without (an LA's own extracts,
``cme-eval evaluate``) differ only in which entries apply (``needs_truth``): the evaluate stage,
the compile stage, the report and the replicates all iterate over these registries, so an output
is added, renamed or protected in one place and the two kinds of run cannot drift apart.

- ``PER_LA``: what the evaluate stage makes for one LA from its :class:`Evidence` (and writes
  beside the LA's outcomes); working lists go to ``restricted/`` (record-level, never shown).
- ``POOLED``: what the compile stage makes over all LAs, in order (an entry may read the entries
  before it), each with its disclosure rule and its sheet.
- ``FIGURES``: the compile stage's figures.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from cme_eval.calibration.measures import Figures
from cme_eval.calibration.targets import load_targets
from cme_eval.config import Scenario
from cme_eval.evaluate import accuracy, published, quality, tables, without_truth, workload
from cme_eval.evaluate.follow_up import nhs_by_status, potential_cme_breakdown
from cme_eval.inputs.schema import ALL_AUTHORITIES, CME_REGISTER, TOTAL
from cme_eval.report import disclosure, figures
from cme_eval.uncertainty.intervals import (
    headline_intervals,
    measures_of,
    with_replicate_interval,
)

BOTH: None = None  # ``needs_truth`` of an output every run makes
RESTRICTED = without_truth.RESTRICTED
T51_COUNTS = ["received", "perfect_match", "partial_match", "not_matched", "out_of_scope"]
T61_COUNTS = ["cme_known_before", "cme_known_after", "potential_cme_identified"]


def applies(needs_truth: bool | None, has_truth: bool) -> bool:
    return needs_truth is None or needs_truth == has_truth


# -- per LA: the evaluate stage -------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """What the evaluate stage knows of one LA: its outcomes (the main engine's, and each
    compared engine's in ``by_engine``) and received records; with truth, also the truth, the
    follow-up of its potential CME and how its links were made (for linkage quality)."""

    scenario: Scenario
    authority: str
    outcomes: pd.DataFrame
    sources: dict[str, pd.DataFrame]
    by_engine: dict[str, pd.DataFrame]
    truth_records: pd.DataFrame | None = None
    truth_people: pd.DataFrame | None = None
    followed: pd.DataFrame | None = None
    status: pd.Series | None = None  # each outcome row's true status (truth only)
    prepared: dict | None = None
    blocking: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)

    @property
    def unresolved(self) -> int | None:
        """Potential CME the follow-up model leaves unresolved (None: no truth to follow up)."""
        return None if self.followed is None else int((~self.followed["resolved"]).sum())


@dataclass(frozen=True)
class PerLa:
    """One output of the evaluate stage for one LA."""

    name: str  # the file: NAME.csv in the LA's folder (working lists: in restricted/)
    make: Callable[[Evidence], pd.DataFrame]
    needs_truth: bool | None = BOTH
    # Judged against the truth and independent of the follow-up settings: a sensitivity run
    # re-evaluating one linked population reads it back instead of judging the links again.
    judges_links: bool = False
    working_list: bool = False  # record-level: written only under restricted/
    float_format: str = "%.6f"


def _linkage_quality(ev: Evidence) -> pd.DataFrame:
    s = ev.scenario
    return quality.linkage_quality(
        ev.sources, ev.truth_records, ev.by_engine, authority=ev.authority,
        reference_date=s.dates.nhs_extract, blocking=ev.blocking, people=ev.truth_people,
        main_engine=s.linkage.engine, central_matching=s.cross_border.central_matching,
        prepared=ev.prepared)


def _working_list(name: str) -> Callable[[Evidence], pd.DataFrame]:
    return lambda ev: without_truth.working_lists(ev.outcomes, ev.sources)[name]


PER_LA = (
    PerLa("table_5_1", lambda ev: tables.table_5_1_for(ev.authority, ev.outcomes)),
    PerLa("table_5_1_notes", lambda ev: tables.table_5_1_notes_for(ev.authority, ev.outcomes)),
    PerLa("table_6_1", lambda ev: tables.table_6_1_for(
        ev.authority, ev.outcomes, ev.sources[CME_REGISTER], unresolved=ev.unresolved)),
    PerLa("potential_cme_breakdown",
          lambda ev: potential_cme_breakdown(ev.followed, ev.authority), needs_truth=True),
    PerLa("nhs_by_status", lambda ev: nhs_by_status(ev.outcomes, ev.status, ev.authority),
          needs_truth=True),
    PerLa("linkage_quality", _linkage_quality, needs_truth=True, judges_links=True),
    PerLa("method_comparison", lambda ev: accuracy.unmatched_by_engine(
        ev.by_engine, ev.truth_records, ev.authority), needs_truth=True, judges_links=True),
    PerLa("method_comparison",
          lambda ev: without_truth.method_counts(ev.by_engine, ev.authority), needs_truth=False),
    *(PerLa(name, _working_list(name), needs_truth=False, working_list=True,
            float_format="%.4f")
      for name in ("unmatched_for_follow_up", "partial_for_review")),
)


def per_la(has_truth: bool) -> tuple[PerLa, ...]:
    return tuple(o for o in PER_LA if applies(o.needs_truth, has_truth))


def pooled_per_la_tables(has_truth: bool) -> tuple[str, ...]:
    """The per-LA tables the compile stage pools (not the working lists)."""
    return tuple(o.name for o in per_la(has_truth) if not o.working_list)


# -- pooled: the compile stage ---------------------------------------------------------------


@dataclass(frozen=True)
class Pooling:
    """What the compile stage pools from: the run's settings, every LA's tables, and (with
    ``cme-eval run --replicates-from``) the replicate summary of the same run."""

    scenario: Scenario
    per_la: dict[str, pd.DataFrame]
    replicates: pd.DataFrame | None = None
    ingest: pd.DataFrame | None = None  # every LA's ingest report
    read: pd.DataFrame | None = None  # every LA's sources: what was read
    # replicates that also drew the fitted settings (cme-eval replicate --parameter-draws)
    replicates_parameters: pd.DataFrame | None = None


@dataclass(frozen=True)
class Pooled:
    """One table of the report: pooled over LAs (reading ``done``, the tables before it), its
    disclosure rule, and its sheet in tables.xlsx / tables.ods (none: no sheet)."""

    name: str
    make: Callable[[Pooling, dict[str, pd.DataFrame]], pd.DataFrame]
    needs_truth: bool | None = BOTH
    protect: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    sheet: str = ""
    title: str = ""  # the sheet's title, with its notes ($$noteN$$)
    when: Callable[[Pooling], bool] = lambda pooling: True
    # A notebook shows its summary rows only (all authorities; for linkage quality every
    # source and error together, per LA); the sheet and the CSV keep every row.
    summary: bool = False

    @property
    def caption(self) -> str:
        """The table's title for people, without the spreadsheet's note markers."""
        return re.sub(r"\$\$note\d+\$\$", "", self.title) or self.name


def _breakdown(per_la: pd.DataFrame) -> pd.DataFrame:
    counts = ["potential_cme", "resolved_by_follow_up"]
    pooled = per_la.groupby("true_status", as_index=False)[counts].sum()
    pooled.insert(0, "authority", ALL_AUTHORITIES)
    return pd.concat([per_la, pooled], ignore_index=True)


def _method_comparison(per_la: pd.DataFrame) -> pd.DataFrame:
    counts = [c for c in accuracy.METHOD_COLUMNS if c not in ("authority", "engine")]
    pooled = per_la.groupby("engine", as_index=False, sort=False)[counts].sum()
    pooled.insert(0, "authority", ALL_AUTHORITIES)
    return pd.concat([per_la, pooled[per_la.columns]], ignore_index=True)


def _published(p: Pooling, done: dict[str, pd.DataFrame]) -> pd.DataFrame:
    s = p.scenario
    figures = Figures(done["table_5_1"], done["table_6_1"], done.get("nhs_by_status"))
    targets = load_targets(s.calibration.targets) if s.calibration.targets else None
    table = published.compare(figures, targets, s.scale, authorities=tuple(s.authorities),
                              subset=tuple(s.report.published_subset))
    return table if p.replicates is None else with_replicate_interval(table, p.replicates)


def protect_table_5_1(table: pd.DataFrame) -> pd.DataFrame:
    return disclosure.protect(table, T51_COUNTS, disclosure.Additivity(
        row_total="received", row_parts=tuple(T51_COUNTS[1:]), group_by="authority",
        label_column="source", total_label=TOTAL))


def protect_workload(workload_table: pd.DataFrame) -> pd.DataFrame:
    """The review workload as it may be released: counts protected, and the hours worked out
    again from the released counts (hours from the exact counts would give them away: 83.0
    hours at 30 minutes each is 166 follow-ups)."""
    out = disclosure.protect(workload_table, ["partial_matches", "unmatched_follow_ups"],
                             disclosure.Additivity())
    hours = {"hours_checking_partials": ("partial_matches", "minutes_per_partial_check"),
             "hours_following_up": ("unmatched_follow_ups", "minutes_per_follow_up")}
    for column, (count, minutes) in hours.items():
        shown = pd.to_numeric(out[count], errors="coerce")
        out[column] = (shown * out[minutes] / 60).round(1)
    total = out["hours_checking_partials"] + out["hours_following_up"]
    for column in (*hours, "hours_total"):
        values = total if column == "hours_total" else out[column]
        out[column] = values.map(lambda v: disclosure.SUPPRESSED if pd.isna(v) else f"{v:.1f}")
    return out


_COUNTS = without_truth.METHOD_COUNT_COLUMNS
POOLED = (
    Pooled("table_5_1", lambda p, done: tables.table_5_1([p.per_la["table_5_1"]]),
           protect=protect_table_5_1, sheet="Table_5_1",
           title="Records received and matched, by authority and source"
                 "$$note1$$$$note2$$$$note4$$"),
    # Parts of Table 5.1's counts a reader should know of: copies sent twice, forenames that
    # differ, review decisions (the published columns keep their meaning).
    Pooled("table_5_1_notes", lambda p, done: tables.with_pooled_rows(
        p.per_la["table_5_1_notes"], ["source"]),
           protect=lambda t: disclosure.protect(t, list(tables.NOTES), disclosure.Additivity(
               group_by="authority", label_column="source", total_label=TOTAL)),
           sheet="Table_5_1_notes",
           title="Of Table 5.1's counts: copies sent twice, forenames that differ and review "
                 "decisions$$note4$$"),
    Pooled("table_6_1", lambda p, done: tables.table_6_1([p.per_la["table_6_1"]]),
           protect=lambda t: disclosure.protect(t, [c for c in T61_COUNTS if c in t],
                                                disclosure.Additivity()),
           sheet="Table_6_1", title="Potential children missing education, by authority"
                                    "$$note3$$$$note4$$"),
    Pooled("potential_cme_breakdown",
           lambda p, done: _breakdown(p.per_la["potential_cme_breakdown"]), needs_truth=True,
           protect=lambda t: disclosure.protect(t, ["potential_cme", "resolved_by_follow_up"],
                                                disclosure.Additivity(group_by="authority")),
           sheet="Potential_CME", title="Potential CME by true status$$note3$$"),
    # What the NHS records of compulsory school age really are (the SAIL study's measure).
    Pooled("nhs_by_status", lambda p, done: tables.with_pooled_rows(
        p.per_la["nhs_by_status"], ["true_status"]), needs_truth=True),
    Pooled("linkage_quality", lambda p, done: accuracy.with_pooled(p.per_la["linkage_quality"]),
           needs_truth=True, summary=True, sheet="Linkage_quality",
           title="Accuracy of each matching method, by source and error$$note5$$"),
    Pooled("method_comparison", lambda p, done: _method_comparison(p.per_la["method_comparison"]),
           needs_truth=True, summary=True, sheet="Methods",
           title="Children left unmatched by each matching method"),
    Pooled("method_comparison", lambda p, done: tables.with_pooled_rows(
        p.per_la["method_comparison"][_COUNTS], ["engine"]), needs_truth=False,
           # an engine's 'All' row is the sum of its LAs' rows
           protect=lambda t: disclosure.protect(t, _COUNTS[2:], disclosure.Additivity(
               row_total="records_in_scope", row_parts=tuple(_COUNTS[3:]), group_by="engine")),
           sheet="Methods", title="Records matched by each method (counts)$$note4$$"),
    Pooled("review_workload", lambda p, done: workload.review_workload(
        done["table_5_1"], p.scenario.review.minutes_per_partial_check,
        p.scenario.review.minutes_per_follow_up),
           protect=protect_workload, sheet="Workload",
           title="Review workload in staff hours$$note4$$"),
    Pooled("published_vs_reproduced", _published, needs_truth=True, sheet="Published",
           title="Published evaluation and this re-run"),
    Pooled("replicate_intervals", lambda p, done: headline_intervals(
        measures_of(done, p.scenario.linkage.engine), p.replicates, p.replicates_parameters),
           needs_truth=True,
           when=lambda p: p.replicates is not None, sheet="Replicates",
           title="Headline figures and the range of replicates on other seeds"),
    # Each source of an LA's own extracts: file, sheets, records, rows rejected, status.
    Pooled("what_was_read", lambda p, done: p.read, needs_truth=False,
           title="What was read from each source"),
    # Every file of an LA's own extracts, read or listed with the reason (no values).
    Pooled("ingest_report", lambda p, done: p.ingest, needs_truth=False,
           title="Files of the inputs that could not be read, and why"),
)
# The order of the sheets (the tables' order above is the order they are made in).
SHEET_ORDER = ("Table_5_1", "Table_5_1_notes", "Table_6_1", "Potential_CME", "Workload",
               "Published", "Methods",
               "Linkage_quality", "Replicates")


def pooled(pooling: Pooling, has_truth: bool) -> dict[str, pd.DataFrame]:
    """Every table of the report, exact, with its pooled rows, in the registry's order."""
    done: dict[str, pd.DataFrame] = {}
    for out in POOLED:
        if applies(out.needs_truth, has_truth) and out.when(pooling):
            done[out.name] = out.make(pooling, done)
    return done


def released(scenario: Scenario, exact: dict[str, pd.DataFrame], has_truth: bool
             ) -> dict[str, pd.DataFrame]:
    """The tables as they may be released: each through its disclosure rule when the run is
    protected (real data, or asked to), unchanged otherwise."""
    if not scenario.report.protect:
        return dict(exact)
    rules = {o.name: o.protect for o in POOLED if applies(o.needs_truth, has_truth)}
    return {name: protect(t) if (protect := rules.get(name)) else t for name, t in exact.items()}


def sheets(has_truth: bool, tables: dict[str, pd.DataFrame]) -> list[tuple[str, str, str]]:
    """(sheet name, title, table) of every table made that has a sheet, in ``SHEET_ORDER``."""
    found = {o.sheet: (o.sheet, o.title, o.name) for o in POOLED
             if o.sheet and applies(o.needs_truth, has_truth) and o.name in tables}
    return [found[s] for s in SHEET_ORDER if s in found]


# -- figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drawing:
    """What the figures are drawn from: the exact pooled tables and every outcome's score."""

    scenario: Scenario
    exact: dict[str, pd.DataFrame]
    scores: pd.DataFrame
    threshold: float  # the partial-match weight of the spec that classified


@dataclass(frozen=True)
class FigureOutput:
    name: str  # figures/NAME.png
    draw: Callable[[Drawing], Figure]
    needs_truth: bool | None = BOTH


FIGURES = (
    FigureOutput("outcomes_by_authority",
                 lambda d: figures.outcomes_by_authority(d.exact["table_5_1"])),
    FigureOutput("published_vs_reproduced",
                 lambda d: figures.published_vs_reproduced(d.exact["published_vs_reproduced"]),
                 needs_truth=True),
    FigureOutput("potential_cme_by_true_status",
                 lambda d: figures.potential_cme_by_status(pooled_rows(
                     d.exact["potential_cme_breakdown"])), needs_truth=True),
    FigureOutput("score_distribution", lambda d: figures.score_distribution(
        d.scores, d.threshold)),
    FigureOutput("precision_recall",
                 lambda d: figures.precision_recall(d.exact["linkage_quality"]),
                 needs_truth=True),
)


def draw_figures(drawing: Drawing, has_truth: bool, folder: Path) -> dict[str, Path]:
    """Every figure that applies, saved as folder/NAME.png."""
    return {f.name: figures.save_png(f.draw(drawing), folder / f"{f.name}.png")
            for f in FIGURES if applies(f.needs_truth, has_truth)}


def pooled_rows(table: pd.DataFrame) -> pd.DataFrame:
    """A table's rows for all authorities together."""
    return table[table["authority"] == ALL_AUTHORITIES]
