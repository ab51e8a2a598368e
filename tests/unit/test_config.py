"""cme_eval.config: layered, validated scenario settings with errors that name the key."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from cme_eval.config import ConfigError, load_scenario

PILOT_LAS = ["Cardiff", "Rhondda Cynon Taf", "Carmarthenshire", "Powys", "Gwynedd",
             "Monmouthshire", "Isle of Anglesey"]
# Declared in synthetic/scenarios/pilot-2025.yaml (read by hand).
PILOT_NHS_RECORDS = {"Cardiff": 54000, "Rhondda Cynon Taf": 35300, "Carmarthenshire": 25900,
                     "Powys": 16500, "Gwynedd": 15900, "Monmouthshire": 10600,
                     "Isle of Anglesey": 8800}
SCENARIO_KEYS = ["authorities", "dates", "description", "errors", "follow_up",
                 "independent_schools", "linkage", "name", "population", "scale", "seed",
                 "status_shares"]
POPULATION_KEYS = ["house_name_share", "household_children_weights", "nhs_dob_margin_months",
                   "other_forename_share", "siblings_share_surname", "twin_share"]


def _yaml(tmp_path: Path, text: str, name: str = "custom.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _allowed(message: str) -> list[str]:
    return [s.strip() for s in message.split("allowed:", 1)[1].split(",")]


# ------------------------------------------------------------------------------------------
# Unknown keys


def test_unknown_top_level_key_is_named_and_allowed_keys_listed():
    with pytest.raises(ConfigError) as info:
        load_scenario("smoke", overrides={"sed": 1})
    message = str(info.value)
    assert "sed: unknown key" in message
    assert _allowed(message) == SCENARIO_KEYS


def test_unknown_nested_key_is_named_with_its_path_and_allowed_keys_listed():
    with pytest.raises(ConfigError) as info:
        load_scenario("smoke", overrides={"population": {"twin_sharre": 0.1}})
    message = str(info.value)
    assert "population.twin_sharre: unknown key" in message
    assert _allowed(message) == POPULATION_KEYS


def test_unknown_key_in_a_yaml_file_names_the_file_and_the_key(tmp_path):
    path = _yaml(tmp_path, "base: smoke\npopulation:\n  twin_sharre: 0.1\n", "typo.yaml")
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith("typo.yaml: population.twin_sharre: unknown key")
    assert "twin_share" in _allowed(message)


# ------------------------------------------------------------------------------------------
# Authorities


def test_unknown_authority_in_the_scenario_lists_all_22_welsh_authorities():
    with pytest.raises(ConfigError) as info:
        load_scenario("smoke", overrides={"authorities": {"Narnia": {"nhs_records": 5}}})
    message = str(info.value)
    assert "unknown authority 'Narnia'" in message
    allowed = _allowed(message)
    assert len(allowed) == 22
    assert {"Conwy", "Wrexham", "Merthyr Tydfil", "Cardiff", "Isle of Anglesey"} <= set(allowed)
    assert "Narnia" not in allowed


def test_run_parameter_authority_not_in_scenario_lists_the_scenario_authorities():
    with pytest.raises(ConfigError) as info:
        load_scenario("smoke", authorities=["Narnia"])
    message = str(info.value)
    assert "'Narnia' is not in scenario 'smoke'" in message
    assert _allowed(message) == PILOT_LAS


def test_a_welsh_authority_outside_the_scenario_is_refused_too():
    # Conwy is a real LA but not one of the seven pilot LAs of smoke.
    with pytest.raises(ConfigError, match="'Conwy' is not in scenario 'smoke'"):
        load_scenario("smoke", authorities=["Conwy"])


def test_authorities_parameter_restricts_the_run_in_the_given_order():
    scenario = load_scenario("smoke", authorities=["Powys", "Cardiff"])
    assert list(scenario.authorities) == ["Powys", "Cardiff"]
    assert scenario.authorities["Powys"].nhs_records == 16500


# ------------------------------------------------------------------------------------------
# Shares, ranges and types


def test_status_shares_not_adding_up_to_one_are_refused():
    # Defaults add up to 1; replacing missing_known 0.003 by 0.5 gives 1 - 0.003 + 0.5 = 1.497.
    with pytest.raises(ConfigError) as info:
        load_scenario("smoke", overrides={"status_shares": {"missing_known": 0.5}})
    message = str(info.value)
    assert "status_shares: shares must add up to 1" in message
    assert "1.497000" in message


def test_authority_status_shares_are_checked_after_merging_with_the_default():
    with pytest.raises(ConfigError, match=re.escape("authorities.Powys.status_shares (merged)")):
        load_scenario("smoke", overrides={
            "authorities": {"Powys": {"status_shares": {"maintained_own_la": 0.5}}}})


def test_unknown_status_is_named_and_statuses_listed():
    with pytest.raises(ConfigError) as info:
        load_scenario("smoke", overrides={"follow_up": {"resolve_probability": {"lost": 0.5}}})
    message = str(info.value)
    assert "follow_up.resolve_probability: unknown status 'lost'" in message
    assert "missing_unknown" in _allowed(message)
    assert len(_allowed(message)) == 14


def test_out_of_range_value_names_the_key_and_the_allowed_range():
    with pytest.raises(ConfigError) as info:
        load_scenario("smoke", overrides={"population": {"twin_share": 2}})
    message = str(info.value)
    assert "population.twin_share: 2.0 is out of range" in message
    assert "allowed: 0 <= value <= 0.2" in message


@pytest.mark.parametrize(
    "overrides, where",
    [
        ({"scale": 0}, "scale"),
        ({"scale": 11}, "scale"),
        ({"seed": -1}, "seed"),
        ({"independent_schools": {"return_rate": 1.5}}, "independent_schools.return_rate"),
        ({"linkage": {"ambiguity_margin": -1}}, "linkage.ambiguity_margin"),
        ({"population": {"nhs_dob_margin_months": 25}}, "population.nhs_dob_margin_months"),
    ],
)
def test_out_of_range_values(overrides, where):
    with pytest.raises(ConfigError, match=re.escape(where) + r": .* is out of range"):
        load_scenario("smoke", overrides=overrides)


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"seed": "abc"}, "seed: expected a number, got 'abc'"),
        ({"seed": 1.5}, "seed: expected a whole number, got 1.5"),
        ({"seed": True}, "seed: expected a number, got True"),
        ({"population": 5}, "population: expected a mapping, got 5"),
        ({"population": {"household_children_weights": 0.5}},
         "population.household_children_weights: expected a list, got 0.5"),
        ({"dates": {"nhs_extract": "30/04/2025"}},
         "dates.nhs_extract: expected a date YYYY-MM-DD, got '30/04/2025'"),
        ({"description": 3}, "description: expected text, got 3"),
    ],
)
def test_wrong_types_are_named(overrides, expected):
    with pytest.raises(ConfigError, match=re.escape(expected)):
        load_scenario("smoke", overrides=overrides)


def test_unknown_error_type_is_named_and_error_types_listed():
    with pytest.raises(ConfigError) as info:
        load_scenario("smoke", overrides={"errors": {"nickname": {"nwssp": 0.1}}})
    message = str(info.value)
    assert "errors: unknown error type 'nickname'" in message
    assert _allowed(message) == ["forename_typo", "surname_typo", "preferred_forename",
                                 "dropped_diacritics", "dob_day_month_swap", "missing_postcode",
                                 "outdated_address"]


def test_unknown_source_in_errors_is_named_and_sources_listed():
    with pytest.raises(ConfigError) as info:
        load_scenario("smoke", overrides={"errors": {"forename_typo": {"nhs": 0.1}}})
    message = str(info.value)
    assert "errors.forename_typo: unknown source 'nhs'" in message
    assert _allowed(message) == ["nwssp", "independent", "plasc", "ehe", "eotas", "ooc",
                                 "cme_register"]


def test_error_rate_above_one_is_not_a_probability():
    with pytest.raises(ConfigError, match=re.escape("errors.surname_typo.plasc: 1.5 is not")):
        load_scenario("smoke", overrides={"errors": {"surname_typo": {"plasc": 1.5}}})


def test_yaml_that_is_not_a_mapping_is_refused(tmp_path):
    path = _yaml(tmp_path, "- a\n- b\n", "list.yaml")
    with pytest.raises(ConfigError, match="list.yaml: expected a mapping at the top level"):
        load_scenario(path)


def test_unknown_scenario_name_lists_available_scenarios():
    with pytest.raises(ConfigError) as info:
        load_scenario("no-such-scenario")
    assert "pilot-2025" in str(info.value) and "smoke" in str(info.value)


def test_missing_scenario_file_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="scenario file not found"):
        load_scenario(tmp_path / "absent.yaml")


# ------------------------------------------------------------------------------------------
# Layers: defaults < scenario (with base) < run parameters


def test_smoke_inherits_the_pilot_authorities_and_sizes_at_one_percent_scale():
    smoke = load_scenario("smoke")
    pilot = load_scenario("pilot-2025")
    assert smoke.name == "smoke" and pilot.name == "pilot-2025"
    assert smoke.scale == 0.01
    assert pilot.scale == 1.0
    assert list(smoke.authorities) == PILOT_LAS
    assert {k: v.nhs_records for k, v in smoke.authorities.items()} == PILOT_NHS_RECORDS
    assert smoke.authorities == pilot.authorities
    # pilot-2025 Cardiff overrides three shares; the rest come from the package defaults.
    cardiff = smoke.shares_for("Cardiff")
    assert cardiff["maintained_own_la"] == 0.8945
    assert cardiff["moved_abroad"] == 0.008
    assert cardiff["ehe_known"] == 0.013
    # smoke's own description, not the base's
    assert smoke.description.startswith("The pilot-2025 scenario at 1% scale")


def test_a_yaml_with_base_takes_its_own_name_from_the_file(tmp_path):
    path = _yaml(tmp_path, "base: smoke\nscale: 0.02\nseed: 9\n", "tiny.yaml")
    scenario = load_scenario(path)
    assert scenario.name == "tiny"
    assert scenario.scale == 0.02
    assert scenario.seed == 9
    assert list(scenario.authorities) == PILOT_LAS


def test_a_base_loop_is_refused(tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text(f"base: {path}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="base scenarios form a loop"):
        load_scenario(path)


def test_seed_and_scale_parameters_win_over_the_yaml():
    scenario = load_scenario("smoke", seed=7, scale=0.5)
    assert scenario.seed == 7
    assert scenario.scale == 0.5
    default = load_scenario("smoke")
    assert default.seed == 2025 and default.scale == 0.01


def test_run_parameters_are_validated_like_the_yaml():
    with pytest.raises(ConfigError, match="scale: 20.0 is out of range"):
        load_scenario("smoke", scale=20)


def test_overrides_merge_into_nested_settings_without_dropping_siblings():
    scenario = load_scenario("smoke", overrides={"population": {"twin_share": 0.1}})
    assert scenario.population.twin_share == 0.1
    assert scenario.population.siblings_share_surname == 0.9  # from defaults.yaml
    assert scenario.dates.nhs_extract == dt.date(2025, 4, 30)


def test_error_rate_lookup_defaults_to_zero():
    scenario = load_scenario("smoke")
    assert scenario.error_rate("preferred_forename", "independent") == 0.10
    assert scenario.error_rate("preferred_forename", "plasc") == 0.0


def test_to_dict_gives_iso_dates():
    plain = load_scenario("smoke").to_dict()
    assert plain["dates"] == {"nhs_extract": "2025-04-30", "plasc_census": "2025-01-16"}
    assert plain["authorities"]["Powys"]["nhs_records"] == 16500
