"""The pipeline's stages as plain functions over a run folder: generate -> link -> evaluate,
per LA, then compile over all LAs. Notebooks call these and display what they return; tests call
them without papermill.

Stages hand over files, never notebook state. Each stage leaves a marker holding a fingerprint
of the settings it ran with; a later stage that finds its input missing or made with other
settings runs it first, so any notebook can be run on its own, from any directory.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import tempfile
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from cme_eval import wales
from cme_eval.config import ConfigError, Scenario, resolve_authorities, restricted
from cme_eval.evaluate import compare
from cme_eval.evaluate.follow_up import follow_up, true_status_of
from cme_eval.evaluate.without_truth import WITHOUT_TRUTH
from cme_eval.fileio import read_csv, write_csv
from cme_eval.inputs import decisions, seams
from cme_eval.inputs.ingest import (
    read_authority,
    read_records,
    record_ids,
    report_of,
    what_was_read,
)
from cme_eval.inputs.ingest import read_warnings as ingest_warnings
from cme_eval.inputs.schema import (
    ALL_AUTHORITIES,
    FILE_NAMES,
    INPUTS_DIR,
    NWSSP,
    OUTCOMES,
    PLASC,
    PLASC_WALES,
    SOURCE_LABELS,
    TOTAL,
    TRUTH_DIR,
    inputs_folder,
)
from cme_eval.inputs.standardise import prepare
from cme_eval.linkage import LinkSpec, link_authority, prepare_sources, spec_from_settings
from cme_eval.linkage.blocking import LinkWarning
from cme_eval.linkage.central import link_central
from cme_eval.linkage.engines import engines_for
from cme_eval.report import build, outputs
from cme_eval.report.comparison import write_comparison_report
from cme_eval.run.folder import check_same_settings, settings_digest
from cme_eval.run.scenario import load as load_scenario
from cme_eval.synth.sources import synthesise, write_synthetic
from cme_eval.uncertainty.intervals import PARAMETERS_SUMMARY

# Heavy libraries stay out of a stage notebook's start: recordlinkage (and scikit-learn) load
# inside the engine that links with them, Splink and Spark only when their engine runs.

log = logging.getLogger(__name__)


def scratch_dir(scenario: Scenario) -> Path:
    """Where a notebook run without a ``run_dir`` parameter writes (outside the repository).

    Keyed by the settings and the code's fingerprint, so two checkouts or two scales never
    share (or fight over) one.
    """
    name = (f"{scenario.name}-seed{scenario.seed}-{settings_digest(scenario)[:8]}"
            f"-{code_fingerprint()[:10]}")
    return Path(tempfile.gettempdir()) / "cme-eval" / name


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of the package's code and data: a stage made by other code is not reused."""
    root = Path(__file__).resolve().parents[1]  # the package
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".csv", ".yaml", ".json") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def inputs_fingerprint(folder: Path) -> str:
    """SHA-256 of an inputs folder's files: each file's path (relative to ``folder``) and its
    bytes, read in 1 MiB chunks (a large extract is never held in memory). Content, not
    modification times: a file copied or touched is the same input, a file edited in place
    (same size, time put back) is not. Only this one digest enters the run folder, never the
    data."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix().encode()
        digest.update(len(name).to_bytes(8, "big") + name)
        content = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                content.update(chunk)
        digest.update(content.digest())
    return digest.hexdigest()


@dataclass(frozen=True)
class Run:
    """A scenario and the folder its outputs go to. With ``inputs`` (an LA's own extracts, a
    folder laid out like ``inputs/``) nothing is generated and there is no truth: only the
    tables that need no truth are made (``cme-eval evaluate``)."""

    scenario: Scenario
    run_dir: Path
    inputs: Path | None = None

    @property
    def has_truth(self) -> bool:
        return self.inputs is None

    @classmethod
    def open(
        cls,
        scenario: str | Path | Scenario,
        run_dir: str | Path | None = None,
        *,
        authorities: list[str] | None = None,
        seed: int | None = None,
        scale: float | None = None,
        overlays: tuple[str, ...] = (),
        overrides: dict | None = None,
        inputs_dir: str | Path | None = None,
    ) -> Run:
        """Load and check the scenario (a name or a YAML file), or take one a command has
        already loaded; an empty ``run_dir`` means a scratch folder.

        ``authorities`` restricts the run to those LAs, except under central matching, whose
        link needs every LA: the run then keeps them all (each named LA is still checked).
        ``inputs_dir``: an LA's own extracts instead of a synthetic population (one LA).
        """
        if isinstance(scenario, Scenario):
            scn = scenario
        else:
            scn = load_scenario(scenario, seed=seed, scale=scale, overlays=overlays,
                                overrides=overrides)
        if authorities and scn.cross_border.central_matching:
            resolve_authorities(authorities, list(scn.authorities), scn.name)  # names checked
        elif authorities:
            scn = restricted(scn, authorities)
        folder = (Path(run_dir).expanduser() if run_dir else scratch_dir(scn)).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        check_same_settings(folder, scn)
        inputs = None
        if inputs_dir:
            inputs = inputs_folder(Path(inputs_dir).expanduser()).resolve()
            if len(scn.authorities) != 1:
                raise ConfigError("an LA's own extracts are evaluated one LA at a time")
        return cls(scn, folder, inputs)

    @property
    def spec(self) -> LinkSpec:
        """The link spec of this run: its ``linkage:`` settings (held by the spec, not copied)
        and the identifiers its sources share. What classified is what the report reads."""
        return spec_from_settings(self.scenario.linkage, self.scenario.shared_identifiers())

    def la_dir(self, authority: str) -> Path:
        return self.run_dir / "authorities" / wales.get(authority).slug

    def synthetic_dir(self, authority: str) -> Path:
        """What the generate stage writes: ``inputs/`` and ``truth/`` side by side."""
        return self.la_dir(authority) / "synthetic"

    def inputs_dir(self, authority: str) -> Path:
        """The LA's input files: the only folder the link stage reads."""
        if self.inputs is not None:
            return self.inputs
        return self.synthetic_dir(authority) / INPUTS_DIR

    def truth_dir(self, authority: str) -> Path:
        """The synthetic truth: read only to evaluate against it."""
        if self.inputs is not None:
            raise ConfigError(f"{authority}: a run on an LA's own extracts has no truth")
        return self.synthetic_dir(authority) / TRUTH_DIR

    def fingerprint(self, authority: str | None = None) -> str:
        """Settings that determine one LA's results (the other LAs' settings do not, unless
        NHS records are matched centrally against every LA's PLASC); no LA: the whole run."""
        settings = self.scenario.to_dict()
        if authority is not None and not self.scenario.cross_border.central_matching:
            settings["authorities"] = {authority: settings["authorities"][authority]}
        settings.pop("description", None)
        settings.pop("name", None)
        settings["code"] = code_fingerprint()
        if self.inputs is not None:  # other extracts, or the same ones changed: not reused
            settings["inputs"] = inputs_fingerprint(self.inputs)
        blob = json.dumps(settings, sort_keys=True).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()

    @property
    def decisions_dir(self) -> Path:
        """Where the command keeps a reviewer's decisions for the link (``--decisions``)."""
        return self.run_dir / outputs.RESTRICTED

    def stage_fingerprint(self, stage: str, authority: str) -> str:
        """``fingerprint`` and, for the stages from the link on, the reviewer's decisions
        given to this run: new decisions link again; the population is not made again."""
        kept = self.decisions_dir / decisions.STORED
        if stage == "generate" or not kept.is_file():
            return self.fingerprint(authority)
        both = self.fingerprint(authority) + hashlib.sha256(kept.read_bytes()).hexdigest()
        return hashlib.sha256(both.encode()).hexdigest()

    # -- stage markers ----------------------------------------------------------------------
    def _marker(self, stage: str, authority: str) -> Path:
        return self.la_dir(authority) / f".stage-{stage}.json"

    def is_done(self, stage: str, authority: str) -> bool:
        marker = self._marker(stage, authority)
        if not marker.is_file():
            return False
        done = json.loads(marker.read_text())["fingerprint"]
        return done == self.stage_fingerprint(stage, authority)

    def mark_done(self, stage: str, authority: str) -> None:
        self._marker(stage, authority).write_text(json.dumps(
            {"stage": stage, "fingerprint": self.stage_fingerprint(stage, authority)}) + "\n")

    def require(self, stage: str, authority: str) -> None:
        """Run ``stage`` (and what it needs) for ``authority`` unless it is already current."""
        if stage == "generate" and self.inputs is not None:
            if not self.inputs.is_dir():
                raise ConfigError(f"inputs folder {self.inputs} not found")
            return  # an LA's own extracts: nothing to generate
        if not self.is_done(stage, authority):
            log.info("%s: running stage %s first", authority, stage)
            STAGE_FUNCTIONS[stage](self, authority)


# -- per-LA stages --------------------------------------------------------------------------


def generate(run: Run, authority: str) -> pd.DataFrame:
    """Synthesise one LA and write its truth and sources; returns record counts per file."""
    world = synthesise(run.scenario, authority)
    folder = run.synthetic_dir(authority)
    write_synthetic(world, folder, run.scenario)
    run.mark_done("generate", authority)
    counts = {source: len(frame) for source, frame in world.sources.items()}
    counts["people (truth)"] = len(world.people)
    counts["independent schools returning"] = int(world.schools["returned"].sum())
    counts["independent schools not returning"] = int((~world.schools["returned"]).sum())
    return pd.DataFrame({"records": counts}).rename_axis("dataset").reset_index()


@contextmanager
def _quiet_linker():
    """The linker's warnings kept out of notebook outputs (stderr): what they say is in
    ``linkage_diagnostics.json`` (notes, and where m and u came from)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LinkWarning)
        yield


def link(run: Run, authority: str) -> pd.DataFrame:
    """Match the LA's received records (NWSSP, independent schools); write ``outcomes.csv``."""
    with _quiet_linker():
        return _link(run, authority)


def _link(run: Run, authority: str) -> pd.DataFrame:
    run.require("generate", authority)
    central_outcomes = None
    if run.scenario.cross_border.central_matching:
        central_outcomes = read_csv(central(run))
    sources = read_records_of(run, authority)
    for name, frame in sources.items():  # the seam where ingest hands over
        seams.check_records(frame, name, f"{authority}: ingest -> link")
    main, ref = run.scenario.linkage.engine, run.scenario.dates.nhs_extract
    review = decisions.stored(run.decisions_dir)
    decided = None if review is None else decisions.for_authority(
        review, authority, list(run.scenario.authorities), sources)
    diagnostics: list[dict] = []
    prepared = prepare_sources(sources, ref)
    shared: dict = {}  # right-hand records, blocking plans and pairs, made once for every engine
    with engines_for(run.scenario, [main, *compare_engines(run)]):
        outcomes = link_authority(sources, run.spec, engine=main, reference_date=ref,
                                  central=central_outcomes, diagnostics=diagnostics,
                                  prepared=prepared, shared=shared, decisions=decided)
        # one outcome per received record, allowed values, unique ids: or a one-line SeamError
        seams.check_outcomes(outcomes, sources, f"{authority}: link -> evaluate")
        write_csv(outcomes, run.la_dir(authority) / "outcomes.csv")
        write_csv(report_of(sources), run.la_dir(authority) / "ingest_report.csv")
        write_csv(what_was_read(sources, authority), run.la_dir(authority) / WHAT_WAS_READ)
        if not run.has_truth:  # the toolkit's ids to the LA's own: restricted, like the lists
            restricted_dir = run.run_dir / outputs.RESTRICTED
            restricted_dir.mkdir(exist_ok=True)
            write_csv(record_ids(sources), restricted_dir / "record_ids.csv")
        if run.has_truth:  # synthetic records only: an LA's own extracts are never copied
            pd.to_pickle({"sources": sources, "prepared": prepared},
                         run.synthetic_dir(authority) / STANDARDISED)
        else:  # kept in this process's memory only, for the stages after it
            _IN_MEMORY.clear()
            _IN_MEMORY[_memory_key(run, authority)] = (sources, prepared)
        write_diagnostics(diagnostics, run.la_dir(authority) / DIAGNOSTICS)
        for engine in compare_engines(run):  # each engine on its own, as the LA would use it
            other = link_authority(sources, run.spec, engine=engine, reference_date=ref,
                                   prepared=prepared, shared=shared)
            seams.check_outcomes(other, sources, f"{authority}: link ({engine}) -> evaluate")
            write_csv(other, run.la_dir(authority) / f"outcomes_{engine}.csv")
    run.mark_done("link", authority)
    return outcome_summary(outcomes)


DIAGNOSTICS = "linkage_diagnostics.json"
WHAT_WAS_READ = "what_was_read.csv"  # per LA: each source's file, sheets, records, status


def read_warnings(run_dir: Path) -> list[str]:
    """What a user should hear about the sources the link stage read (see
    ``ingest.read_warnings``), every LA of a run folder in turn; for the console once the run
    is done (the link stage runs in a notebook kernel, whose output the console never sees)."""
    return [line for path in sorted(Path(run_dir).glob(f"authorities/*/{WHAT_WAS_READ}"))
            for line in ingest_warnings(read_csv(path))]
# The link stage's records as read and as standardised, handed to the evaluate stage of a
# synthetic run so that it does not read and standardise the same files again (a third of its
# time). Beside the synthetic inputs it is made from; never written for an LA's own extracts.
STANDARDISED = "standardised.pkl"


# An LA's own extracts as the link stage read and standardised them, kept in memory (never on
# disk) for the stages after it in the same process: a worker kernel runs an LA's link, then its
# evaluate notebook, whose tables and explanations would otherwise read and standardise every
# file twice more (about 4 s on full-size Cardiff). One LA at a time, keyed by its settings,
# code and inputs (``Run.fingerprint``).
_IN_MEMORY: dict[tuple[str, str, str], tuple[dict, dict]] = {}


def _memory_key(run: Run, authority: str) -> tuple[str, str, str]:
    return str(run.run_dir.resolve()), authority, run.fingerprint(authority)


def linked_records(run: Run, authority: str) -> tuple[dict, dict | None]:
    """The LA's records as the link stage read them, and as it standardised them when it handed
    them over (``STANDARDISED``, current whenever the link stage is; an LA's own extracts: in
    this process's memory, as copies, when the link stage ran in it); else read again, and
    None."""
    if not run.has_truth:
        kept = _IN_MEMORY.get(_memory_key(run, authority))
        if kept is not None and run.is_done("link", authority):
            return ({k: v.copy() for k, v in kept[0].items()},
                    {k: v.copy() for k, v in kept[1].items()})
        return read_records_of(run, authority), None
    handed = run.synthetic_dir(authority) / STANDARDISED
    if handed.is_file() and run.is_done("link", authority):
        both = pd.read_pickle(handed)
        return both["sources"], both["prepared"]
    return read_records_of(run, authority), None


def read_records_of(run: Run, authority: str) -> dict[str, pd.DataFrame]:
    """The LA's received and held records as ingest reads them; on an LA's own extracts named
    by the toolkit's ids (``toolkit_ids``), so that no LA id leaves ``restricted/``."""
    return read_authority(run.inputs_dir(authority), authority, toolkit_ids=not run.has_truth)


def write_diagnostics(diagnostics: list[dict], path: Path) -> None:
    """How each link was made (passes, pair counts, columns dropped, where m and u came from):
    counts and column names only, never record data."""
    path.write_text(json.dumps(diagnostics, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def blocking_used(run: Run, authority: str) -> dict[str, tuple[tuple[str, ...], ...]]:
    """The blocking passes the run's main engine actually used, per received source (read from
    the link's diagnostics); an NHS record matched centrally first also had the central passes.
    """
    used: dict[str, list] = {}
    entries = json.loads((run.la_dir(authority) / DIAGNOSTICS).read_text(encoding="utf-8"))
    central_file = run.run_dir / "central" / DIAGNOSTICS
    if run.scenario.cross_border.central_matching and central_file.is_file():
        for entry in json.loads(central_file.read_text(encoding="utf-8")):
            entries.append({**entry, "source": NWSSP})
    for entry in entries:
        passes = used.setdefault(entry["source"], [])
        passes.extend(tuple(p) for p in entry["passes"] if tuple(p) not in passes)
    return {source: tuple(passes) for source, passes in used.items()}


def central(run: Run) -> Path:
    """Central pre-processing (``cross_border.central_matching``): every LA's NHS records
    against all-Wales PLASC in one link, before distribution. Writes and returns
    ``central/central_outcomes.csv`` (ids, outcomes and scores only).

    Runs once per run folder: a lock makes a second caller wait and then reuse the result.
    """
    folder = run.run_dir / "central"
    folder.mkdir(exist_ok=True)
    path, marker = folder / "central_outcomes.csv", folder / ".stage-central.json"
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.is_file() and json.loads(marker.read_text())["fingerprint"] == run.fingerprint():
            return path
        diagnostics: list[dict] = []
        with _quiet_linker(), engines_for(run.scenario, [run.scenario.cross_border.central_engine]):
            outcomes = link_centrally(run, diagnostics)
        write_csv(outcomes, path, float_format="%.4f")
        write_diagnostics(diagnostics, folder / DIAGNOSTICS)
        marker.write_text(json.dumps({"stage": "central", "fingerprint": run.fingerprint()}) + "\n")
    return path


def link_centrally(run: Run, diagnostics: list | None = None) -> pd.DataFrame:
    """All-Wales NHS records and PLASC, read from every LA's folder, linked in one go."""
    nhs, plasc = [], []
    for authority in run.scenario.authorities:
        run.require("generate", authority)
        syn = run.inputs_dir(authority)
        nhs.append(read_records(syn / FILE_NAMES[NWSSP], NWSSP, authority))
        for source, holder in ((PLASC, authority), (PLASC_WALES, "")):  # "": another Welsh LA
            plasc.append(read_records(syn / FILE_NAMES[source], source, authority)
                         .assign(holder=holder))
    ref = run.scenario.dates.nhs_extract
    return link_central(prepare(pd.concat(nhs, ignore_index=True), ref),
                        prepare(pd.concat(plasc, ignore_index=True), ref), run.spec,
                        reference_date=ref, engine=run.scenario.cross_border.central_engine,
                        other_la_min_weight=run.scenario.cross_border.other_la_min_weight,
                        diagnostics=diagnostics)


def compare_engines(run: Run) -> list[str]:
    """Engines run beside the main one, for comparison only (never in the published tables)."""
    return [e for e in run.scenario.report.compare_engines if e != run.scenario.linkage.engine]


def outcome_summary(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Counts of outcomes per source (no record-level data)."""
    summary = pd.crosstab(outcomes["source"].map(SOURCE_LABELS), outcomes["outcome"])
    return summary.reindex(columns=list(OUTCOMES), fill_value=0).rename_axis(None, axis=1)


def evaluate(run: Run, authority: str) -> dict[str, pd.DataFrame]:
    """One LA's tables (``report.outputs.PER_LA``: Table 5.1 and 6.1 rows, and with truth its
    potential CME by true status, the linkage accuracy of every engine run and how many
    children each engine leaves unmatched), written beside its outcomes; without truth (an
    LA's own extracts) also the working lists, under ``restricted/`` only."""
    run.require("link", authority)
    result = evaluation(run, authority)
    tables = {}
    for out in outputs.per_la(run.has_truth):
        if out.working_list:
            folder = run.run_dir / outputs.RESTRICTED
            folder.mkdir(exist_ok=True)
        else:
            folder = run.la_dir(authority)
            tables[out.name] = result[out.name]
        write_csv(result[out.name], folder / f"{out.name}.csv", float_format=out.float_format)
    run.mark_done("evaluate", authority)
    return tables


def evidence(run: Run, authority: str) -> outputs.Evidence:
    """What the evaluate stage knows of one LA, as the run folder holds it: nothing is run
    first and nothing is written."""
    la_dir = run.la_dir(authority)
    outcomes = read_csv(la_dir / "outcomes.csv")
    by_engine = {run.scenario.linkage.engine: outcomes}
    by_engine.update({e: read_csv(la_dir / f"outcomes_{e}.csv") for e in compare_engines(run)})
    sources, prepared = linked_records(run, authority)
    if not run.has_truth:
        return outputs.Evidence(run.scenario, authority, outcomes, sources, by_engine)
    truth = run.truth_dir(authority)
    truth_records = read_csv(truth / "truth_records.csv")
    truth_people = read_csv(truth / "truth_people.csv")
    status = true_status_of(outcomes, truth_records, truth_people)
    return outputs.Evidence(
        run.scenario, authority, outcomes, sources, by_engine, truth_records, truth_people,
        followed=follow_up(run.scenario, authority, outcomes, status), status=status,
        prepared=prepared,
        blocking=blocking_used(run, authority))


def evaluation(run: Run, authority: str, *, judge_links: bool = True
               ) -> dict[str, pd.DataFrame]:
    """The outputs of ``evaluate`` from the LA's linked outcomes (and truth) as they are in the
    run folder, with the run's own settings (follow-up, review): nothing is run first and
    nothing is written. A sensitivity run uses it to re-evaluate one linked population under
    other follow-up settings; ``judge_links`` False then reads back the outputs that judge the
    links (they do not depend on follow-up)."""
    ev = evidence(run, authority)
    return {out.name: (out.make(ev) if judge_links or not out.judges_links else
                       pd.read_csv(run.la_dir(authority) / f"{out.name}.csv",
                                   keep_default_na=False))
            for out in outputs.per_la(run.has_truth)}


STAGE_FUNCTIONS = {"generate": generate, "link": link, "evaluate": evaluate}


# -- compile over all LAs -------------------------------------------------------------------


def _collect(run: Run, name: str) -> pd.DataFrame:
    frames = []
    for authority in run.scenario.authorities:
        run.require("evaluate", authority)
        frames.append(pd.read_csv(run.la_dir(authority) / f"{name}.csv", keep_default_na=False))
    return pd.concat(frames, ignore_index=True)


def shown(tables: dict[str, pd.DataFrame], name: str, *, pooled: bool = False) -> pd.DataFrame:
    """A table as a notebook shows it: with ``pooled``, its summary rows (all authorities; for
    linkage quality, every source and error mechanism together, per LA). When a run without
    truth has no such table, a one-line note saying why."""
    if name not in tables:
        why = WITHOUT_TRUTH.get(name, "not made by this run")
        return pd.DataFrame({"not in this run": [why]})
    table = tables[name]
    if not pooled:
        return table
    if name == "linkage_quality":
        return table[(table["source"] == TOTAL) & (table["mechanism"] == "all")]
    return table[table["authority"] == ALL_AUTHORITIES]


def _read_each(run: Run, name: str, **options) -> pd.DataFrame:
    return pd.concat([pd.read_csv(run.la_dir(a) / name, **options)
                      for a in run.scenario.authorities], ignore_index=True)


def compile_report(run: Run) -> dict[str, pd.DataFrame]:
    """Pool every LA's tables and write every report output (see ``report.build``)."""
    per_la = {name: _collect(run, name) for name in outputs.pooled_per_la_tables(run.has_truth)}
    scores = _read_each(run, "outcomes.csv", usecols=["outcome", "score"])
    summary = run.run_dir / "replicates" / "replicate_summary.csv"  # cme-eval run
    replicates = pd.read_csv(summary) if summary.is_file() else None  # --replicates-from
    drawn = run.run_dir / "replicates" / PARAMETERS_SUMMARY  # ... made with --parameter-draws
    with_parameters = pd.read_csv(drawn) if drawn.is_file() and run.has_truth else None
    ingest = None if run.has_truth else _read_each(run, "ingest_report.csv", dtype=str,
                                                   keep_default_na=False)
    read = None if run.has_truth else _read_each(run, WHAT_WAS_READ, keep_default_na=False)
    pooling = outputs.Pooling(run.scenario, per_la,
                              replicates if run.has_truth else None, ingest, read,
                              with_parameters)
    return build.write_outputs(pooling, run.run_dir, scores, has_truth=run.has_truth,
                               threshold=run.spec.partial_min_weight)


def compare_scenarios(scenario: str, overlay_sets: list[tuple[str, ...]], out: Path, *,
                      seed: int | None = None, scale: float | None = None,
                      authorities: list[str] | None = None, progress=None) -> Path:
    """Run the baseline and each overlay set on the same population (same seed) with the
    library stages, and write scenario_comparison.csv, its figure and a short report.
    ``progress(items, total)``: a progress bar over the (scenario, LA) steps."""
    rows, names = [], []
    # what-ifs compare the main engine only
    no_extras: dict[str, Any] = {"report": {"compare_engines": []}}
    # every scenario loaded (a bad one refused) before any folder is made
    loaded = [(overlays, load_scenario(scenario, seed=seed, scale=scale, overlays=overlays,
                                       overrides=no_extras))
              for overlays in [(), *overlay_sets]]
    runs = []
    for overlays, loaded_scenario in loaded:
        label = "+".join(overlays) or "baseline"
        run = Run.open(loaded_scenario, out / "runs" / label, authorities=authorities)
        names.append(run.scenario.name)
        # Central matching links every LA, but only the LAs asked for are reported.
        runs += [(run, authority) for authority in authorities or run.scenario.authorities]
    for run, authority in (progress or (lambda items, total: items))(runs, len(runs)):
        run.require("evaluate", authority)
        rows.append(compare.authority_row(run, authority))
    table = compare.with_totals(pd.DataFrame(rows, columns=compare.COLUMNS))
    return write_comparison_report(table, names, overlay_sets, out)
