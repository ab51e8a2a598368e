"""Every command in the README is executed, as written, so the README cannot drift from the CLI.

Each ```bash block runs whole, in order, with bash, from a fresh folder that stands in for the
repository root (its `.venv` is this environment), so relative paths such as `reports/...` land
in the test's folder. Only what would take too long changes, and always the same way:
- a named full-size scenario (pilot-2025, wales-2025), or a benchmark that defaults to one
  (`bench central`, `bench replicates`), without `--scale` gets `--scale 0.01`;
- more than 2 replicates (`--replicates 20`, or the default of `sensitivity` and
  `bench replicates`) become `--replicates 2`: the same code path, a tenth of the runs;
- `bench hostile` without `--quick` gets `--quick` (the same frames, ten times smaller);
- `make run` is replaced by the command the Makefile runs (read with `make -n`), scaled as above;
- `make test` is this suite and `make test-fast` its unit part, so they are only checked to call
  pytest as `.ci/run` does;
- a command that starts a server (`jupyter lab`) gets `--help`.
Where the README says where a command writes (`-> reports/...`), that folder must exist after.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
FULL_SIZE = ("pilot-2025", "wales-2025")
REPLICATES = 2


def bash_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", README, flags=re.S)


def logical_lines(block: str) -> list[str]:
    """Lines with backslash continuations joined; blank lines dropped; comments kept."""
    return [line for line in block.replace("\\\n", " ").splitlines() if line.strip()]


def _make_run_command() -> str:
    printed = subprocess.run(["make", "-n", "run"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.splitlines()
    runs = [line for line in printed if "cme-eval run" in line]
    assert len(runs) == 1, printed
    return runs[0].replace("$(BIN)", ".venv/bin")


def transform(line: str) -> tuple[str, bool]:
    """The line to execute, and whether it was changed (its `->` promise is then not checked)."""
    code = line.split(" #", 1)[0].strip()
    if not code or code.startswith("#"):
        return line, False
    if code in ("make test", "make test-fast"):  # this suite: see test_ci_runs_...
        return "true", True
    original = code
    if code == "make run":
        code = _make_run_command()
    if "jupyter lab" in code:
        return f"{code} --help >/dev/null", True
    words = code.split()
    full_size_default = "bench central" in code or "bench replicates" in code
    if ("cme-eval" in code and "--help" not in words and "--scale" not in words
            and (full_size_default or any(w in FULL_SIZE for w in words))):
        code += " --scale 0.01"
    if "--replicates" in words:
        at = words.index("--replicates") + 1
        if int(words[at]) > REPLICATES:
            code = re.sub(r"--replicates \d+", f"--replicates {REPLICATES}", code)
    elif ("cme-eval sensitivity" in code or "bench replicates" in code) and "--help" not in words \
            and "--replicates-from" not in words:
        code += f" --replicates {REPLICATES}"
    if "bench hostile" in code and "--quick" not in words and "--help" not in words:
        code += " --quick"
    return code, code != original


def promised_folders(lines: list[str]) -> list[str]:
    """Folders the README says a command writes (`-> reports/...`), for unchanged commands."""
    out, changed = [], False
    for line in lines:
        stripped = line.strip()
        if not stripped.startswith("#"):
            changed = transform(line)[1]
        if not changed:
            out += re.findall(r"->\s*(\S+/)", line)
    return out


@pytest.mark.parametrize("block", bash_blocks(),
                         ids=[logical_lines(b)[0][:60] for b in bash_blocks()])
def test_readme_block_runs_as_written(block, tmp_path):
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    (tmp_path / "notebooks").symlink_to(REPO / "notebooks")
    lines = logical_lines(block)
    script = "set -euo pipefail\n" + "\n".join(transform(line)[0] for line in lines) + "\n"
    result = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                            timeout=1800)
    assert result.returncode == 0, f"{script}\n--- stderr:\n{result.stderr[-3000:]}"
    for folder in promised_folders(lines):
        assert (tmp_path / folder).is_dir(), f"the README promises {folder}"


def test_every_cme_eval_command_of_the_readme_is_in_a_bash_block():
    """A command shown outside a bash block would escape this test."""
    outside = re.sub(r"```bash\n.*?```", "", README, flags=re.S)
    shown = re.findall(r"^\s*\.venv/bin/cme-eval .*$", outside, flags=re.M)
    assert shown == []


def _make_target(name: str) -> str:
    return (REPO / "Makefile").read_text().split(f"\n{name}:", 1)[1].split("\n\n")[0]


def test_ci_runs_the_readme_test_command():
    ci = (REPO / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, flags=re.M)
    assert re.search(r"^make test\b", README, flags=re.M)
    assert "pytest" in _make_target("test")


def test_the_fast_target_runs_the_unit_tests_only():
    assert re.search(r"^make test-fast\b", README, flags=re.M)
    fast = _make_target("test-fast")
    assert "pytest" in fast and "tests/unit" in fast
    assert "tests/integration" not in fast and "--nbval" not in fast


def test_the_transformations_are_the_declared_ones():
    assert transform(".venv/bin/cme-eval run smoke  # 30 s") == (".venv/bin/cme-eval run smoke",
                                                               False)
    assert transform(".venv/bin/cme-eval run pilot-2025 --authorities Powys") == (
        ".venv/bin/cme-eval run pilot-2025 --authorities Powys --scale 0.01", True)
    assert transform(".venv/bin/cme-eval run pilot-2025 --scale 0.1")[1] is False
    assert transform("make run")[0].endswith("--scale 0.01")
    assert transform(".venv/bin/cme-eval bench hostile --out x") == (
        ".venv/bin/cme-eval bench hostile --out x --quick", True)
    assert transform(".venv/bin/cme-eval bench central --out x")[0].endswith(" --scale 0.01")
    assert transform(".venv/bin/cme-eval replicate smoke --replicates 20 --out x") == (
        ".venv/bin/cme-eval replicate smoke --replicates 2 --out x", True)
    assert transform(".venv/bin/cme-eval replicate smoke --replicates 2 --out x")[1] is False
    assert transform(".venv/bin/cme-eval sensitivity smoke --out x") == (
        ".venv/bin/cme-eval sensitivity smoke --out x --replicates 2", True)
    assert transform(".venv/bin/cme-eval sensitivity smoke --replicates-from r --out x")[1] is False
    assert transform(".venv/bin/cme-eval bench replicates pilot-2025 --out x")[0].endswith(
        "--scale 0.01 --replicates 2")
    assert transform("make test-fast") == ("true", True)
