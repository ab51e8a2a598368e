"""The HTML report's words: an introduction and sections, each declared once with what it needs.

Like the tables (``report.outputs``), a run with truth and a run on an LA's own extracts differ
only in which entries apply. Numbers in the text come from the exact tables only when the run
has truth (synthetic); without it they come from the released tables, or are not quoted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from cme_eval import wales
from cme_eval.calibration.free import describe, in_run, setting_value, whole_number
from cme_eval.config import Scenario
from cme_eval.evaluate import published
from cme_eval.evaluate.subset import PUBLISHED_SUBSET_FACTS as FACTS
from cme_eval.evaluate.without_truth import WITHOUT_TRUTH
from cme_eval.inputs.schema import ALL_AUTHORITIES, TOTAL, TRULY_MISSING
from cme_eval.linkage import engines
from cme_eval.report import figures, html, labels
from cme_eval.report.outputs import BOTH, applies, pooled_rows


@dataclass(frozen=True)
class Story:
    """What the report is written from."""

    scenario: Scenario
    released: dict[str, pd.DataFrame]
    exact: dict[str, pd.DataFrame]
    figs: dict[str, Path]
    has_truth: bool


@dataclass(frozen=True)
class Part:
    """One section of the report; ``when``: only if the run made what it shows."""

    write: Callable[[Story], html.Section]
    needs_truth: bool | None = BOTH
    when: Callable[[Story], bool] = lambda story: True


def _pct(x: float) -> str:
    return f"{x:.1%}"


def covered(authorities) -> str:
    """The LAs a run covers, in words: 'the seven pilot local authorities', 'Powys', 'Cardiff
    and Powys', or '12 local authorities'."""
    names = list(authorities)
    if set(names) == set(wales.PILOT_AUTHORITIES):
        return "the seven pilot local authorities"
    if len(names) <= 3:
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"{len(names)} local authorities"


def size(scale: float) -> str:
    return "at full size" if scale == 1 else f"at {scale:.0%} of full size"


def coverage(scenario: Scenario, received: int) -> str:
    """What the published tables cover and what this run covers, in one sentence for the
    report's first paragraph: the published counts are of five unnamed LAs, a re-run of all
    seven is about twice their size, and a reader must not set the two side by side."""
    subset = list(scenario.report.published_subset)
    run = (f"this re-run covers {covered(scenario.authorities)} ({received:,} records "
           f"received, {size(scenario.scale)})")
    published_part = (f"The published Tables 5.1 and 6.1 rest on {FACTS.n_las} of the seven "
                      f"pilot LAs, never named ({FACTS.total_received.low:,.0f} records "
                      f"received); {run}.")
    if subset and set(subset) <= set(scenario.authorities) and scenario.scale == 1:
        return (f"{published_part} Its counts are set beside the published ones on the five "
                f"LAs those tables most likely rest on ({', '.join(subset)}: an inference "
                "from the sizes the report states, see docs/reporting_subset.md), its shares "
                "on everything it covers.")
    return f"{published_part} So only shares, not counts, are compared with the publication."


def _pooled_total(t51: pd.DataFrame) -> pd.Series:
    return t51[(t51.authority == ALL_AUTHORITIES) & (t51.source == TOTAL)].iloc[0]


def _shares(pooled: pd.Series, rec: float) -> str:
    return (f"{_pct(pooled.perfect_match / rec)} matched perfectly, "
            f"{_pct(pooled.partial_match / rec)} partially and "
            f"{_pct(pooled.not_matched / rec)} not at all")


# -- introductions ---------------------------------------------------------------------------


def _intro_synthetic(story: Story) -> tuple[str, ...]:
    s, exact = story.scenario, story.exact
    pooled = _pooled_total(exact["table_5_1"])
    rec = pooled.received
    comparison = exact["published_vs_reproduced"]
    applicable = comparison[comparison["applicable"]]
    within = int(applicable["within_tolerance"].astype(bool).sum())
    return (
        f"This report re-runs the evaluation of the 2025 children missing education (CME) "
        f"database pilot on a synthetic population of {covered(s.authorities)} "
        f"(scenario '{s.name}', seed {s.seed}, {size(s.scale)}). Because the "
        "population is synthetic, we know the truth about every child, so we can say what the "
        "pilot could not: how accurate the matching was and what the unmatched children really "
        "are. " + coverage(s, int(rec)),
        f"In summary: of {rec:,} records received, {_shares(pooled, rec)}. {within} of "
        f"{len(applicable)} published measures that apply to this run are reproduced within "
        "their tolerances"
        + (f" ({len(comparison) - len(applicable)} do not apply to it: see the comparison)."
           if len(applicable) < len(comparison) else ".")
        + _ranges(exact.get("replicate_intervals")),
    )


def _intro_own_extracts(story: Story) -> tuple[str, ...]:
    s = story.scenario
    pooled = _pooled_total(story.exact["table_5_1"])
    rec = max(int(pooled.received), 1)
    protected = ("Published counts apply disclosure control: counts of 1-4 show as [c], the "
                 "rest are rounded to the nearest 5." if s.report.protect else
                 "Disclosure control is OFF (--no-disclosure-control): exact counts, for "
                 "internal use only, not for release.")
    return (
        f"This report evaluates the extracts {las_of(s)} holds and received (NHS extract of "
        f"{s.dates.nhs_extract:%d %B %Y}), matched with the toolkit's standard method. "
        f"{_pct(pooled.perfect_match / rec)} of records received matched perfectly, "
        f"{_pct(pooled.partial_match / rec)} partially and {_pct(pooled.not_matched / rec)} not "
        "at all.",
        protected,
        "There is no truth about these children, so this report cannot say how accurate the "
        "matching was or what the potential CME really are. The LA's working lists (records to "
        "follow up, partial matches to review) are in the run folder's restricted/ folder, "
        "which this report, the manifest and the notebooks never show.")


INTRODUCTIONS = ((_intro_synthetic, True), (_intro_own_extracts, False))


def las_of(scenario: Scenario) -> str:
    return ", ".join(scenario.authorities)


# -- sections --------------------------------------------------------------------------------


def _table_5_1(story: Story) -> html.Section:
    t51 = story.released["table_5_1"]
    notes = story.released["table_5_1_notes"]
    return html.Section(
        "Records received and matched (Table 5.1)",
        ("Every record received has exactly one outcome, so each row adds up: received = "
         "perfect + partial + not matched + out of scope. This was checked for every row "
         "before any table was written.",
         "The second table says what some of those counts hold. A child sent twice in one "
         "extract is one child: the copy takes its twin copy's match and is counted as a "
         "partial match (worth a look), never as a potential CME. A partial match whose "
         "forename differs may be a name the linker does not know, or a sibling: each is for "
         "review. When a reviewer's decisions were given back (--decisions), the pairs they "
         "confirmed are matched (partially, or perfectly when exact) and a record whose "
         "candidate they rejected is not matched, unless another candidate matches it."),
        tables=(("Table 5.1: records received and matched, by authority and source", t51),
                ("Of Table 5.1's counts: copies sent twice, forenames that differ and review "
                 "decisions", notes)),
        figures=(("Share of records received by outcome, per local authority",
                  story.figs["outcomes_by_authority"], figures.outcomes_alt_text(t51)),),
    )


def _published(story: Story) -> html.Section:
    comparison = story.exact["published_vs_reproduced"]
    pub_ok, pub_check = published.published_table_5_1_adds_up()
    return html.Section(
        "The published evaluation beside this re-run",
        (f"The published Table 5.1 does not add up: {pub_check}. So rather than copy it, "
         "this re-run compares the shares the report states in its text, and its counts on "
         "the five LAs where it covers them, and checks that its own table adds up (it "
         f"does). Published reconciles: {'yes' if pub_ok else 'no'}.",
         *not_compared(comparison)),
        tables=(("Published and reproduced measures that apply to this run",
                 applicable_only(comparison)),),
        figures=(("Published and reproduced shares", story.figs["published_vs_reproduced"]),),
    )


def fitted_settings(scenario: Scenario) -> pd.DataFrame:
    """The scenario's free settings as fitted, in words: value, 95% interval, declared prior
    and why."""
    rows = []
    for key, free in scenario.calibration.free.items():
        if not in_run(scenario, key):
            continue
        low, high = scenario.calibration.intervals.get(key, [float("nan")] * 2)
        count = whole_number(key)
        rows.append({"Setting": describe(key),
                     "Fitted": _shown(setting_value(scenario, key), count),
                     "95% interval": f"{_shown(low, count)} to {_shown(high, count)}",
                     "Prior": "" if free.prior is None else _shown(free.prior, count),
                     "Why": free.why})
    return pd.DataFrame(rows, columns=["Setting", "Fitted", "95% interval", "Prior", "Why"])


def _shown(v: float, count: bool) -> str:
    """A count with thousands separators; a share, rate or probability in percent."""
    if v != v:  # not fitted yet
        return "not fitted"
    return f"{v:,.0f}" if count else f"{v:.2%}"


def _how_fitted(story: Story) -> html.Section:
    s = story.scenario
    comparison = story.exact["published_vs_reproduced"]
    targets = comparison[comparison["applicable"].astype(bool)
                         & (comparison["target"] != "table_5_1_adds_up")]
    missed = targets[~targets["within_tolerance"].astype(bool)]
    verdict = (f"All {len(targets)} published figures that apply to this run are reproduced "
               "within what the publication allows." if missed.empty else
               f"{len(targets) - len(missed)} of the {len(targets)} published figures that "
               "apply to this run are reproduced within what the publication allows; not "
               f"reproduced: {'; '.join(missed['measure'])}. The fit is judged on the mean of "
               "five runs of the fitted world; one run varies around it by chance, most in one "
               "LA's shares (an independent school's return, a border school), as the "
               "replicate intervals show.")
    fitted = fitted_settings(s)
    return html.Section(
        "How the synthetic world was fitted",
        (f"The world is fitted by cme-eval calibrate to the published figures of the targets "
         f"file {s.calibration.targets!r} (synthetic/targets/), each with its source and what "
         "the publication allows: a whole percent must round to it, 'just under 9,000' is an "
         "interval. The fit moves only the settings listed below, each within a declared "
         "range and drawn towards a prior; every other setting is a declared reading of a "
         "source.", verdict,
         "The pilot's own matching (Excel Fuzzy Lookup and weeks of manual checking) is "
         f"stood in for by this toolkit's {s.linkage.engine} linker: a declared choice "
         "(the scenario's linkage engine). The fitted world is the one in which that linker "
         "gives the published figures, so what it says about the potential CME rests on that "
         "choice."),
        tables=(("Settings fitted to the published figures, with their 95% intervals",
                 fitted),) if len(fitted) else (),
    )


def _table_6_1(story: Story) -> html.Section:
    t61 = story.released["table_6_1"]
    after = ("CME known after: known before plus the potential CME that the documented "
             "follow-up model leaves unresolved." if "cme_known_after" in t61 else
             f"CME known after is not shown: {WITHOUT_TRUTH['cme_known_after']}.")
    return html.Section(
        "Potential children missing education (Table 6.1)",
        ("CME known before: records on the LA's CME register. Potential CME identified: "
         "NHS records in scope that matched nothing the LA holds.", after),
        tables=(("Table 6.1: potential CME identified, by authority", t61),),
    )


def _what_potential_cme_are(story: Story) -> html.Section:
    breakdown = pooled_rows(story.exact["potential_cme_breakdown"])
    missing = breakdown[breakdown.true_status.isin(TRULY_MISSING)]
    released = pooled_rows(story.released["potential_cme_breakdown"])
    return html.Section(
        "What the potential CME really are",
        (f"Of {int(breakdown['potential_cme'].sum()):,} potential CME, "
         f"{int(missing['potential_cme'].sum()):,} are "
         "children truly missing education. The rest moved away, go to school in a "
         "neighbouring authority or England, attend an independent school that did not "
         "return its list, are home educated without the LA knowing, or live across a "
         "border and were allocated here by postcode.",),
        figures=(("Potential CME by true status, resolved by follow-up or not",
                  story.figs["potential_cme_by_true_status"],
                  figures.potential_cme_alt_text(released)),),
        tables=(("Potential CME by true status (all authorities)", released),),
    )


def _twins_merged(total: pd.Series) -> tuple[str, ...]:
    """A sentence on links to the child's own twin, when the truth says who is a twin."""
    merged, alike = pd.to_numeric(total[["twins_merged", "twins_merged_alike"]])
    if pd.isna(merged):
        return ()
    return (f"It linked {int(merged):,} records to the record of the child's own twin; in "
            f"{int(alike):,} of them the twins share a forename, surname and date of birth in "
            "some record, so nothing in the records told them apart.",)


def _accuracy(story: Story) -> html.Section:
    main = story.scenario.linkage.engine
    quality = story.exact["linkage_quality"]
    q = quality[(quality.authority == ALL_AUTHORITIES) & (quality.source == TOTAL)
                & (quality.mechanism == "all")].set_index("engine")
    methods = pooled_rows(story.exact["method_comparison"]).set_index("engine")
    return html.Section(
        "How accurate was the matching, and what did the pilot's method miss?",
        (f"Against the truth, this toolkit's matching ({main}) made links with "
         f"precision {q.loc[main, 'precision']:.4f} and recall {q.loc[main, 'recall']:.4f}.",
         *_twins_merged(q.loc[main]),
         *(f"{engines.get(name).label} leaves "
           f"{int(methods.loc[name, 'not_matched']):,} records unmatched, "
           f"against {int(methods.loc[main, 'not_matched']):,}; of its unmatched "
           f"records {int(methods.loc[name, 'not_matched_but_known']):,} were "
           "children the LA already held: follow-up work for nothing."
           for name in methods.index if engines.get(name).used_in_pilot and name != main)),
        tables=(("Children left unmatched by each method (all authorities)",
                 methods.reset_index()),),
        figures=(("Precision and recall per authority and method",
                  story.figs["precision_recall"]),
                 ("Match weights by outcome", story.figs["score_distribution"])),
    )


def _methods_counted(story: Story) -> html.Section:
    return html.Section(
        "Matching methods compared (counts)",
        ("Without truth the methods can only be compared by what they match, not by how "
         "accurately.",),
        tables=(("Records matched by each method", story.released["method_comparison"]),),
        figures=(("Match weights by outcome", story.figs["score_distribution"]),))


def _workload(story: Story) -> html.Section:
    review = story.scenario.review
    every = pooled_rows(story.exact["review_workload"]).iloc[0]
    return html.Section(
        "Review workload",
        (f"Checking {int(every.partial_matches):,} partial matches at "
         f"{review.minutes_per_partial_check:g} minutes each and following up "
         f"{int(every.unmatched_follow_ups):,} unmatched records at "
         f"{review.minutes_per_follow_up:g} minutes each would take about "
         f"{every.hours_total:,.0f} staff hours across the authorities. The minutes "
         "per follow-up are calibrated on the evaluation's estimate of nearly 500 hours for "
         "one LA's list of 940 records.",),
        tables=(("Review workload by authority", story.released["review_workload"]),),
    )


def _workload_counts_withheld(story: Story) -> html.Section:
    review = story.scenario.review
    return html.Section(
        "Review workload",
        (f"Checking partial matches at {review.minutes_per_partial_check:g} minutes each and "
         f"following up unmatched records at {review.minutes_per_follow_up:g} minutes each.",),
        tables=(("Review workload", story.released["review_workload"]),))


def _what_was_read(story: Story) -> html.Section:
    read = story.exact["what_was_read"]
    missing = read[~read["status"].isin(["read", "not held (optional)"]) | read["note"].ne("")]
    said = (f"{len(missing)} of them need attention: a source not read or without records "
            "is matched against as if it held no records, so the children it would have "
            "matched count as not matched." if len(missing) else
            "Every source was read.")
    return html.Section(
        "What was read",
        ("For each of the LA's sources and its folder of independent school returns: the file, "
         "the sheets, the records read, the rows rejected (each one is in the ingest report "
         "below, by line) and the status. " + said,),
        tables=(("What was read", read),))


def _ingest(story: Story) -> html.Section:
    ingest = story.exact["ingest_report"]
    return html.Section(
        "Files that could not be read",
        ("Every file of the inputs is read or listed here with the reason; rows and fields are "
         "named, never their values.",),
        tables=(("Ingest report", ingest),) if len(ingest) else ())


def _cannot_say(story: Story) -> html.Section:
    return html.Section("What this run cannot say",
                        tuple(f"{name.replace('_', ' ')}: {why}."
                              for name, why in WITHOUT_TRUTH.items()))


def _how_sure(story: Story) -> html.Section:
    """The headline figures beside the range of replicates on other seeds."""
    intervals = story.exact["replicate_intervals"]
    comparison = story.exact["published_vs_reproduced"]
    n = int(intervals["n"].iloc[0]) if len(intervals) else 0
    shares = comparison[comparison["published_in_replicate_interval"].map(
        lambda v: isinstance(v, bool))]
    inside = int(shares["published_in_replicate_interval"].astype(bool).sum())

    def shown(measure: str, v: float) -> str:
        return f"{v:.2%}" if measure in ("precision", "recall") else f"{v:,.0f}"

    drawn = "p2_5_parameters" in intervals
    columns = ("this_run", "mean", "p2_5", "p97_5",
               *(("p2_5_parameters", "p97_5_parameters") if drawn else ()))
    table = pd.DataFrame({
        "measure": intervals["measure"].map(labels.column),
        **{c: [shown(m, v) for m, v in zip(intervals["measure"], intervals[c], strict=True)]
           for c in columns},
        "n": intervals["n"].astype(int)}).rename(columns={
            "this_run": "reproduced", "p2_5": "chance: 2.5%", "p97_5": "chance: 97.5%",
            "p2_5_parameters": "chance and fit: 2.5%",
            "p97_5_parameters": "chance and fit: 97.5%"})
    fit = (("The same seeds were also run with every fitted setting drawn from its 95% "
            "interval (cme-eval replicate --parameter-draws). The second range holds chance "
            "and the uncertainty of the fit together; where it is wider than the first, "
            "what the published figures leave open about the world matters as much as "
            "chance.",) if drawn else
           ("These ranges hold chance only: the fitted settings were fixed at their fitted "
            "values (cme-eval replicate --parameter-draws adds their uncertainty).",))
    return html.Section(
        "How sure are these figures?",
        (f"The same scenario was run on {n} other seeds (cme-eval replicate). The range below "
         "holds 95% of them: a difference between two runs inside it may be chance alone. "
         f"{inside} of the {len(shares)} published measures that apply lie inside the "
         "replicates' range of this re-run.", *fit),
        tables=(("Headline figures and the range of replicates (all authorities)", table),),
    )


PARTS = (
    Part(_table_5_1),
    Part(_how_sure, needs_truth=True, when=lambda story: "replicate_intervals" in story.exact),
    Part(_published, needs_truth=True),
    Part(_how_fitted, needs_truth=True,
         when=lambda story: bool(story.scenario.calibration.targets)),
    Part(_table_6_1),
    Part(_what_potential_cme_are, needs_truth=True),
    Part(_accuracy, needs_truth=True),
    Part(_methods_counted, needs_truth=False),
    Part(_workload, needs_truth=True),
    Part(_workload_counts_withheld, needs_truth=False),
    Part(_what_was_read, needs_truth=False),
    Part(_ingest, needs_truth=False),
    Part(_cannot_say, needs_truth=False),
)


def report_html(story: Story, title: str) -> str:
    """The report: the introduction and every section that applies, tables in words."""
    intro = next(write for write, truth in INTRODUCTIONS if truth == story.has_truth)(story)
    sections = [part.write(story) for part in PARTS
                if applies(part.needs_truth, story.has_truth) and part.when(story)]
    return html.render(title, intro, _readable(sections))


def _readable(sections: list[html.Section]) -> list[html.Section]:
    """Every table of the report in words and formatted numbers (the CSVs keep machine names)."""
    return [replace(s, tables=tuple((c, labels.for_reading(t)) for c, t in s.tables))
            for s in sections]


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
    shown = comparison[comparison["applicable"].astype(bool)].drop(
        columns=["applicable", "target"], errors="ignore")
    return shown if (shown["note"] != "").any() else shown.drop(columns="note")


def not_compared(comparison: pd.DataFrame) -> tuple[str, ...]:
    """One sentence per reason naming the published measures left out of the comparison."""
    left = comparison[~comparison["applicable"].astype(bool)]
    return tuple(
        f"Not compared ({reason}): {'; '.join(group['measure'])}."
        for reason, group in left.groupby("note", sort=False))
