"""cme_eval.report.manifest: table hashes and the manifest file (git is not called here)."""

from __future__ import annotations

import hashlib
import json

from cme_eval.config import load_scenario
from cme_eval.report import manifest


def test_sha256_of_a_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n1,2\n")
    assert manifest.sha256(path) == hashlib.sha256(b"a,b\n1,2\n").hexdigest()


def test_table_hashes_cover_every_csv_except_synthetic_inputs(tmp_path):
    (tmp_path / "synthetic" / "powys").mkdir(parents=True)
    (tmp_path / "powys").mkdir()
    (tmp_path / "table_5_1.csv").write_bytes(b"x\n1\n")
    (tmp_path / "powys" / "outcomes.csv").write_bytes(b"y\n2\n")
    (tmp_path / "synthetic" / "powys" / "plasc.csv").write_bytes(b"z\n3\n")
    (tmp_path / "report.html").write_bytes(b"<html>")
    assert manifest.table_hashes(tmp_path) == {
        "powys/outcomes.csv": hashlib.sha256(b"y\n2\n").hexdigest(),
        "table_5_1.csv": hashlib.sha256(b"x\n1\n").hexdigest(),
    }


def test_write_manifest(tmp_path, monkeypatch):
    monkeypatch.setattr(manifest, "git_commit", lambda: "abc123")
    (tmp_path / "table_6_1.csv").write_bytes(b"q\n")
    scenario = load_scenario("smoke", authorities=["Powys"], seed=11)
    path = manifest.write_manifest(scenario, tmp_path, extra={"note": "Siân"})
    assert path == tmp_path / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["scenario"] == "smoke"
    assert data["seed"] == 11
    assert data["authorities"] == ["Powys"]
    assert data["git_commit"] == "abc123"
    assert data["tables"] == {"table_6_1.csv": hashlib.sha256(b"q\n").hexdigest()}
    assert data["parameters"]["dates"]["nhs_extract"] == "2025-04-30"
    assert data["note"] == "Siân"
    assert "Siân" in path.read_text(encoding="utf-8")  # not \u-escaped
