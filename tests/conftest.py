"""Shared fixtures. The smoke run through the real CLI (papermill, notebooks) happens once per
test session, and once in all when pytest-xdist runs the suite in several worker processes: the
first worker to ask makes it under a file lock in the session's shared temporary folder, the
others wait and read it. Tests that use it only read it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock

REPO = Path(__file__).resolve().parents[1]


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cme_eval.run.cli", *args],
        capture_output=True, text=True, cwd=cwd, timeout=600,
    )


def generated_inputs(tmp_path_factory, name: str, authority: str, scale: str) -> Path:
    """One LA's ``inputs/`` from the smoke scenario, as an LA would hold them, in a new folder
    of this session (tests that change them copy them first)."""
    from cme_eval.run.cli import main

    root = tmp_path_factory.mktemp(name)
    assert main(["generate", "smoke", "--authority", authority, "--scale", scale,
                 "--out", str(root / "data")]) == 0
    return root / "data" / "inputs"


def shared_session_folder(tmp_path_factory, name: str) -> Path:
    """A folder every xdist worker of this session sees (the parent of the workers' own temporary
    folders), or this process's own when the suite runs in one process."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if base.name.startswith("popen-gw") else base
    return root / name


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory) -> Path:
    """The smoke scenario, all seven LAs, run through `cme-eval run` from a foreign directory."""
    out = shared_session_folder(tmp_path_factory, "smoke-run")
    with FileLock(str(out) + ".lock"):
        if not (out / "manifest.json").is_file():  # manifest.json is written last
            elsewhere = tmp_path_factory.mktemp("cwd")  # notebooks must not depend on the cwd
            result = run_cli("run", "smoke", "--out", str(out), "--force", cwd=elsewhere)
            assert result.returncode == 0, result.stderr[-3000:]
    return out


# Tests known to take minutes start first, so that under pytest-xdist the two workers share the
# long ones and the short ones fill the gaps, rather than one long test running alone at the end.
LONGEST_FIRST = (
    "tests/integration/test_readme_commands.py::test_readme_block_runs_as_written",
    "tests/integration/test_central_run.py", "notebooks/05_uncertainty.ipynb",
    "tests/integration/test_smoke_run.py", "tests/integration/test_run_isolation.py",
    "tests/integration/test_cross_border_whatifs.py", "tests/integration/test_spark_engine.py",
    "tests/integration/test_evaluate.py", "tests/integration/test_install.py",
    "tests/integration/test_uncertainty_run.py", "tests/browser",
)


STAGE_NOTEBOOK = re.compile(r"(^|/)0[1-4]_\w+\.ipynb$")


def pytest_xdist_make_scheduler(config, log):
    """Under pytest-xdist, each committed notebook's cells (nbval) go to one worker, in order:
    they share one kernel. The stage notebooks 01-04 go together, in order, as well: with their
    default parameters they share one scratch run folder, each reusing the stages before it, so
    two of them on two workers would write the same files at once. Every other test is its own
    unit, free to run on either worker.

    xdist's own ``--dist loadgroup`` would do this from ``xdist_group`` marks, but it renames
    items through ``item._nodeid``, which pytest 9 no longer reads, so the marks are ignored and
    a notebook's cells land on both workers. Deciding the unit from the node id here works with
    every pytest the dev extra allows."""
    from xdist.scheduler import LoadScopeScheduling

    class NotebookScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

    return NotebookScheduling(config, log)


def unit_of(nodeid: str) -> str:
    """The unit of work a test belongs to: tests of one unit run on one worker, in order.

    A test file with a module-scoped fixture is one unit, so that its fixture (a whole run, a
    browser) is made once rather than once on each worker."""
    path = nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        return "stage notebooks" if STAGE_NOTEBOOK.search(path) else path
    return path if path in MODULE_FIXTURE_FILES else nodeid


MODULE_FIXTURE_FILES = frozenset(
    p.relative_to(REPO).as_posix() for p in sorted((REPO / "tests").rglob("test_*.py"))
    if 'scope="module"' in p.read_text(encoding="utf-8"))


def pytest_collection_modifyitems(config, items):
    """The longest tests are moved to the front; the order is the same in every worker, as
    xdist requires."""

    def rank(item) -> int:
        for i, prefix in enumerate(LONGEST_FIRST):
            if item.nodeid.startswith(prefix):
                return i
        return len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: within a rank, the collection order is kept

