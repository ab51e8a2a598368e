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

from cme_eval.config import REPO_ROOT, Scenario

PACKAGES = ("cme-eval", "numpy", "pandas", "recordlinkage", "rapidfuzz", "faker", "matplotlib",
            "papermill", "pyyaml")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def git_commit() -> str:
    """The repository's commit, marked '-dirty' when the work tree has changes; or 'unknown'."""
    try:
        commit = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain",
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


def table_hashes(run_dir: Path) -> dict[str, str]:
    """SHA-256 of every CSV table in the run folder, excluding the synthetic input data."""
    return {
        p.relative_to(run_dir).as_posix(): sha256(p)
        for p in sorted(run_dir.rglob("*.csv"))
        if "synthetic" not in p.relative_to(run_dir).parts
    }


def write_manifest(scenario: Scenario, run_dir: Path, extra: dict[str, Any] | None = None) -> Path:
    manifest = {
        "scenario": scenario.name,
        "seed": scenario.seed,
        "parameters": scenario.to_dict(),
        "authorities": list(scenario.authorities),
        "versions": versions(),
        "git_commit": git_commit(),
        "tables": table_hashes(run_dir),
        **(extra or {}),
    }
    path = run_dir / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
