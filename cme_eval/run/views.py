"""What the notebooks show: the stages' tables in words for people, the link's blocking plan,
explanations of two example pairs, and the figures a run wrote.

The committed notebooks only call these and display what they return, so a notebook stays a
few lines per cell and nbval compares outputs that come out the same on every machine: tables
render without a row index (``Table``), and nothing shown names a record, a path or a time.
Explanations show comparison levels and weights only, never a record's values or ids: the same
notebooks run on an LA's own extracts (``cme-eval evaluate``).
"""

from __future__ import annotations

import html
import io
import json
from dataclasses import replace
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from cme_eval.evaluate.without_truth import WITHOUT_TRUTH
from cme_eval.fileio import read_csv
from cme_eval.inputs.schema import MATCHED_AGAINST, NOT_MATCHED, PARTIAL, RECEIVED_SOURCES
from cme_eval.linkage import LinkSpec, engines, estimation, prepare_sources, spec_from_settings
from cme_eval.linkage.blocking import plan as plan_blocking
from cme_eval.linkage.central import central_spec
from cme_eval.linkage.classify import pair_weights
from cme_eval.linkage.explain import comparison_weights, explain_pair, waterfall
from cme_eval.report import labels, outputs
from cme_eval.run.stages import DIAGNOSTICS, compare_engines, linked_records
from cme_eval.run.stages import shown as stage_table

NEAR_MISS = "A near miss"
PARTIAL_MATCH = "A partial match"
# Scores in outcomes.csv are written with 4 decimals: an explanation whose weights add up to
# the recorded score within this is the pair as the link weighed it.
SAME_SCORE = 0.001
# Records of each kind tried, in order, before an example is given up on.
TRIED = 25
NAN = float("nan")  # a pass that made no pairs because it was not used


class Table:
    """A table as a notebook shows it: words for people, no row index, and the same HTML and
    text on every run (nbval compares both)."""

    def __init__(self, frame: pd.DataFrame, caption: str = ""):
        self.frame, self.caption = frame, caption

    def _repr_html_(self) -> str:
        head = f"<p><strong>{html.escape(self.caption)}</strong></p>\n" if self.caption else ""
        return head + self.frame.to_html(index=False, border=0, escape=True)

    def __repr__(self) -> str:
        body = self.frame.to_string(index=False)
        return f"{self.caption}\n{body}" if self.caption else body


# -- tables in words -------------------------------------------------------------------------


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """Every cell as a person reads it (``labels.for_reading``), engines by their labels, and
    the notebooks' own headings (``labels.heading``)."""
    table = table.reset_index(drop=True)
    out = labels.for_reading(_shares_by_measure(table))
    if "engine" in table:
        out[labels.column("engine")] = [labels.engine(e) for e in table["engine"]]
    out.columns = [labels.heading(c) for c in table.columns]
    return out


SHARE_MEASURES = ("precision", "recall", "f1 score")


def _shares_by_measure(table: pd.DataFrame) -> pd.DataFrame:
    """A table with a row per measure (replicates, sensitivity): the rows of a share (precision,
    recall, '... share ...') as percentages in every numeric column ``for_reading`` does not
    format by measure itself."""
    if "measure" not in table:
        return table
    measure = table["measure"].astype(str).str.lower()
    rows = measure.isin(SHARE_MEASURES) | measure.str.contains("share")
    skip = {"published", "reproduced", "difference", "tolerance", "n"}
    out = table.copy()
    for c in out.columns:
        if c not in skip and pd.api.types.is_float_dtype(out[c]) and rows.any():
            out[c] = out[c].astype(object)
            out.loc[rows, c] = out.loc[rows, c].map(lambda v: "" if pd.isna(v) else f"{v:.2%}")
    return out


def table(frame: pd.DataFrame, caption: str = "") -> Table:
    """A stage's table ready to display (``readable``, no row index)."""
    return Table(readable(frame), caption)


def shown(tables: dict[str, pd.DataFrame], name: str, *, pooled: bool = False) -> Table:
    """``stages.shown`` (a table of a stage's result, or a note why it is not there), in words."""
    return table(stage_table(tables, name, pooled=pooled))


def la_tables(run, result: dict[str, pd.DataFrame]) -> list[Table]:
    """Every table the evaluate stage made for one LA (``report.outputs.PER_LA``, the working
    lists aside), in the registry's order; a run without truth gets a note for each table it
    cannot make."""
    made = [Table(readable(result[o.name]), _caption(o.name, run.has_truth))
            for o in outputs.per_la(run.has_truth) if not o.working_list and o.name in result]
    return made + _absent(run, [o.name for o in outputs.PER_LA])


def _caption(name: str, has_truth: bool) -> str:
    """A table's title: that of the report table it is pooled into."""
    return next((o.caption for o in outputs.POOLED
                 if o.name == name and outputs.applies(o.needs_truth, has_truth)),
                labels.heading(name))


def report_tables(run, tables: dict[str, pd.DataFrame]) -> list[Table]:
    """Every table the compile stage made (``report.outputs.POOLED``), in the registry's order,
    each under its title (summary rows only where the registry says so); a run without truth
    gets a note for each table it cannot make."""
    made = []
    for out in outputs.POOLED:
        if outputs.applies(out.needs_truth, run.has_truth) and out.name in tables:
            made.append(Table(readable(stage_table(tables, out.name, pooled=out.summary)),
                              out.caption))
    return made + _absent(run, [o.name for o in outputs.POOLED])


def _absent(run, names: list[str]) -> list[Table]:
    """A one-line note for each table a run without truth cannot make, saying why."""
    if run.has_truth:
        return []
    return [Table(pd.DataFrame({"Not in this run": [why]}), _caption(name, True))
            for name, why in WITHOUT_TRUTH.items() if name in names]


def display_all(items: list[Table]) -> None:
    """Display tables one after the other in a notebook."""
    from IPython.display import display  # notebooks only

    for item in items:
        display(item)


def about(run, authority: str | None = None) -> Table:
    """What a notebook runs on: the scenario, its authorities (or the one given), seed, scale."""
    las = [authority] if authority else list(run.scenario.authorities)
    return Table(pd.DataFrame({
        "Scenario": [run.scenario.name],
        "Local authority" if len(las) == 1 else "Local authorities": [", ".join(las)],
        "Seed": [run.scenario.seed], "Scale": [f"{run.scenario.scale:g}"],
        "Data": ["synthetic" if run.has_truth else "the LA's own extracts"]}))


def generated(counts: pd.DataFrame) -> Table:
    """What the generate stage returns (records per dataset), the datasets named in words."""
    return table(counts.assign(dataset=counts["dataset"].map(labels.dataset)))


def linked(summary: pd.DataFrame) -> Table:
    """What the link stage returns (outcomes per received source), in words."""
    out = summary.rename_axis("source").reset_index()
    return table(out.rename(columns={c: labels.outcome(c) for c in summary.columns}))


# -- the engine and the blocking plan --------------------------------------------------------


def engine_label(name: str) -> str:
    """An engine as people name it ('recordlinkage (Fellegi-Sunter)')."""
    return labels.engine(name)


def engine_used(run) -> str:
    """One line: the engine whose outcomes the run's tables hold, and any run beside it."""
    line = f"Matching method: {engine_label(run.scenario.linkage.engine)}."
    others = [engine_label(e) for e in compare_engines(run)]
    if others:
        line += f" Run beside it for comparison only: {'; '.join(others)}."
    return line


def _spec(run):
    """The link spec the link stage uses for the run's scenario."""
    spec = getattr(run, "spec", None)  # Run.spec, where the run has it
    return spec if spec is not None else spec_from_settings(
        run.scenario.linkage, run.scenario.shared_identifiers())


def _diagnostics(run, authority: str) -> list[tuple[str, dict, LinkSpec]]:
    """(whose records, diagnostics entry, spec its passes came from) for every link the run's
    main engine made for the LA: its own, and the central one first under central matching."""
    run.require("link", authority)
    spec = _spec(run)
    entries = []
    central_file = run.run_dir / "central" / DIAGNOSTICS
    if run.scenario.cross_border.central_matching and central_file.is_file():

        for entry in json.loads(central_file.read_text(encoding="utf-8")):
            entries.append((f"{labels.dataset('nwssp')}, matched centrally against all-Wales "
                            "PLASC", entry, central_spec(spec)))
    for entry in json.loads((run.la_dir(authority) / DIAGNOSTICS).read_text(encoding="utf-8")):
        entries.append((labels.dataset(entry["source"]), entry, spec))
    return entries


def _on(columns) -> str:
    return " + ".join(labels.field(c) for c in columns)


def passes_of(entry: dict, declared: tuple[tuple[str, ...], ...], budget: int
              ) -> list[tuple[str, float, str]]:
    """Each declared blocking pass and what became of it in one link, from its diagnostics
    entry: (the columns it blocked on, its counted pairs or NaN, what happened)."""
    kept = [tuple(p) for p in entry["passes"]]
    counts = dict(zip(kept, entry["pair_counts"], strict=True))
    useless = set(entry["uninformative"])
    rows, seen = [], set()
    for rule in declared:
        reduced = tuple(c for c in rule if c not in useless)
        dropped = [c for c in rule if c in useless]
        without = f" without {_on(dropped)} (uninformative)" if dropped else ""
        if not reduced:
            rows.append((_on(rule), NAN, "left out: every column uninformative"))
        elif reduced in seen:
            rows.append((_on(rule), NAN, f"left out: the same as an earlier pass{without}"))
        elif reduced in counts:
            rows.append((_on(reduced), counts[reduced], f"used{without}"))
        else:
            refined = [p for p in kept if len(p) == len(reduced) + 1 and p[:-1] == reduced
                       and p not in seen]
            if refined:
                rows.append((_on(refined[0]), counts[refined[0]],
                             f"refined with {labels.field(refined[0][-1])} to fit the budget of "
                             f"{budget:,} pairs{without}"))
                seen.add(refined[0])
            else:
                rows.append((_on(reduced), NAN,
                             f"skipped: over the budget of {budget:,} pairs{without}"))
        seen.add(reduced)
    rows += [(_on(p), counts[p], "used") for p in kept if p not in seen]
    return rows


def blocking_plan(run, authority: str) -> pd.DataFrame:
    """The blocking passes of the LA's link as its diagnostics record them: per received source,
    each declared pass with its counted candidate pairs and what became of it (used, refined,
    skipped, left out). Counts and column names only."""
    budget = run.scenario.linkage.max_candidate_pairs
    rows = []
    for who, entry, spec in _diagnostics(run, authority):
        for i, (on, pairs, what) in enumerate(passes_of(entry, spec.blocking, budget), 1):
            rows.append({"source": who, "blocking_pass": i, "blocked_on": on,
                         "candidate_pairs": pairs, "what_happened": what})
    columns = ["source", "blocking_pass", "blocked_on", "candidate_pairs", "what_happened"]
    return readable(pd.DataFrame(rows, columns=columns))


def blocking_summary(run, authority: str) -> pd.DataFrame:
    """Per link of the LA: records on each side, the columns left out as uninformative, and
    where the m and u probabilities came from."""
    rows = [{"source": who, "engine": entry["engine"],
             "records_received": entry["left_records"], "records_held": entry["right_records"],
             "candidate_pairs": sum(entry["pair_counts"]),
             "columns_left_out": ", ".join(labels.field(c) for c in entry["uninformative"])
             or "none",
             "m_and_u": entry["parameters"]}
            for who, entry, _ in _diagnostics(run, authority)]
    return readable(pd.DataFrame(rows, columns=["source", "engine", "records_received",
                                                "records_held", "candidate_pairs",
                                                "columns_left_out", "m_and_u"]))


def blocking(run, authority: str) -> list[tuple[str, pd.DataFrame]]:
    """The blocking plan and the links' summary, captioned, for ``show``."""
    return [("Blocking passes, per received source", blocking_plan(run, authority)),
            ("Each link: records, candidate pairs, what was left out",
             blocking_summary(run, authority))]


# -- explanations ----------------------------------------------------------------------------


def _weighed_pairs(run, authority: str, source: str, prepared: dict, record_ids):
    """Candidate pairs of some of the source's records (``record_ids``), weighed as the link
    weighed them: (those records, right, levels, weighing spec, total weight per pair).

    The blocking plan is the whole link's (made from every record) and the m and u are those
    the link recorded in its diagnostics, so a pair's weight is the one the link gave it; only
    these records' pairs are scored, not the LA's. Levels from the package's default engine:
    every pair-scoring engine gives the same levels."""
    left = prepared[source]
    right = pd.concat([prepared[d].assign(dataset=d) for d in MATCHED_AGAINST[source]],
                      ignore_index=True)
    plan = plan_blocking(left, right, _spec(run))
    some = left[left["record_id"].isin(set(record_ids))].reset_index(drop=True)
    # a plan of its own for these records: the whole link's passes and spec, no pairs made yet
    levels = engines.get().score_pairs(some, right, replace(plan, made={}))
    recorded = next((e.get("m_u") for _, e, _ in _diagnostics(run, authority)
                     if e.get("source") == source and e.get("m_u")), None)
    if recorded and set(recorded) == {c.name for c in plan.spec.comparisons}:
        weighed = estimation.with_parameters(
            plan.spec, {k: np.array([m for m, _ in v]) for k, v in recorded.items()},
            {k: np.array([u for _, u in v]) for k, v in recorded.items()})
    else:  # a link made before the diagnostics held m and u: estimate them again
        weighed, _ = estimation.parameters_for(left, right, levels, plan.spec)
    return some, right, levels, weighed, pair_weights(levels, weighed, some, right)


def _explained(pair, left, right, levels, weighed):
    """The explanation table of one pair, comparisons in words."""
    one = levels.loc[[pair]]
    table = explain_pair(one.iloc[0], weighed, comparison_weights(one, weighed, left, right)
                         .iloc[0])
    return table.assign(comparison=[labels.field(c)[:1].upper() + labels.field(c)[1:]
                                    for c in table["comparison"]])


def _tried(outcomes: pd.DataFrame, threshold: float) -> dict[str, pd.DataFrame]:
    """The records tried as examples, in order: partial matches from the middle one by score
    outwards, and records left unmatched whose best candidate came closest below the
    threshold; at most ``TRIED`` of each."""
    outcomes = outcomes.assign(score=pd.to_numeric(outcomes["score"], errors="coerce"))
    partial = outcomes[outcomes["outcome"] == PARTIAL].sort_values(["score", "record_id"],
                                                                   kind="stable")
    middle = len(partial) // 2
    partial = partial.iloc[sorted(range(len(partial)), key=lambda i: (abs(i - middle), i))]
    missed = outcomes[(outcomes["outcome"] == NOT_MATCHED) & (outcomes["score"] < threshold)]
    missed = missed.sort_values(["score", "record_id"], ascending=[False, True])
    return {PARTIAL_MATCH: partial.head(TRIED), NEAR_MISS: missed.head(TRIED)}


def _examples_in(tried: dict[str, pd.DataFrame], left, right, levels, total):
    """The first pair of each kind whose weight is the score the link recorded (for a partial
    match, with the record it was matched to): {kind: (left position, right position)}."""
    at_left = pd.Series(range(len(left)), index=left["record_id"].to_numpy())
    at_right = pd.Series(range(len(right)), index=pd.MultiIndex.from_arrays(
        [right["record_id"].to_numpy(), right["dataset"].to_numpy()]))
    pairs = pd.DataFrame({"left": levels.index.get_level_values(0),
                          "right": levels.index.get_level_values(1),
                          "weight": total.to_numpy()})
    found = {}
    for kind, rows in tried.items():
        for row in rows.itertuples():
            if row.record_id not in at_left.index:
                continue
            mine = pairs[(pairs["left"] == at_left[row.record_id])
                         & ((pairs["weight"] - row.score).abs() < SAME_SCORE)]
            if kind == PARTIAL_MATCH:
                partner = at_right.get((row.matched_record_id, row.matched_dataset))
                mine = mine[mine["right"] == partner]
            if len(mine):
                found[kind] = (int(mine["left"].iloc[0]), int(mine["right"].iloc[0]))
                break
    return found


def explain_examples(run, authority: str) -> list[tuple[str, object]]:
    """Why two pairs of the LA's link got their weight: a partial match, and a near miss (a
    record left unmatched whose best candidate came just below the partial-match threshold).

    Each example is a waterfall figure and its table of comparison levels and weights; the pair
    is named by neither names nor record ids, and no value of a record appears. An example the
    link has none of is a one-line note instead: (note, None)."""
    engine = run.scenario.linkage.engine
    if not engines.get(engine).scores_pairs:
        return [(f"{engine_label(engine)} does not weigh comparisons: no match weight to "
                 "explain.", None)]
    run.require("link", authority)
    outcomes = read_csv(run.la_dir(authority) / "outcomes.csv")
    sources, prepared = linked_records(run, authority)
    if prepared is None:
        prepared = prepare_sources(sources, run.scenario.dates.nhs_extract)
    threshold = run.spec.partial_min_weight
    shown: dict[str, tuple] = {}
    for source in RECEIVED_SOURCES:
        mine = outcomes[outcomes["source"] == source]
        if mine.empty or len(shown) == 2:
            continue
        tried = _tried(mine, threshold)
        ids = pd.concat([t["record_id"] for t in tried.values()])
        left, right, levels, weighed, total = _weighed_pairs(run, authority, source, prepared,
                                                             ids)
        for kind, pair in _examples_in(tried, left, right, levels, total).items():
            if kind not in shown:
                shown[kind] = (_explained(pair, left, right, levels, weighed), threshold)
    items: list[tuple[str, object]] = []
    for kind, what in ((PARTIAL_MATCH, "a partial match"), (NEAR_MISS, "a near miss (a "
                       "record left unmatched whose best candidate came just below the "
                       "partial-match threshold)")):
        if kind not in shown:
            items.append((f"No example of {what} in this link.", None))
            continue
        explained, threshold = shown[kind]
        weight = explained["cumulative"].iloc[-1]
        title = f"{kind}: match weight {weight:.1f}, partial-match threshold {threshold:g}"
        items.append((title, waterfall(explained, threshold, title=title)))
        items.append((f"{kind}: each comparison's level and weight", readable(explained)))
    return items


# -- figures ---------------------------------------------------------------------------------


def figures_of(run) -> list[Path]:
    """The figures the compile stage wrote in the run folder's ``figures/``, sorted by name."""
    return sorted((run.run_dir / "figures").glob("*.png"))


def figure_caption(path: Path) -> str:
    return labels.FIGURES.get(path.stem, labels.value(path.stem))


def captioned(paths: list[Path]) -> list[tuple[str, Path]]:
    return [(figure_caption(p), p) for p in paths]


def tornados(study) -> list[tuple[str, Path]]:
    """The uncertainty study's tornado figures, each with its measure in words."""
    return [(f"{labels.column(m)}: which setting moves it most", p)
            for m, p in study.figures.items()]


def show(items: list[tuple[str, object]]) -> None:
    """Display (caption, thing) pairs in a notebook: a PNG file or a matplotlib figure as an
    image, a table without its row index; a caption alone (thing None) is a one-line note."""
    from IPython.display import Image, Markdown, display

    for caption, thing in items:
        if thing is None:
            print(caption)
        elif isinstance(thing, Path):
            display(Markdown(f"**{caption}**"), Image(filename=thing))
        elif isinstance(thing, pd.DataFrame):
            display(Table(thing, caption))
        elif isinstance(thing, Table):
            display(thing)
        else:  # a matplotlib figure: as a PNG, without the software's name or a timestamp
            import matplotlib.pyplot as plt
            from matplotlib.figure import Figure

            figure = cast(Figure, thing)
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
            plt.close(figure)
            display(Markdown(f"**{caption}**"), Image(data=buffer.getvalue()))
