"""cme_eval.synth.population: the synthetic truth (children, households, statuses)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from cme_eval import wales
from cme_eval.config import ConfigError, load_scenario
from cme_eval.inputs.schema import STATUSES
from cme_eval.synth.population import (
    cross_border_districts,
    generate_population,
    nhs_dob_window,
)

LA = "Isle of Anglesey"


@pytest.fixture(scope="module")
def scenario():
    # 8800 x 0.1 = 880 children in the NHS window: enough for shares, still fast.
    return load_scenario("smoke", authorities=[LA], scale=0.1)


@pytest.fixture(scope="module")
def people(scenario):
    return generate_population(scenario, LA)


def test_nhs_dob_window_is_compulsory_age_widened_by_two_months():
    # compulsory school age on 30 Apr 2025: born 1 Sep 2008 - 31 Mar 2020 (see test_schooling)
    s = load_scenario("smoke", authorities=[LA], overrides={
        "population": {"nhs_dob_margin_months": 2}})
    assert nhs_dob_window(s) == (dt.date(2008, 7, 1), dt.date(2020, 5, 31))


def test_nhs_dob_window_follows_the_margin_setting():
    s = load_scenario("smoke", authorities=[LA], overrides={
        "population": {"nhs_dob_margin_months": 0}})
    assert nhs_dob_window(s) == (dt.date(2008, 9, 1), dt.date(2020, 3, 31))


def test_same_scenario_and_seed_give_identical_people(scenario, people):
    assert_frame_equal(generate_population(scenario, LA), people)


def test_another_seed_gives_other_people(people):
    other = generate_population(load_scenario("smoke", authorities=[LA], scale=0.1, seed=7), LA)
    assert not other["dob"].equals(people["dob"])
    assert not other["forename"].equals(people["forename"])


def test_window_holds_the_declared_number_of_children(scenario, people):
    lo, hi = nhs_dob_window(scenario)
    dob = pd.to_datetime(people["dob"])
    in_window = int(((dob >= pd.Timestamp(lo)) & (dob <= pd.Timestamp(hi))).sum())
    target = round(scenario.nhs_records(LA) * 0.1)  # Anglesey as fitted
    # twins copy their sibling's DOB, which can move a child across the window's edge
    assert abs(in_window - target) <= 0.02 * target


def test_ages_are_between_3_and_18(people):
    dob = pd.to_datetime(people["dob"])
    # born after 30 Apr 2006 (not yet 19 on 30 Apr 2025) and by 30 Apr 2022 (3 by then)
    assert dob.min() >= pd.Timestamp("2006-05-01")
    assert dob.max() <= pd.Timestamp("2022-04-30")


def test_twin_share_is_near_the_declared_value(scenario, people):
    assert scenario.population.twin_share == 0.03
    share = people["twin_person_id"].ne("").mean()
    assert abs(share - 0.03) < 0.006


def test_twins_are_mutual_and_share_birth_surname_and_home_but_not_forename(people):
    by_id = people.set_index("person_id")
    twins = people[people["twin_person_id"] != ""]
    assert len(twins) > 0 and len(twins) % 2 == 0
    for row in twins.itertuples():
        other = by_id.loc[row.twin_person_id]
        assert other.twin_person_id == row.person_id
        assert (other.dob, other.surname, other.household_id, other.address, other.postcode) == (
            row.dob, row.surname, row.household_id, row.address, row.postcode)
        assert other.forename != row.forename


def test_no_two_children_of_a_household_share_a_forename(people):
    # Parents do not give two children one name; before this held, siblings of another age
    # with one name were a fifth of Cardiff's wrong links, a family no list holds.
    assert people.groupby("household_id")["forename"].apply(lambda f: f.is_unique).all()
    assert people["household_id"].duplicated().sum() > 100  # households of several children


def test_household_members_share_an_address(people):
    # Children allocated here from a cross-border postcode (misallocated_border) are given a
    # home in a shared district; every other member of a household shares one home.
    at_home = people[people["status"] != "misallocated_border"]
    per_household = at_home.groupby("household_id")[["address", "postcode", "uprn"]].nunique()
    assert (per_household == 1).all().all()
    # different households have different homes
    homes = at_home.drop_duplicates("household_id")
    assert homes["uprn"].is_unique


def test_misallocated_border_children_have_a_postcode_in_a_shared_district():
    # Powys shares SY20 with Gwynedd and SA9/SA10 with Neath Port Talbot.
    s = load_scenario("smoke", authorities=["Powys"], scale=0.1,
                      overrides={"status_shares": {"misallocated_border": 0.05}})
    people = generate_population(s, "Powys")
    shared = set(cross_border_districts("Powys"))
    assert shared and shared < set(wales.get("Powys").postcode_districts)
    moved = people[people["status"] == "misallocated_border"]
    assert len(moved) > 50
    assert moved["postcode"].str.split(" ").str[0].isin(shared).all()
    others = people[people["status"] != "misallocated_border"]
    assert not others["postcode"].str.split(" ").str[0].isin(shared).all()


def test_misallocated_border_families_move_together():
    s = load_scenario("smoke", authorities=["Powys"], scale=0.1,
                      overrides={"status_shares": {"misallocated_border": 0.3}})
    people = generate_population(s, "Powys")
    per_household = people.groupby("household_id")[["address", "postcode", "uprn"]].nunique()
    assert (per_household == 1).all().all()
    twins = people[people["twin_person_id"] != ""].set_index("person_id")
    assert (twins["address"] == twins.loc[twins["twin_person_id"], "address"].to_numpy()).all()


def test_ids_are_unique_and_coded_by_authority(people):
    assert people["person_id"].is_unique
    # Isle of Anglesey is W06000001
    assert people["person_id"].iloc[0] == "P-W06000001-0000000"
    assert people["person_id"].str.startswith("P-W06000001-").all()
    assert (people["authority"] == LA).all()


def test_statuses_are_known_and_follow_the_shares(scenario, people):
    assert set(people["status"]) <= set(STATUSES)
    # maintained_own_la is the remainder of Anglesey's declared shares (about 0.93)
    shares = scenario.shares_for(LA)
    own = shares.pop("maintained_own_la")
    assert own == pytest.approx(1 - sum(shares.values())) and 0.9 < own < 0.95
    assert abs(people["status"].eq("maintained_own_la").mean() - own) < 0.03


def test_a_single_status_scenario_gives_only_that_status():
    # maintained_own_la is the remainder: giving another status the whole share leaves it 0.
    shares = {s: 0.0 for s in STATUSES if s != "maintained_own_la"}
    shares["ehe_suitable"] = 1.0
    flat = {s: {5: 1.0, 15: 1.0} for s in ("ehe_suitable", "ehe_unknown")}  # a whole share: no age
    s = load_scenario("smoke", authorities=[LA], overrides={
        "status_shares": shares, "authorities": {LA: {"status_shares": shares}},
        "status_age_profile": flat})
    assert s.shares_for(LA)["maintained_own_la"] == 0.0
    people = generate_population(s, LA)
    assert set(people["status"]) == {"ehe_suitable"}


def test_all_other_shares_zero_gives_only_the_remainder_status():
    shares = {s: 0.0 for s in STATUSES if s != "maintained_own_la"}
    s = load_scenario("smoke", authorities=[LA], overrides={
        "status_shares": shares, "authorities": {LA: {"status_shares": shares}}})
    people = generate_population(s, LA)
    assert set(people["status"]) == {"maintained_own_la"}


def test_postcodes_are_in_the_authoritys_districts(people):
    # Anglesey postcodes are in the LL58-LL78 range of districts
    districts = people["postcode"].str.split(" ").str[0]
    assert districts.str.match(r"^LL(5[89]|6\d|7[0-8])$").all()
    assert people["postcode"].str.match(r"^[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}$").all()


def test_an_age_profile_moves_a_share_between_ages_and_keeps_it_overall():
    from cme_eval.synth.population import age_weights, ages_on, profile_factor
    from cme_eval.synth.profile import profile
    from cme_eval.synth.sources import synthesise

    assert np.mean(profile_factor({5: 0.5, 15: 1.5}, np.arange(5, 16))) == pytest.approx(1.0)
    assert profile_factor({5: 0.5, 15: 1.5}, 3) == pytest.approx(0.5)  # flat beyond the ends
    shares = {"maintained_own_la": 0.9, "ehe_suitable": 0.1}
    young = age_weights(shares, list(shares), {"ehe_suitable": {5: 0.5, 15: 1.5}}, 5, LA)
    assert young.sum() == pytest.approx(1.0) and young[1] == pytest.approx(0.05)
    heavy = {"maintained_own_la": 0.4, "ehe_suitable": 0.6}  # 0.6 x 2 at 15: over 1
    with pytest.raises(ConfigError, match="at age 15 the profiled shares of"):
        age_weights(heavy, list(heavy), {"ehe_suitable": {5: 0.0, 15: 20.0}}, 15, LA)

    scenario = load_scenario("smoke", authorities=[LA], scale=0.5, overrides={
        "status_shares": {"ehe_suitable": 0.05},
        "status_age_profile": {"ehe_suitable": {5: 0.25, 15: 1.75}}})
    world = synthesise(scenario, LA)
    residents = world.people[world.people["resident"].astype(bool)]
    ages = ages_on(residents["dob"].to_numpy(), scenario.dates.nhs_extract)
    ehe = residents["status"].eq("ehe_suitable").to_numpy()
    compulsory = (ages >= 5) & (ages <= 15)
    assert ehe[(ages >= 13) & (ages <= 15)].mean() > 2 * ehe[(ages >= 5) & (ages <= 7)].mean()
    assert ehe[compulsory].mean() == pytest.approx(0.05, abs=0.01)
    rows = profile(world, scenario)
    by_age = rows[rows["measure"] == "status_share_by_age"].set_index("key")
    assert {"ehe_suitable/ages 5-10", "ehe_suitable/ages 11-15"} <= set(by_age.index)
    for row in by_age.itertuples():
        assert abs(row.realised - row.target) < 0.02


def test_an_age_profile_of_a_family_status_is_refused():
    with pytest.raises(ConfigError, match="status_age_profile.moved_abroad: not a status drawn "
                                          "per child"):
        load_scenario("smoke", overrides={"status_age_profile": {"moved_abroad": {5: 1}}})
