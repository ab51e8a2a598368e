"""cme_eval.config: layered, validated scenario settings with errors that name the key."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from cme_eval import shipped
from cme_eval.config import ConfigError
from cme_eval.inputs.schema import STATUSES
from cme_eval.run.scenario import load as load_scenario
from cme_eval.synth.errors import REGISTRY

PILOT_LAS = ["Cardiff", "Rhondda Cynon Taf", "Carmarthenshire", "Powys", "Gwynedd",
             "Monmouthshire", "Isle of Anglesey"]
# Fitted by `cme-eval calibrate pilot-2025 --save` into synthetic/scenarios/fitted/ (read here
# as a file, not through the loader under test).
FITTED = yaml.safe_load((shipped.scenario_dir() / "fitted" / "pilot-2025.yaml").read_text(
    encoding="utf-8"))["values"]
PILOT_NHS_RECORDS = {la: FITTED[f"authorities.{la}.nhs_records"] for la in PILOT_LAS}
SCENARIO_KEYS = ["authorities", "calibration", "cross_border", "dates", "description",
                 "errors", "follow_up", "identifiers",
                 "independent_schools", "linkage", "name", "nhs_staleness", "no_errors",
                 "population", "report",
                 "review", "scale", "seed", "spark", "status_age_profile", "status_shares"]
POPULATION_KEYS = ["house_name_share", "household_children_weights", "inbound_pupil_share",
                   "nhs_dob_margin_months", "other_forename_share", "siblings_share_surname",
                   "twin_share", "two_parent_share"]


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
    assert message.startswith(f"{path}: population.twin_sharre: unknown key")
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
    assert scenario.authorities["Powys"].nhs_records == PILOT_NHS_RECORDS["Powys"]


# ------------------------------------------------------------------------------------------
# Shares, ranges and types


def _declared(authority: str, status: str) -> tuple[float, float]:
    """(the shares of ``authority`` other than its remainder, and ``status``'s share) in the
    smoke scenario as fitted: the arithmetic below follows whatever the fit chose."""
    shares = load_scenario("smoke", authorities=[authority]).shares_for(authority)
    return 1 - shares["maintained_own_la"], shares[status]


def test_status_shares_leaving_no_remainder_are_refused():
    # maintained_own_la is the remainder: replacing missing_known by 0.95 declares
    # (the other shares) - missing_known + 0.95 > 1.
    others, missing = _declared("Isle of Anglesey", "missing_known")
    with pytest.raises(ConfigError) as info:
        load_scenario("smoke", authorities=["Isle of Anglesey"],
                      overrides={"status_shares": {"missing_known": 0.95}})
    message = str(info.value)
    assert ("authorities.Isle of Anglesey.status_shares: the declared shares add up to "
            f"{others - missing + 0.95:.6f}") in message
    assert "must leave a remainder (>= 0) for maintained_own_la" in message


def test_status_shares_leaving_a_zero_remainder_are_accepted():
    # exactly what is left: nothing for maintained_own_la, which is allowed.
    others, missing = _declared("Isle of Anglesey", "missing_known")
    fill = round(1 - (others - missing), 9)
    scenario = load_scenario("smoke", authorities=["Isle of Anglesey"],
                             overrides={"status_shares": {"missing_known": fill}})
    shares = scenario.shares_for("Isle of Anglesey")
    assert shares["maintained_own_la"] == pytest.approx(0.0, abs=1e-8)
    assert shares["missing_known"] == fill
    assert sum(shares.values()) == pytest.approx(1.0)


def test_authority_status_shares_are_checked_after_merging_with_the_default():
    # 0.95 alone leaves room, but merged with the scenario's shares and Powys's own it does not.
    others, independent = _declared("Powys", "independent")
    with pytest.raises(ConfigError, match=re.escape(
            "authorities.Powys.status_shares: the declared shares add up to "
            f"{others - independent + 0.95:.6f}")):
        load_scenario("smoke", overrides={
            "authorities": {"Powys": {"status_shares": {"independent": 0.95}}}})


@pytest.mark.parametrize("overrides, where", [
    ({"status_shares": {"maintained_own_la": 0.5}}, "status_shares.maintained_own_la"),
    ({"authorities": {"Powys": {"status_shares": {"maintained_own_la": 0.5}}}},
     "authorities.Powys.status_shares.maintained_own_la"),
])
def test_maintained_own_la_cannot_be_declared_it_is_the_remainder(overrides, where):
    with pytest.raises(ConfigError) as info:
        load_scenario("smoke", overrides=overrides)
    message = str(info.value)
    assert f"{where}: this share is the remainder (1 - the other shares)" in message


def test_shares_for_puts_the_remainder_first_and_adds_up_to_one():
    scenario = load_scenario("smoke")
    for authority in scenario.authorities:
        shares = scenario.shares_for(authority)
        assert list(shares)[0] == "maintained_own_la"
        assert set(shares) == set(STATUSES)
        assert sum(shares.values()) == pytest.approx(1.0)
    # Monmouthshire declares independent 0.10 (the highest share in Wales): a remainder well
    # below the others'
    own = {a: scenario.shares_for(a)["maintained_own_la"] for a in scenario.authorities}
    assert own["Monmouthshire"] == min(own.values()) < 0.85


def test_unknown_status_is_named_and_statuses_listed():
    with pytest.raises(ConfigError) as info:
        load_scenario("smoke", overrides={"follow_up": {"resolve_probability": {"lost": 0.5}}})
    message = str(info.value)
    assert "follow_up.resolve_probability: unknown status 'lost'" in message
    allowed = _allowed(message)
    assert allowed == list(STATUSES)
    assert len(allowed) == 17
    assert {"missing_unknown", "ehe_suitable", "ehe_unsuitable", "maintained_england",
            "misallocated_border"} <= set(allowed)
    assert "ehe_known" not in allowed


def test_the_old_ehe_known_status_is_now_unknown():
    with pytest.raises(ConfigError, match=re.escape("status_shares: unknown status 'ehe_known'")):
        load_scenario("smoke", overrides={"status_shares": {"ehe_known": 0.01}})


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
    assert _allowed(message) == [e.name for e in REGISTRY]
    assert {"forename_typo", "duplicate_record", "dob_format_variety"} <= set(_allowed(message))


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
    with pytest.raises(ConfigError,
                       match="list.yaml: expected a mapping of settings at the top level"):
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
    # pilot-2025 Cardiff overrides two shares (moved_within_wales 0.018 and moved_abroad
    # 0.008); maintained_own_la is the remainder of them all.
    cardiff = smoke.shares_for("Cardiff")
    others = sum(v for k, v in cardiff.items() if k != "maintained_own_la")
    assert cardiff["maintained_own_la"] == pytest.approx(1 - others)
    assert cardiff["moved_within_wales"] == 0.018
    assert cardiff["moved_abroad"] == 0.008
    assert cardiff["ehe_suitable"] == 0.0115
    assert "ehe_known" not in cardiff
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
    assert scenario.error_rate("preferred_forename", "independent") == 0.15
    assert scenario.error_rate("preferred_forename", "nwssp") == 0.10
    assert scenario.error_rate("preferred_forename", "plasc") == 0.0
    assert "preferred_forename" not in scenario.error_rates("plasc")
    assert scenario.error_rates("plasc")["outdated_address"] == 0.03


def test_no_errors_turns_every_declared_rate_off():
    scenario = load_scenario("smoke", overrides={"no_errors": True})
    assert scenario.errors["preferred_forename"]["independent"] == 0.15  # still declared
    assert scenario.error_rate("preferred_forename", "independent") == 0.0
    assert all(scenario.error_rates(src) == {} for src in ("nwssp", "independent", "plasc"))


def test_omitted_nhs_records_are_derived_from_the_pupil_count():
    from cme_eval import wales
    from cme_eval.config import NHS_RECORDS_PER_PUPIL

    scenario = load_scenario("smoke", overrides={"authorities": {"Conwy": {}}})
    assert scenario.authorities["Conwy"].nhs_records is None
    expected = round(wales.get("Conwy").pupils_5_15 * 167_000 / 142_000)
    assert NHS_RECORDS_PER_PUPIL == 167_000 / 142_000
    assert scenario.nhs_records("Conwy") == expected
    assert scenario.nhs_records("Powys") == PILOT_NHS_RECORDS["Powys"]  # fitted wins
    # Anglesey has 7500 pupils aged 5-15 in the reference data: 7500 x 167/142 = 8820.4
    assert load_scenario("smoke", overrides={"authorities": {"Isle of Anglesey": {
        "nhs_records": None}}}).nhs_records("Isle of Anglesey") == 8820


@pytest.mark.parametrize("overrides, expected", [
    ({"identifiers": {"nhs": ["nhs_number"]}}, "identifiers: unknown source 'nhs'"),
    ({"identifiers": {"nwssp": ["chi_number"]}},
     "identifiers.nwssp: unknown identifier 'chi_number'; allowed: nhs_number, uprn, upn"),
    ({"independent_schools": {"layouts": {"word_doc": 1.0}}},
     "independent_schools.layouts: unknown layout 'word_doc'"),
    ({"no_errors": "yes"}, "no_errors: expected true or false, got 'yes'"),
    ({"population": {"two_parent_share": 1.5}}, "population.two_parent_share: 1.5 is out of"),
    ({"population": {"inbound_pupil_share": 0.6}},
     "population.inbound_pupil_share: 0.6 is out of"),
    ({"independent_schools": {"boarders_per_pupil": 3}},
     "independent_schools.boarders_per_pupil: 3.0 is out of"),
])
def test_new_scenario_keys_are_validated(overrides, expected):
    with pytest.raises(ConfigError, match=re.escape(expected)):
        load_scenario("smoke", overrides=overrides)


def test_identifiers_default_to_none_shared():
    assert load_scenario("smoke").identifiers == {}
    scenario = load_scenario("smoke", overrides={"identifiers": {"nwssp": ["nhs_number"]}})
    assert scenario.identifiers == {"nwssp": ["nhs_number"]}


def test_to_dict_gives_iso_dates():
    plain = load_scenario("smoke").to_dict()
    assert plain["dates"] == {"nhs_extract": "2025-04-30", "plasc_census": "2025-01-16"}
    assert plain["authorities"]["Powys"]["nhs_records"] == PILOT_NHS_RECORDS["Powys"]


# ------------------------------------------------------------------------------------------
# Strict values: finite numbers, weights, date formats, real dates

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("overrides, where", [
    ({"linkage": {"partial_min_weight": NAN}}, "linkage.partial_min_weight"),
    ({"linkage": {"ambiguity_margin": INF}}, "linkage.ambiguity_margin"),
    ({"cross_border": {"other_la_min_weight": INF}}, "cross_border.other_la_min_weight"),
    ({"scale": INF}, "scale"),
    ({"seed": NAN}, "seed"),
    ({"seed": INF}, "seed"),
    ({"population": {"twin_share": -INF}}, "population.twin_share"),
    ({"population": {"household_children_weights": [0.5, NAN]}},
     "population.household_children_weights[1]"),
    ({"errors": {"forename_typo": {"nwssp": NAN}}}, "errors.forename_typo.nwssp"),
    ({"status_shares": {"independent": NAN}}, "status_shares.independent"),
    ({"authorities": {"Powys": {"status_shares": {"independent": INF}}}},
     "authorities.Powys.status_shares.independent"),
    ({"authorities": {"Powys": {"nhs_records": INF}}}, "authorities.Powys.nhs_records"),
    ({"follow_up": {"resolve_probability": {"independent": -INF}}},
     "follow_up.resolve_probability.independent"),
    ({"independent_schools": {"layouts": {"standard_csv": INF}}},
     "independent_schools.layouts.standard_csv"),
    ({"review": {"minutes_per_follow_up": NAN}}, "review.minutes_per_follow_up"),
    ({"nhs_staleness": NAN}, "nhs_staleness"),
])
def test_nan_and_infinity_are_refused_everywhere(overrides, where):
    with pytest.raises(ConfigError) as info:
        load_scenario("smoke", overrides=overrides)
    message = str(info.value)
    assert re.search(re.escape(where) + r": -?(nan|inf) is not a finite number; allowed: ",
                     message), message


def test_nan_partial_min_weight_in_a_yaml_file_is_refused_with_the_allowed_range(tmp_path):
    # Before: every weight >= nan is False, so the run went ahead with 0 partial matches.
    path = _yaml(tmp_path, "base: smoke\nlinkage:\n  partial_min_weight: .nan\n", "nan.yaml")
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "linkage.partial_min_weight: nan is not a finite number" in message
    assert "allowed: 0 <= value <= 60" in message


@pytest.mark.parametrize("text, where", [
    ("scale: .inf\n", "scale"),
    ("errors:\n  forename_typo: {nwssp: -.inf}\n", "errors.forename_typo.nwssp"),
    ("population:\n  household_children_weights: [.nan, 1]\n",
     "population.household_children_weights[0]"),
])
def test_yaml_nan_and_infinity_are_refused(tmp_path, text, where):
    path = _yaml(tmp_path, "base: smoke\n" + text, "inf.yaml")
    with pytest.raises(ConfigError, match=re.escape(where) + ": .* is not a finite number"):
        load_scenario(path)


@pytest.mark.parametrize("value", [-1, 60.5, 1000])
def test_partial_min_weight_has_a_range(value):
    with pytest.raises(ConfigError, match=re.escape(
            f"linkage.partial_min_weight: {float(value)} is out of range; "
            "allowed: 0 <= value <= 60")):
        load_scenario("smoke", overrides={"linkage": {"partial_min_weight": value}})


def test_partial_min_weight_at_the_ends_of_its_range_is_accepted():
    for value in (0, 60):
        scenario = load_scenario("smoke", overrides={"linkage": {"partial_min_weight": value}})
        assert scenario.linkage.partial_min_weight == value


@pytest.mark.parametrize("overrides, where", [
    ({"cross_border": {"other_la_min_weight": -1}}, "cross_border.other_la_min_weight"),
    ({"cross_border": {"other_la_min_weight": 61}}, "cross_border.other_la_min_weight"),
    ({"linkage": {"ambiguity_margin": -0.5}}, "linkage.ambiguity_margin"),
    ({"scale": -0.5}, "scale"),
])
def test_thresholds_out_of_range(overrides, where):
    with pytest.raises(ConfigError, match=re.escape(where) + r": .* is out of range; allowed: "):
        load_scenario("smoke", overrides=overrides)


@pytest.mark.parametrize("overrides, where", [
    ({"population": {"household_children_weights": [0.5, -0.1, 0.2]}},
     "population.household_children_weights[1]: -0.1 is out of range; allowed: 0 <= value"),
    ({"independent_schools": {"layouts": {"standard_csv": 1.0, "minimal_csv": -2}}},
     "independent_schools.layouts.minimal_csv: -2.0 is out of range; allowed: 0 <= value"),
])
def test_negative_weights_are_refused(overrides, where):
    with pytest.raises(ConfigError, match=re.escape(where)):
        load_scenario("smoke", overrides=overrides)


@pytest.mark.parametrize("overrides, where", [
    ({"population": {"household_children_weights": [0, 0.0, 0]}},
     "population.household_children_weights"),
    ({"population": {"household_children_weights": []}}, "population.household_children_weights"),
    ({"independent_schools": {"layouts": {"standard_csv": 0, "minimal_csv": 0.0}}},
     "independent_schools.layouts"),
])
def test_weights_adding_up_to_zero_are_refused(overrides, where):
    with pytest.raises(ConfigError) as info:
        load_scenario("smoke", overrides=overrides)
    message = str(info.value)
    assert f"{where}: the weights add up to 0; allowed: weights >= 0 with at least one > 0" \
        in message


def test_weights_with_some_zeros_are_accepted_and_no_layouts_means_all():
    scenario = load_scenario("smoke", overrides={
        "population": {"household_children_weights": [1, 0, 0]},
        "independent_schools": {"layouts": {"standard_csv": 0, "minimal_csv": 2}}})
    assert scenario.population.household_children_weights == [1.0, 0.0, 0.0]
    assert scenario.independent_schools.layouts == {"standard_csv": 0.0, "minimal_csv": 2.0}
    assert load_scenario("smoke").independent_schools.layouts == {}


@pytest.mark.parametrize("fmt, why", [
    ("%Q", "has no date directive"),              # unknown directive: written as is
    ("DOB", "has no date directive"),
    ("%d/%Q/%Y", "cannot be read back"),          # 'Q' is a bad directive
    ("%Y", "does not hold a whole date"),         # 2011 reads back as 2011-01-01
    ("%m/%Y", "does not hold a whole date"),
    ("%d/%m", "does not hold a whole date"),
])
def test_bad_date_formats_are_refused_with_their_index(fmt, why):
    with pytest.raises(ConfigError) as info:
        load_scenario("smoke", overrides={
            "independent_schools": {"dob_formats": ["%d/%m/%Y", fmt]}})
    message = str(info.value)
    assert f"independent_schools.dob_formats[1]: {fmt!r} {why}" in message
    assert "allowed: a strftime format of a whole date" in message


def test_good_date_formats_are_accepted():
    formats = ["%d/%m/%Y", "%Y-%m-%d", "%d.%m.%y", "%d %B %Y", "%d-%b-%Y", "%m/%d/%Y", "excel"]
    scenario = load_scenario("smoke", overrides={"independent_schools": {"dob_formats": formats}})
    assert scenario.independent_schools.dob_formats == formats


def test_no_date_format_is_refused():
    with pytest.raises(ConfigError, match=re.escape(
            "independent_schools.dob_formats: no format given; allowed: ")):
        load_scenario("smoke", overrides={"independent_schools": {"dob_formats": []}})


def test_settings_built_in_code_are_checked_too():
    from cme_eval.config import IndependentSchools, Population

    with pytest.raises(ConfigError, match=re.escape("independent_schools.dob_formats[0]")):
        IndependentSchools(dob_formats=["%Y"])
    with pytest.raises(ConfigError, match=re.escape("population.household_children_weights")):
        Population(household_children_weights=[0.0, 0.0])


@pytest.mark.parametrize("value", ["2025-02-30", "2025-13-01", "2025-00-10", "2023-02-29"])
def test_an_impossible_date_is_refused_with_its_key(value):
    with pytest.raises(ConfigError) as info:
        load_scenario("smoke", overrides={"dates": {"nhs_extract": value}})
    message = str(info.value)
    assert f"dates.nhs_extract: {value!r} is not a real date" in message
    assert "allowed: a calendar date YYYY-MM-DD" in message


@pytest.mark.parametrize("value", ["20250430", "2025-4-30", "2025-W18-3",
                                   dt.datetime(2025, 4, 30, 10, 0), 20250430])
def test_a_date_not_written_yyyy_mm_dd_is_refused(value):
    with pytest.raises(ConfigError, match=re.escape(
            f"dates.plasc_census: expected a date YYYY-MM-DD, got {value!r}")):
        load_scenario("smoke", overrides={"dates": {"plasc_census": value}})


def test_an_impossible_date_in_a_yaml_file_is_refused_with_its_key(tmp_path):
    path = _yaml(tmp_path, "base: smoke\ndates:\n  nhs_extract: 2025-02-30\n", "feb.yaml")
    with pytest.raises(ConfigError, match=r"dates\.nhs_extract: .*2025-02-30.*not a real date"):
        load_scenario(path)


def test_real_dates_are_read_from_text_and_from_python_dates():
    scenario = load_scenario("smoke", overrides={"dates": {"nhs_extract": "2024-02-29",
                                                           "plasc_census": dt.date(2024, 1, 18)}})
    assert scenario.dates.nhs_extract == dt.date(2024, 2, 29)
    assert scenario.dates.plasc_census == dt.date(2024, 1, 18)


@pytest.mark.parametrize("value, expected", [
    (-1, "seed: -1 is out of range; allowed: 0 <= value"),
    (2.5, "seed: expected a whole number, got 2.5"),
    ("7", "seed: expected a number, got '7'"),
])
def test_seed_is_a_non_negative_whole_number(value, expected):
    with pytest.raises(ConfigError, match=re.escape(expected)):
        load_scenario("smoke", overrides={"seed": value})


def test_a_whole_float_seed_is_taken_as_an_integer():
    seed = load_scenario("smoke", overrides={"seed": 3.0}).seed
    assert seed == 3 and isinstance(seed, int)


def test_a_file_in_the_current_folder_is_named_as_the_user_knows_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "typo.yaml").write_text("base: smoke\nseed: -1\n")
    with pytest.raises(ConfigError, match=r"^mine/typo.yaml: seed: -1 is out of range"):
        load_scenario("mine/typo.yaml")


def test_a_bad_run_parameter_is_blamed_on_the_parameter_not_the_file():
    with pytest.raises(ConfigError, match=r"^run parameter scale: -1.0 is out of range"):
        load_scenario("smoke", scale=-1)


def test_authorities_are_found_whatever_their_case_with_a_did_you_mean():
    assert list(load_scenario("smoke", authorities=["isle-of-anglesey", "CARDIFF"])
                .authorities) == ["Isle of Anglesey", "Cardiff"]
    with pytest.raises(ConfigError, match=r"'Cardif' is not in scenario 'smoke' "
                       r"\(did you mean 'Cardiff'\?\); allowed: Cardiff"):
        load_scenario("smoke", authorities=["Cardif"])


def test_a_base_file_is_read_relative_to_the_file_that_names_it(tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "parent.yaml").write_text("base: smoke\nseed: 5\n")
    (tmp_path / "a" / "child.yaml").write_text("base: parent.yaml\nname: child\n")
    monkeypatch.chdir(tmp_path)  # not the folder of the files
    scenario = load_scenario("a/child.yaml")
    assert (scenario.name, scenario.seed) == ("child", 5)


def test_a_file_that_is_not_utf8_is_refused_with_the_byte(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("base: smoke\ndescription: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(ConfigError,
                       match=r"latin1.yaml: not UTF-8 text \(line 2, byte 28 is 0xe9\)"):
        load_scenario(path)


def test_the_published_subset_must_be_five_pilot_authorities():
    five = ["Rhondda Cynon Taf", "Carmarthenshire", "Gwynedd", "Monmouthshire",
            "Isle of Anglesey"]
    assert load_scenario("pilot-2025").report.published_subset == five
    with pytest.raises(ConfigError, match=r"report.published_subset: 'Newport' is not a pilot"):
        load_scenario("pilot-2025", overrides={"report": {"published_subset": ["Newport"]}})
    with pytest.raises(ConfigError, match=r"rest on 5 LAs; got 4 different names"):
        load_scenario("pilot-2025", overrides={"report": {"published_subset": five[:4]}})


@pytest.mark.parametrize("date", ["9999-12-31", "0001-01-01", "1900-06-30"])
def test_a_reference_date_far_from_now_is_refused_in_one_line(date):
    with pytest.raises(ConfigError, match=rf"dates.nhs_extract: {date} is out of range; "
                                          "allowed: 1990-01-01 to 2100-12-31"):
        load_scenario("smoke", overrides={"dates": {"nhs_extract": date}})
