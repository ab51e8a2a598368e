"""Bad parameters stop a run early with a message that names the problem and what is allowed."""

from __future__ import annotations

import pytest

from cme_eval.run.pipeline import PipelineError, check_parameters
from cme_eval.shipped import notebook_dir

from ..conftest import run_cli


def test_unknown_authority_is_refused_with_the_allowed_names(tmp_path):
    result = run_cli("run", "smoke", "--out", str(tmp_path), "--authorities", "Narnia")
    assert result.returncode == 2
    assert "'Narnia'" in result.stderr and "Cardiff" in result.stderr
    assert not any(tmp_path.iterdir())  # nothing was started


def test_unknown_scenario_lists_the_available_ones(tmp_path):
    result = run_cli("run", "no-such-scenario", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "smoke" in result.stderr and "pilot-2025" in result.stderr


def test_a_scenario_with_an_unknown_key_names_the_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("base: smoke\npopulation:\n  twin_sharre: 0.1\n", encoding="utf-8")
    result = run_cli("run", str(bad), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "population.twin_sharre" in result.stderr and "twin_share" in result.stderr


def test_unknown_notebook_parameter_is_an_error_not_a_warning():
    with pytest.raises(PipelineError, match="'colour'.*allowed: authority, run_dir, scale"):
        check_parameters(notebook_dir() / "01_generate.ipynb", {"scenario": "smoke", "colour": 1})


def test_known_parameters_pass():
    check_parameters(notebook_dir() / "04_compile.ipynb",
                     {"scenario": "smoke", "authorities": "Cardiff", "seed": 1, "scale": 0.1,
                      "run_dir": "."})


def test_generate_writes_the_contract_files(tmp_path):
    result = run_cli("generate", "smoke", "--authority", "Powys", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    for name in ("nhs_extract.csv", "plasc.csv", "ehe.csv", "eotas.csv", "ooc.csv",
                 "cme_register.csv"):
        assert (tmp_path / "inputs" / name).is_file(), name
    assert (tmp_path / "inputs" / "independent_returns").is_dir()
    for name in ("truth_people.csv", "truth_records.csv", "synthetic_profile.csv",
                 "independent_schools.csv"):
        assert (tmp_path / "truth" / name).is_file(), name
    # nothing an LA would not hold among the inputs, nothing else beside the two folders
    assert not any(p.name.startswith(("truth", "synthetic_profile", "independent_schools"))
                   for p in (tmp_path / "inputs").rglob("*"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inputs", "truth"]
