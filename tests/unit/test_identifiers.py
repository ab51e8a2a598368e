"""cme_eval.identifiers and the identifiers a synthetic child carries (and sources may share)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cme_eval import wales
from cme_eval.config import load_scenario
from cme_eval.fileio import read_csv
from cme_eval.identifiers import (
    is_valid_nhs_number,
    is_valid_upn,
    nhs_check_digit,
    nhs_numbers,
    upn_check_letter,
    upns,
    uprns,
)
from cme_eval.inputs.ingest import read_authority
from cme_eval.inputs.schema import OPTIONAL_IDENTIFIERS, SOURCES
from cme_eval.synth.sources import synthesise, write_synthetic

LA = "Isle of Anglesey"
SHARED = {"nwssp": ["nhs_number"], "plasc": ["upn"]}
FIELDS = ["forename", "surname", "dob", "address", "postcode"]


@pytest.fixture(scope="module")
def world():
    return synthesise(load_scenario("smoke", authorities=[LA], scale=0.1), LA)


@pytest.fixture(scope="module")
def residents(world):
    return world.people[world.people["resident"]]


@pytest.fixture(scope="module")
def shared_world():
    scenario = load_scenario("smoke", authorities=[LA], scale=0.1,
                             overrides={"identifiers": SHARED})
    return scenario, synthesise(scenario, LA)


# ------------------------------------------------------------------------------------------
# NHS numbers


def test_a_known_valid_nhs_number_is_accepted_and_every_one_digit_change_rejected():
    good = "9434765919"
    assert is_valid_nhs_number(good)
    assert is_valid_nhs_number("943 476 5919")  # as printed on a card
    assert nhs_check_digit(good[:9]) == 9
    # modulus 11 with weights 10..2 catches every single-digit substitution
    for i in range(10):
        for digit in "0123456789":
            if digit != good[i]:
                assert not is_valid_nhs_number(good[:i] + digit + good[i + 1:]), (i, digit)


@pytest.mark.parametrize("value", ["", "943476591", "94347659190", "943476591X"])
def test_nhs_numbers_of_the_wrong_length_are_invalid(value):
    assert not is_valid_nhs_number(value)


def test_a_check_digit_of_ten_makes_the_number_invalid():
    # 1+2+3+4+5+6+7+8+9 weighted 10..2: 10+18+24+28+30+30+28+24+18 = 210; 210 % 11 = 1 -> 10
    assert nhs_check_digit("123456789") is None
    assert not any(is_valid_nhs_number(f"123456789{d}") for d in range(10))


def test_generated_nhs_numbers_are_distinct_valid_and_in_the_test_range():
    values = nhs_numbers(np.random.default_rng(1), 5000)
    assert len(values) == 5000 and len(set(values)) == 5000
    assert all(len(v) == 10 and v.startswith("999") and is_valid_nhs_number(v) for v in values)


def test_residents_nhs_numbers_are_valid_unique_and_in_the_999_range(residents, world):
    nhs = residents["nhs_number"]
    assert nhs.str.fullmatch(r"999\d{7}").all()
    assert nhs.map(is_valid_nhs_number).all()
    assert nhs.is_unique
    # visitors (boarders, inbound pupils) are not registered here: no NHS number
    visitors = world.people[~world.people["resident"]]
    assert len(visitors) > 0 and (visitors["nhs_number"] == "").all()


# ------------------------------------------------------------------------------------------
# UPNs


def test_upn_check_letter_by_hand():
    # body 660 2000 15 001, weights 2..13: 12+18+0+10+0+0+0+9+50+0+0+13 = 112; 112 % 23 = 20,
    # and the 21st letter of ABCDEFGHJKLMNPQRTUVWXYZ (no I, O, S) is X
    assert upn_check_letter("660200015001") == "X"
    assert is_valid_upn("X660200015001")
    assert is_valid_upn("x660200015001")  # case does not matter
    assert not is_valid_upn("W660200015001")
    assert not is_valid_upn("X66020001500")  # too short
    assert not is_valid_upn("X66020001500A")
    assert not is_valid_upn("X660200015002")  # serial changed, letter kept


def test_generated_upns_are_distinct_valid_and_carry_the_la_code():
    values = upns(np.random.default_rng(3), "681", 3000, 2019)
    assert len(set(values)) == 3000
    assert all(is_valid_upn(v) and v[1:4] == "681" and v[8:10] == "19" for v in values)


def test_residents_upns_are_valid_with_the_la_code_in_positions_2_to_4(residents):
    upn = residents["upn"]
    assert upn.map(is_valid_upn).all()
    assert (upn.str[1:4] == wales.get(LA).upn_code).all()  # 660 for Anglesey
    assert upn.is_unique
    # year of entry: the calendar year the child turns five
    entry = pd.to_datetime(residents["dob"]).dt.year + 5
    assert (upn.str[8:10] == (entry % 100).map("{:02d}".format)).all()


# ------------------------------------------------------------------------------------------
# UPRNs


def test_generated_uprns_are_distinct_integers_of_at_most_12_digits():
    values = uprns(np.random.default_rng(5), 10_000)
    assert values.dtype == np.int64
    assert len(set(values.tolist())) == 10_000
    assert (values > 0).all() and (values < 10**12).all()


def test_residents_uprns_are_one_per_home(residents):
    uprn = residents["uprn"]
    assert (uprn % 1 == 0).all()  # whole numbers (the dtype: see the xfail below)
    assert ((uprn > 0) & (uprn < 10**12)).all()
    # a UPRN is an address: one household per UPRN, and one UPRN per household's home
    assert (residents.groupby("uprn")["household_id"].nunique() == 1).all()
    at_home = residents[residents["status"] != "misallocated_border"]
    assert (at_home.groupby("household_id")["uprn"].nunique() == 1).all()
    assert (residents.groupby("uprn")["address"].nunique() == 1).all()


def test_population_uprns_are_integers():
    from cme_eval.synth.population import generate_population

    people = generate_population(load_scenario("smoke", authorities=[LA], scale=0.1), LA)
    assert people["uprn"].dtype == np.int64


def test_truth_people_uprns_are_written_as_whole_numbers(world, tmp_path):
    assert world.people["uprn"].dtype == np.int64
    write_synthetic(world, tmp_path)
    assert read_csv(tmp_path / "truth" / "truth_people.csv")["uprn"].str.fullmatch(
        r"\d{1,12}").all()


# ------------------------------------------------------------------------------------------
# Which sources share identifiers


def _identifier_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c in OPTIONAL_IDENTIFIERS]


def test_by_default_no_source_carries_an_identifier(world, tmp_path):
    assert all(_identifier_columns(frame) == [] for frame in world.sources.values())
    write_synthetic(world, tmp_path)
    inputs = tmp_path / "inputs"
    for path in [*inputs.glob("*.csv"), *(inputs / "independent_returns").iterdir()]:
        frame = read_csv(path) if path.suffix == ".csv" else pd.read_excel(path)
        assert _identifier_columns(frame) == [], path.name
    people = read_csv(tmp_path / "truth" / "truth_people.csv")
    assert set(OPTIONAL_IDENTIFIERS) <= set(people.columns)


def test_shared_identifiers_appear_and_hold_the_truths_values(shared_world, tmp_path):
    scenario, world = shared_world
    for source in SOURCES:
        assert _identifier_columns(world.sources[source]) == SHARED.get(source, []), source
    truth = world.truth_records.set_index("record_id")
    people = world.people.set_index("person_id")
    write_synthetic(world, tmp_path, scenario)
    back = read_authority(tmp_path, LA)
    for source, (ident,) in SHARED.items():
        records = world.sources[source]
        person = records["record_id"].map(truth["person_id"])
        expected = person.map(people[ident]).astype(str)
        # errors change names, dates and addresses, never an identifier: every record,
        # duplicates and records with errors included, carries the truth's value
        assert (records[ident] == expected.to_numpy()).all(), source
        assert truth.loc[records["record_id"], "errors"].ne("").any()
        # ... and the written file carries it too, read back through ingest
        assert back[source][ident].tolist() == records[ident].tolist()
        assert ident in read_csv(tmp_path / "inputs" / {"nwssp": "nhs_extract.csv",
                                                        "plasc": "plasc.csv"}[source]).columns
    nhs = world.sources["nwssp"]["nhs_number"]
    assert nhs.map(is_valid_nhs_number).all()
    # sharing identifiers changes nothing else
    plain = synthesise(load_scenario("smoke", authorities=[LA], scale=0.1), LA)
    pd.testing.assert_frame_equal(world.sources["nwssp"].drop(columns="nhs_number"),
                                  plain.sources["nwssp"])
    pd.testing.assert_frame_equal(world.truth_records, plain.truth_records)


def test_plasc_upns_are_the_pupils_upns(shared_world):
    _, world = shared_world
    records = world.sources["plasc"]
    truth = world.truth_records.set_index("record_id")
    status = records["record_id"].map(truth["person_id"]).map(
        world.people.set_index("person_id")["status"])
    resident = records[status != "inbound_pupil"]
    assert resident["upn"].map(is_valid_upn).all()
    assert (resident["upn"].str[1:4] == "660").all()


def test_identifiers_shared_by_independent_schools_reach_the_returns(tmp_path):
    scenario = load_scenario("smoke", authorities=[LA], scale=0.1,
                             overrides={"identifiers": {"independent": ["nhs_number"]}})
    world = synthesise(scenario, LA)
    assert "nhs_number" in world.sources["independent"].columns
    assert len(world.sources["independent"]) > 0
    write_synthetic(world, tmp_path, scenario)
    back = read_authority(tmp_path, LA)["independent"]
    assert "nhs_number" in back.columns
    expected = world.sources["independent"].set_index("record_id")["nhs_number"]
    assert (back.set_index("record_id")["nhs_number"] == expected.loc[back["record_id"]]).all()
