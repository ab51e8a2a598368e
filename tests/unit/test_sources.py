"""cme_eval.synth.sources: what each party sends, derived from the truth."""

from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from cme_eval.config import load_scenario
from cme_eval.ingest import read_authority
from cme_eval.schema import (
    INDEPENDENT,
    LA_DATASETS,
    NWSSP,
    SOURCES,
    STATUS_DATASETS,
    STATUSES,
)
from cme_eval.synth.population import nhs_dob_window
from cme_eval.synth.sources import synthesise, write_synthetic

LA = "Isle of Anglesey"
FIELDS = ["forename", "surname", "dob", "address", "postcode"]


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("smoke", authorities=[LA], scale=0.1)


@pytest.fixture(scope="module")
def world(scenario):
    return synthesise(scenario, LA)


def _person_of(world) -> pd.Series:
    return world.truth_records.set_index("record_id")["person_id"]


def test_same_scenario_and_seed_give_identical_sources(scenario, world):
    again = synthesise(scenario, LA)
    assert_frame_equal(again.people, world.people)
    assert_frame_equal(again.truth_records, world.truth_records)
    assert_frame_equal(again.schools, world.schools)
    assert sorted(again.sources) == sorted(world.sources)
    for source, frame in world.sources.items():
        assert_frame_equal(again.sources[source], frame)


def test_another_seed_gives_other_sources(world):
    other = synthesise(load_scenario("smoke", authorities=[LA], scale=0.1, seed=99), LA)
    assert not other.sources[NWSSP][FIELDS].equals(world.sources[NWSSP][FIELDS])


def test_every_source_is_present(world):
    assert sorted(world.sources) == sorted(SOURCES)


def test_nhs_extract_size_is_the_declared_number(world):
    target = round(8800 * 0.1)
    assert abs(len(world.sources[NWSSP]) - target) <= 0.02 * target


def test_nhs_extract_holds_exactly_the_children_in_the_dob_window(scenario, world):
    lo, hi = nhs_dob_window(scenario)
    dob = pd.to_datetime(world.people["dob"])
    expected = set(world.people.loc[(dob >= pd.Timestamp(lo)) & (dob <= pd.Timestamp(hi)),
                                    "person_id"])
    person = _person_of(world)
    got = world.sources[NWSSP]["record_id"].map(person)
    assert got.is_unique
    assert set(got) == expected


def test_every_record_maps_to_exactly_one_truth_row_and_a_person(world):
    truth = world.truth_records
    assert truth["record_id"].is_unique
    all_ids = pd.concat([f["record_id"] for f in world.sources.values()], ignore_index=True)
    assert all_ids.is_unique
    assert set(all_ids) == set(truth["record_id"])
    assert truth["person_id"].isin(world.people["person_id"]).all()
    for source, frame in world.sources.items():
        sources_in_truth = truth.set_index("record_id").loc[frame["record_id"], "source"]
        assert (sources_in_truth == source).all(), source


@pytest.mark.parametrize("dataset", LA_DATASETS)
def test_la_datasets_hold_exactly_the_people_whose_status_puts_them_there(world, dataset):
    allowed = {s for s, where in STATUS_DATASETS.items() if dataset in where}
    person = _person_of(world)
    status = world.people.set_index("person_id")["status"]
    held = world.sources[dataset]["record_id"].map(person)
    assert held.map(status).isin(allowed).all()
    # no filter other than status: every such resident is held, once
    expected = set(world.people.loc[world.people["status"].isin(allowed), "person_id"])
    assert held.is_unique
    assert set(held) == expected


def test_independent_returns_only_hold_independent_pupils_of_returning_schools(world):
    person = _person_of(world)
    status = world.people.set_index("person_id")["status"]
    records = world.sources[INDEPENDENT]
    held = records["record_id"].map(person)
    assert held.map(status).isin({"independent", "independent_la_placed"}).all()
    returned = set(world.schools.loc[world.schools["returned"], "school_id"])
    assert set(records["school_id"]) <= returned


def test_record_ids_reveal_source_and_authority(world):
    assert world.sources[NWSSP]["record_id"].iloc[0] == "NHS-W06000001-000001"
    assert world.sources["plasc"]["record_id"].str.match(r"^PLA-W06000001-\d{6}$").all()


def test_without_errors_records_copy_the_truth():
    s = load_scenario("smoke", authorities=[LA], overrides={
        "errors": {e: {src: 0.0 for src in SOURCES} for e in (
            "forename_typo", "surname_typo", "preferred_forename", "dropped_diacritics",
            "dob_day_month_swap", "missing_postcode", "outdated_address")}})
    w = synthesise(s, LA)
    assert (w.truth_records["errors"] == "").all()
    plasc = w.sources["plasc"]
    people = w.people.set_index("person_id")
    truth = people.loc[plasc["record_id"].map(_person_of(w)), FIELDS].reset_index(drop=True)
    assert_frame_equal(plasc[FIELDS], truth)


def test_no_fixed_abode_children_are_registered_at_a_surgery():
    shares = {st: 0.0 for st in STATUSES}
    shares["no_fixed_abode"] = 1.0
    w = synthesise(load_scenario("smoke", authorities=[LA], overrides={
        "status_shares": shares, "errors": {"outdated_address": {"nwssp": 0.0}}}), LA)
    assert len(w.sources[NWSSP]) > 0
    assert w.sources[NWSSP]["address"].str.startswith("The Surgery, ").all()
    # PLASC also holds children of no fixed abode, at the address the truth has
    assert not w.sources["plasc"]["address"].str.startswith("The Surgery").any()
    assert not w.people["address"].str.startswith("The Surgery").any()


def test_truth_errors_match_the_scenario_error_types(world):
    names = {e for v in world.truth_records["errors"] if v for e in v.split(";")}
    assert names <= {"forename_typo", "surname_typo", "preferred_forename", "dropped_diacritics",
                     "dob_day_month_swap", "missing_postcode", "outdated_address"}
    # plasc has no preferred_forename rate in defaults.yaml
    plasc_errors = world.truth_records.loc[world.truth_records["source"] == "plasc", "errors"]
    assert not plasc_errors.str.contains("preferred_forename").any()


def test_written_files_read_back_with_the_same_records(world, tmp_path):
    written = write_synthetic(world, tmp_path)
    assert all(p.is_file() for p in written)
    back = read_authority(tmp_path, LA)
    for source in (NWSSP, *LA_DATASETS):
        assert back[source]["record_id"].tolist() == world.sources[source]["record_id"].tolist()
        assert_frame_equal(back[source][FIELDS], world.sources[source][FIELDS])
    assert sorted(back[INDEPENDENT]["record_id"]) == sorted(world.sources[INDEPENDENT]["record_id"])
    n_files = len(list((tmp_path / "independent_returns").glob("*.csv")))
    assert n_files == world.sources[INDEPENDENT]["school_id"].nunique()
