"""Engines execute one spec: recordlinkage and Splink give the same pairs and levels."""

from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from cme_eval.config import load_scenario
from cme_eval.inputs.ingest import read_authority
from cme_eval.inputs.schema import MATCHED_AGAINST, NWSSP, OUTCOMES
from cme_eval.inputs.standardise import prepare
from cme_eval.linkage import blocking, default_spec, engines, link_prepared
from cme_eval.synth.sources import synthesise, write_synthetic

LA = "Monmouthshire"


def _levels(engine: str, left, right, spec):
    return engines.get(engine).score_pairs(left, right, blocking.plan(left, right, spec))


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    scenario = load_scenario("smoke", authorities=[LA], scale=0.05)
    folder = tmp_path_factory.mktemp("engines")
    write_synthetic(synthesise(scenario, LA), folder, scenario)
    ref = scenario.dates.nhs_extract
    sources = {k: prepare(v, ref) for k, v in read_authority(folder, LA).items()}
    right = pd.concat([sources[d].assign(dataset=d) for d in MATCHED_AGAINST[NWSSP]],
                      ignore_index=True)
    return sources[NWSSP], right, ref


def test_splink_executes_the_same_spec_as_recordlinkage(prepared):
    left, right, _ = prepared
    spec = default_spec()
    rl = _levels("recordlinkage", left, right, spec)
    sp = _levels("splink", left, right, spec)
    assert len(rl) > 100
    assert_frame_equal(sp.astype(int), rl.astype(int), check_names=False)


def test_splink_executes_shared_identifiers_as_recordlinkage_does(tmp_path):
    scenario = load_scenario("smoke", authorities=[LA], scale=0.05,
                             overlays=["uprn", "nhs-number"])
    write_synthetic(synthesise(scenario, LA), tmp_path, scenario)
    ref = scenario.dates.nhs_extract
    sources = {k: prepare(v, ref) for k, v in read_authority(tmp_path, LA).items()}
    right = pd.concat([sources[d].assign(dataset=d) for d in MATCHED_AGAINST[NWSSP]],
                      ignore_index=True)
    spec = default_spec(identifiers=scenario.shared_identifiers())
    assert {"uprn_std", "nhs_number_std"} <= set(sources[NWSSP].columns)
    rl = _levels("recordlinkage", sources[NWSSP], right, spec)
    sp = _levels("splink", sources[NWSSP], right, spec)
    assert (rl["address"] == 0).sum() > 100  # the 'same UPRN' level is in use
    assert_frame_equal(sp.astype(int), rl.astype(int), check_names=False)


def test_every_engine_gives_exactly_one_outcome_per_record(prepared):
    left, right, ref = prepared
    for engine in ("recordlinkage", "splink", "excel_baseline"):
        out = link_prepared(left, right, default_spec(), engine=engine, reference_date=ref)
        assert out["record_id"].tolist() == left["record_id"].tolist(), engine
        assert set(out["outcome"]) <= set(OUTCOMES), engine


def test_the_excel_baseline_may_match_two_records_to_one_but_ours_never_does(prepared):
    left, right, ref = prepared
    ours = link_prepared(left, right, default_spec(), reference_date=ref)
    linked = ours[ours["matched_record_id"] != ""]
    assert linked["matched_record_id"].is_unique


def test_an_unknown_engine_is_named(prepared):
    left, right, ref = prepared
    with pytest.raises(ValueError,
                       match="unknown engine 'excel'; allowed: recordlinkage, excel_baseline"):
        link_prepared(left, right, default_spec(), engine="excel", reference_date=ref)
