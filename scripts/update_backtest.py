"""Refresh the back-test baseline: the smoke run's published tables, committed as known-good.

Run after a deliberate change to the generator, linkage or evaluation, review the diff of
tests/backtest/smoke/ like any other change, and commit it with the change that caused it.

    .venv/bin/python scripts/update_backtest.py
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

from cme_eval.run import stages

BASELINE = Path(__file__).resolve().parents[1] / "tests" / "backtest" / "smoke"
TABLES = ("table_5_1.csv", "table_6_1.csv", "potential_cme_breakdown.csv", "review_workload.csv",
          "published_vs_reproduced.csv", "method_comparison.csv", "linkage_quality.csv")
# Every LA's outcomes and tables, by digest (600 KB of CSV otherwise): a refactor that changes
# any record's outcome, score or reason fails the back test.
PER_LA = ("outcomes*.csv", "table_*.csv", "potential_cme_breakdown.csv", "linkage_quality.csv",
          "method_comparison.csv")
DIGESTS = "authorities.sha256"


def digests(run_dir: Path) -> str:
    """``sha256sum`` lines of every per-LA file of ``PER_LA`` in a run folder, sorted by path."""
    paths = sorted({p for pattern in PER_LA for p in run_dir.glob(f"authorities/*/{pattern}")})
    return "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  "
                   f"{p.relative_to(run_dir).as_posix()}\n" for p in paths)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        run = stages.Run.open("smoke", tmp)
        stages.compile_report(run)
        BASELINE.mkdir(parents=True, exist_ok=True)
        for name in TABLES:
            shutil.copyfile(Path(tmp) / name, BASELINE / name)
            print(f"updated {BASELINE / name}")
        (BASELINE / DIGESTS).write_text(digests(Path(tmp)), encoding="utf-8")
        print(f"updated {BASELINE / DIGESTS}")
