"""The run manifest: what was run, with what, and a SHA-256 of every output table.

Two runs of the same scenario and seed must give the same table hashes; the manifest is where a
reviewer (or the determinism test) checks that. Paths in it are relative to the run folder.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from cme_eval import shipped, wales
from cme_eval.config import Scenario

PACKAGES = ("cme-eval", "numpy", "pandas", "recordlinkage", "rapidfuzz", "faker", "matplotlib",
            "papermill", "pyyaml")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def git_commit() -> str:
    """The checkout's commit, marked '-dirty' when the work tree has changes; 'installed' for
    a copy installed from a wheel (its version is in ``versions``); or 'unknown'."""
    checkout = shipped.source_checkout()
    if checkout is None:
        return "installed"
    try:
        commit = subprocess.run(["git", "-C", str(checkout), "rev-parse", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(checkout), "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def table_hashes(run_dir: Path, authorities: list[str] | None = None) -> dict[str, str]:
    """SHA-256 of every CSV table of the run, excluding the synthetic input data and the
    record-level working lists (``restricted/``): the run folder's own tables, central
    matching's, and those of the LAs given (default: all)."""
    slugs = None if authorities is None else {wales.get(a).slug for a in authorities}
    out = {}
    for p in sorted(run_dir.rglob("*.csv")):
        parts = p.relative_to(run_dir).parts
        if "synthetic" in parts or "restricted" in parts:  # inputs; record-level working lists
            continue
        if slugs is not None and parts[0] == "authorities" and parts[1] not in slugs:
            continue
        out[p.relative_to(run_dir).as_posix()] = sha256(p)
    return out


def write_manifest(scenario: Scenario, run_dir: Path, extra: dict[str, Any] | None = None) -> Path:
    manifest = {
        "scenario": scenario.name,
        "seed": scenario.seed,
        "parameters": scenario.to_dict(),
        "authorities": list(scenario.authorities),
        "versions": versions(),
        "git_commit": git_commit(),
        "tables": table_hashes(run_dir, list(scenario.authorities)),
        **(extra or {}),
    }
    path = run_dir / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
