"""How far recall on one error mechanism can go, in a run folder with a synthetic truth.

Splits the mechanism's records with a true partner, pooled over the run's LAs, into those an
error made alike another child in every field the link reads (a twin's forename entered on its
twin), those with that error alone, and those with other errors besides; and says how many of
each the run's main engine linked to their own child (``evaluate.quality.mechanism_reach``).
Counts only: no record value is printed.

    .venv/bin/python scripts/mechanism_reach.py reports/pilot-2025 --mechanism copied_from_household
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from cme_eval.evaluate.accuracy import with_reach_recall
from cme_eval.evaluate.quality import mechanism_reach
from cme_eval.run import stages
from cme_eval.run.pipeline import SCENARIO_FILE
from cme_eval.synth.errors import ERROR_TYPES


def reach_of_run(run_dir: Path, mechanism: str) -> pd.DataFrame:
    """``mechanism_reach`` of every LA of the run in ``run_dir``, summed."""
    if mechanism not in ERROR_TYPES:  # a typo would otherwise count nothing, silently
        raise SystemExit(f"unknown mechanism {mechanism!r}; the generator's are: "
                         + ", ".join(sorted(ERROR_TYPES)))
    run = stages.Run.open(run_dir / SCENARIO_FILE, run_dir)
    if not run.has_truth:
        raise SystemExit(f"{run_dir}: a run of an LA's own extracts has no truth to judge")
    tables = []
    for authority in run.scenario.authorities:
        ev = stages.evidence(run, authority)
        tables.append(mechanism_reach(
            ev.outcomes, ev.truth_records, ev.sources,
            reference_date=run.scenario.dates.nhs_extract, prepared=ev.prepared,
            central_matching=run.scenario.cross_border.central_matching, mechanism=mechanism))
    total = pd.concat(tables).groupby("kind", sort=False)[["records", "linked_to_own"]].sum()
    return with_reach_recall(total).round({"recall": 3}).reset_index()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path, help="a run folder (e.g. reports/pilot-2025)")
    parser.add_argument("--mechanism", default="copied_from_household",
                        help="an error mechanism of the generator (default: %(default)s)")
    args = parser.parse_args(argv)
    print(reach_of_run(args.run_dir.resolve(), args.mechanism).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
