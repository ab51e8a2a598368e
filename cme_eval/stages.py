"""The pipeline's stages as plain functions over a run folder: generate -> link -> evaluate,
per LA, then compile over all LAs. Notebooks call these and display what they return; tests call
them without papermill.

Stages hand over files, never notebook state. Each stage leaves a marker holding a fingerprint
of the settings it ran with; a later stage that finds its input missing or made with other
settings runs it first, so any notebook can be run on its own, from any directory.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from cme_eval import wales
from cme_eval.config import Scenario, load_scenario
from cme_eval.evaluate import accuracy, tables
from cme_eval.fileio import read_csv, write_csv
from cme_eval.evaluate.follow_up import follow_up, true_status_of
from cme_eval.ingest import read_authority, report_of
from cme_eval.report import html
from cme_eval.report.manifest import write_manifest
from cme_eval.schema import (
    CME_REGISTER,
    MATCHED_AGAINST,
    OUTCOMES,
    RECEIVED_SOURCES,
    SOURCE_LABELS,
)

# Heavy libraries (recordlinkage pulls in scikit-learn, ~2 s) are imported inside the stage
# that needs them, so each stage notebook's kernel starts quickly.

log = logging.getLogger(__name__)

STAGES = ("generate", "link", "evaluate")


def scratch_dir(scenario: Scenario) -> Path:
    """Where a notebook run without a ``run_dir`` parameter writes (outside the repository).

    Keyed by the code's fingerprint too, so two checkouts never share (or fight over) one.
    """
    name = f"{scenario.name}-seed{scenario.seed}-{code_fingerprint()[:10]}"
    return Path(tempfile.gettempdir()) / "cme-eval" / name


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of the package's code and data: a stage made by other code is not reused."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".csv", ".yaml") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Run:
    scenario: Scenario
    run_dir: Path

    @classmethod
    def open(
        cls,
        scenario: str,
        run_dir: str | Path | None = None,
        *,
        authorities: list[str] | None = None,
        seed: int | None = None,
        scale: float | None = None,
    ) -> Run:
        """Load and validate the scenario; an empty ``run_dir`` means a scratch folder."""
        scn = load_scenario(scenario, seed=seed, scale=scale, authorities=authorities or None)
        folder = Path(run_dir) if run_dir else scratch_dir(scn)
        folder.mkdir(parents=True, exist_ok=True)
        return cls(scn, folder.resolve())

    def la_dir(self, authority: str) -> Path:
        return self.run_dir / "authorities" / wales.get(authority).slug

    def synthetic_dir(self, authority: str) -> Path:
        return self.la_dir(authority) / "synthetic"

    def fingerprint(self, authority: str) -> str:
        """Settings that determine one LA's results (the other LAs' settings do not)."""
        settings = self.scenario.to_dict()
        settings["authorities"] = {authority: settings["authorities"][authority]}
        settings.pop("description", None)
        settings.pop("name", None)
        settings["code"] = code_fingerprint()
        blob = json.dumps(settings, sort_keys=True).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()

    # -- stage markers ----------------------------------------------------------------------
    def _marker(self, stage: str, authority: str) -> Path:
        return self.la_dir(authority) / f".stage-{stage}.json"

    def is_done(self, stage: str, authority: str) -> bool:
        marker = self._marker(stage, authority)
        if not marker.is_file():
            return False
        return json.loads(marker.read_text())["fingerprint"] == self.fingerprint(authority)

    def mark_done(self, stage: str, authority: str) -> None:
        self._marker(stage, authority).write_text(
            json.dumps({"stage": stage, "fingerprint": self.fingerprint(authority)}) + "\n"
        )

    def require(self, stage: str, authority: str) -> None:
        """Run ``stage`` (and what it needs) for ``authority`` unless it is already current."""
        if not self.is_done(stage, authority):
            log.info("%s: running stage %s first", authority, stage)
            STAGE_FUNCTIONS[stage](self, authority)


# -- per-LA stages --------------------------------------------------------------------------


def generate(run: Run, authority: str) -> pd.DataFrame:
    """Synthesise one LA and write its truth and sources; returns record counts per file."""
    from cme_eval.synth.sources import synthesise, write_synthetic

    world = synthesise(run.scenario, authority)
    folder = run.synthetic_dir(authority)
    write_synthetic(world, folder, run.scenario)
    run.mark_done("generate", authority)
    counts = {source: len(frame) for source, frame in world.sources.items()}
    counts["people (truth)"] = len(world.people)
    counts["independent schools returning"] = int(world.schools["returned"].sum())
    counts["independent schools not returning"] = int((~world.schools["returned"]).sum())
    return pd.DataFrame({"records": counts}).rename_axis("dataset").reset_index()


def link(run: Run, authority: str) -> pd.DataFrame:
    """Match the LA's received records (NWSSP, independent schools); write ``outcomes.csv``."""
    from cme_eval.linkage import link_authority, spec_from_settings

    run.require("generate", authority)
    sources = read_authority(run.synthetic_dir(authority), authority)
    settings = run.scenario.linkage
    outcomes = link_authority(sources, spec_from_settings(settings), engine=settings.engine,
                              reference_date=run.scenario.dates.nhs_extract)
    received = sum(len(sources[s]) for s in RECEIVED_SOURCES)
    if len(outcomes) != received or outcomes["record_id"].duplicated().any():
        raise tables.ReconciliationError(
            f"{authority}: {received} records received but {len(outcomes)} outcomes"
        )
    write_csv(outcomes, run.la_dir(authority) / "outcomes.csv")
    write_csv(report_of(sources), run.la_dir(authority) / "ingest_report.csv")
    run.mark_done("link", authority)
    return outcome_summary(outcomes)


def outcome_summary(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Counts of outcomes per source (no record-level data)."""
    summary = pd.crosstab(outcomes["source"].map(SOURCE_LABELS), outcomes["outcome"])
    return summary.reindex(columns=list(OUTCOMES), fill_value=0).rename_axis(None, axis=1)


def evaluate(run: Run, authority: str) -> dict[str, pd.DataFrame]:
    """One LA's Table 5.1 and 6.1 rows, and its potential CME by true status."""
    run.require("link", authority)
    la_dir, syn = run.la_dir(authority), run.synthetic_dir(authority)
    outcomes = read_csv(la_dir / "outcomes.csv")
    truth_records = read_csv(syn / "truth_records.csv")
    truth_people = read_csv(syn / "truth_people.csv")
    register = read_authority(syn, authority)[CME_REGISTER]

    status = true_status_of(outcomes, truth_records, truth_people)
    followed = follow_up(run.scenario, authority, outcomes, status)
    result = {
        "linkage_quality": linkage_quality(run, authority, outcomes, truth_records),
        "table_5_1": tables.table_5_1_for(authority, outcomes),
        "table_6_1": tables.table_6_1_for(
            authority, outcomes, register, unresolved=int((~followed["resolved"]).sum())
        ),
        "potential_cme_by_status": (
            followed.groupby("true_status")
            .agg(potential_cme=("record_id", "size"), resolved_by_follow_up=("resolved", "sum"))
            .reset_index()
            .assign(authority=authority)[
                ["authority", "true_status", "potential_cme", "resolved_by_follow_up"]
            ]
        ),
    }
    for name, frame in result.items():
        write_csv(frame, la_dir / f"{name}.csv", float_format="%.6f")
    run.mark_done("evaluate", authority)
    return result


def linkage_quality(run: Run, authority: str, outcomes: pd.DataFrame,
                    truth_records: pd.DataFrame) -> pd.DataFrame:
    """Precision, recall and F1 against the truth, per source and error mechanism, with true
    partners lost at blocking (re-derived from the blocking keys of the true pairs only)."""
    from cme_eval.linkage.spec import DEFAULT_BLOCKING
    from cme_eval.standardise import prepare

    sources = read_authority(run.synthetic_dir(authority), authority)
    ref = run.scenario.dates.nhs_extract
    prepared = {name: prepare(frame, ref) for name, frame in sources.items()}
    person = truth_records.set_index("record_id")["person_id"]
    judged = accuracy.judge(outcomes, truth_records, MATCHED_AGAINST)
    lost = pd.Series(False, index=judged["record_id"])
    for source, datasets in MATCHED_AGAINST.items():
        right = pd.concat([prepared[d] for d in datasets], ignore_index=True)
        flags = accuracy.lost_at_blocking(prepared[source], right, person, DEFAULT_BLOCKING)
        lost[prepared[source]["record_id"].to_numpy()] = flags.to_numpy()
    judged["lost_at_blocking"] = judged["record_id"].map(lost).fillna(False).astype(bool)
    judged["lost_at_blocking"] &= judged["has_partner"]
    return accuracy.quality_table(judged, authority, run.scenario.linkage.engine, SOURCE_LABELS)


STAGE_FUNCTIONS = {"generate": generate, "link": link, "evaluate": evaluate}


# -- compile over all LAs -------------------------------------------------------------------


def _collect(run: Run, name: str) -> pd.DataFrame:
    frames = []
    for authority in run.scenario.authorities:
        run.require("evaluate", authority)
        frames.append(pd.read_csv(run.la_dir(authority) / f"{name}.csv", keep_default_na=False))
    return pd.concat(frames, ignore_index=True)


def compile_report(run: Run) -> dict[str, pd.DataFrame]:
    """Pool every LA's tables, draw the figures, write report.html and manifest.json."""
    from cme_eval.report import figures

    t51 = tables.table_5_1([_collect(run, "table_5_1")])
    t61 = tables.table_6_1([_collect(run, "table_6_1")])
    by_status = _collect(run, "potential_cme_by_status")
    quality = accuracy.with_pooled(_collect(run, "linkage_quality"))
    pooled_status = (
        by_status.groupby("true_status", as_index=False)[["potential_cme", "resolved_by_follow_up"]]
        .sum()
        .sort_values(["potential_cme", "true_status"], ascending=[False, True])
    )
    out = run.run_dir
    write_csv(t51, out / "table_5_1.csv")
    write_csv(t61, out / "table_6_1.csv")
    write_csv(by_status, out / "potential_cme_by_status.csv")
    write_csv(quality, out / "linkage_quality.csv", float_format="%.6f")
    fig_path = figures.save_png(
        figures.outcomes_by_authority(t51), out / "figures" / "outcomes_by_authority.png"
    )
    report = build_report(run.scenario, t51, t61, pooled_status, fig_path, quality)
    (out / "report.html").write_text(report, encoding="utf-8")
    write_manifest(run.scenario, out)
    return {"table_5_1": t51, "table_6_1": t61, "potential_cme_by_status": pooled_status,
            "linkage_quality": quality}


def build_report(scenario: Scenario, t51: pd.DataFrame, t61: pd.DataFrame,
                 by_status: pd.DataFrame, outcome_figure: Path,
                 quality: pd.DataFrame) -> str:
    pooled = t51[(t51.authority == "All") & (t51.source == "Total")].iloc[0]
    in_scope = max(1, pooled.received - pooled.out_of_scope)
    share = lambda col: f"{pooled[col] / pooled.received:.1%}"  # noqa: E731
    intro = (
        f"Scenario '{scenario.name}' (seed {scenario.seed}, scale {scenario.scale:g}): "
        f"{len(scenario.authorities)} local authorities, synthetic data with known truth. "
        f"{scenario.description}",
        f"Of {pooled.received:,} records received, {share('perfect_match')} matched perfectly, "
        f"{share('partial_match')} partially and {share('not_matched')} did not match "
        f"({pooled.not_matched / in_scope:.1%} of those in scope); "
        f"{share('out_of_scope')} were outside compulsory school age.",
    )
    sections = [
        html.Section(
            "Records received and matched (Table 5.1)",
            ("Every record received has exactly one outcome, so each row adds up: received = "
             "perfect + partial + not matched + out of scope. This was checked for every row "
             "before the table was written (the published Table 5.1 does not add up).",),
            tables=(("Table 5.1: records received and matched, by authority and source", t51),),
            figures=(("Share of records received by outcome, per local authority",
                      outcome_figure),),
        ),
        html.Section(
            "Potential children missing education (Table 6.1)",
            ("CME known before: records on the LA's CME register. Potential CME identified: "
             "NHS records in scope that matched nothing the LA holds. CME known after: known "
             "before plus the potential CME that the follow-up model leaves unresolved.",),
            tables=(("Table 6.1: potential CME identified, by authority", t61),),
        ),
        html.Section(
            "What the potential CME really are",
            ("The pilot could not tell which unmatched children were really missing education. "
             "The synthetic truth can: potential CME by the child's true status, pooled over the "
             "authorities.",),
            tables=(("Potential CME by true status (all authorities)", by_status),),
        ),
        html.Section(
            "How accurate was the matching?",
            ("Against the synthetic truth: a link is correct when it joins two records of the "
             "same child. Precision is the share of links that are correct; recall the share of "
             "children with a record to find whose record was found. Per error mechanism in "
             "linkage_quality.csv.",),
            tables=(("Linkage accuracy by authority (all sources)",
                     quality[(quality.source == "Total") & (quality.mechanism == "all")]
                     .drop(columns=["source", "mechanism"])),),
        ),
    ]
    return html.render("CME database pilot: evaluation re-run", intro, sections)
