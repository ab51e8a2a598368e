"""A plain (not editable) `pip install .` runs anywhere: scenarios and notebooks ship inside the
package, so nothing is looked up relative to the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
import venv
from pathlib import Path

import pytest

from cme_eval import shipped

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def test_a_wheel_install_runs_a_smoke_run_from_another_folder(tmp_path):
    # A fresh venv that sees this environment's dependencies (installing jupyterlab, splink and
    # the rest again would only test PyPI), but not its editable cme_eval: a .pth line adds the
    # site-packages folder to the path without running that folder's own .pth hooks.
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = subprocess.run([python, "-c", purelib], capture_output=True, text=True,
                          check=True).stdout.strip()
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # Build from a copy: setuptools writes build/ and *.egg-info beside the sources it builds.
    source = tmp_path / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "reports", "build", "*.egg-info", "__pycache__", ".pytest_cache"))
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", str(source)],
                   check=True, capture_output=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    build = Path(site)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run([python, "-c", "import cme_eval, cme_eval.shipped as s; "
                            "print(cme_eval.__file__); print(s.notebook_dir())"],
                           capture_output=True, text=True, cwd=elsewhere, check=True)
    assert str(build) in where.stdout and str(REPO) not in where.stdout
    result = subprocess.run(
        [python, "-m", "cme_eval.run.cli", "run", "smoke", "--authorities", "Powys", "-q"],
        capture_output=True, text=True, cwd=elsewhere, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (elsewhere / "reports" / "smoke--powys" / "report.html").is_file()
    manifest = (elsewhere / "reports" / "smoke--powys" / "manifest.json").read_text()
    assert '"git_commit": "installed"' in manifest


def test_the_package_list_in_pyproject_holds_every_subpackage():
    """Packages are listed by hand (to map scenarios and notebooks into the wheel): a new
    subpackage missing from the list would be left out of every wheel."""
    tomllib = pytest.importorskip("tomllib")

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    on_disk = {".".join(p.parent.relative_to(REPO).parts)
               for p in (REPO / "cme_eval").rglob("__init__.py")}
    assert on_disk <= listed
    assert {"cme_eval.notebooks", "cme_eval.scenarios", "cme_eval.scenarios.overlays"} <= listed
    assert shipped.notebook_dir() == REPO / "notebooks"  # the editable install reads the tree
