"""Runs never step on each other: kernels start in their own run folder without moving the
caller's, results do not depend on --workers, and scenario paths are read where the user stands.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cme_eval.report.manifest import table_hashes
from cme_eval.run.pipeline import RunRequest, run

from ..conftest import run_cli

pytestmark = pytest.mark.slow
THREE = ("Powys", "Gwynedd", "Monmouthshire")


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def test_workers_never_change_a_table_and_never_move_the_caller(tmp_path, monkeypatch):
    caller = tmp_path / "caller"
    caller.mkdir()
    monkeypatch.chdir(caller)
    hashes = {}
    for workers in (1, 2):
        out = tmp_path / f"workers{workers}"
        run(RunRequest("smoke", out, THREE, workers=workers, progress=False))
        assert Path(os.getcwd()) == caller
        hashes[workers] = table_hashes(out)
    assert _files(caller) == []  # no kernel started here, so nothing was written here
    assert len(hashes[1]) > 20 and hashes[1] == hashes[2]


def test_a_relative_scenario_path_works_from_where_the_user_stands(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "base.yaml").write_text("base: smoke\nname: my-base\n")
    # base: is read relative to the file that names it, not to the current folder
    (tmp_path / "mine" / "my-scenario.yaml").write_text(
        "base: base.yaml\nname: my-scenario\nseed: 11\n")
    result = run_cli("run", "mine/my-scenario.yaml", "--authorities", "powys", "-q",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    out = tmp_path / "reports" / "my-scenario--powys"
    assert (out / "report.html").is_file() and (out / "run.log").is_file()
    assert "seed: 11" in (out / "scenario.yaml").read_text()
    executed = (out / "notebooks" / "powys" / "01_generate.ipynb").read_text()
    assert str(tmp_path) not in executed  # no machine path in the stored notebooks
    # the same run again is resumed, every stage reused and said so in run.log
    again = run_cli("run", "mine/my-scenario.yaml", "--authorities", "Powys", "-q",
                    cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert (out / "run.log").read_text().count("reused") == 3
    # another run into the same folder is refused with one line, and the folder is kept
    other = run_cli("run", "mine/my-scenario.yaml", "--out", str(out), cwd=tmp_path)
    assert other.returncode == 2
    assert other.stderr.strip().count("\n") == 0
    assert other.stderr.startswith("cme-eval: error: --out") and "--force" in other.stderr
    assert (out / "report.html").is_file()
