"""Print how long generating a scenario's LAs takes, and the peak memory it needs.

    .venv/bin/python scripts/bench_generate.py pilot-2025      # the issue-3 target: <= 60 s, 2 GB
"""

from __future__ import annotations

import argparse

from cme_eval.run.bench import bench_generate

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenario", nargs="?", default="pilot-2025")
    args = parser.parse_args()
    table = bench_generate(args.scenario)
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.1f}"))
