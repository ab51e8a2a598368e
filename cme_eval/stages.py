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
from cme_eval.evaluate import tables
from cme_eval.evaluate.follow_up import follow_up, true_status_of
from cme_eval.ingest import read_authority
from cme_eval.report import html
from cme_eval.report.manifest import write_manifest
from cme_eval.schema import CME_REGISTER, OUTCOMES, RECEIVED_SOURCES, SOURCE_LABELS

# Heavy libraries (recordlinkage pulls in scikit-learn, ~2 s) are imported inside the stage
# that needs them, so each stage notebook's kernel starts quickly.

log = logging.getLogger(__name__)

STAGES = ("generate", "link", "evaluate")


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Tables are written one way everywhere: UTF-8, no index, '\\n' line ends, fixed floats."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n", float_format="%.4f")
    return path


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def scratch_dir(scenario: Scenario) -> Path:
    """Where a notebook run without a ``run_dir`` parameter writes (outside the repository)."""
    return Path(tempfile.gettempdir()) / "cme-eval" / f"{scenario.name}-seed{scenario.seed}"


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
    write_synthetic(world, folder)
    run.mark_done("generate", authority)
    counts = {source: len(frame) for source, frame in world.sources.items()}
    counts["people (truth)"] = len(world.people)
    counts["independent schools returning"] = int(world.schools["returned"].sum())
    counts["independent schools not returning"] = int((~world.schools["returned"]).sum())
    return pd.DataFrame({"records": counts}).rename_axis("dataset").reset_index()


def link(run: Run, authority: str) -> pd.DataFrame:
    """Match the LA's received records (NWSSP, independent schools); write ``outcomes.csv``."""
    from cme_eval.linkage import default_spec, link_authority

    run.require("generate", authority)
    sources = read_authority(run.synthetic_dir(authority), authority)
    spec = default_spec(run.scenario.linkage.partial_min_weight,
                        run.scenario.linkage.ambiguity_margin)
    outcomes = link_authority(sources, spec, reference_date=run.scenario.dates.nhs_extract)
    received = sum(len(sources[s]) for s in RECEIVED_SOURCES)
    if len(outcomes) != received or outcomes["record_id"].duplicated().any():
        raise tables.ReconciliationError(
            f"{authority}: {received} records received but {len(outcomes)} outcomes"
        )
    write_csv(outcomes, run.la_dir(authority) / "outcomes.csv")
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
        write_csv(frame, la_dir / f"{name}.csv")
    run.mark_done("evaluate", authority)
    return result


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
    pooled_status = (
        by_status.groupby("true_status", as_index=False)[["potential_cme", "resolved_by_follow_up"]]
        .sum()
        .sort_values(["potential_cme", "true_status"], ascending=[False, True])
    )
    out = run.run_dir
    write_csv(t51, out / "table_5_1.csv")
    write_csv(t61, out / "table_6_1.csv")
    write_csv(by_status, out / "potential_cme_by_status.csv")
    fig_path = figures.save_png(
        figures.outcomes_by_authority(t51), out / "figures" / "outcomes_by_authority.png"
    )
    report = build_report(run.scenario, t51, t61, pooled_status, fig_path)
    (out / "report.html").write_text(report, encoding="utf-8")
    write_manifest(run.scenario, out)
    return {"table_5_1": t51, "table_6_1": t61, "potential_cme_by_status": pooled_status}


def build_report(scenario: Scenario, t51: pd.DataFrame, t61: pd.DataFrame,
                 by_status: pd.DataFrame, outcome_figure: Path) -> str:
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
    ]
    return html.render("CME database pilot: evaluation re-run", intro, sections)
