"""Replicates and sensitivity: the pure parts (seeds, summaries, parameters, tables)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cme_eval.config import load_scenario
from cme_eval.report.labels import parameter as parameter_label
from cme_eval.uncertainty import replicates as reps
from cme_eval.uncertainty import sensitivity as sens


def test_replicate_seeds_are_keyed_and_do_not_depend_on_how_many():
    twenty = reps.replicate_seeds(2025, 20)
    assert reps.replicate_seeds(2025, 5) == twenty[:5]
    assert len(set(twenty)) == 20 and 2025 not in twenty
    assert reps.replicate_seeds(2026, 5) != twenty[:5]


def test_summary_percentiles_and_sd_are_the_stated_ones():
    frame = pd.DataFrame({"authority": ["A"] * 5 + ["B"] * 5,
                          "x": [1, 2, 3, 4, 5, 10, 10, 10, 10, 10]})
    out = reps.summarise(frame, ["x"], ["authority"]).set_index("authority")
    assert out.loc["A", "mean"] == 3 and out.loc["A", "sd"] == pytest.approx(np.sqrt(2.5))
    assert out.loc["A", "p2_5"] == pytest.approx(1.1)  # linear: 1 + 0.025 * 4 * (2 - 1)
    assert out.loc["A", "p97_5"] == pytest.approx(4.9)
    assert out.loc["A", "p50"] == 3 and out.loc["B", "sd"] == 0 and out.loc["B", "n"] == 5
    one = reps.summarise(frame.head(1), ["x"], ["authority"])
    assert one["sd"].isna().all() and one["n"].iloc[0] == 1


def _tables(not_matched: int) -> dict[str, pd.DataFrame]:
    """A run's report tables for one LA and the pooled row, as pooled_tables returns them."""
    t51 = pd.DataFrame({"authority": ["X", "All"], "source": ["Total", "Total"],
                        "received": [100, 100], "perfect_match": [70, 70],
                        "partial_match": [30 - not_matched] * 2,
                        "not_matched": [not_matched] * 2, "out_of_scope": [0, 0]})
    t61 = pd.DataFrame({"authority": ["X", "All"], "cme_known_before": [1, 1],
                        "cme_known_after": [3, 3], "potential_cme_identified": [not_matched] * 2})
    breakdown = pd.DataFrame({"authority": ["X", "X", "All", "All"],
                              "true_status": ["missing_unknown", "moved_abroad"] * 2,
                              "potential_cme": [2, not_matched - 2] * 2,
                              "resolved_by_follow_up": [0, 1] * 2})
    workload = pd.DataFrame({"authority": ["X", "All"], "hours_checking_partials": [1.0, 1.0],
                             "hours_following_up": [2.0, 2.0], "hours_total": [3.0, 3.0]})
    quality = pd.DataFrame({"authority": ["X", "All", "X", "All", "All"],
                            "source": ["Total"] * 4 + ["NWSSP"],
                            "mechanism": ["all"] * 2 + ["copied_from_household"] * 3,
                            "engine": ["recordlinkage"] * 5,
                            "precision": [0.99, 0.99, 0.5, 0.5, 0.5],
                            "recall": [0.9, 0.9, 0.75, 0.75, 0.1],
                            "twins_merged": [2, 2, 1, 1, 1],
                            "twins_merged_alike": [1, 1, 0, 0, 0]})
    return {"table_5_1": t51, "table_6_1": t61, "potential_cme_breakdown": breakdown,
            "review_workload": workload, "linkage_quality": quality}


def test_measures_of_a_run_take_every_table_and_count_the_truly_missing():
    rows = reps.measures_of(_tables(10), "recordlinkage").set_index("authority")
    assert list(rows.columns) == list(reps.MEASURES)
    assert rows.loc["All", "not_matched"] == 10 and rows.loc["All", "truly_missing_found"] == 2
    assert rows.loc["X", "potential_cme_moved_abroad"] == 8
    assert rows.loc["X", "potential_cme_eotas"] == 0  # a status with no potential CME
    assert rows.loc["All", "recall"] == 0.9 and rows.loc["All", "hours_total"] == 3.0
    # a mechanism's recall is the all-sources row's; one no record carried is unknown, not 0
    assert rows.loc["All", "recall_copied_from_household"] == 0.75
    assert np.isnan(rows.loc["All", "recall_duplicate_record"])
    assert rows.loc["X", "twins_merged"] == 2 and rows.loc["X", "twins_merged_alike"] == 1


def test_an_la_without_a_potential_cme_counts_zero_of_each_status_as_integers():
    # at smoke size a replicate may leave an LA with no potential CME at all: no breakdown
    # row, yet its counts are 0 and the columns stay integers, as in every other replicate
    tables = _tables(10)
    tables["potential_cme_breakdown"] = tables["potential_cme_breakdown"].query(
        "authority == 'All'")
    rows = reps.measures_of(tables, "recordlinkage").set_index("authority")
    breakdown = [c for c in reps.MEASURES if c.startswith("potential_cme_")
                 and c != "potential_cme_identified"]
    assert (rows.loc["X", breakdown] == 0).all() and rows.loc["X", "truly_missing_found"] == 0
    assert all(rows[c].dtype == "int64" for c in breakdown)


def test_the_published_value_is_judged_against_the_replicate_range_for_shares_only():
    comparison = pd.DataFrame({
        "measure": ["not matched, share of records received", "NHS records sent to the seven LAs",
                    "perfect match, share of records received"],
        "published": [0.06, 167_000, 0.68], "reproduced": [0.07, 1_670, 0.7],
        "applicable": [True, False, True]})
    summary = pd.DataFrame({
        "measure": [reps.PUBLISHED_PREFIX + m for m in comparison["measure"]],
        "authority": "All", "mean": 0.0, "sd": 0.0, "p2_5": [0.065, 1_600, 0.66],
        "p97_5": [0.075, 1_700, 0.70], "p50": 0.0, "n": 20})
    out = reps.with_replicate_interval(comparison, summary)
    assert out["published_in_replicate_interval"].tolist() == [False, "", True]
    assert out["replicate_p2_5"].iloc[0] == 0.065 and np.isnan(out["replicate_p2_5"].iloc[1])


def test_replicates_of_another_run_are_refused_naming_the_flag():
    scenario = load_scenario("smoke")
    meta = {"scenario": "smoke", "scenario_seed": scenario.seed, "scale": scenario.scale,
            "authorities": list(scenario.authorities)}
    reps.check_same_run(meta, scenario, "--replicates-from")  # the same run: accepted
    with pytest.raises(ValueError, match=r"^--replicates-from: the replicates are of scale "
                                         r"0.1, this run is of 0.01"):
        reps.check_same_run({**meta, "scale": 0.1}, scenario, "--replicates-from")


def test_the_default_parameters_cover_the_four_families_of_the_issue():
    scenario = load_scenario("pilot-2025")
    known = sens.available(scenario)
    assert {"errors.outdated_address", "status_shares.missing_unknown",
            "follow_up.resolve_probability.moved_abroad",
            "linkage.partial_min_weight"} <= set(known)
    assert len([k for k in known if k.startswith("errors.")]) == len(scenario.errors)
    weight = known["linkage.partial_min_weight"]
    assert (weight.low, weight.high) == (8.0, 16.0)
    moved = known["follow_up.resolve_probability.moved_abroad"]
    assert (moved.low, moved.high) == (pytest.approx(0.15), pytest.approx(0.55))


def test_a_status_share_factor_also_scales_the_las_that_set_their_own():
    scenario = load_scenario("pilot-2025")
    powys = scenario.shares_for("Powys")["maintained_neighbour_la"]  # the LA's own (fitted)
    p = sens.available(scenario)["status_shares.maintained_neighbour_la"]
    overrides = p.overrides(scenario, 1.5)
    assert overrides["status_shares"]["maintained_neighbour_la"] == pytest.approx(0.0225)
    assert overrides["authorities"]["Powys"]["status_shares"]["maintained_neighbour_la"] == \
        pytest.approx(1.5 * powys)
    varied = load_scenario("pilot-2025", overrides=overrides)
    assert varied.shares_for("Powys")["maintained_neighbour_la"] == pytest.approx(1.5 * powys)


@pytest.mark.parametrize("entry, message", [
    ("errors.typo", r"^--parameters: unknown parameter 'errors.typo' \(did you mean "
                    r"errors.surname_typo\?\); allowed: errors.<type>"),
    ("linkage.partial_min_weight=a:b", r"give LOW:HIGH as two numbers"),
    ("linkage.partial_min_weight=16:8", r"LOW must be below HIGH"),
])
def test_a_bad_parameter_is_refused_in_one_line(entry, message):
    with pytest.raises(sens.ParameterError, match=message):
        sens.parse_parameters([entry], load_scenario("smoke"))


@pytest.mark.parametrize("entry, message", [
    ("errors.outdated_address=0.5:20", r"20 is outside what the setting allows \(errors."
                                       r"outdated_address.nwssp: [0-9.]+ is not a probability"),
    ("status_shares.moved_abroad=-1:2", r"a factor must be >= 0"),
    ("follow_up.resolve_probability.moved_abroad=0.5:1.5", r"1.5 is outside"),
    ("linkage.partial_min_weight=8:99", r"99 is outside"),
])
def test_a_low_or_high_outside_the_settings_range_is_refused(entry, message):
    scenario = load_scenario("smoke")
    params = sens.parse_parameters([entry], scenario)
    with pytest.raises(sens.ParameterError, match=r"^--parameters: " + entry.split("=")[0]):
        sens.check_values(params, "smoke", scenario)
    with pytest.raises(sens.ParameterError, match=message):
        sens.check_values(params, "smoke", scenario)


def test_the_sensitivity_table_and_what_exceeds_chance():
    params = [sens.Parameter("errors.outdated_address", 0.5, 1.5, "factor")]
    def rows(nm):
        return reps.measures_of(_tables(nm), "recordlinkage")
    table = sens.sensitivity_table(params, rows(10), [rows(9), rows(20)])
    nm = table.set_index("measure").loc["not_matched"]
    assert (nm["value_low"], nm["value_base"], nm["value_high"]) == (9, 10, 20)
    assert list(table.columns) == sens.COLUMNS and len(table) == len(sens.MEASURES)
    summary = pd.DataFrame({"measure": ["not_matched"], "authority": ["All"], "mean": [12.0],
                            "p2_5": [10.0], "p97_5": [15.0]})
    flags = sens.exceeds_chance(table, summary)
    assert bool(flags[table["measure"] == "not_matched"].iloc[0])  # 20 > 10 + 3
    assert flags[table["measure"] == "recall"].isna().all()  # no replicate range for it
    assert sens.chance_interval(summary, "not_matched") == (-2.0, 3.0)


def test_parameters_read_as_words():
    assert parameter_label("errors.outdated_address", 0.5, 1.5, "factor") == \
        "Error rate: outdated address, x0.5 to x1.5"
    assert parameter_label("follow_up.resolve_probability.moved_abroad", 0.15, 0.55,
                           "value") == "Follow-up resolves: moved abroad, 0.15 to 0.55"
    assert parameter_label("linkage.partial_min_weight", 8, 16, "value") == \
        "Partial-match weight threshold, 8 to 16"


def test_a_parameter_draw_is_keyed_clipped_and_whole_for_sizes():
    from cme_eval.uncertainty.draws import parameter_draw

    scenario = load_scenario("smoke")
    key = "authorities.Powys.nhs_records"
    assert key in scenario.calibration.intervals
    first, again = parameter_draw(scenario, 1), parameter_draw(scenario, 1)
    assert first == again and first != parameter_draw(scenario, 2)
    size = first["authorities"]["Powys"]["nhs_records"]
    assert isinstance(size, int)
    low, high = scenario.calibration.free[key].range
    draws = [parameter_draw(scenario, k)["authorities"]["Powys"]["nhs_records"]
             for k in range(1, 200)]
    assert low <= min(draws) and max(draws) <= high
    lo95, hi95 = scenario.calibration.intervals[key]
    inside = sum(lo95 <= d <= hi95 for d in draws) / len(draws)
    assert 0.85 < inside <= 1.0  # about 95% of draws fall in the 95% interval


def test_headline_intervals_add_the_range_with_the_fit_when_given():
    this = pd.DataFrame({"authority": ["All"], "received": [100.0], "not_matched": [6.0]})
    summary = pd.DataFrame({"measure": ["received", "not_matched"], "authority": "All",
                            "mean": [100, 6], "sd": 0.0, "p2_5": [98, 5], "p50": 0.0,
                            "p97_5": [102, 7], "n": 3})
    wider = summary.assign(p2_5=[95, 4], p97_5=[105, 8])
    out = reps.headline_intervals(this, summary, wider).set_index("measure")
    assert out.loc["not_matched", ["p2_5", "p97_5", "p2_5_parameters",
                                   "p97_5_parameters"]].tolist() == [5, 7, 4, 8]
    assert "p2_5_parameters" not in reps.headline_intervals(this, summary).columns
