"""The ``cme-eval`` command line: run the evaluation, generate data, compare what-ifs, benchmark.

Every refusal is one line, ``cme-eval: error: ...``, with exit code 2: a bad flag is named by
argparse, a bad setting by its file and key, a bad run folder by ``--out``. A path is read
relative to where the user stands.
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import logging
import math
import sys
import tempfile
import typing
from pathlib import Path

from tqdm import tqdm

from cme_eval import __version__
from cme_eval.config import (
    ConfigError,
    available_overlays,
    available_scenarios,
    resolve_authorities,
    resolved_settings,
)
from cme_eval.config.settings import EARLIEST_DATE, LATEST_DATE
from cme_eval.evaluate.compare import parse_overlays
from cme_eval.exceptions import CmeEvalError, one_line
from cme_eval.inputs.layout import read_layout
from cme_eval.inputs.schema import FILE_NAMES, NWSSP, inputs_folder
from cme_eval.linkage.engines import default_engines, engine_names, scoring_engines
from cme_eval.run import folder as run_folder
from cme_eval.run.scenario import load as load_scenario
from cme_eval.synth.sources import synthesise, write_synthetic

# A command's implementation is imported by the command that runs it, not here: the notebook
# machinery (papermill, nbformat: ~1.8 s) and the stages (matplotlib) would otherwise load
# for every ``--help`` and every refusal. These are the only imports placed in functions in the
# package besides optional extras; tests/unit/test_architecture.py lists them and checks that
# none hides an import circle.
from cme_eval.wales import AUTHORITY_NAMES, PILOT_AUTHORITIES

ENGINES = engine_names()
BENCH_ENGINES = default_engines()  # an engine that needs an optional extra only when named


# -- argument types: a bad value is refused by argparse, which names the flag ----------------


def _authorities(text: str) -> tuple[str, ...]:
    names = tuple(a.strip() for a in text.split(",") if a.strip())
    if not names:
        raise argparse.ArgumentTypeError("give at least one LA name, e.g. 'Cardiff,Powys'")
    return names


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or not 0 < value <= 10:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most 10, got {text}")
    return value


def _whole(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def _date(text: str) -> str:
    try:
        date = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None
    if not EARLIEST_DATE <= date <= LATEST_DATE:
        raise argparse.ArgumentTypeError(
            f"{date.isoformat()} is out of range; allowed: {EARLIEST_DATE.isoformat()} to "
            f"{LATEST_DATE.isoformat()}")
    return date.isoformat()


def _authority_name(text: str) -> str:
    """One of the 22 Welsh LAs, whatever its case or hyphens, with a did-you-mean."""

    try:
        return resolve_authorities([text], list(AUTHORITY_NAMES), "Wales", where="LA")[0]
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc).replace("scenario 'Wales'", "Wales")) from None


def _engines(text: str) -> tuple[str, ...]:
    names = _authorities(text)
    unknown = [n for n in names if n not in ENGINES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown engine {unknown[0]!r}; allowed: {', '.join(ENGINES)}")
    return names


# -- the parser --------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, with a refusal in the same one-line form as every other refusal."""

    def error(self, message: str) -> typing.NoReturn:
        command = " ".join(self.prog.split()[1:])
        where = f"{command}: " if command else ""
        self.exit(2, f"cme-eval: error: {where}{message} (see: {self.prog} --help)\n")


SCENARIO_HELP = (f"scenario name ({', '.join(available_scenarios())}) or path to a YAML file, "
                 "relative to where you stand")


def _scenario_args(p: argparse.ArgumentParser, *, authorities: str | None = "many",
                   default: str | None = None) -> None:
    if default:
        p.add_argument("scenario", nargs="?", default=default,
                       help=f"{SCENARIO_HELP} (default: {default})")
    else:
        p.add_argument("scenario", help=SCENARIO_HELP)
    if authorities == "many":
        p.add_argument("--authorities", type=_authorities, default=(), metavar="LA,LA",
                       help="comma-separated LA names, e.g. 'Cardiff,Powys'; case and hyphens "
                       "do not matter (default: every LA of the scenario; the pilot LAs are "
                       f"{', '.join(PILOT_AUTHORITIES)})")
    elif authorities == "one":
        p.add_argument("--authority", required=True, metavar="LA",
                       help="one LA of the scenario, e.g. Cardiff")
    p.add_argument("--seed", type=_whole(0), metavar="N",
                   help="override the scenario's seed (a whole number, 0 or more)")
    p.add_argument("--scale", type=_scale, metavar="X",
                   help="override the scenario's size: 1 is full size, 0.01 is 1%% "
                   "(above 0, at most 10)")


def _verbosity(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", action="store_true",
                       help="no progress bar: print only warnings and errors")
    group.add_argument("-v", "--verbose", action="store_true",
                       help="also print what each stage does, and papermill's messages "
                       "(by default: a progress bar, warnings and errors)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cme-eval",
        description="Re-run, extend and stress-test the evaluation of the 2025 children "
        "missing education (CME) database pilot on a synthetic Welsh population.",
        epilog="Each command has its own help: cme-eval run --help. Exit codes: 0 done; "
        f"{EXIT_REFUSED} refused or failed, one line on stderr says why (a flag, a setting, a "
        f"file, a folder, a full disk); {EXIT_STOPPED} stopped with Ctrl-C (run the same "
        "command again to resume).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p_run = sub.add_parser(
        "run", help="run every stage for every LA, then compile the report",
        description="Generate, link and evaluate each LA through the papermill notebooks, "
        "then compile the tables, spreadsheets, figures and HTML report into one run folder.")
    _scenario_args(p_run)
    p_run.add_argument("--out", type=Path, metavar="DIR",
                       help="run folder (default: reports/SCENARIO under the current folder, "
                       "with the LAs, seed and scale in the name when they differ from the "
                       "scenario's, e.g. reports/pilot-2025--cardiff--s0.1)")
    p_run.add_argument("--workers", type=_whole(1), default=2, metavar="N",
                       help="LAs run side by side (default 2, one per core here); results "
                       "never depend on it")
    p_run.add_argument("--force", action="store_true",
                       help="clear the run folder first if it holds another run (a folder "
                       "that is not a cme-eval run folder is never cleared)")
    p_run.add_argument("--replicates-from", type=Path, metavar="DIR",
                       help="a cme-eval replicate folder of the same scenario, seed, scale "
                       "and LAs: the report shows the replicates' range beside its figures")
    p_run.add_argument("--decisions", type=Path, metavar="FILE",
                       help="a reviewer's decisions on partial matches (the partial_for_review "
                       "list, or outcomes.csv rows, with a decision column: match / not a "
                       "match): they override the matching for those pairs and teach it m")
    _verbosity(p_run)

    p_gen = sub.add_parser(
        "generate", help="write one LA's synthetic sources and truth (data only)",
        description="Generate one LA's synthetic population: the files an LA would receive "
        "and hold, with the truth and the profile of declared against realised errors.")
    _scenario_args(p_gen, authorities="one")
    p_gen.add_argument("--out", type=Path, required=True, metavar="DIR",
                       help="folder to write into (created if missing)")
    _verbosity(p_gen)

    p_ev = sub.add_parser(
        "evaluate", help="evaluate an LA's own extracts (no truth): tables, report, work lists",
        description="Ingest, standardise and link an LA's own files (a folder laid out like "
        "the inputs/ that generate writes), through the same notebooks as a run, and write "
        "Table 5.1, Table 6.1, the review workload, the methods compared (counts), the ingest "
        "report, report.html and the manifest. Record-level working lists go to "
        "OUT/restricted/ only. Disclosure control is on unless --no-disclosure-control.")
    p_ev.add_argument("inputs", type=Path, metavar="INPUTS_DIR",
                      help="the LA's files: nhs_extract.csv, plasc.csv, ehe.csv, eotas.csv, "
                      "ooc.csv, cme_register.csv and independent_returns/")
    p_ev.add_argument("--authority", type=_authority_name, required=True, metavar="NAME",
                      help="the local authority the extracts belong to")
    p_ev.add_argument("--out", type=Path, required=True, metavar="DIR",
                      help="run folder to write into (created if missing)")
    p_ev.add_argument("--extract-date", type=_date, metavar="YYYY-MM-DD",
                      help="date of the NHS extract: decides compulsory school age (default: "
                      "the scenario's, 30 April 2025)")
    p_ev.add_argument("--no-disclosure-control", action="store_true",
                      help="exact counts in every table: for internal use only, never for "
                      "release")
    p_ev.add_argument("--workers", type=int, default=1, metavar="N",
                      help="notebooks run at once (default 1)")
    p_ev.add_argument("--force", action="store_true",
                      help="clear DIR first if it holds another run")
    p_ev.add_argument("--decisions", type=Path, metavar="FILE",
                      help="a reviewer's decisions on partial matches (the partial_for_review "
                      "list, or outcomes.csv rows, with a decision column: match / not a "
                      "match): they override the matching for those pairs and teach it m")
    _verbosity(p_ev)

    p_cmp = sub.add_parser(
        "compare", help="policy what-ifs on the same population",
        description="Run the baseline and each overlay on the same population and seed, and "
        "write scenario_comparison.csv, a figure and scenario_comparison.html.")
    _scenario_args(p_cmp)
    p_cmp.add_argument("--overlays", required=True, metavar="A,B+C",
                       help="comma-separated overlays; join with + to combine, e.g. "
                       f"'nhs-number,uprn,nhs-number+uprn' (available: "
                       f"{', '.join(available_overlays())})")
    p_cmp.add_argument("--out", type=Path, required=True, metavar="DIR",
                       help="folder for the comparison (each scenario's run in DIR/runs/)")
    _verbosity(p_cmp)

    p_rep = sub.add_parser(
        "replicate", help="the scenario on N seeds: how much of each figure is chance",
        description="Run the scenario on N seeds derived from its own (library stages, in a "
        "process pool) and write replicates.csv (one row per replicate and LA), "
        "replicates_published.csv and replicate_summary.csv (mean, sd, 2.5/50/97.5th "
        "percentiles).")
    _scenario_args(p_rep)
    p_rep.add_argument("--replicates", type=_whole(1), required=True, metavar="N",
                       help="how many seeds (1 or more)")
    p_rep.add_argument("--out", type=Path, required=True, metavar="DIR",
                       help="folder for the replicate tables (created if missing)")
    p_rep.add_argument("--workers", type=_whole(1), default=2, metavar="N",
                       help="replicates run side by side (default 2); results never depend "
                       "on it")
    p_rep.add_argument("--parameter-draws", action="store_true",
                       help="also run the same seeds with every fitted setting drawn from its "
                       "95%% interval (cme-eval calibrate), so the report separates chance "
                       "from the uncertainty of the fit (twice the runs)")
    _verbosity(p_rep)

    p_sen = sub.add_parser(
        "sensitivity", help="which assumption moves the figures most (one at a time)",
        description="Vary each setting to its declared low and high, one at a time, on the "
        "scenario's own population; write sensitivity.csv and a tornado figure per headline "
        "measure, with the replicates' 95% range drawn on it.")
    _scenario_args(p_sen)
    p_sen.add_argument("--out", type=Path, required=True, metavar="DIR",
                       help="folder for sensitivity.csv and figures/ (created if missing)")
    p_sen.add_argument("--parameters", nargs="+", metavar="NAME[=LOW:HIGH]",
                       help="settings to vary (default: every error rate, status share and "
                       "follow-up probability of the scenario, and the partial-match "
                       "threshold), e.g. errors.outdated_address=0.5:2 "
                       "linkage.partial_min_weight")
    p_sen.add_argument("--replicates", type=_whole(0), default=10, metavar="N",
                       help="replicates run to measure chance (default 10; 0: none)")
    p_sen.add_argument("--replicates-from", type=Path, metavar="DIR",
                       help="use a cme-eval replicate folder of the same run instead")
    p_sen.add_argument("--workers", type=_whole(1), default=2, metavar="N",
                       help="runs side by side (default 2); results never depend on it")
    _verbosity(p_sen)

    p_cal = sub.add_parser(
        "calibrate", help="fit the scenario's free settings to its published targets",
        description="Fit the settings the scenario declares free (calibration.free) to the "
        "published figures of its targets file (synthetic/targets/), on an emulator measured "
        "from a run's truth, then run the fitted world at full size. Writes calibration.csv, "
        "parameters.csv, fitted.yaml and calibration.png into --out. With --check: rerun the "
        "scenario as it stands at calibration.check_scale and fail naming every target "
        "outside its interval.")
    p_cal.add_argument("scenario", help="a scenario name (pilot-2025) or a path to a .yaml")
    p_cal.add_argument("--out", type=Path, metavar="DIR",
                       help="folder for the fit's outputs (required unless --check)")
    p_cal.add_argument("--check", action="store_true",
                       help="judge the scenario as it stands instead of fitting it")
    p_cal.add_argument("--save", action="store_true",
                       help="also write the fitted values where the scenario reads them "
                       "(calibration.fitted)")
    p_cal.add_argument("--replicates", type=_whole(1), default=5, metavar="N",
                       help="runs of the fitted world on as many seeds (default 5): a target's "
                       "fitted value is their mean")
    p_cal.add_argument("--workers", type=_whole(1), default=2, metavar="N",
                       help="runs side by side (default 2); results never depend on it")
    p_cal.add_argument("--scale", type=float, metavar="S",
                       help="the size to run at: with --check the rerun (default "
                       "calibration.check_scale); otherwise every run of the fit, a quick "
                       "trial judged as the check judges a small run")
    _verbosity(p_cal)

    p_bench = sub.add_parser(
        "bench", help="benchmarks that print figures (time, memory)",
        description="Benchmarks print wall time and peak memory; they are never timed tests.")
    bench_sub = p_bench.add_subparsers(dest="bench", required=True, metavar="BENCHMARK")
    b_link = bench_sub.add_parser(
        "linkage", help="every engine side by side on one LA",
        description="Link one LA with each engine on the same data; writes bench_linkage.csv "
        "and a linkage_quality_ENGINE.csv per engine.")
    _scenario_args(b_link, authorities="one")
    b_link.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="folder for the generated data and the benchmark tables")
    b_link.add_argument("--engines", type=_engines, default=BENCH_ENGINES, metavar="E,E",
                        help=f"comma-separated engines (default: {','.join(BENCH_ENGINES)}; "
                        f"allowed: {','.join(ENGINES)})")
    b_link.add_argument("--repeats", type=_whole(1), default=1, metavar="N",
                        help="time N links of each engine, taking turns, and report the median "
                        "(default: 1)")
    _verbosity(b_link)
    b_gen = bench_sub.add_parser(
        "generate", help="generate every LA of a scenario",
        description="Generate every LA of a scenario; prints time and peak memory per LA. "
        "Writes only to a temporary folder, removed afterwards.")
    _scenario_args(b_gen)
    _verbosity(b_gen)
    b_cen = bench_sub.add_parser(
        "central", help="central matching: all-Wales NHS records against all-Wales PLASC",
        description="Generate every LA of a scenario with all 22 LAs and link all NHS records "
        "against all-Wales PLASC in one go; prints rows, candidate pairs, time, peak memory "
        "and pairs per second. An engine that mirrors another (the same spec on another "
        "backend, e.g. Spark) links the same data beside it (JVM memory too, and whether the "
        "outcomes agree).")
    _scenario_args(b_cen, authorities=None, default="wales-2025")
    b_cen.add_argument("--out", type=Path, required=True, metavar="DIR",
                       help="folder for the generated data and bench_central.csv")
    b_cen.add_argument("--engine", choices=scoring_engines(),
                       help="engine of the central link (default: the scenario's "
                       "cross_border.central_engine); an engine that mirrors another runs "
                       "beside it (the scenario's spark: settings say where Spark runs)")
    _verbosity(b_cen)
    b_hos = bench_sub.add_parser(
        "hostile", help="data the project did not make: hostile frames and FEBRL 1-3",
        description="Link each hostile frame (constant postcode, one surname and date of "
        "birth for all, no address or postcode, identical people, US dates and ZIP codes, "
        "constant surname) and FEBRL 1-3 with each engine; writes bench_hostile.csv with "
        "pairs, time, peak memory, precision, recall, F1, status and warnings.")
    b_hos.add_argument("--out", type=Path, required=True, metavar="DIR",
                       help="folder for bench_hostile.csv (created if missing)")
    b_hos.add_argument("--engines", type=_engines, default=BENCH_ENGINES, metavar="E,E",
                       help=f"comma-separated engines (default: {','.join(BENCH_ENGINES)}; "
                       f"allowed: {','.join(ENGINES)})")
    b_hos.add_argument("--quick", action="store_true",
                       help="hostile frames at a tenth of their size (FEBRL stays whole), "
                       "e.g. for tests")
    _verbosity(b_hos)
    b_rep = bench_sub.add_parser(
        "replicates", help="replicates: time per replicate and peak memory of the pool",
        description="Run cme-eval replicate and print its wall time, the time per replicate "
        "and the peak memory of this process and its workers together; writes "
        "bench_replicates.csv beside the replicate tables.")
    _scenario_args(b_rep, default="pilot-2025")
    b_rep.add_argument("--replicates", type=_whole(1), default=20, metavar="N",
                       help="how many seeds (default 20)")
    b_rep.add_argument("--workers", type=_whole(1), default=2, metavar="N",
                       help="replicates run side by side (default 2)")
    b_rep.add_argument("--out", type=Path, required=True, metavar="DIR",
                       help="folder for the replicate tables and bench_replicates.csv")
    _verbosity(b_rep)
    b_run = bench_sub.add_parser(
        "run", help="where a run's time goes: notebooks beside the library, per stage",
        description="Run the scenario through the notebooks (as cme-eval run) and through the "
        "library stages (the same functions, no kernels), each from an empty folder, and "
        "print per stage how many ran, their summed seconds and each path's wall time; "
        "writes bench_run.csv.")
    _scenario_args(b_run, default="pilot-2025")
    b_run.add_argument("--workers", type=_whole(1), default=2, metavar="N",
                       help="LAs side by side on each path (default 2)")
    b_run.add_argument("--out", type=Path, required=True, metavar="DIR",
                       help="folder for both runs and bench_run.csv")
    _verbosity(b_run)
    # A misspelt flag is refused by the command it was given to, so the message points at that
    # command's own help (`cme-eval run --help`), not at the top-level one.
    for leaf in [*sub.choices.values(), *bench_sub.choices.values()]:
        leaf.set_defaults(leaf_parser=leaf)
    return parser


def _configure_logging(args: argparse.Namespace) -> None:
    verbose = getattr(args, "verbose", False)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    # Without -v the terminal shows warnings and errors only: the progress bar says what runs,
    # and run.log keeps what ran and how long (a what-if of 22 LAs once printed 132 lines).
    handler.setLevel(logging.DEBUG if verbose else logging.WARNING)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("papermill", "recordlinkage", "splink", "traitlets", "asyncio", "matplotlib",
                  "numexpr", "PIL", "duckdb"):
        logging.getLogger(noisy).setLevel(logging.INFO if verbose and noisy == "papermill"
                                          else logging.WARNING)


def _not_a_file(path: Path, flag: str = "--out") -> None:
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{flag} {path}: is a file, not a folder; give a folder name")


def _run(args: argparse.Namespace) -> None:
    from cme_eval.run.pipeline import RunRequest, run

    scenario = load_scenario(args.scenario, seed=args.seed, scale=args.scale,
                             authorities=list(args.authorities) or None)
    out = args.out or run_folder.default_folder(scenario, resolved_settings(args.scenario),
                                                Path("reports"))
    folder = run(RunRequest(args.scenario, out, args.authorities, args.seed, args.scale,
                            args.workers, force=args.force, progress=not args.quiet,
                            replicates_from=args.replicates_from, loaded=scenario,
                            decisions=args.decisions))
    print(f"Report written to {folder / 'report.html'}")


def _generate(args: argparse.Namespace) -> None:
    _not_a_file(args.out)
    scenario = load_scenario(args.scenario, seed=args.seed, scale=args.scale,
                             authorities=[args.authority])
    authority = next(iter(scenario.authorities))
    written = write_synthetic(synthesise(scenario, authority), args.out, scenario)
    print(f"{len(written)} files written to {args.out}")


EVALUATE_SCENARIO = "real-extract"


def _evaluate(args: argparse.Namespace) -> None:
    from cme_eval.run.pipeline import RunRequest, run
    from cme_eval.run.stages import read_warnings

    inputs = inputs_folder(args.inputs.expanduser())
    if not inputs.is_dir():
        raise ConfigError(f"INPUTS_DIR {args.inputs}: not a folder")
    run_folder.check_apart(args.out, {"INPUTS_DIR": inputs})  # before anything reads --out
    layout = read_layout(inputs)  # inputs.yaml, if any: the LA's own file names
    nhs = layout.files.get(FILE_NAMES[NWSSP], FILE_NAMES[NWSSP])
    if not layout.path(inputs, FILE_NAMES[NWSSP]).is_file():
        raise ConfigError(f"INPUTS_DIR {args.inputs}: no {nhs} in it; the folder is laid out "
                          "like the inputs/ that cme-eval generate writes, or as its "
                          "inputs.yaml says")
    _not_a_file(args.out)
    overrides: dict = {"report": {"real_data": True,
                                  "release_unprotected": bool(args.no_disclosure_control)}}
    if args.extract_date:
        overrides["dates"] = {"nhs_extract": args.extract_date}
    folder = run(RunRequest(EVALUATE_SCENARIO, args.out, (args.authority,), workers=args.workers,
                            force=args.force, progress=not args.quiet, inputs_dir=inputs,
                            overrides=overrides, decisions=args.decisions))
    for warning in read_warnings(folder):
        print(f"cme-eval: warning: {one_line(warning)}", file=sys.stderr)
    print(f"Report written to {folder / 'report.html'}; working lists (record-level, "
          f"restricted) in {folder / 'restricted'}")


def _compare(args: argparse.Namespace) -> None:
    from cme_eval.run.stages import compare_scenarios

    _not_a_file(args.out)
    overlay_sets = parse_overlays(args.overlays)
    path = compare_scenarios(args.scenario, overlay_sets, args.out,
                             seed=args.seed, scale=args.scale,
                             authorities=list(args.authorities) or None,
                             progress=_progress(args, "what-ifs", unit="LA"))
    print(f"written to {path}")


def _progress(args: argparse.Namespace, what: str, unit: str = "run"):
    """A progress bar for a loop of known length (``progress(items, total)``), or None with -q.
    The total is given, because a process pool's results arrive as an iterator without one."""

    if args.quiet:
        return None
    return lambda items, total: tqdm(items, total=total, desc=what, unit=unit, leave=False)


def _replicate(args: argparse.Namespace) -> None:
    from cme_eval.uncertainty.replicates import replicate

    _not_a_file(args.out)
    result = replicate(args.scenario, args.replicates, args.out, authorities=args.authorities,
                       seed=args.seed, scale=args.scale, workers=args.workers,
                       progress=_progress(args, "replicates"),
                       parameter_draws=args.parameter_draws)
    print(f"{result.meta['replicates']} replicates written to {args.out}")


def _sensitivity(args: argparse.Namespace) -> None:
    from cme_eval.uncertainty.sensitivity import sensitivity

    _not_a_file(args.out)
    entries = [e for item in args.parameters or () for e in item.split(",") if e.strip()]
    table = sensitivity(args.scenario, args.out, parameters=entries or None,
                        authorities=args.authorities, seed=args.seed, scale=args.scale,
                        workers=args.workers, replicates=args.replicates,
                        replicates_from=args.replicates_from,
                        progress=_progress(args, "sensitivity"))
    print(f"{table['parameter'].nunique()} parameters written to {args.out / 'sensitivity.csv'}")


def _calibrate(args: argparse.Namespace) -> None:
    from cme_eval.calibration import calibrate

    say = (lambda line: None) if args.quiet else print
    if args.check:
        with tempfile.TemporaryDirectory(prefix="cme-eval-check-") as work:
            table = calibrate.check(args.scenario, scale=args.scale, work=Path(work), say=say)
        print(f"calibrate --check: all {len(table)} targets that apply are within their "
              "intervals")
        return
    if args.out is None:
        raise ConfigError("calibrate: --out DIR is required (or give --check)")
    _not_a_file(args.out)
    result = calibrate.calibrate(args.scenario, args.out, replicates=args.replicates,
                                 workers=args.workers, save=args.save, scale=args.scale,
                                 say=say)
    print(f"calibrate: all {len(result.table)} targets within their intervals; written to "
          f"{args.out}")


def _bench(args: argparse.Namespace) -> None:
    from cme_eval.run import bench

    if getattr(args, "out", None) is not None:
        _not_a_file(args.out)
    if args.bench == "linkage":
        table = bench.bench_linkage(args.scenario, args.authority, args.out, tuple(args.engines),
                                    seed=args.seed, scale=args.scale, repeats=args.repeats)
        print(f"written to {args.out / 'bench_linkage.csv'}")
    elif args.bench == "hostile":
        table = bench.bench_hostile(args.out, tuple(args.engines), quick=args.quick)
        print(f"written to {args.out / 'bench_hostile.csv'}")
    elif args.bench == "central":
        table = bench.bench_central(args.scenario, args.out, engine=args.engine,
                                    seed=args.seed, scale=args.scale)
        print(f"written to {args.out / 'bench_central.csv'}")
    elif args.bench == "run":
        table = bench.bench_run(args.scenario, args.out, authorities=args.authorities,
                                seed=args.seed, scale=args.scale, workers=args.workers)
        notebooks, library = table[table["stage"] == "whole run"]["wall_s"]
        print(f"written to {args.out / 'bench_run.csv'}; notebook path {notebooks:.1f} s, "
              f"library path {library:.1f} s ({notebooks / library:.2f}x)")
    elif args.bench == "replicates":
        table = bench.bench_replicates(args.scenario, args.replicates, args.out,
                                       authorities=args.authorities, seed=args.seed,
                                       scale=args.scale, workers=args.workers)
        print(f"written to {args.out / 'bench_replicates.csv'}")
    else:
        table = bench.bench_generate(args.scenario, authorities=list(args.authorities) or None,
                                     seed=args.seed, scale=args.scale)
    print(bench.for_terminal(table))


COMMANDS = {"run": _run, "generate": _generate, "evaluate": _evaluate, "compare": _compare,
            "replicate": _replicate, "sensitivity": _sensitivity, "calibrate": _calibrate,
            "bench": _bench}


def main(argv: list[str] | None = None) -> int:
    args, unknown = _parser().parse_known_args(argv)
    if unknown:
        args.leaf_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    _configure_logging(args)
    try:
        COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("cme-eval: stopped; run the same command again to resume (finished stages are "
              "kept)", file=sys.stderr)
        return EXIT_STOPPED
    except CmeEvalError as exc:  # every error raised on purpose: one line, never a traceback
        print(f"cme-eval: error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_REFUSED
    except Exception as exc:
        cause = system_error(exc)
        if cause is None:
            raise  # a bug: its traceback is what fixes it
        where = f"{cause.filename}: " if cause.filename else ""
        resume = (" (free some space and run the same command again to resume)"
                  if cause.errno == errno.ENOSPC else "")
        print(f"cme-eval: error: {where}{cause.strerror or cause}{resume}", file=sys.stderr)
        return EXIT_REFUSED
    return 0


EXIT_REFUSED = 2  # one line on stderr says why: a bad flag, setting, file or folder
EXIT_STOPPED = 130  # stopped with Ctrl-C (128 + SIGINT, as shells report it)


def system_error(exc: BaseException) -> OSError | None:
    """The operating system's error behind ``exc``, if any: itself, or one it was raised from
    or while handling (papermill reports a full disk as a notebook it could not read back)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, OSError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


if __name__ == "__main__":
    sys.exit(main())
