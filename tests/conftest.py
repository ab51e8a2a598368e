"""Shared fixtures. The smoke run through the real CLI (papermill, notebooks) happens once per
test session and is shared by the integration tests that read its outputs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cme_eval.cli", *args],
        capture_output=True, text=True, cwd=cwd, timeout=600,
    )


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory) -> Path:
    """The smoke scenario, all seven LAs, run through `cme-eval run` from a foreign directory."""
    out = tmp_path_factory.mktemp("smoke-run")
    elsewhere = tmp_path_factory.mktemp("cwd")  # notebooks must not depend on the working dir
    result = run_cli("run", "smoke", "--out", str(out), cwd=elsewhere)
    assert result.returncode == 0, result.stderr[-3000:]
    return out
