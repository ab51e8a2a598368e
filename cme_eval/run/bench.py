"""Benchmarks that print figures (wall time, peak memory): never timed tests.

Peak memory is the process's peak resident set size (``ru_maxrss``), so run each benchmark in
a fresh process (the CLI and scripts/ do) for a figure that belongs to it alone.
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
import re
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, cast

import pandas as pd
import psutil

from cme_eval import api, outside_data
from cme_eval.evaluate import accuracy
from cme_eval.fileio import read_csv, write_csv
from cme_eval.inputs.ingest import read_authority, read_records
from cme_eval.inputs.schema import (
    FILE_NAMES,
    MATCHED_AGAINST,
    NWSSP,
    OUT_OF_SCOPE,
    PLASC,
    PLASC_WALES,
    RECEIVED_SOURCES,
    SOURCE_LABELS,
)
from cme_eval.inputs.standardise import prepare
from cme_eval.linkage import link_authority, prepare_sources, spec_from_settings
from cme_eval.linkage.blocking import candidate_count
from cme_eval.linkage.central import central_spec, link_central
from cme_eval.linkage.engines import default_engines, engines_for
from cme_eval.linkage.engines import get as get_engine
from cme_eval.run import stages
from cme_eval.run.pipeline import LOG_FILE, RunRequest, run
from cme_eval.run.scenario import load as load_scenario
from cme_eval.run.stages import Run
from cme_eval.synth.sources import synthesise, write_synthetic
from cme_eval.uncertainty.replicates import replicate


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def bench_generate(scenario_name: str, out: Path | None = None,
                   authorities: list[str] | None = None, *, seed: int | None = None,
                   scale: float | None = None) -> pd.DataFrame:
    """Generate (and write) every LA of a scenario in one process; one row per LA and a total."""

    scenario = load_scenario(scenario_name, authorities=authorities, seed=seed, scale=scale)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(out or tmp)
        started = time.perf_counter()
        for authority in scenario.authorities:
            t0 = time.perf_counter()
            world = synthesise(scenario, authority)
            write_synthetic(world, folder / authority.lower().replace(" ", "-"), scenario)
            rows.append({"authority": authority, "nhs_records": len(world.sources["nwssp"]),
                         "people": len(world.people), "wall_s": time.perf_counter() - t0,
                         "peak_mb": peak_mb()})
        rows.append({"authority": "All", "nhs_records": sum(r["nhs_records"] for r in rows),
                     "people": sum(r["people"] for r in rows),
                     "wall_s": time.perf_counter() - started, "peak_mb": peak_mb()})
    return pd.DataFrame(rows)


TERMINAL_TEXT_WIDTH = 60  # a longer cell (a hostile task's warnings) is cut on the terminal


def for_terminal(table: pd.DataFrame) -> str:
    """A benchmark table as the terminal shows it: seconds to 0.1, megabytes and counts whole,
    precision, recall and F1 to four decimals, and long text cut to one readable width with
    "..." (the CSV keeps every figure and word in full)."""
    shown = table.copy().astype(object)
    for column in table.columns:
        values = table[column]
        if pd.api.types.is_bool_dtype(values):
            continue
        if pd.api.types.is_float_dtype(values):
            if column.endswith("_s"):
                fmt = "{:,.1f}"
            elif column in ("precision", "recall", "f1", "matched_share", "scale"):
                fmt = "{:.4f}"
            else:
                fmt = "{:,.0f}"
            shown[column] = [fmt.format(v) if pd.notna(v) else "" for v in values]
        elif pd.api.types.is_integer_dtype(values):
            shown[column] = [f"{v:,}" for v in values]
        else:
            shown[column] = [_cut(v) for v in values]
    return shown.to_string(index=False)


def _cut(value: object) -> str:
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    return text if len(text) <= TERMINAL_TEXT_WIDTH else text[:TERMINAL_TEXT_WIDTH - 3] + "..."


class PeakRSS:
    """Peak resident memory (MB) of this process while a block runs, sampled every 20 ms.

    ``ru_maxrss`` only ever grows, so engines run one after another in one process need their
    own sampler to get a peak each.
    """

    def __init__(self, interval: float = 0.02):
        self._process = psutil.Process()
        self._interval = interval
        self.peak_mb = 0.0

    def _sample(self) -> None:
        self.peak_mb = max(self.peak_mb, self._process.memory_info().rss / 2**20)

    def __enter__(self):
        self._stop = threading.Event()
        self._sample()

        def loop():
            while not self._stop.wait(self._interval):
                self._sample()

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()


BENCH_COLUMNS = ["engine", "records_left", "records_right", "candidate_pairs", "startup_s",
                 "wall_s", "peak_mb", "same_outcomes", "precision", "recall", "f1",
                 "twins_merged"]


def bench_linkage(scenario_name: str, authority: str, out: Path,
                  engines: tuple[str, ...] | None = None,
                  seed: int | None = None, scale: float | None = None,
                  repeats: int = 1) -> pd.DataFrame:
    """Run each engine on the same LA's data in one process; accuracy against the truth.

    What an engine starts (an import, a session: ``Engine.open``) and a warm-up link of the
    first ``WARM_UP_RECORDS`` records of each source (what a process loads once: the checks'
    schema, the name tables) are timed apart from its link (``startup_s``), as
    ``bench_central`` times start-up: otherwise the first engine also pays for what the others
    then find loaded. ``wall_s`` is standardising and linking every received source: with
    ``repeats`` above 1, the median of that many links, the engines taking turns (one link
    each, then again), so that a machine whose speed drifts during the benchmark (this one's
    moves by 10-15% between runs) slows every engine alike. ``peak_mb`` is the highest of its
    links. ``same_outcomes`` says whether every record got the same outcome, match and score
    as with the first engine ('' for the first).

    Writes ``bench_linkage.csv`` and one ``linkage_quality_<engine>.csv`` per engine in ``out``.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, not {repeats}")
    engines = default_engines() if engines is None else engines
    scenario = load_scenario(scenario_name, authorities=[authority], seed=seed, scale=scale)
    authority = next(iter(scenario.authorities))  # the scenario's own spelling
    data = out / "synthetic"
    write_synthetic(synthesise(scenario, authority), data, scenario)
    truth = read_csv(data / "truth" / "truth_records.csv")
    twin_of = read_csv(data / "truth" / "truth_people.csv").set_index("person_id")[
        "twin_person_id"].fillna("")
    sources = read_authority(data, authority)
    ref = scenario.dates.nhs_extract
    spec = spec_from_settings(scenario.linkage)
    startup: dict[str, float] = {}
    walls: dict[str, list[float]] = {}
    peaks: dict[str, float] = {}
    linked: dict[str, tuple] = {}
    counts: tuple[int, ...] = ()
    with engines_for(scenario, engines) as chosen:  # set up, and closed on the way out
        for linker in chosen:
            t0 = time.perf_counter()
            linker.open()
            with warnings.catch_warnings():  # a few records: too few to estimate, as expected
                warnings.simplefilter("ignore")
                _link_sources({name: frame.head(WARM_UP_RECORDS)
                               for name, frame in sources.items()}, spec, linker.name, ref)
            startup[linker.name] = time.perf_counter() - t0
        for _ in range(repeats):
            for linker in chosen:
                linked.pop(linker.name, None)  # one link's outcomes kept per engine
                gc.collect()
                with PeakRSS() as memory:
                    started = time.perf_counter()
                    outcomes, rights = _link_sources(sources, spec, linker.name, ref)
                    walls.setdefault(linker.name, []).append(time.perf_counter() - started)
                peaks[linker.name] = max(peaks.get(linker.name, 0.0), memory.peak_mb)
                if not counts:  # outside the timing: every engine sees the same passes
                    counts = (sum(len(r) for _, r in rights),
                              sum(candidate_count(lf, r, spec) for lf, r in rights))
                linked[linker.name] = (outcomes, *counts)
                del rights
    rows, first = [], None
    for engine, (outcomes, n_right, n_pairs) in linked.items():
        same: str | bool = ""
        if first is None:
            first = outcomes
        else:
            same = bool(outcomes.round({"score": 6}).equals(first.round({"score": 6})))
        judged = accuracy.judge(outcomes, truth, MATCHED_AGAINST, twin_of)
        quality = accuracy.quality_table(judged, authority, engine, SOURCE_LABELS)
        write_csv(quality, out / f"linkage_quality_{engine}.csv", float_format="%.6f")
        total = accuracy.summarise(judged)
        rows.append({"engine": engine,
                     "records_left": sum(len(sources[s]) for s in RECEIVED_SOURCES),
                     "records_right": n_right, "candidate_pairs": n_pairs,
                     "startup_s": round(startup[engine], 1),
                     "wall_s": round(statistics.median(walls[engine]), 1),
                     "peak_mb": round(peaks[engine]), "same_outcomes": same,
                     "precision": round(total["precision"], 5),
                     "recall": round(total["recall"], 5), "f1": round(total["f1"], 5),
                     "twins_merged": total["twins_merged"]})
    table = pd.DataFrame(rows, columns=BENCH_COLUMNS)
    write_csv(table, out / "bench_linkage.csv", float_format="%.5f")
    return table


WARM_UP_RECORDS = 200  # per source: the untimed link that loads what a process loads once


def _link_sources(sources: dict[str, pd.DataFrame], spec, engine: str, ref: dt.date
                  ) -> tuple[pd.DataFrame, list[tuple[pd.DataFrame, pd.DataFrame]]]:
    """Standardise an LA's sources and link each received one as a run does
    (``link_authority``): the outcomes, and each link's (left, right) standardised records."""
    prepared = prepare_sources(sources, ref)
    shared: dict = {}  # each source's right-hand records and plan, kept by link_authority
    outcomes = link_authority(sources, spec, reference_date=ref, engine=engine,
                              prepared=prepared, shared=shared)
    return outcomes, [(prepared[source], shared[source][0]) for source in RECEIVED_SOURCES]


CENTRAL_OVERLAY = "central-all-wales"


def _generate_all(scenario_name: str, out: Path, seed: int | None, scale: float | None,
                  overrides: dict | None) -> float:
    """Generate every LA of a central-matching run (in a child process: its memory is not
    the central link's); returns the wall time."""

    run = Run.open(scenario_name, out, seed=seed, scale=scale, overlays=(CENTRAL_OVERLAY,),
                   overrides=overrides)
    started = time.perf_counter()
    for authority in run.scenario.authorities:
        run.require("generate", authority)
    return time.perf_counter() - started


class ChildrenPeakRSS(PeakRSS):
    """Peak resident memory (MB) of this process's children while a block runs: the JVM
    (``jvm_peak_mb``: Spark's driver, and in local mode its executor) and the others
    (``workers_peak_mb``: e.g. Spark's Python workers), each summed over its processes."""

    def __init__(self, interval: float = 0.1):
        super().__init__(interval)
        self.jvm_peak_mb = self.workers_peak_mb = 0.0

    def _sample(self) -> None:
        jvm = workers = 0
        for child in self._process.children(recursive=True):
            try:
                rss = child.memory_info().rss
                if child.name() == "java":
                    jvm += rss
                else:
                    workers += rss
            except psutil.Error:  # gone in between
                continue
        self.jvm_peak_mb = max(self.jvm_peak_mb, jvm / 2**20)
        self.workers_peak_mb = max(self.workers_peak_mb, workers / 2**20)


CENTRAL_COLUMNS = ["engine", "authorities", "nhs_records", "plasc_records", "candidate_pairs",
                   "generate_s", "prepare_s", "startup_s", "central_link_s", "pairs_per_s",
                   "central_peak_mb", "jvm_peak_mb", "workers_peak_mb", "process_peak_mb",
                   "same_outcomes", "matched_share", "precision", "recall", "f1"]


def central_inputs(run) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every LA's NHS records and all-Wales PLASC (with ``holder``), standardised, as
    ``stages.link_centrally`` reads them; read once, then linked by each engine."""

    nhs, plasc = [], []
    for authority in run.scenario.authorities:
        folder = run.inputs_dir(authority)
        nhs.append(read_records(folder / FILE_NAMES[NWSSP], NWSSP, authority))
        for source, holder in ((PLASC, authority), (PLASC_WALES, "")):
            plasc.append(read_records(folder / FILE_NAMES[source], source, authority)
                         .assign(holder=holder))
    ref = run.scenario.dates.nhs_extract
    return (prepare(pd.concat(nhs, ignore_index=True), ref),
            prepare(pd.concat(plasc, ignore_index=True), ref))


def bench_central(scenario_name: str, out: Path, *, engine: str | None = None,
                  seed: int | None = None, scale: float | None = None) -> pd.DataFrame:
    """Central matching of all-Wales NHS records against all-Wales PLASC, as one link.

    Every LA is generated first in a child process (skipped when ``out`` already holds it);
    then this process reads and standardises the records once (``prepare_s``) and links
    (``central_link_s``), with its peak memory sampled while it does. Accuracy is judged
    against the truth of every LA. An engine that mirrors another (``Engine.mirrors``: Spark
    mirrors Splink on DuckDB) links the same data after it, one row each: what an engine starts
    (a Spark session, Splink's import) is timed before its link (``startup_s``), the JVM's and
    Spark's Python workers' peak memory are sampled too, and ``same_outcomes`` says whether
    every record got the same outcome, match and score as with the engine it mirrors. Writes
    ``bench_central.csv`` in ``out``.
    """

    out = Path(out)
    overrides = {"cross_border": {"central_engine": engine}} if engine else None
    # checked here first (an engine whose extra is missing is refused before any generation)
    load_scenario(scenario_name, seed=seed, scale=scale, overlays=(CENTRAL_OVERLAY,),
                  overrides=overrides)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        generate_s = pool.submit(_generate_all, scenario_name, out, seed, scale,
                                 overrides).result()
    run = Run.open(scenario_name, out, seed=seed, scale=scale, overlays=(CENTRAL_OVERLAY,),
                   overrides=overrides)
    stale = [a for a in run.scenario.authorities if not run.is_done("generate", a)]
    if stale:  # the timed link would generate them itself
        raise RuntimeError(f"generation did not complete for {', '.join(stale)}")
    ref, cross = run.scenario.dates.nhs_extract, run.scenario.cross_border
    chosen = run.scenario.cross_border.central_engine
    mirrored = get_engine(chosen).mirrors
    names = (mirrored, chosen) if mirrored else (chosen,)
    truth = pd.concat([read_csv(run.truth_dir(a) / "truth_records.csv")
                       for a in run.scenario.authorities], ignore_index=True)
    plasc = int(truth["source"].isin([PLASC, PLASC_WALES]).sum())
    t0 = time.perf_counter()
    nhs_std, plasc_std = central_inputs(run)  # read and standardised once, for every engine
    prepare_s = time.perf_counter() - t0
    spec = spec_from_settings(run.scenario.linkage, run.scenario.shared_identifiers())
    rows, first = [], None
    with engines_for(run.scenario, names) as chosen_engines:
        for linker in chosen_engines:
            name = linker.name
            t0 = time.perf_counter()
            linker.open()  # a session or a heavy import, timed apart from the link
            startup = time.perf_counter() - t0
            gc.collect()
            with PeakRSS() as rss, ChildrenPeakRSS() as children:
                t0 = time.perf_counter()
                outcomes = link_central(nhs_std, plasc_std, spec, reference_date=ref,
                                        engine=name,
                                        other_la_min_weight=cross.other_la_min_weight)
                wall = time.perf_counter() - t0
            judged = accuracy.judge(outcomes.drop(columns="authority"), truth,
                                    {NWSSP: (PLASC, PLASC_WALES)})
            stats = accuracy.summarise(judged)
            same: str | bool = ""  # '' for the first engine
            if first is None:
                first = outcomes
            else:
                same = bool(outcomes.round({"score": 6}).equals(first.round({"score": 6})))
            rows.append({
                "engine": name, "authorities": len(run.scenario.authorities),
                "nhs_records": len(outcomes), "plasc_records": plasc,
                "generate_s": round(generate_s, 1), "prepare_s": round(prepare_s, 1),
                "startup_s": round(startup, 1),
                "central_link_s": round(wall, 1), "central_peak_mb": round(rss.peak_mb),
                "jvm_peak_mb": round(children.jvm_peak_mb),
                "workers_peak_mb": round(children.workers_peak_mb),
                "process_peak_mb": round(peak_mb()), "same_outcomes": same,
                "matched_share": round(float(
                    judged.loc[judged["outcome"] != OUT_OF_SCOPE, "linked"].mean()), 5),
                "precision": round(stats["precision"], 5), "recall": round(stats["recall"], 5),
                "f1": round(stats["f1"], 5)})
    # counted outside the timing: every engine links the same pairs
    pairs = int(candidate_count(nhs_std, plasc_std, central_spec(spec)))
    for row in rows:
        row["candidate_pairs"] = pairs
        row["pairs_per_s"] = round(pairs / row["central_link_s"]) if row["central_link_s"] else 0
    table = pd.DataFrame(rows, columns=CENTRAL_COLUMNS)
    write_csv(table, out / "bench_central.csv")
    return table


HOSTILE_COLUMNS = ["task", "engine", "left_rows", "right_rows", "candidate_pairs", "wall_s",
                   "peak_mb", "precision", "recall", "f1", "status", "warnings"]


def count_candidate_pairs(left_std: pd.DataFrame, right_std: pd.DataFrame, spec) -> int:
    """Distinct candidate pairs the blocking plan makes for these standardised records (within
    the pair budget), as bench_linkage counts them; the plan's warnings are the link's to give.
    """

    return int(candidate_count(left_std, right_std, spec))


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip().rstrip(":")


def _messages(caught) -> str:
    """Warning messages, first line each, in order, without repeats, joined with ' | '."""
    lines = []
    for caught_warning in caught:
        text = str(caught_warning.message).strip()
        lines.append(text.splitlines()[0] if text else caught_warning.category.__name__)
    return " | ".join(dict.fromkeys(lines))


def bench_hostile(out: Path, engines: tuple[str, ...] | None = None, *, quick: bool = False,
                  seed: int | None = None) -> pd.DataFrame:
    """Every hostile task and FEBRL 1-3 through ``cme_eval.link`` with each engine.

    One row per task and engine: rows on each side, candidate pairs (counted outside the
    timing, from the same blocking every engine uses), wall time, peak memory, precision,
    recall and F1 against the truth, the status ('ok' or the one-line error: one task failing
    never stops the others) and the warnings the link gave. ``quick`` makes the hostile tasks
    a tenth of their size (FEBRL is always whole). Writes ``bench_hostile.csv`` in ``out``.
    """

    engines = default_engines() if engines is None else engines
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    scale = 0.1 if quick else 1.0
    seed = outside_data.SEED if seed is None else seed
    # Made one at a time, when its turn comes: only one task's frames are held at once.
    tasks = [lambda name=name: outside_data.hostile_task(name, scale, seed)
             for name in outside_data.HOSTILE]
    tasks += [lambda n=n: outside_data.febrl_task(n) for n in outside_data.FEBRL_SETS]
    rows = []
    for make in tasks:
        task = make()
        kwargs = dict(task.link_kwargs)
        pairs, count_note = None, ""
        try:
            ref = cast(dt.date, kwargs.get("reference_date"))  # every task sets it
            date_order = kwargs.get("date_order", "auto")
            spec = api._settings(kwargs.get("spec"), kwargs.get("school_age_only", True),
                                 kwargs.get("one_to_one", True), date_order)
            _, _, lstd, rstd = api._prepared(task.left, task.right, task.columns, ref,
                                             date_order)
            pairs = count_candidate_pairs(lstd, rstd, spec)
            del lstd, rstd
        except Exception as exc:  # noqa: BLE001 - the link below reports it too
            count_note = f"candidate pairs not counted: {_one_line(exc)}"
        for engine in engines:
            gc.collect()
            status, scores = "ok", {}
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                with PeakRSS() as memory:
                    started = time.perf_counter()
                    try:
                        outcomes = task.link(engine)
                    except Exception as exc:  # noqa: BLE001 - a row, not a crash
                        outcomes, status = None, _one_line(exc)
                    wall = time.perf_counter() - started
            if outcomes is not None:
                if len(outcomes) != len(task.left):
                    status = (f"{len(outcomes)} outcome rows for {len(task.left)} left "
                              "records")
                scores = task.score(outcomes)
                del outcomes
            noted = _messages(caught)
            rows.append({"task": task.name, "engine": engine, "left_rows": len(task.left),
                         "right_rows": len(task.right), "candidate_pairs": pairs,
                         "wall_s": round(wall, 2), "peak_mb": round(memory.peak_mb),
                         "precision": round(scores.get("precision", float("nan")), 5),
                         "recall": round(scores.get("recall", float("nan")), 5),
                         "f1": round(scores.get("f1", float("nan")), 5), "status": status,
                         "warnings": " | ".join(x for x in (noted, count_note) if x)})
        del task
    table = pd.DataFrame(rows, columns=HOSTILE_COLUMNS)
    table["candidate_pairs"] = table["candidate_pairs"].astype("Int64")
    write_csv(table, out / "bench_hostile.csv", float_format="%.5f")
    return table


class TreePeakRSS(PeakRSS):
    """Peak resident memory (MB) of this process and all its children together: a process
    pool's footprint, sampled as one sum (each process's own peak would overstate it)."""

    def _sample(self) -> None:
        total = self._process.memory_info().rss
        for child in self._process.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:  # gone in between
                continue
        self.peak_mb = max(self.peak_mb, total / 2**20)


def bench_replicates(scenario_name: str, n: int, out: Path, *,
                     authorities: tuple[str, ...] = (), seed: int | None = None,
                     scale: float | None = None, workers: int = 2) -> pd.DataFrame:
    """``cme-eval replicate`` timed: wall time, seconds per replicate, and the peak memory of
    the whole pool (this process and its workers summed). Writes ``bench_replicates.csv``."""

    scenario = load_scenario(scenario_name, seed=seed, scale=scale,
                             authorities=list(authorities) or None)
    started = time.perf_counter()
    with TreePeakRSS(interval=0.25) as memory:
        result = replicate(scenario_name, n, out, authorities=authorities, seed=seed,
                           scale=scale, workers=workers)
    wall = time.perf_counter() - started
    received = result.rows[result.rows["authority"] == "All"]["received"]
    table = pd.DataFrame([{
        "scenario": scenario.name, "scale": scenario.scale,
        "authorities": len(scenario.authorities), "replicates": n, "workers": workers,
        "records_per_replicate": int(received.mean()), "wall_s": round(wall, 1),
        "s_per_replicate": round(wall / n, 1),
        "replicate_s_one_worker": round(wall * workers / n, 1),
        "peak_mb_all_processes": round(memory.peak_mb)}])
    write_csv(table, out / "bench_replicates.csv")
    return table


RUN_COLUMNS = ["path", "stage", "runs", "sum_s", "wall_s"]
_TIMED = r"INFO (?P<who>.+?): (?P<notebook>\d\d_(?P<stage>\w+)\.ipynb) ran in (?P<s>[\d.]+) s"


def _library_authority(args: tuple) -> list[tuple[str, float]]:
    """One LA's stages through the library (a worker process): (stage, seconds) each."""

    scenario_name, folder, authority, seed, scale = args
    run = stages.Run.open(scenario_name, folder, authorities=[authority], seed=seed, scale=scale)
    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for stage in ("generate", "link", "evaluate"):
            started = time.perf_counter()
            stages.STAGE_FUNCTIONS[stage](run, authority)
            times.append((stage, time.perf_counter() - started))
    return times


def bench_run(scenario_name: str, out: Path, *, authorities: tuple[str, ...] = (),
              seed: int | None = None, scale: float | None = None,
              workers: int = 2) -> pd.DataFrame:
    """Where a run's time goes: the notebook path (``cme-eval run``: papermill, one executed
    notebook per stage and LA, one kernel per worker, into ``out/notebooks-path``) and the
    library path (the same stage functions called in ``workers`` processes, Excel baseline
    included, into ``out/library-path``), each from an empty folder. Per path and stage: how
    many ran, their summed seconds, and each path's wall time. Writes ``bench_run.csv``."""

    scenario = load_scenario(scenario_name, seed=seed, scale=scale,
                             authorities=list(authorities) or None)
    las = list(scenario.authorities)
    out = Path(out)
    rows = []
    notebooks = out / "notebooks-path"
    shutil.rmtree(notebooks, ignore_errors=True)
    started = time.perf_counter()
    run(RunRequest(scenario_name, notebooks, tuple(las) if authorities else (), seed, scale,
                   workers, progress=False))
    wall = time.perf_counter() - started
    timed = pd.DataFrame([m.groupdict() for m in re.finditer(
        _TIMED, (notebooks / LOG_FILE).read_text(encoding="utf-8"))])
    timed["s"] = timed["s"].astype(float)
    for stage, group in timed.groupby("stage", sort=False):
        rows.append({"path": "notebooks", "stage": stage, "runs": len(group),
                     "sum_s": group["s"].sum(), "wall_s": float("nan")})
    rows.append({"path": "notebooks", "stage": "whole run", "runs": len(timed),
                 "sum_s": timed["s"].sum(), "wall_s": wall})

    library = out / "library-path"
    shutil.rmtree(library, ignore_errors=True)
    started = time.perf_counter()
    tasks = [(scenario_name, str(library), a, seed, scale) for a in las]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        per_la = list(pool.map(_library_authority, tasks))
    tic = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stages.compile_report(stages.Run.open(scenario_name, library, authorities=las,
                                              seed=seed, scale=scale))
    compile_s = time.perf_counter() - tic
    wall_library = time.perf_counter() - started
    times = pd.DataFrame([t for la in per_la for t in la] + [("compile", compile_s)],
                         columns=["stage", "s"])
    for stage, group in times.groupby("stage", sort=False):
        rows.append({"path": "library", "stage": stage, "runs": len(group),
                     "sum_s": group["s"].sum(), "wall_s": float("nan")})
    rows.append({"path": "library", "stage": "whole run", "runs": len(times),
                 "sum_s": times["s"].sum(), "wall_s": wall_library})
    table = pd.DataFrame(rows, columns=RUN_COLUMNS)
    table["sum_s"] = table["sum_s"].round(1)
    table["wall_s"] = table["wall_s"].round(1)
    write_csv(table, out / "bench_run.csv")
    return table
