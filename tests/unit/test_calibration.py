"""cme_eval.calibration: targets as data, free settings, the emulator and the fit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cme_eval.calibration import fit as F
from cme_eval.calibration import free as FR
from cme_eval.calibration.emulator import Emulator, Pooled, measure_run
from cme_eval.calibration.measures import MEASURES, Figures, value
from cme_eval.calibration.targets import TargetError, load_targets, scope_las
from cme_eval.config import ConfigError, load_scenario, resolved_settings
from cme_eval.config.convert import build, merge, nested
from cme_eval.config.settings import Scenario
from cme_eval.uncertainty.replicates import Variant, measure
from cme_eval.wales import AUTHORITY_NAMES, PILOT_AUTHORITIES

LA = "Isle of Anglesey"


def _targets(tmp_path: Path, text: str, name: str = "t.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """
documents:
  doc: A report
targets:
  share:
    measure: share_perfect
    source: {document: doc, where: page 3}
    published: 0.68
    allowed: {rounds_to: 0.01}
    scope: published_subset
"""


def test_the_shipped_targets_load_with_sources_and_intervals():
    pilot = load_targets("pilot-2025")
    assert len(pilot) >= 20 and all(t.source and t.low <= t.published <= t.high or
                                    t.measure.endswith("received") for t in pilot)
    perfect = {t.key: t for t in pilot}["perfect_share"]
    assert (perfect.low, perfect.high) == pytest.approx((0.675, 0.685))
    wales = load_targets("wales-2025")
    keys = [t.key for t in wales]
    assert set(keys) >= {t.key for t in pilot} | {"independent_children",
                                                  "home_educated_children"}
    assert len(keys) == len(set(keys)) and wales.digest != pilot.digest


@pytest.mark.parametrize("edit, message", [
    (("share_perfect", "share_perfekt"), "t.yaml: targets.share.measure: unknown measure "
                                          "'share_perfekt'; allowed: share_perfect"),
    (("    source: {document: doc, where: page 3}\n", ""),
     "t.yaml: targets.share.source: every target needs a source"),
    (("document: doc,", "document: other,"),
     "t.yaml: targets.share.source.document: unknown document 'other'; declared: doc"),
    (("{rounds_to: 0.01}", "{rounds_to: 0.01, relative: 0.1}"),
     "t.yaml: targets.share.allowed: 'rounds_to+relative' is not one allowed kind"),
    (("scope: published_subset", "scope: everywhere"),
     "t.yaml: targets.share.scope: unknown scope 'everywhere'"),
    (("published: 0.68", "published: lots"), "t.yaml: targets.share.published: expected a "
                                             "number, got str"),
    (("    scope:", "    colour: red\n    scope:"), "t.yaml: targets.share.colour: unknown key"),
])
def test_a_bad_targets_file_is_one_line_naming_file_and_key(tmp_path, edit, message):
    path = _targets(tmp_path, GOOD.replace(*edit))
    with pytest.raises(TargetError) as info:
        load_targets(path)
    text = str(info.value)
    assert message in text and "\n" not in text


def test_an_include_loop_and_a_repeated_key_are_refused(tmp_path):
    _targets(tmp_path, "include: [b.yaml]\n" + GOOD, "a.yaml")
    _targets(tmp_path, "include: [a.yaml]\n", "b.yaml")
    with pytest.raises(TargetError, match="include: the targets files form a loop"):
        load_targets(tmp_path / "a.yaml")
    _targets(tmp_path, GOOD, "c.yaml")
    _targets(tmp_path, "include: [c.yaml]\n" + GOOD, "d.yaml")
    with pytest.raises(TargetError, match="targets.share: a target of this key is already"):
        load_targets(tmp_path / "d.yaml")


def test_scopes_decide_which_runs_a_target_judges():
    five = tuple(PILOT_AUTHORITIES[:5])
    assert scope_las("published_subset", tuple(PILOT_AUTHORITIES), five) == (five, "")
    assert scope_las("published_subset", ("Powys",), five)[0] == ()
    assert scope_las("pilot_las", ("Powys", "Newport"), five) == (("Powys",), "")
    assert scope_las("pilot", five, five)[1].endswith("this run has 5")
    assert scope_las("wales", tuple(AUTHORITY_NAMES), ())[0] == tuple(AUTHORITY_NAMES)


def test_a_fitted_value_is_the_mean_of_the_runs_and_is_judged_as_such(tmp_path):
    """One seed's per-LA extreme moves by whole points (a school's return): the table judges
    the world's mean over its runs, and shows every run in the range."""
    from types import SimpleNamespace

    from cme_eval.calibration.calibrate import _calibration_table

    targets = load_targets(_targets(tmp_path, GOOD))  # 0.675 to 0.685

    def run(v, n=90_000.0):
        return pd.DataFrame([{"target": "share", "label": "l", "source": "s", "published": 0.68,
                              "allowed_low": 0.675, "allowed_high": 0.685, "weight": 1.0,
                              "value": v, "n": n}])

    fit = SimpleNamespace(emulated={"share": 0.679})
    table = _calibration_table(fit, [run(0.690), run(0.672), run(0.678)], targets, 1.0)
    row = table.iloc[0]
    assert row["fitted"] == pytest.approx(0.68) and bool(row["within"])
    assert (row["replicate_low"], row["replicate_high"]) == (0.672, 0.690)
    # the first run alone (the scenario's own seed) would be outside: the mean decides
    assert not bool(_calibration_table(fit, [run(0.690)], targets, 1.0).iloc[0]["within"])
    # below full size the mean is held to the interval widened by the first run's sampling
    assert bool(_calibration_table(fit, [run(0.69, n=900.0)], targets, 0.01).iloc[0]["within"])
    # at full size, by the mean's own standard error: the same mean, just outside, is within
    # when its runs spread (it may well be inside), not when they agree closely
    wide = (0.684, 0.690, 0.680, 0.694)
    spread = _calibration_table(fit, [run(v) for v in wide], targets, 1.0)
    close = _calibration_table(fit, [run(v) for v in (0.6870, 0.6872, 0.6868, 0.6870)], targets,
                               1.0)
    assert spread.iloc[0]["fitted"] == pytest.approx(0.687) == close.iloc[0]["fitted"]
    assert spread.iloc[0]["fitted_se"] == pytest.approx(np.std(wide, ddof=1) / 2)
    assert bool(spread.iloc[0]["within"]) and not bool(close.iloc[0]["within"])
    assert _calibration_table(fit, [run(0.690)], targets, 1.0).iloc[0]["fitted_se"] == 0


def test_a_check_of_many_targets_gives_each_the_room_of_a_1_in_20_family_false_alarm():
    from cme_eval.calibration.targets import family_z

    assert family_z(1) == pytest.approx(1.96, abs=0.01)
    assert family_z(22) == pytest.approx(3.06, abs=0.01)
    assert family_z(1) < family_z(3) < family_z(22) < family_z(100)
    # a world meeting 22 independent targets, each judged at 2 standard errors, fails a check
    # about a third of the time; at family_z(22), about 1 in 20
    from scipy.stats import norm

    assert 1 - (1 - 2 * norm.sf(2.0)) ** 22 > 0.6
    assert 1 - (1 - 2 * norm.sf(family_z(22))) ** 22 == pytest.approx(0.05, abs=0.002)


def test_every_measure_reads_only_the_tables_it_is_given():
    t51 = pd.DataFrame({"authority": ["A", "A", "B", "B"], "source": ["NWSSP", "Total"] * 2,
                        "received": [90, 100, 45, 50], "perfect_match": [60, 70, 30, 35],
                        "partial_match": [20, 20, 10, 10], "not_matched": [10, 10, 5, 5],
                        "out_of_scope": [0, 0, 0, 0]})
    t61 = pd.DataFrame({"authority": ["A", "B"], "cme_known_before": [1, 2],
                        "cme_known_after": [3, 4], "potential_cme_identified": [10, 5]})
    by_status = pd.DataFrame({"authority": ["A", "A", "B"],
                              "true_status": ["independent", "maintained_own_la", "ehe_suitable"],
                              "nhs_records": [5, 85, 45]})
    f = Figures(t51, t61, by_status)
    assert value("share_perfect", f, ("A", "B")) == pytest.approx(105 / 150)
    assert value("lowest_la_matched_share", f, ("A", "B")) == pytest.approx(0.9)
    assert value("most_la_not_matched", f, ("A", "B")) == 10
    assert value("nhs_received", f, ("A",)) == 90
    assert value("share_not_in_state_education", f, ("A", "B")) == pytest.approx(50 / 135)
    assert value("home_educated_children", f, ("B",)) == 45
    assert np.isnan(value("share_perfect", f, ()))
    with pytest.raises(KeyError):
        value("independent_school_children", Figures(t51, t61), ("A",))
    assert {m.kind for m in MEASURES.values()} == {"share", "count"}


# -- free settings and the fitted layer ------------------------------------------------------


def _scenario(tmp_path: Path, extra: str, fitted: str | None = None) -> Path:
    if fitted is not None:
        (tmp_path / "fitted.yaml").write_text(fitted, encoding="utf-8")
    path = tmp_path / "mine.yaml"
    path.write_text("base: smoke\nname: mine\ncalibration:\n  targets: pilot-2025\n"
                    "  fitted: fitted.yaml\n" + extra, encoding="utf-8")
    return path


FREE = "  free:\n    status_shares.moved_abroad: {range: [0.001, 0.02], prior: 0.004}\n"


def test_a_free_setting_takes_its_prior_then_its_fitted_value(tmp_path):
    path = _scenario(tmp_path, FREE)
    assert load_scenario(path).status_shares["moved_abroad"] == 0.004  # not fitted yet
    path = _scenario(tmp_path, FREE, "values:\n  status_shares.moved_abroad: 0.011\n")
    assert load_scenario(path).status_shares["moved_abroad"] == 0.011
    assert resolved_settings(path, fitted_layer=False)["status_shares"]["moved_abroad"] == 0.004
    assert resolved_settings(path)["calibration"]["fitted"] == ""  # laid in: no file needed


def test_a_free_setting_typed_by_hand_is_refused(tmp_path):
    path = _scenario(tmp_path, FREE + "status_shares:\n  moved_abroad: 0.009\n")
    with pytest.raises(ConfigError, match="mine.yaml: status_shares.moved_abroad: a free "
                                          "setting of calibration.free is set by cme-eval "
                                          "calibrate --save, not by hand"):
        load_scenario(path)


def test_a_fitted_value_of_no_free_setting_is_refused(tmp_path):
    path = _scenario(tmp_path, FREE, "values:\n  status_shares.moved_to_england: 0.5\n")
    with pytest.raises(ConfigError, match="fitted.yaml: values.status_shares.moved_to_england:"
                                          " not a free setting"):
        load_scenario(path)


@pytest.mark.parametrize("free, message", [
    ("{range: [0.02, 0.001]}", "calibration.free.status_shares.moved_abroad.range: expected "
                               "\\[LOW, HIGH\\]"),
    ("{range: [0.001, 0.02], prior: 0.5}", "calibration.free.status_shares.moved_abroad.prior"
                                           ": 0.5 lies outside the range"),
])
def test_a_bad_free_setting_is_named(tmp_path, free, message):
    path = _scenario(tmp_path, f"  free:\n    status_shares.moved_abroad: {free}\n")
    with pytest.raises(ConfigError, match=message):
        load_scenario(path)


def test_a_range_outside_the_settings_bounds_is_refused(tmp_path):
    path = _scenario(tmp_path, "  free:\n    errors.outdated_address.nwssp: {range: [0.1, 1.5]}\n")
    data = resolved_settings(path, fitted_layer=False)
    with pytest.raises(ConfigError, match="calibration.free.errors.outdated_address.nwssp.range:"
                                          " 1.5 is outside the setting's bounds"):
        FR.free_settings(build(Scenario, data), data)


# -- the emulator and the fit -----------------------------------------------------------------


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """One LA of smoke at 5% size, run through the library stages, kept."""
    work = tmp_path_factory.mktemp("emulator")
    variant = Variant("smoke", 7, authorities=(LA,), scale=0.05)
    measure(variant, work, keep=True)
    scenario = load_scenario("smoke", seed=7, scale=0.05, authorities=[LA])
    return work / "base", scenario


FREE_KEYS = ["authorities.Isle of Anglesey.nhs_records", "errors.outdated_address.nwssp",
             "status_shares.moved_within_wales"]


def _tables(run_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    folder = run_dir / "authorities" / "isle-of-anglesey"
    return pd.read_csv(folder / "table_5_1.csv"), pd.read_csv(folder / "table_6_1.csv")


def test_the_emulator_at_the_runs_own_settings_gives_the_runs_tables(small_run):
    run_dir, scenario = small_run
    emulator = Emulator(measure_run(run_dir, scenario), FREE_KEYS)
    figures = emulator.figures(scenario)
    t51, t61 = _tables(run_dir)
    got = figures.table_5_1.set_index(["authority", "source"])
    for row in t51.itertuples():
        for column in ("received", "perfect_match", "partial_match", "not_matched"):
            assert got.loc[(row.authority, row.source), column] * scenario.scale == \
                pytest.approx(getattr(row, column))
    assert figures.table_6_1["cme_known_before"].iloc[0] * scenario.scale == pytest.approx(
        t61["cme_known_before"].iloc[0])


def test_pooled_emulators_give_the_mean_of_their_expected_tables(small_run):
    run_dir, scenario = small_run
    one = Emulator(measure_run(run_dir, scenario), FREE_KEYS)
    # the same run seen as measured at another size: its expected tables are scaled by it
    data = scenario.to_dict()
    half = build(Scenario, merge(data, {"authorities": {LA: {
        "nhs_records": scenario.nhs_records(LA) // 2}}}))
    other = Emulator(measure_run(run_dir, half), FREE_KEYS)
    a, b = one.figures(scenario), other.figures(scenario)
    pooled = Pooled([one, other]).figures(scenario)
    for name, keys in (("table_5_1", ["authority", "source"]), ("table_6_1", ["authority"]),
                       ("nhs_by_status", ["authority", "true_status"])):
        got = getattr(pooled, name).set_index(keys)
        want = (getattr(a, name).set_index(keys) + getattr(b, name).set_index(keys)) / 2
        pd.testing.assert_frame_equal(got.loc[want.index], want, check_dtype=False)
    assert (b.table_5_1["received"] > a.table_5_1["received"]).any()  # they do differ
    assert Pooled([one]).figures(scenario) is not None
    with pytest.raises(ValueError, match="no emulator"):
        Pooled([])


def test_the_emulator_is_measured_where_every_free_status_and_error_is_present():
    from cme_eval.calibration.calibrate import _measured_at

    free = [FR.Free("s.a", 0.0, 0.12, 0.015), FR.Free("s.b", 0.02, 0.4, 0.1),
            FR.Free("n", 7000, 10600, 8800, whole=True)]
    got = _measured_at(free, np.array([0.0, 0.3, 7000.0]))
    assert got.tolist() == pytest.approx([0.012, 0.3, 7000.0])  # sizes are never lifted
    assert _measured_at(free, np.array([0.05, 0.02, 9000.0])).tolist() == pytest.approx(
        [0.05, 0.058, 9000.0])


def test_the_emulator_weighs_sizes_shares_and_error_rates(small_run):
    run_dir, scenario = small_run
    emulator = Emulator(measure_run(run_dir, scenario), FREE_KEYS)
    data = scenario.to_dict()
    base = emulator.figures(scenario).table_5_1.set_index("source")

    def at(**changes) -> pd.DataFrame:
        over: dict = {}
        for key, v in changes.items():
            over = merge(over, nested(key.replace("__", "."), v))
        return emulator.figures(build(Scenario, merge(data, over))).table_5_1.set_index(
            "source")

    bigger = emulator.figures(build(Scenario, merge(data, {"authorities": {LA: {
        "nhs_records": 2 * scenario.nhs_records(LA)}}}))).table_5_1.set_index("source")
    assert bigger.loc["Total", "received"] == pytest.approx(2 * base.loc["Total", "received"])
    none = at(status_shares__independent=0.0)  # no independent pupils: no school returns them
    assert none.loc["Independent schools", "received"] < base.loc["Independent schools",
                                                                  "received"]
    # their share goes to the remainder (maintained_own_la): the NHS records stay about as many
    assert none.loc["NWSSP", "received"] == pytest.approx(base.loc["NWSSP", "received"],
                                                          rel=0.02)
    stale = at(errors__outdated_address__nwssp=0.0)
    assert stale.loc["NWSSP", "partial_match"] < base.loc["NWSSP", "partial_match"]


def test_the_fit_recovers_a_setting_from_a_target_it_made(small_run, tmp_path):
    run_dir, scenario = small_run
    emulator = Emulator(measure_run(run_dir, scenario), ["errors.outdated_address.nwssp"])
    data = scenario.to_dict()
    free = [FR.Free("errors.outdated_address.nwssp", 0.02, 0.4, prior=0.2)]
    truth = emulator.figures(FR.world(data, free, np.array([0.3])))
    partial = value("share_partial", truth, (LA,))
    path = _targets(tmp_path, GOOD.replace("share_perfect", "share_partial").replace(
        "0.68", f"{partial:.6f}").replace("{rounds_to: 0.01}", "{absolute: 0.0005}").replace(
        "published_subset", "pilot_las"))
    chosen = F.judged(load_targets(path), (LA,), ())
    result = F.fit(emulator, data, free, chosen)
    assert result.x[0] == pytest.approx(0.3, abs=0.01)
    assert result.low[0] <= result.x[0] <= result.high[0]
    assert chosen[0].target.within(result.emulated["share"])
