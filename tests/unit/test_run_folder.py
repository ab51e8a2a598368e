"""Run folders that cannot be confused: default names, claiming, refusing, clearing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cme_eval.config import load_scenario, resolved_settings
from cme_eval.run import folder as run_folder
from cme_eval.run.folder import RunFolderError, claim, default_folder


def test_the_scenario_as_written_gets_its_plain_name():
    smoke = load_scenario("smoke")
    assert default_folder(smoke, resolved_settings("smoke"), Path("reports")) == Path(
        "reports/smoke")


def test_a_run_that_differs_says_how_in_its_folder_name():
    written = resolved_settings("pilot-2025")
    run = load_scenario("pilot-2025", authorities=["Cardiff", "isle of anglesey"], scale=0.1,
                        seed=7)
    assert default_folder(run, written, Path("reports")) == Path(
        "reports/pilot-2025--cardiff+isle-of-anglesey--seed7--s0.1")


def test_a_new_or_empty_folder_is_claimed_with_the_run_identity(tmp_path):
    smoke = load_scenario("smoke", authorities=["Powys"])
    folder = claim(tmp_path / "new", smoke)
    held = json.loads((folder / "run.json").read_text())
    assert held["authorities"] == ["Powys"] and held["scenario"] == "smoke"
    assert claim(tmp_path / "new", smoke) == folder  # the same run resumes


def test_another_run_is_refused_and_nothing_is_touched(tmp_path):
    claim(tmp_path, load_scenario("smoke"))
    (tmp_path / "table_5_1.csv").write_text("kept\n")
    other = load_scenario("smoke", authorities=["Cardiff", "Powys"], scale=0.1)
    with pytest.raises(RunFolderError, match=r"--out .*holds another run.*--force"):
        claim(tmp_path, other)
    assert (tmp_path / "table_5_1.csv").read_text() == "kept\n"


def test_force_clears_a_run_folder_first(tmp_path):
    claim(tmp_path, load_scenario("smoke"))
    (tmp_path / "authorities" / "gwynedd").mkdir(parents=True)
    (tmp_path / "table_5_1.csv").write_text("stale\n")
    other = load_scenario("smoke", authorities=["Powys"])
    claim(tmp_path, other, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json"]


def test_a_folder_that_is_not_a_run_is_never_cleared(tmp_path):
    (tmp_path / "thesis.docx").write_text("years of work")
    with pytest.raises(RunFolderError, match="not a cme-eval run folder"):
        claim(tmp_path, load_scenario("smoke"), force=True)
    assert (tmp_path / "thesis.docx").is_file()


def test_a_file_given_as_the_folder_is_refused(tmp_path):
    (tmp_path / "x").write_text("")
    with pytest.raises(RunFolderError, match="is a file, not a folder"):
        claim(tmp_path / "x", load_scenario("smoke"))


def test_a_finished_run_stops_looking_finished_when_it_runs_again(tmp_path):
    smoke = load_scenario("smoke")
    claim(tmp_path, smoke)
    for name in run_folder.COMPLETION_FILES:
        (tmp_path / name).write_text("{}")
    claim(tmp_path, smoke)
    assert not any((tmp_path / n).exists() for n in run_folder.COMPLETION_FILES)


def test_a_run_made_before_run_identities_is_known_by_its_manifest(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps(
        {"scenario": "pilot-2025", "seed": 2025, "authorities": ["Cardiff"]}))
    with pytest.raises(RunFolderError, match="holds another run, pilot-2025"):
        claim(tmp_path, load_scenario("pilot-2025"))
    claim(tmp_path, load_scenario("pilot-2025"), force=True)
    assert (tmp_path / "run.json").is_file()


def test_a_stage_on_a_folder_of_another_run_is_refused(tmp_path):
    from cme_eval.run.stages import Run

    Run.open("smoke", tmp_path, authorities=["Powys"])
    Run.open("smoke", tmp_path, authorities=["Cardiff"])  # another LA of the same run: fine
    with pytest.raises(RunFolderError, match="run_dir .*holds another run"):
        Run.open("smoke", tmp_path, authorities=["Powys"], seed=3)


@pytest.mark.parametrize("where", ["inputs inside", "out inside", "same", "link inside",
                                   "out through a link", "an input file"])
def test_a_run_folder_overlapping_an_input_is_refused_even_with_force(tmp_path, where):
    """Issue 22: --force never clears an input, however the two are nested or linked."""
    out, inputs = tmp_path / "out", tmp_path / "in"
    inputs.mkdir()
    (inputs / "nhs_extract.csv").write_text("kept\n")
    claim(out, load_scenario("smoke"))  # another run's folder: --force would clear it
    given = inputs
    if where == "inputs inside":
        given = out / "la_inputs"
        shutil.copytree(inputs, given)
    elif where == "out inside":
        out = inputs / "run"
    elif where == "same":
        out = inputs
    elif where == "link inside":
        given = out / "link"
        given.symlink_to(inputs, target_is_directory=True)
    elif where == "out through a link":
        (tmp_path / "link").symlink_to(inputs, target_is_directory=True)
        out = tmp_path / "link" / "run"
    elif where == "an input file":
        given = inputs / "nhs_extract.csv"
        out = inputs
    before = {p: p.read_bytes() for p in given.resolve().parent.rglob("*") if p.is_file()}
    with pytest.raises(RunFolderError, match=r"^--out .* and INPUTS_DIR .*: one is, holds or "
                                             r"lies inside the other.*give a --out outside"):
        claim(out, load_scenario("smoke", authorities=["Powys"]), force=True,
              inputs={"INPUTS_DIR": given})
    assert {p: p.read_bytes() for p in before} == before


def test_folders_beside_each_other_are_apart(tmp_path):
    run_folder.check_apart(tmp_path / "run", {"INPUTS_DIR": tmp_path / "run-inputs",
                                              "--replicates-from": None})
    run_folder.check_apart(tmp_path / "a" / "out", {"INPUTS_DIR": tmp_path / "b"})
