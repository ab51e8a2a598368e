"""Every report output of a run, from the pooled per-LA tables: CSVs, figures, spreadsheets,
the HTML report and the manifest. Published tables (5.1, 6.1, the potential-CME breakdown and
the review workload) go through disclosure control when the run is marked as real data."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from cme_eval.config import Scenario
from cme_eval.evaluate import accuracy, published, tables, workload
from cme_eval.fileio import write_csv
from cme_eval.report import disclosure, figures, html, labels, spreadsheets
from cme_eval.report.manifest import write_manifest
from cme_eval.inputs.schema import ALL_AUTHORITIES, TOTAL

PER_LA_TABLES = ("table_5_1", "table_6_1", "potential_cme_breakdown", "linkage_quality",
                 "method_comparison")
T51_COUNTS = ["received", "perfect_match", "partial_match", "not_matched", "out_of_scope"]
T61_COUNTS = ["cme_known_before", "cme_known_after", "potential_cme_identified"]
def _readable(sections: list[html.Section]) -> list[html.Section]:
    """Every table of the report in words and formatted numbers (the CSVs keep machine names)."""
    return [replace(s, tables=tuple((c, labels.for_reading(t)) for c, t in s.tables))
            for s in sections]


NOTES = pd.DataFrame({
    "Note number": ["note1", "note2", "note3", "note4", "note5"],
    "Note text": [
        "Each record received has exactly one outcome: received = perfect + partial + not "
        "matched + out of scope, for every row.",
        "Out of scope: outside compulsory school age on the NHS extract date.",
        "Potential CME: NHS records in scope that matched nothing the LA holds.",
        "Synthetic data: counts are exact unless the run applies disclosure control, when "
        "counts of 1-4 show as [c] and the rest are rounded to the nearest 5.",
        "Judged against the synthetic truth, which a real evaluation does not have. 'Lost "
        "before comparison': true partners that no blocking pass brought together.",
    ],
})


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


def _protected(scenario: Scenario, outputs: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The published tables as they may be released (unchanged for synthetic runs)."""
    if not scenario.report.protect:
        return outputs
    out = dict(outputs)
    out["table_5_1"] = disclosure.protect(outputs["table_5_1"], T51_COUNTS, disclosure.Additivity(
        row_total="received", row_parts=tuple(T51_COUNTS[1:]), group_by="authority",
        label_column="source", total_label=TOTAL))
    out["table_6_1"] = disclosure.protect(outputs["table_6_1"], T61_COUNTS,
                                          disclosure.Additivity())
    out["potential_cme_breakdown"] = disclosure.protect(
        outputs["potential_cme_breakdown"], ["potential_cme", "resolved_by_follow_up"],
        disclosure.Additivity(group_by="authority"))
    out["review_workload"] = protected_workload(outputs["review_workload"])
    return out


def protected_workload(workload_table: pd.DataFrame) -> pd.DataFrame:
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


def pooled_tables(scenario: Scenario, per_la: dict[str, pd.DataFrame]
                  ) -> dict[str, pd.DataFrame]:
    """Every table of the report, exact, with its pooled rows: from the per-LA tables of the
    evaluate stage (also what a replicate of ``cme-eval replicate`` measures)."""
    t51 = tables.table_5_1([per_la["table_5_1"]])
    t61 = tables.table_6_1([per_la["table_6_1"]])
    return {
        "table_5_1": t51,
        "table_6_1": t61,
        "potential_cme_breakdown": _breakdown(per_la["potential_cme_breakdown"]),
        "linkage_quality": accuracy.with_pooled(per_la["linkage_quality"]),
        "method_comparison": _method_comparison(per_la["method_comparison"]),
        "review_workload": workload.review_workload(
            t51, scenario.review.minutes_per_partial_check,
            scenario.review.minutes_per_follow_up),
        "published_vs_reproduced": published.compare(
            t51, t61, scenario.scale, authorities=tuple(scenario.authorities),
            subset=tuple(scenario.report.published_subset)),
    }


def write_outputs(scenario: Scenario, out: Path, per_la: dict[str, pd.DataFrame],
                  scores: pd.DataFrame, replicates: pd.DataFrame | None = None
                  ) -> dict[str, pd.DataFrame]:
    """``replicates``: a replicate summary of the same run (``cme-eval run --replicates-from``):
    the published comparison then says whether each published value lies within the
    replicates' range, and the report shows that range beside its headline figures."""
    outputs = pooled_tables(scenario, per_la)
    if replicates is not None:
        from cme_eval.uncertainty.replicates import (
            headline_intervals,
            measures_of,
            with_replicate_interval,
        )

        outputs["published_vs_reproduced"] = with_replicate_interval(
            outputs["published_vs_reproduced"], replicates)
        outputs["replicate_intervals"] = headline_intervals(
            measures_of(outputs, scenario.linkage.engine), replicates)
    t51 = outputs["table_5_1"]
    released = _protected(scenario, outputs)
    for name, frame in released.items():
        write_csv(frame, out / f"{name}.csv", float_format="%.6f")

    fig_dir = out / "figures"
    pooled_status = outputs["potential_cme_breakdown"].query("authority == @ALL_AUTHORITIES")
    figs = {
        "outcomes_by_authority": figures.outcomes_by_authority(t51),
        "published_vs_reproduced": figures.published_vs_reproduced(
            outputs["published_vs_reproduced"]),
        "potential_cme_by_true_status": figures.potential_cme_by_status(pooled_status),
        "score_distribution": figures.score_distribution(scores,
                                                         scenario.linkage.partial_min_weight),
        "precision_recall": figures.precision_recall(outputs["linkage_quality"]),
    }
    paths = {name: figures.save_png(fig, fig_dir / f"{name}.png") for name, fig in figs.items()}

    scope = f"{covered(scenario.authorities)[:1].upper()}{covered(scenario.authorities)[1:]}, Wales"
    sheets = [spreadsheets.Sheet(name, title, released[key], scope=scope)
              for name, title, key in (
        ("Table_5_1", "Records received and matched, by authority and source"
         "$$note1$$$$note2$$$$note4$$", "table_5_1"),
        ("Table_6_1", "Potential children missing education, by authority$$note3$$",
         "table_6_1"),
        ("Potential_CME", "Potential CME by true status$$note3$$", "potential_cme_breakdown"),
        ("Workload", "Review workload in staff hours", "review_workload"),
        ("Published", "Published evaluation and this re-run", "published_vs_reproduced"),
        ("Methods", "Children left unmatched by each matching method", "method_comparison"),
        ("Linkage_quality", "Accuracy of each matching method, by source and error$$note5$$",
         "linkage_quality"),
        *((("Replicates", "Headline figures and the range of replicates on other seeds",
            "replicate_intervals"),) if "replicate_intervals" in released else ()),
    )]
    sheets = [replace(s, table=labels.relabelled(s.table)) for s in sheets]
    title = f"CME database pilot: evaluation re-run ({scenario.name})"
    intro = [f"Scenario {scenario.name}: {covered(scenario.authorities)}, "
             f"{_size(scenario.scale)}, seed {scenario.seed}."]
    spreadsheets.write_xlsx(out / "tables.xlsx", sheets, title, intro, NOTES)
    spreadsheets.write_ods(out / "tables.ods", sheets, title, intro)

    (out / "report.html").write_text(
        build_report(scenario, released, outputs, paths), encoding="utf-8")
    write_manifest(scenario, out)
    return released


def _pct(x: float) -> str:
    return f"{x:.1%}"


def covered(authorities) -> str:
    """The LAs a run covers, in words: 'the seven pilot local authorities', 'Powys', 'Cardiff
    and Powys', or '12 local authorities'."""
    from cme_eval.wales import PILOT_AUTHORITIES

    names = list(authorities)
    if set(names) == set(PILOT_AUTHORITIES):
        return "the seven pilot local authorities"
    if len(names) <= 3:
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"{len(names)} local authorities"


def _size(scale: float) -> str:
    return "at full size" if scale == 1 else f"at {scale:.0%} of full size"


def coverage(scenario: Scenario, received: int) -> str:
    """What the published tables cover and what this run covers, in one sentence for the
    report's first paragraph: the published counts are of five unnamed LAs, a re-run of all
    seven is about twice their size, and a reader must not set the two side by side."""
    from cme_eval.evaluate.subset import PUBLISHED_SUBSET_FACTS as facts

    subset = list(scenario.report.published_subset)
    run = (f"this re-run covers {covered(scenario.authorities)} ({received:,} records "
           f"received, {_size(scenario.scale)})")
    published_part = (f"The published Tables 5.1 and 6.1 rest on {facts.n_las} of the seven "
                      f"pilot LAs, never named ({facts.total_received.low:,.0f} records "
                      f"received); {run}.")
    if subset and set(subset) <= set(scenario.authorities) and scenario.scale == 1:
        return (f"{published_part} Its counts are set beside the published ones on the five "
                f"LAs those tables most likely rest on ({', '.join(subset)}: an inference "
                "from the sizes the report states, see docs/reporting_subset.md), its shares "
                "on everything it covers.")
    return f"{published_part} So only shares, not counts, are compared with the publication."


def build_report(scenario: Scenario, released: dict[str, pd.DataFrame],
                 exact: dict[str, pd.DataFrame], figs: dict[str, Path]) -> str:
    """A narrative a policy reader can follow; numbers in the text come from the exact
    tables only for synthetic runs (real runs quote the released, protected tables)."""
    t51 = exact["table_5_1"]
    pooled = t51[(t51.authority == ALL_AUTHORITIES) & (t51.source == TOTAL)].iloc[0]
    rec = pooled.received
    comparison = exact["published_vs_reproduced"]
    applicable = comparison[comparison["applicable"]]
    within = int(applicable["within_tolerance"].astype(bool).sum())
    methods = exact["method_comparison"].query("authority == @ALL_AUTHORITIES").set_index("engine")
    main_engine = scenario.linkage.engine
    breakdown = exact["potential_cme_breakdown"].query("authority == @ALL_AUTHORITIES")
    missing = breakdown[breakdown.true_status.isin(["missing_known", "missing_unknown"])]
    potential = int(breakdown["potential_cme"].sum())
    workload_all = exact["review_workload"].query("authority == @ALL_AUTHORITIES").iloc[0]
    pub_ok, pub_check = published.published_table_5_1_adds_up()
    quality = exact["linkage_quality"]
    q = quality[(quality.authority == ALL_AUTHORITIES) & (quality.source == TOTAL)
                & (quality.mechanism == "all")].set_index("engine")

    intro = (
        f"This report re-runs the evaluation of the 2025 children missing education (CME) "
        f"database pilot on a synthetic population of {covered(scenario.authorities)} "
        f"(scenario '{scenario.name}', seed {scenario.seed}, {_size(scenario.scale)}). Because the "
        "population is synthetic, we know the truth about every child, so we can say what the "
        "pilot could not: how accurate the matching was and what the unmatched children really "
        "are. " + coverage(scenario, int(rec)),
        f"In summary: of {rec:,} records received, {_pct(pooled.perfect_match / rec)} matched "
        f"perfectly, {_pct(pooled.partial_match / rec)} partially and "
        f"{_pct(pooled.not_matched / rec)} not at all. {within} of {len(applicable)} published "
        "measures that apply to this run are reproduced within their tolerances"
        + (f" ({len(comparison) - len(applicable)} do not apply to it: see the comparison)."
           if len(applicable) < len(comparison) else ".")
        + _ranges(exact.get("replicate_intervals")),
    )
    sections = [
        html.Section(
            "Records received and matched (Table 5.1)",
            ("Every record received has exactly one outcome, so each row adds up: received = "
             "perfect + partial + not matched + out of scope. This was checked for every row "
             "before any table was written.",),
            tables=(("Table 5.1: records received and matched, by authority and source",
                     released["table_5_1"]),),
            figures=(("Share of records received by outcome, per local authority",
                      figs["outcomes_by_authority"],
                      figures.outcomes_alt_text(released["table_5_1"])),),
        ),
        html.Section(
            "The published evaluation beside this re-run",
            (f"The published Table 5.1 does not add up: {pub_check}. So rather than copy it, "
             "this re-run compares the shares the report states in its text, and its counts on "
             "the five LAs where it covers them, and checks that its own table adds up (it "
             f"does). Published reconciles: {'yes' if pub_ok else 'no'}.",
             *not_compared(comparison)),
            tables=(("Published and reproduced measures that apply to this run",
                     applicable_only(comparison)),),
            figures=(("Published and reproduced shares", figs["published_vs_reproduced"]),),
        ),
        html.Section(
            "Potential children missing education (Table 6.1)",
            ("CME known before: records on the LA's CME register. Potential CME identified: "
             "NHS records in scope that matched nothing the LA holds. CME known after: known "
             "before plus the potential CME that the documented follow-up model leaves "
             "unresolved.",),
            tables=(("Table 6.1: potential CME identified, by authority",
                     released["table_6_1"]),),
        ),
        html.Section(
            "What the potential CME really are",
            (f"Of {potential:,} potential CME, {int(missing['potential_cme'].sum()):,} are "
             "children truly missing education. The rest moved away, go to school in a "
             "neighbouring authority or England, attend an independent school that did not "
             "return its list, are home educated without the LA knowing, or live across a "
             "border and were allocated here by postcode.",),
            figures=(("Potential CME by true status, resolved by follow-up or not",
                      figs["potential_cme_by_true_status"],
                      figures.potential_cme_alt_text(released["potential_cme_breakdown"]
                                                     .query("authority == @ALL_AUTHORITIES"))),),
            tables=(("Potential CME by true status (all authorities)",
                     released["potential_cme_breakdown"].query(
                         "authority == @ALL_AUTHORITIES")),),
        ),
        html.Section(
            "How accurate was the matching, and what did the pilot's method miss?",
            (f"Against the truth, this toolkit's matching ({main_engine}) made links with "
             f"precision {q.loc[main_engine, 'precision']:.4f} and recall "
             f"{q.loc[main_engine, 'recall']:.4f}.",
             *(f"The Excel/Power Query method the LAs used leaves "
               f"{int(methods.loc['excel_baseline', 'not_matched']):,} records unmatched, "
               f"against {int(methods.loc[main_engine, 'not_matched']):,}; of its unmatched "
               f"records {int(methods.loc['excel_baseline', 'not_matched_but_known']):,} were "
               "children the LA already held: follow-up work for nothing."
               for _ in [0] if "excel_baseline" in methods.index),),
            tables=(("Children left unmatched by each method (all authorities)",
                     methods.reset_index()),),
            figures=(("Precision and recall per authority and method", figs["precision_recall"]),
                     ("Match weights by outcome", figs["score_distribution"])),
        ),
        html.Section(
            "Review workload",
            (f"Checking {int(workload_all.partial_matches):,} partial matches at "
             f"{scenario.review.minutes_per_partial_check:g} minutes each and following up "
             f"{int(workload_all.unmatched_follow_ups):,} unmatched records at "
             f"{scenario.review.minutes_per_follow_up:g} minutes each would take about "
             f"{workload_all.hours_total:,.0f} staff hours across the authorities. The minutes "
             "per follow-up are calibrated on the evaluation's estimate of nearly 500 hours for "
             "one LA's list of 940 records.",),
            tables=(("Review workload by authority", released["review_workload"]),),
        ),
    ]
    if "replicate_intervals" in exact:
        sections.insert(1, _how_sure(exact["replicate_intervals"], comparison))
    return html.render("CME database pilot: evaluation re-run", intro, _readable(sections))


def _ranges(intervals: pd.DataFrame | None) -> str:
    """A sentence with the replicates' range of the headline counts, or nothing."""
    if intervals is None or intervals.empty:
        return ""
    rows = intervals.set_index("measure")
    parts = [f"{labels.column(m)[:1].lower()}{labels.column(m)[1:]} "
             f"{rows.loc[m, 'this_run']:,.0f} (replicates: "
             f"{rows.loc[m, 'p2_5']:,.0f} to {rows.loc[m, 'p97_5']:,.0f})"
             for m in ("not_matched", "potential_cme_identified", "truly_missing_found",
                       "hours_total") if m in rows.index]
    return (f" Beside the range of {int(rows['n'].iloc[0])} replicates on other seeds (95%): "
            + "; ".join(parts) + ".")


def applicable_only(comparison: pd.DataFrame) -> pd.DataFrame:
    """The comparison as the report shows it: only the measures that apply to the run (the
    CSV keeps every row, with ``applicable`` and the reason in ``note``)."""
    shown = comparison[comparison["applicable"].astype(bool)].drop(columns="applicable")
    return shown if (shown["note"] != "").any() else shown.drop(columns="note")


def not_compared(comparison: pd.DataFrame) -> tuple[str, ...]:
    """One sentence per reason naming the published measures left out of the comparison."""
    left = comparison[~comparison["applicable"].astype(bool)]
    return tuple(
        f"Not compared ({reason}): {'; '.join(group['measure'])}."
        for reason, group in left.groupby("note", sort=False))


def _how_sure(intervals: pd.DataFrame, comparison: pd.DataFrame) -> html.Section:
    """The headline figures beside the range of replicates on other seeds."""
    n = int(intervals["n"].iloc[0]) if len(intervals) else 0
    shares = comparison[comparison["published_in_replicate_interval"].map(
        lambda v: isinstance(v, bool))]
    inside = int(shares["published_in_replicate_interval"].astype(bool).sum())
    def shown(measure: str, v: float) -> str:
        return f"{v:.2%}" if measure in ("precision", "recall") else f"{v:,.0f}"

    table = pd.DataFrame({
        "measure": intervals["measure"].map(labels.column),
        **{c: [shown(m, v) for m, v in zip(intervals["measure"], intervals[c], strict=True)]
           for c in ("this_run", "mean", "p2_5", "p97_5")},
        "n": intervals["n"].astype(int)}).rename(columns={"this_run": "reproduced"})
    return html.Section(
        "How sure are these figures?",
        (f"The same scenario was run on {n} other seeds (cme-eval replicate). The range below "
         "holds 95% of them: a difference between two runs inside it may be chance alone. "
         f"{inside} of the {len(shares)} published measures that apply lie inside the "
         "replicates' range of this re-run.",),
        tables=(("Headline figures and the range of replicates (all authorities)", table),),
    )


# -- an LA's own extracts (no truth) ----------------------------------------------------------

REAL_NOTES = pd.DataFrame({
    "Note number": ["note1", "note2", "note3", "note4"],
    "Note text": [
        NOTES["Note text"][0], NOTES["Note text"][1], NOTES["Note text"][2],
        "Counts of 1-4 show as [c] and the rest are rounded to the nearest 5, unless the run "
        "was made with --no-disclosure-control (then exact, for internal use only).",
    ],
})


def write_outputs_without_truth(scenario: Scenario, out: Path, per_la: dict[str, pd.DataFrame],
                                scores: pd.DataFrame, ingest: pd.DataFrame
                                ) -> dict[str, pd.DataFrame]:
    """The outputs of ``cme-eval evaluate``: only tables that need no truth, protected unless
    the run says otherwise; the report says what is absent and why."""
    from cme_eval.evaluate.without_truth import METHOD_COUNT_COLUMNS, WITHOUT_TRUTH

    t51 = tables.table_5_1([per_la["table_5_1"]])
    t61 = tables.table_6_1([per_la["table_6_1"]])
    methods = tables.with_pooled_rows(per_la["method_comparison"][METHOD_COUNT_COLUMNS],
                                      ["engine"])
    outputs = {
        "table_5_1": t51, "table_6_1": t61, "method_comparison": methods,
        "review_workload": workload.review_workload(
            t51, scenario.review.minutes_per_partial_check,
            scenario.review.minutes_per_follow_up),
    }
    released = dict(outputs)
    if scenario.report.protect:
        released["table_5_1"] = disclosure.protect(t51, T51_COUNTS, disclosure.Additivity(
            row_total="received", row_parts=tuple(T51_COUNTS[1:]), group_by="authority",
            label_column="source", total_label=TOTAL))
        released["table_6_1"] = disclosure.protect(
            t61, [c for c in T61_COUNTS if c in t61], disclosure.Additivity())
        released["method_comparison"] = disclosure.protect(
            methods, METHOD_COUNT_COLUMNS[2:], disclosure.Additivity(
                row_total="records_in_scope", row_parts=tuple(METHOD_COUNT_COLUMNS[3:]),
                group_by="engine"))  # an engine's 'All' row is the sum of its LAs' rows
        released["review_workload"] = protected_workload(outputs["review_workload"])
    for name, frame in released.items():
        write_csv(frame, out / f"{name}.csv", float_format="%.6f")
    write_csv(ingest, out / "ingest_report.csv")

    fig_dir = out / "figures"
    figs = {"outcomes_by_authority": figures.outcomes_by_authority(t51),
            "score_distribution": figures.score_distribution(
                scores, scenario.linkage.partial_min_weight)}
    paths = {name: figures.save_png(fig, fig_dir / f"{name}.png") for name, fig in figs.items()}
    las = ", ".join(scenario.authorities)
    source = f"cme-eval evaluation of {las}'s own extracts"
    sheets = [spreadsheets.Sheet(name, title, released[key], source=source,
                                 scope=f"{las}, Wales") for name, title, key in (
        ("Table_5_1", "Records received and matched, by source$$note1$$$$note2$$$$note4$$",
         "table_5_1"),
        ("Table_6_1", "Potential children missing education$$note3$$$$note4$$", "table_6_1"),
        ("Workload", "Review workload in staff hours$$note4$$", "review_workload"),
        ("Methods", "Records matched by each method (counts)$$note4$$", "method_comparison"),
    )]
    title = f"CME database: evaluation of {las}'s extracts"
    intro = [f"{las}: extracts of {scenario.dates.nhs_extract:%d %B %Y}."]
    about = ("Real data: " + ("published counts apply disclosure control."
                              if scenario.report.protect else
                              "EXACT COUNTS, NOT FOR RELEASE (--no-disclosure-control)."),
             "No record-level data: the working lists are kept apart, in restricted/.",
             "Built by cme-eval; parameters and versions in manifest.json.")
    sheets = [replace(s, table=labels.relabelled(s.table)) for s in sheets]
    spreadsheets.write_xlsx(out / "tables.xlsx", sheets, title, intro, REAL_NOTES, about)
    spreadsheets.write_ods(out / "tables.ods", sheets, title, intro)

    pooled = t51[(t51.authority == ALL_AUTHORITIES) & (t51.source == TOTAL)].iloc[0]
    rec = max(int(pooled.received), 1)
    protected = ("Published counts apply disclosure control: counts of 1-4 show as [c], the "
                 "rest are rounded to the nearest 5." if scenario.report.protect else
                 "Disclosure control is OFF (--no-disclosure-control): exact counts, for "
                 "internal use only, not for release.")
    intro_text = (
        f"This report evaluates the extracts {las} holds and received (NHS extract of "
        f"{scenario.dates.nhs_extract:%d %B %Y}), matched with the toolkit's standard method. "
        f"{_pct(pooled.perfect_match / rec)} of records received matched perfectly, "
        f"{_pct(pooled.partial_match / rec)} partially and {_pct(pooled.not_matched / rec)} not "
        "at all.", protected,
        "There is no truth about these children, so this report cannot say how accurate the "
        "matching was or what the potential CME really are. The LA's working lists (records to "
        "follow up, partial matches to review) are in the run folder's restricted/ folder, "
        "which this report, the manifest and the notebooks never show.")
    sections = [
        html.Section("Records received and matched (Table 5.1)",
                     ("Every record received has exactly one outcome: received = perfect + "
                      "partial + not matched + out of scope.",),
                     tables=(("Table 5.1: records received and matched, by source",
                              released["table_5_1"]),),
                     figures=(("Share of records received by outcome",
                               paths["outcomes_by_authority"]),)),
        html.Section("Potential children missing education (Table 6.1)",
                     ("CME known before: records on the LA's CME register. Potential CME "
                      "identified: NHS records in scope that matched nothing the LA holds.",
                      f"CME known after is not shown: {WITHOUT_TRUTH['cme_known_after']}.",),
                     tables=(("Table 6.1: potential CME identified", released["table_6_1"]),)),
        html.Section("Matching methods compared (counts)",
                     ("Without truth the methods can only be compared by what they match, not by "
                      "how accurately.",),
                     tables=(("Records matched by each method", released["method_comparison"]),),
                     figures=(("Match weights by outcome", paths["score_distribution"]),)),
        html.Section("Review workload",
                     (f"Checking partial matches at {scenario.review.minutes_per_partial_check:g} "
                      "minutes each and following up unmatched records at "
                      f"{scenario.review.minutes_per_follow_up:g} minutes each.",),
                     tables=(("Review workload", released["review_workload"]),)),
        html.Section("Files that could not be read",
                     ("Every file of the inputs is read or listed here with the reason; rows and "
                      "fields are named, never their values.",),
                     tables=(("Ingest report", ingest),) if len(ingest) else ()),
        html.Section("What this run cannot say",
                     tuple(f"{name.replace('_', ' ')}: {why}." for name, why in
                           WITHOUT_TRUTH.items())),
    ]
    (out / "report.html").write_text(html.render(title, intro_text, _readable(sections)),
                                     encoding="utf-8")
    write_manifest(scenario, out)
    return released
