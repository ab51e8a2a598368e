"""Benchmarks that print figures (wall time, peak memory): never timed tests.

Peak memory is the process's peak resident set size (``ru_maxrss``), so run each benchmark in
a fresh process (the CLI and scripts/ do) for a figure that belongs to it alone.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from cme_eval.config import load_scenario


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def bench_generate(scenario_name: str, out: Path | None = None,
                   authorities: list[str] | None = None) -> pd.DataFrame:
    """Generate (and write) every LA of a scenario in one process; one row per LA and a total."""
    from cme_eval.synth.sources import synthesise, write_synthetic

    scenario = load_scenario(scenario_name, authorities=authorities)
    rows = []
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
