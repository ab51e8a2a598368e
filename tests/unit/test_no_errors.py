"""The clean control: ``no_errors: true`` turns every error off, whatever ``errors`` declares."""

from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from cme_eval import wales
from cme_eval.config import load_scenario
from cme_eval.inputs.schema import INDEPENDENT, LA_DATASETS, NWSSP
from cme_eval.synth.population import nhs_dob_window
from cme_eval.synth.profile import profile
from cme_eval.synth.sources import synthesise

LA = "Isle of Anglesey"
FIELDS = ["forename", "surname", "dob", "address", "postcode"]


@pytest.fixture(scope="module")
def scenario():
    # a few families of no fixed abode, so the surgery-address branch is always exercised
    return load_scenario("smoke", authorities=[LA], scale=0.2, overrides={
        "no_errors": True, "status_shares": {"no_fixed_abode": 0.02}})


@pytest.fixture(scope="module")
def world(scenario):
    return synthesise(scenario, LA)


def _truth_of(world, source: str) -> pd.DataFrame:
    """The truth people behind each record of a source, in the source's order."""
    person = world.sources[source]["record_id"].map(
        world.truth_records.set_index("record_id")["person_id"])
    return world.people.set_index("person_id").loc[person].reset_index()


def test_every_truth_record_is_error_free(scenario, world):
    assert scenario.errors  # the defaults still declare rates ...
    assert (world.truth_records["errors"] == "").all()  # ... but none is applied
    assert len(world.truth_records) > 2000
    assert world.error_stats.empty
    assert not (profile(world, scenario)["measure"] == "error_rate").any()


def test_nhs_extract_fields_are_the_truths_surgeries_aside(scenario, world):
    records = world.sources[NWSSP].reset_index(drop=True)
    truth = _truth_of(world, NWSSP)
    # no duplicates: one record per resident child in the DOB window
    assert truth["person_id"].is_unique
    lo, hi = nhs_dob_window(scenario)
    dob = pd.to_datetime(world.people["dob"])
    in_window = world.people[world.people["resident"] & (dob >= pd.Timestamp(lo))
                             & (dob <= pd.Timestamp(hi))]
    assert set(truth["person_id"]) == set(in_window["person_id"])
    assert_frame_equal(records[["forename", "surname", "dob"]],
                       truth[["forename", "surname", "dob"]])
    nfa = (truth["status"] == "no_fixed_abode").to_numpy()
    assert nfa.sum() > 0  # the surgery branch is exercised
    assert_frame_equal(records.loc[~nfa, ["address", "postcode"]],
                       truth.loc[~nfa, ["address", "postcode"]])
    surgery = records.loc[nfa]
    assert surgery["address"].str.startswith("The Surgery, ").all()
    districts = surgery["postcode"].str.split(" ").str[0]
    assert districts.isin(wales.get(LA).postcode_districts).all()
    # and the truth keeps the family's own (last known) address
    assert not truth.loc[nfa, "address"].str.startswith("The Surgery").any()


@pytest.mark.parametrize("dataset", LA_DATASETS)
def test_la_datasets_copy_the_truth(world, dataset):
    records = world.sources[dataset].reset_index(drop=True)
    truth = _truth_of(world, dataset)
    assert truth["person_id"].is_unique
    assert_frame_equal(records[FIELDS], truth[FIELDS], obj=dataset)


def test_independent_returns_copy_the_truth_in_each_schools_date_format(world):
    records = world.sources[INDEPENDENT].reset_index(drop=True)
    assert len(records) > 0
    truth = _truth_of(world, INDEPENDENT)
    assert_frame_equal(records[["forename", "surname", "address", "postcode"]],
                       truth[["forename", "surname", "address", "postcode"]])
    formats = records["school_id"].map(world.schools.set_index("school_id")["dob_format"])
    expected = [pd.Timestamp(d).strftime(f) for d, f in zip(truth["dob"], formats, strict=True)]
    assert records["dob"].tolist() == expected
