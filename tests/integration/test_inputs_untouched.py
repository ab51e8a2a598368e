"""`cme-eval evaluate` never touches its inputs (issue 22, points 2 and 5): a run folder that is,
holds or lies inside INPUTS_DIR is refused in one line, with or without --force, symlinks
followed, and every input file keeps its bytes; an LA's files renamed in inputs.yaml, as the
README shows, are read without the standard names being there."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cme_eval.run.cli import main
from cme_eval.run.folder import IDENTITY_FILE

from ..conftest import generated_inputs

LA = "Powys"
SCALE = "0.1"
ANOTHER_RUN = {"scenario": "smoke", "seed": 1, "scale": 0.5, "authorities": ["Cardiff"],
               "settings": "0"}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    return generated_inputs(tmp_path_factory, "untouched", LA, SCALE)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _another_run(folder: Path) -> Path:
    """A run folder holding another run: what --force clears."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / IDENTITY_FILE).write_text(json.dumps(ANOTHER_RUN), encoding="utf-8")
    return folder


def _layout(case: str, base: Path, generated: Path) -> tuple[Path, Path, Path]:
    """(the INPUTS_DIR argument, the --out argument, the real inputs folder) of one nesting."""
    if case == "inputs inside out":
        out = _another_run(base / "out")
        shutil.copytree(generated, out / "la_inputs")
        return out / "la_inputs", out, out / "la_inputs"
    real = base / "in"
    shutil.copytree(generated, real)
    if case == "out inside inputs":
        return real, real / "run", real
    if case == "out inside inputs, an earlier run there":
        return real, _another_run(real / "run"), real
    if case == "out is inputs":
        return real, real, real
    if case == "out is an input file":
        return real, real / "nhs_extract.csv", real
    if case == "a symlink to inputs inside out":
        out = _another_run(base / "out")
        (out / "link").symlink_to(real, target_is_directory=True)
        return out / "link", out, real
    if case == "out through a symlink into inputs":
        (base / "link").symlink_to(real, target_is_directory=True)
        return real, base / "link" / "run", real
    if case == "out is a symlink to inputs":
        (base / "link").symlink_to(real, target_is_directory=True)
        return real, base / "link", real
    raise AssertionError(case)


CASES = ["inputs inside out", "out inside inputs", "out inside inputs, an earlier run there",
         "out is inputs", "out is an input file", "a symlink to inputs inside out",
         "out through a symlink into inputs", "out is a symlink to inputs"]


@pytest.mark.parametrize("force", [False, True], ids=["", "--force"])
@pytest.mark.parametrize("case", CASES)
def test_a_run_folder_overlapping_the_inputs_is_refused_and_they_are_untouched(
        generated, tmp_path, capsys, case, force):
    inputs, out, real = _layout(case, tmp_path, generated)
    before = _snapshot(real)
    assert before and "nhs_extract.csv" in before
    capsys.readouterr()
    args = ["evaluate", str(inputs), "--authority", LA, "--out", str(out), "-q"]
    assert main(args + (["--force"] if force else [])) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cme-eval: error: --out ") and "\n" not in err, err
    if case != "out is an input file":
        assert "INPUTS_DIR" in err and "give a --out outside INPUTS_DIR" in err, err
    assert _snapshot(real) == before
    if case in ("inputs inside out", "a symlink to inputs inside out"):
        assert (out / IDENTITY_FILE).is_file()  # nothing was cleared either


@pytest.mark.slow
def test_the_readme_renaming_example_is_evaluated_as_written(generated, tmp_path, capsys):
    """README: `files: {nhs_extract.csv: NWSSP April.xlsx}`; no nhs_extract.csv in the folder."""
    own = tmp_path / "own"
    shutil.copytree(generated, own)
    nhs = pd.read_csv(own / "nhs_extract.csv", dtype=str, keep_default_na=False)
    nhs.to_excel(own / "NWSSP April.xlsx", index=False)
    (own / "nhs_extract.csv").unlink()
    (own / "inputs.yaml").write_text("files: {nhs_extract.csv: NWSSP April.xlsx}\n",
                                     encoding="utf-8")
    before = _snapshot(own)
    out = tmp_path / "evaluation"
    assert main(["evaluate", str(own), "--authority", LA, "--out", str(out), "-q"]) == 0, \
        capsys.readouterr().err
    assert (out / "report.html").is_file() and (out / "table_5_1.csv").is_file()
    assert _snapshot(own) == before
    # the same folder without inputs.yaml looks for the standard name, and says so in one line
    (own / "inputs.yaml").unlink()
    capsys.readouterr()
    assert main(["evaluate", str(own), "--authority", LA, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert "no nhs_extract.csv in it" in err and "\n" not in err
