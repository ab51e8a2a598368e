"""`cme-eval generate` twice gives byte-identical files, spreadsheets included; another seed
gives other files.

Monmouthshire at scale 0.3 (the smoke scenario's defaults otherwise) has two returning
independent schools, one of which sends an admissions_xlsx return listing boarders: the
spreadsheet path (openpyxl's timestamps pinned by fileio.write_xlsx) is exercised.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from cme_eval.config import load_scenario
from cme_eval.run import cli
from cme_eval.synth.returns import LAYOUTS
from cme_eval.synth.sources import synthesise, write_synthetic

LA = "Monmouthshire"
SCALE = 0.3


def _library_generate(out: Path, seed: int | None = None) -> list[Path]:
    scenario = load_scenario("smoke", authorities=[LA], scale=SCALE, seed=seed)
    return write_synthetic(synthesise(scenario, LA), out, scenario)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    a = tmp_path_factory.mktemp("gen-a")
    b = tmp_path_factory.mktemp("gen-b")
    c = tmp_path_factory.mktemp("gen-seed-7")
    written = _library_generate(a)
    # the second run through the command line itself (in-process)
    assert cli.main(["generate", "smoke", "--authority", LA, "--scale", str(SCALE),
                     "--out", str(b)]) == 0
    _library_generate(c, seed=7)
    return {"a": a, "b": b, "c": c, "written": written}


def test_an_xlsx_return_is_among_the_files(runs):
    returns = sorted((runs["a"] / "inputs" / "independent_returns").iterdir())
    suffixes = {p.suffix for p in returns}
    assert ".xlsx" in suffixes and ".csv" in suffixes
    schools = pd.read_csv(runs["a"] / "truth" / "independent_schools.csv", dtype=str)
    xlsx_layouts = {name for name, layout in LAYOUTS.items() if layout.suffix == ".xlsx"}
    assert set(schools["layout"]) & xlsx_layouts
    for path in returns:
        if path.suffix == ".xlsx":
            assert zipfile.is_zipfile(path)
            assert len(pd.read_excel(path)) > 0


def test_same_seed_gives_byte_identical_files(runs):
    a, b = _files(runs["a"]), _files(runs["b"])
    assert sorted(a) == sorted(b)
    assert {"truth/truth_people.csv", "truth/truth_records.csv", "inputs/nhs_extract.csv",
            "inputs/plasc.csv", "truth/synthetic_profile.csv",
            "truth/independent_schools.csv"} <= set(a)
    assert sorted(a) == sorted(p.relative_to(runs["a"]).as_posix() for p in runs["written"])
    differing = [name for name in a if a[name] != b[name]]
    assert differing == []


def test_another_seed_gives_different_files(runs):
    a, c = _files(runs["a"]), _files(runs["c"])
    for name in ("truth/truth_people.csv", "truth/truth_records.csv", "inputs/nhs_extract.csv",
                 "inputs/plasc.csv", "truth/synthetic_profile.csv"):
        assert a[name] != c[name], name
    returns_a = {k: v for k, v in a.items() if k.startswith("inputs/independent_returns/")}
    returns_c = {k: v for k, v in c.items() if k.startswith("inputs/independent_returns/")}
    assert returns_a != returns_c


def test_regenerating_into_the_same_folder_replaces_old_returns(runs, tmp_path):
    # a stale return from an earlier run must not survive (it would be read as a school)
    stale = tmp_path / "inputs" / "independent_returns" / "old-school.csv"
    stale.parent.mkdir(parents=True)
    stale.write_text("Name,DOB\nA B,2014-01-01\n", encoding="utf-8")
    _library_generate(tmp_path)
    assert not stale.exists()
    assert _files(tmp_path) == _files(runs["a"])
