"""cme_eval.synth.sources: what each party sends, derived from the truth."""

from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from cme_eval.config import load_scenario
from cme_eval.inputs.ingest import read_authority
from cme_eval.inputs.schema import (
    INDEPENDENT,
    LA_DATASETS,
    NWSSP,
    SOURCES,
    STATUS_DATASETS,
    STATUSES,
    VISITOR_DATASETS,
)
from cme_eval.synth.errors import REGISTRY
from cme_eval.synth.population import nhs_dob_window
from cme_eval.synth.returns import LAYOUTS
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


def _persons_held(world, source: str) -> tuple[pd.Series, pd.Series]:
    """Persons behind a source's records: (originals, duplicate copies), by the truth errors.

    duplicate_record is row noise: the copy's truth errors start with it; originals never
    carry it.
    """
    truth = world.truth_records.set_index("record_id")
    ids = world.sources[source]["record_id"]
    is_copy = ids.map(truth["errors"]).str.split(";").str[0].eq("duplicate_record")
    held = ids.map(truth["person_id"])
    return held[~is_copy], held[is_copy]


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


def test_nhs_extract_size_is_the_declared_number(scenario, world):
    target = round(scenario.nhs_records(world.authority) * 0.1)
    assert abs(len(world.sources[NWSSP]) - target) <= 0.02 * target


def test_nhs_extract_holds_exactly_the_children_in_the_dob_window(scenario, world):
    lo, hi = nhs_dob_window(scenario)
    people = world.people
    dob = pd.to_datetime(people["dob"])
    in_window = (dob >= pd.Timestamp(lo)) & (dob <= pd.Timestamp(hi))
    # residents only: boarders and inbound pupils live elsewhere
    expected = set(people.loc[in_window & people["resident"], "person_id"])
    assert people.loc[in_window & ~people["resident"], "person_id"].size > 0  # visitors exist
    originals, copies = _persons_held(world, NWSSP)
    assert originals.is_unique
    assert set(originals) == expected
    # duplicates are extra copies of children already in the extract, as many as declared
    assert set(copies) <= expected
    stats = world.error_stats.set_index(["error", "source"])
    assert len(copies) == stats.loc[("duplicate_record", NWSSP), "applied"]


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
    # residents by their status, plus visitors whose kind puts them there (inbound pupils on
    # PLASC)
    allowed = {s for s, where in {**STATUS_DATASETS, **VISITOR_DATASETS}.items()
               if dataset in where}
    status = world.people.set_index("person_id")["status"]
    originals, copies = _persons_held(world, dataset)
    assert originals.map(status).isin(allowed).all()
    # no filter other than status: every such person is held, once (bar duplicate records)
    expected = set(world.people.loc[world.people["status"].isin(allowed), "person_id"])
    assert originals.is_unique
    assert set(originals) == expected
    assert set(copies) <= expected
    if dataset == "plasc":
        assert "inbound_pupil" in set(originals.map(status))
        inbound = world.people[world.people["status"] == "inbound_pupil"]
        assert not inbound["resident"].any()


def test_independent_returns_only_hold_independent_pupils_of_returning_schools(world):
    person = _person_of(world)
    people = world.people.set_index("person_id")
    records = world.sources[INDEPENDENT]
    held = records["record_id"].map(person)
    # residents at independent schools (LA-placed included by default) and listed boarders
    assert held.map(people["status"]).isin(
        {"independent", "independent_la_placed", "boarder"}).all()
    assert (records["boarder"] == ~held.map(people["resident"]).astype(bool)).all()
    assert (records["la_placed"] == held.map(people["status"]).eq("independent_la_placed")).all()
    returned = set(world.schools.loc[world.schools["returned"], "school_id"])
    assert set(records["school_id"]) <= returned
    # ids are file and row: independent_returns/<school file>:row<N>, data from row 2
    for school_id, ids in records.groupby("school_id", sort=False)["record_id"]:
        layout = world.schools.set_index("school_id").at[school_id, "layout"]
        name = f"independent_returns/{school_id}{LAYOUTS[layout].suffix}"
        assert ids.tolist() == [f"{name}:row{i + 2}" for i in range(len(ids))]


def test_record_ids_reveal_source_and_authority(world):
    assert world.sources[NWSSP]["record_id"].iloc[0] == "NHS-W06000001-000001"
    assert world.sources["plasc"]["record_id"].str.match(r"^PLA-W06000001-\d{6}$").all()


def test_without_errors_records_copy_the_truth():
    s = load_scenario("smoke", authorities=[LA], scale=0.1, overrides={"no_errors": True})
    w = synthesise(s, LA)
    assert (w.truth_records["errors"] == "").all()
    assert w.error_stats.empty
    people = w.people.set_index("person_id")
    for source in LA_DATASETS:
        records = w.sources[source]
        truth = people.loc[records["record_id"].map(_person_of(w)), FIELDS].reset_index(drop=True)
        assert_frame_equal(records[FIELDS], truth, obj=source)
    # the same without the switch: every declared rate set to 0 by hand
    zero = {e: {src: 0.0 for src in by} for e, by in s.errors.items()}
    w0 = synthesise(load_scenario("smoke", authorities=[LA], scale=0.1,
                                  overrides={"errors": zero}), LA)
    assert (w0.truth_records["errors"] == "").all()
    assert_frame_equal(w0.sources["plasc"], w.sources["plasc"])


def test_no_fixed_abode_children_are_registered_at_a_surgery():
    shares = {st: 0.0 for st in STATUSES if st != "maintained_own_la"}
    shares["no_fixed_abode"] = 1.0  # the remainder, maintained_own_la, is then 0
    w = synthesise(load_scenario("smoke", authorities=[LA], overrides={
        "status_shares": shares, "authorities": {LA: {"status_shares": shares}},
        "errors": {"outdated_address": {"nwssp": 0.0}}}), LA)
    assert len(w.sources[NWSSP]) > 0
    assert w.sources[NWSSP]["address"].str.startswith("The Surgery, ").all()
    # PLASC also holds children of no fixed abode, at the address the truth has
    assert not w.sources["plasc"]["address"].str.startswith("The Surgery").any()
    assert not w.people["address"].str.startswith("The Surgery").any()


def test_truth_errors_match_the_scenario_error_types(scenario, world):
    truth = world.truth_records
    seen = set()
    for source in SOURCES:
        declared = {e for e, rate in scenario.error_rates(source).items() if rate > 0}
        values = truth.loc[truth["source"] == source, "errors"]
        names = {e for v in values if v for e in v.split(";")}
        assert names <= declared, source
        seen |= names
    # the run is big enough for the common errors to turn up
    assert {"duplicate_record", "outdated_address", "preferred_forename",
            "welsh_english_variant"} <= seen
    # plasc has no preferred_forename rate in defaults.yaml, and the LA's other datasets none
    plasc_errors = truth.loc[truth["source"] == "plasc", "errors"]
    assert not plasc_errors.str.contains("preferred_forename").any()
    for source in ("ehe", "eotas", "ooc", "cme_register"):
        assert (truth.loc[truth["source"] == source, "errors"] == "").all()


def test_truth_errors_follow_the_registry_order(world):
    order = {e.name: i for i, e in enumerate(REGISTRY)}
    for value in world.truth_records["errors"]:
        names = value.split(";") if value else []
        assert names == sorted(names, key=order.__getitem__)
        assert len(set(names)) == len(names)


def test_written_files_read_back_with_the_same_records(world, tmp_path):
    written = write_synthetic(world, tmp_path)
    assert all(p.is_file() for p in written)
    back = read_authority(tmp_path, LA)
    for source in (NWSSP, *LA_DATASETS):
        assert back[source]["record_id"].tolist() == world.sources[source]["record_id"].tolist()
        assert_frame_equal(back[source][FIELDS], world.sources[source][FIELDS])
    assert sorted(back[INDEPENDENT]["record_id"]) == sorted(world.sources[INDEPENDENT]["record_id"])
    files = sorted(p.name for p in (tmp_path / "inputs" / "independent_returns").iterdir())
    assert len(files) == world.sources[INDEPENDENT]["school_id"].nunique()
    returned = world.schools[world.schools["returned"]]
    assert set(files) == {f"{r.school_id}{LAYOUTS[r.layout].suffix}"
                          for r in returned.itertuples()
                          if r.school_id in set(world.sources[INDEPENDENT]["school_id"])}


def test_excluding_la_placed_pupils_changes_only_their_records():
    la = "Monmouthshire"  # the highest independent share
    worlds = [synthesise(load_scenario("smoke", authorities=[la], scale=0.3, overlays=overlays),
                         la) for overlays in ([], ["exclude-la-placed"])]
    base, excluded = worlds
    assert_frame_equal(base.schools, excluded.schools)  # the same schools return, as before
    status = base.people.set_index("person_id")["status"]

    def listed(world):
        truth = world.truth_records
        return truth[truth.source == INDEPENDENT].set_index("person_id")["errors"]

    before, after = listed(base), listed(excluded)
    placed = before.index.map(status) == "independent_la_placed"
    assert placed.sum() > 0
    assert sorted(after.index) == sorted(before.index[~placed])
    # and every other pupil's records (a duplicate's copy too) carry the same errors
    assert sorted(after.items()) == sorted(before[~placed].items())
