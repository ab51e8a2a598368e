"""The ``cme-eval`` command line: run the evaluation, or generate one LA's synthetic data."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from cme_eval.config import REPO_ROOT, ConfigError, available_scenarios, load_scenario
from cme_eval.ingest import IngestError
from cme_eval.pipeline import PipelineError, RunRequest, run
from cme_eval.synth.sources import synthesise, write_synthetic
from cme_eval.wales import PILOT_AUTHORITIES


def _authorities(text: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in text.split(",") if a.strip())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cme-eval",
        description="Re-run the evaluation of the 2025 CME database pilot on synthetic data.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p_run = sub.add_parser("run", help="run every stage for every LA, then compile the report")
    p_run.add_argument("scenario", help=f"scenario name ({', '.join(available_scenarios())}) "
                       "or path to a YAML file")
    p_run.add_argument("--out", type=Path, help="run folder (default: reports/SCENARIO)")
    p_run.add_argument("--authorities", type=_authorities, default=(),
                       help="comma-separated LA names, e.g. 'Cardiff,Powys' (default: all in "
                       f"the scenario; the pilot LAs are {', '.join(PILOT_AUTHORITIES)})")
    p_run.add_argument("--seed", type=int, help="override the scenario's seed")
    p_run.add_argument("--scale", type=float, help="override the scenario's scale")
    p_run.add_argument("--workers", type=int, default=2,
                       help="LAs run side by side (default 2, one per core here)")

    p_gen = sub.add_parser("generate", help="write one LA's synthetic sources and truth")
    p_gen.add_argument("scenario")
    p_gen.add_argument("--authority", required=True)
    p_gen.add_argument("--out", type=Path, required=True)
    p_gen.add_argument("--seed", type=int)
    p_gen.add_argument("--scale", type=float)
    p_cmp = sub.add_parser("compare", help="policy what-ifs on the same population")
    p_cmp.add_argument("scenario")
    p_cmp.add_argument("--overlays", required=True,
                       help="comma-separated overlays; join with + to combine, e.g. "
                       "'nhs-number,uprn,nhs-number+uprn'")
    p_cmp.add_argument("--out", type=Path, required=True)
    p_cmp.add_argument("--seed", type=int)
    p_cmp.add_argument("--scale", type=float)
    p_cmp.add_argument("--authorities", type=_authorities, default=())

    p_bench = sub.add_parser("bench", help="benchmarks that print figures (time, memory)")
    bench_sub = p_bench.add_subparsers(dest="bench", required=True)
    b_link = bench_sub.add_parser("linkage", help="every engine side by side on one LA")
    b_link.add_argument("scenario")
    b_link.add_argument("--authority", required=True)
    b_link.add_argument("--out", type=Path, required=True)
    b_link.add_argument("--seed", type=int)
    b_link.add_argument("--engines", type=_authorities,
                        default=("recordlinkage", "splink", "excel_baseline"),
                        help="comma-separated engines (default: all three)")
    b_gen = bench_sub.add_parser("generate", help="generate every LA of a scenario")
    b_gen.add_argument("scenario")
    b_cen = bench_sub.add_parser(
        "central", help="central matching: all-Wales NHS records against all-Wales PLASC")
    b_cen.add_argument("scenario", nargs="?", default="wales-2025")
    b_cen.add_argument("--out", type=Path, required=True)
    b_cen.add_argument("--engine", choices=("splink", "recordlinkage"))
    b_cen.add_argument("--seed", type=int)
    b_cen.add_argument("--scale", type=float)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("papermill", "recordlinkage", "splink"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        if args.command == "run":
            scenario_name = load_scenario(args.scenario).name
            out = args.out or REPO_ROOT / "reports" / scenario_name
            folder = run(RunRequest(args.scenario, out, args.authorities, args.seed, args.scale,
                                    args.workers))
            print(f"Report written to {folder / 'report.html'}")
        elif args.command == "generate":
            scenario = load_scenario(args.scenario, seed=args.seed, scale=args.scale,
                                     authorities=[args.authority])
            written = write_synthetic(synthesise(scenario, args.authority), args.out, scenario)
            print(f"{len(written)} files written to {args.out}")
        elif args.command == "compare":
            from cme_eval.evaluate.compare import parse_overlays
            from cme_eval.stages import compare_scenarios

            path = compare_scenarios(args.scenario, parse_overlays(args.overlays), args.out,
                                     seed=args.seed, scale=args.scale,
                                     authorities=list(args.authorities) or None)
            print(f"written to {path}")
        elif args.command == "bench":
            from cme_eval import bench

            if args.bench == "linkage":
                table = bench.bench_linkage(args.scenario, args.authority, args.out,
                                            tuple(args.engines), seed=args.seed)
                print(f"written to {args.out / 'bench_linkage.csv'}")
            elif args.bench == "central":
                table = bench.bench_central(args.scenario, args.out, engine=args.engine,
                                            seed=args.seed, scale=args.scale)
                print(f"written to {args.out / 'bench_central.csv'}")
            else:
                table = bench.bench_generate(args.scenario)
            print(table.to_string(index=False))
    except (ConfigError, PipelineError, IngestError) as exc:
        print(f"cme-eval: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
