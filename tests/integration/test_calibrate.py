"""`cme-eval calibrate`: a fit end to end through the CLI on a small world, a fit that cannot
meet a target, and the back test of the shipped scenario as it stands (issue 24)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.conftest import run_cli

pytestmark = pytest.mark.slow

TARGETS = """
documents:
  test: a target made up for this test
targets:
  partial:
    measure: share_partial
    source: {document: test, where: here}
    published: 0.25
    allowed: {range: [LOW, HIGH]}
    scope: pilot_las
"""
SCENARIO = """
name: tiny
seed: 11
authorities:
  Isle of Anglesey: {nhs_records: 8800}
calibration:
  targets: targets.yaml
  fitted: fitted/tiny.yaml
  free:
    errors.outdated_address.nwssp: {range: [0.02, 0.4], prior: 0.1}
  fit_scale: 0.05
  verify_scale: 0.05
  emulator_runs: 1
  check_scale: 0.05
"""


def _world(tmp_path: Path, low: float, high: float) -> Path:
    (tmp_path / "targets.yaml").write_text(
        TARGETS.replace("LOW", str(low)).replace("HIGH", str(high)), encoding="utf-8")
    path = tmp_path / "tiny.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def test_a_fit_writes_its_tables_and_saves_values_the_check_then_accepts(tmp_path):
    scenario = _world(tmp_path, 0.30, 0.36)  # more partial matches than the prior gives
    out = tmp_path / "fit"
    done = run_cli("calibrate", str(scenario), "--out", str(out), "--save", "--replicates",
                   "2", "--workers", "1", "-q")
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out / "calibration.csv")
    assert table["target"].tolist() == ["partial"] and table["within"].all()
    assert table.loc[0, "replicate_low"] <= table.loc[0, "fitted"] <= table.loc[0,
                                                                                "replicate_high"]
    parameters = pd.read_csv(out / "parameters.csv").set_index("setting")
    fitted = parameters.loc["errors.outdated_address.nwssp"]
    assert fitted["fitted"] > 0.1  # more stale addresses than the prior
    assert fitted["interval_low"] <= fitted["fitted"] <= fitted["interval_high"]
    assert (out / "calibration.png").stat().st_size > 0
    saved = tmp_path / "fitted" / "tiny.yaml"
    assert saved.read_text(encoding="utf-8") == (out / "fitted.yaml").read_text(encoding="utf-8")
    values = yaml.safe_load(saved.read_text(encoding="utf-8"))["values"]
    assert values["errors.outdated_address.nwssp"] == pytest.approx(fitted["fitted"], abs=1e-6)
    check = run_cli("calibrate", str(scenario), "--check", "-q")
    assert check.returncode == 0, check.stderr
    assert "all 1 targets that apply are within their intervals" in check.stdout


def test_a_fit_that_cannot_meet_a_target_says_so_and_still_writes_the_best(tmp_path):
    scenario = _world(tmp_path, 0.90, 0.95)  # no stale-address rate gives 90% partial
    out = tmp_path / "fit"
    done = run_cli("calibrate", str(scenario), "--out", str(out), "--replicates", "1",
                   "--workers", "1", "-q")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"cme-eval: error: {scenario}: the best fit (written to {out}) misses 1 target(s): "
        "partial"]
    assert not pd.read_csv(out / "calibration.csv")["within"].any()
    assert not (tmp_path / "fitted").exists()  # nothing saved without --save


def test_a_setting_the_fit_cannot_move_is_named_with_its_file(tmp_path):
    scenario = _world(tmp_path, 0.2, 0.3)
    scenario.write_text(SCENARIO.replace("errors.outdated_address.nwssp: {range: [0.02, 0.4], "
                                         "prior: 0.1}",
                                         "linkage.partial_min_weight: {range: [10, 14]}"),
                        encoding="utf-8")
    done = run_cli("calibrate", str(scenario), "--out", str(tmp_path / "fit"), "-q")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"cme-eval: error: {scenario}: calibration.free.linkage.partial_min_weight: not a "
        "setting the fit can move (an LA's nhs_records, a status share, an error rate or a "
        "resolve probability)")


@pytest.mark.parametrize("scenario", ["pilot-2025", "wales-2025"])
def test_the_shipped_scenario_meets_its_targets_as_it_stands(scenario):
    """The back test: a linker change that moves the world fails here until the scenario is
    refitted with `cme-eval calibrate SCENARIO --save`."""
    done = run_cli("calibrate", scenario, "--check", "-q")
    assert done.returncode == 0, done.stderr
    assert "targets that apply are within their intervals" in done.stdout
