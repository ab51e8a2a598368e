"""The cross-border what-ifs: neighbour exchange and central matching against all-Wales PLASC
(datasets, settings and the central link's labels)."""

from __future__ import annotations

import pandas as pd
import pytest

from cme_eval import wales
from cme_eval.config import ConfigError
from cme_eval.inputs.schema import (
    NEIGHBOUR_ENROLMENTS,
    NOT_MATCHED,
    NWSSP,
    ON_ANOTHER_WELSH_ROLL,
    PARTIAL,
    PERFECT,
    PLASC,
    PLASC_WALES,
)
from cme_eval.inputs.standardise import prepare
from cme_eval.linkage import default_spec, link_authority, link_prepared
from cme_eval.linkage.central import CENTRAL_BLOCKING, central_spec, link_central
from cme_eval.run.scenario import load as load_scenario
from cme_eval.synth.sources import synthesise

LA = "Powys"  # long borders: many children schooled or living across them
REF = load_scenario("smoke").dates.nhs_extract


def _world(share: float = 0.0, central: bool = False):
    scenario = load_scenario("wales-2025", authorities=None if central else [LA], scale=0.03,
                             overrides={"cross_border": {"neighbour_exchange": share,
                                                         "central_matching": central},
                                        # enough families moving within Wales to see
                                        "status_shares": {"moved_within_wales": 0.012}})
    return synthesise(scenario, LA)


def _persons(world, source):
    truth = world.truth_records.set_index("record_id")["person_id"]
    return set(world.sources[source]["record_id"].map(truth))


@pytest.fixture(scope="module")
def central_world():
    return _world(share=1.0, central=True)


def test_the_pilot_has_neither_dataset():
    world = _world()
    assert NEIGHBOUR_ENROLMENTS not in world.sources and PLASC_WALES not in world.sources


def test_the_exchange_reports_exactly_the_pupils_on_a_neighbouring_welsh_roll(central_world):
    people = central_world.people
    expected = set(people.loc[people.status == "maintained_neighbour_la", "person_id"])
    assert len(expected) > 10
    assert _persons(central_world, NEIGHBOUR_ENROLMENTS) == expected


def test_a_partial_exchange_reports_a_subset_and_more_exchange_only_adds_children():
    half, full = _world(0.5), _world(1.0)
    reported, everyone = _persons(half, NEIGHBOUR_ENROLMENTS), _persons(full, NEIGHBOUR_ENROLMENTS)
    assert reported < everyone
    assert 0.3 < len(reported) / len(everyone) < 0.7


def test_other_welsh_rolls_hold_this_las_cross_border_children(central_world):
    people = central_world.people.set_index("person_id")
    held = _persons(central_world, PLASC_WALES)
    expected = set(people.index[people.status.isin(ON_ANOTHER_WELSH_ROLL)])
    assert held == expected
    assert {"moved_within_wales", "maintained_neighbour_la"} <= set(
        people.loc[list(held), "status"])


def test_a_family_that_moved_within_wales_is_on_its_new_las_roll_at_its_new_home(central_world):
    people = central_world.people.set_index("person_id")
    truth = central_world.truth_records.set_index("record_id")
    records = central_world.sources[PLASC_WALES].assign(
        person=lambda d: d.record_id.map(truth["person_id"]),
        errors=lambda d: d.record_id.map(truth["errors"]))
    records["status"] = records.person.map(people["status"])
    clean = records[records.errors == ""]
    moved = clean[clean.status == "moved_within_wales"]
    stayed = clean[clean.status != "moved_within_wales"]
    assert len(moved) > 5
    own_districts = set(wales.get(LA).postcode_districts)
    assert not moved.postcode.str.split(" ").str[0].isin(own_districts).all()
    assert (moved.address != moved.person.map(people["address"]).to_numpy()).all()
    assert (stayed.address == stayed.person.map(people["address"]).to_numpy()).all()
    # siblings move together: one new home per household
    household = moved.person.map(people["household_id"])
    assert (moved.groupby(household.to_numpy())["address"].nunique() == 1).all()


def test_central_matching_needs_every_welsh_la():
    with pytest.raises(ConfigError, match=r"every Welsh LA .* missing: .*Cardiff"):
        load_scenario("wales-2025", authorities=["Powys"], overlays=["central-all-wales"])
    with pytest.raises(ConfigError, match="central_engine: unknown engine 'excel'"):
        load_scenario("smoke", overrides={"cross_border": {"central_engine": "excel"}})


def test_central_blocking_pairs_the_date_of_birth_with_an_initial():
    spec = central_spec(default_spec(identifiers=("nhs_number",)))
    assert spec.blocking == CENTRAL_BLOCKING + (("nhs_number_std",),)
    assert ("dob_std",) not in spec.blocking  # ~100 pairs per record at national size


def _frame(rows, source="x", **extra):
    columns = ["record_id", "forename", "surname", "dob", "address", "postcode"]
    return pd.DataFrame(rows, columns=columns).assign(source=source, **extra)


@pytest.mark.parametrize("engine", ["recordlinkage", "splink"])
def test_central_link_says_who_holds_each_match(engine):
    nhs = _frame([("N1", "Ela", "Pugh", "2012-03-04", "1 High Street, Brecon", "LD3 7AA"),
                  ("N2", "Rhys", "Bevan", "2013-05-06", "2 Mill Lane, Builth", "LD2 3BB"),
                  ("N3", "Cai", "Price", "2014-07-08", "3 Park Road, Knighton", "LD7 1CC")],
                 authority=["Powys", "Powys", "Cardiff"], source=NWSSP)
    plasc = _frame([("P1", "Ela", "Pugh", "2012-03-04", "1 High Street, Brecon", "LD3 7AA"),
                    ("P2", "Rhys", "Bevan", "2013-05-06", "9 Heol Fawr, Aberaeron", "SA46 0DD"),
                    ("P3", "Zoe", "Hughes", "2009-01-01", "5 Bay Road, Cardiff", "CF10 1AA")],
                   holder=["Powys", "", "Cardiff"], source=PLASC)
    out = link_central(prepare(nhs, REF), prepare(plasc, REF), default_spec(),
                       reference_date=REF, engine=engine).set_index("record_id")
    assert out.loc["N1", ["outcome", "matched_dataset"]].tolist() == [PERFECT, PLASC]
    assert out.loc["N2", ["outcome", "matched_dataset"]].tolist() == [PARTIAL, PLASC_WALES]
    assert out.loc["N3", "outcome"] == NOT_MATCHED
    assert out["authority"].tolist() == ["Powys", "Powys", "Cardiff"]


def test_an_la_keeps_central_matches_and_matches_the_rest_without_taken_records():
    empty = _frame([])
    nhs = _frame([("N1", "Ela", "Pugh", "2012-03-04", "1 High Street, Brecon", "LD3 7AA"),
                  ("N2", "Ela", "Pugh", "2012-03-04", "1 High Street, Brecon", "LD3 7AA"),
                  ("N3", "Cai", "Price", "2014-07-08", "3 Park Road, Knighton", "LD7 1CC")],
                 source=NWSSP)
    plasc = _frame([("P1", "Ela", "Pugh", "2012-03-04", "1 High Street, Brecon", "LD3 7AA"),
                    ("P3", "Cai", "Price", "2014-07-08", "3 Park Road, Knighton", "LD7 1CC")],
                   source=PLASC)
    sources = {name: empty.assign(source=name) for name in
               ("ehe", "eotas", "ooc", "cme_register", NEIGHBOUR_ENROLMENTS, "independent")}
    sources.update({NWSSP: nhs, PLASC: plasc})
    # central matching took P1 for N2 (say, a duplicate registration) and left N1, N3 alone
    central = pd.DataFrame({
        "record_id": ["N1", "N2", "N3"], "source": NWSSP, "authority": "Powys",
        "outcome": [NOT_MATCHED, PARTIAL, NOT_MATCHED],
        "matched_record_id": ["", "P1", ""], "matched_dataset": ["", PLASC, ""],
        "score": ["", "20.0", ""], "reason": ["best weight 3.0 below 12", "match weight 20.0",
                                              "no candidate in any blocking pass"]})
    out = link_authority(sources, default_spec(), reference_date=REF,
                         central=central).set_index("record_id")
    assert out.index.tolist() == ["N1", "N2", "N3"]  # every record once, in order
    assert out.loc["N2", "reason"].startswith("central: ")
    assert out.loc["N1", "outcome"] == NOT_MATCHED  # P1 is taken; N1 is not given it again
    assert out.loc["N3", ["outcome", "matched_record_id"]].tolist() == [PERFECT, "P3"]


def test_a_weak_match_held_by_another_la_is_left_to_the_la():
    nhs = _frame([("N2", "Rhys", "Bevan", "2013-05-06", "2 Mill Lane, Builth", "LD2 3BB")],
                 authority="Powys", source=NWSSP)
    plasc = _frame([("P2", "Rhys", "Bevan", "2013-05-06", "9 Heol Fawr, Aberaeron", "SA46 0DD")],
                   holder="", source=PLASC)
    args = (prepare(nhs, REF), prepare(plasc, REF), default_spec())
    kept = link_central(*args, reference_date=REF, other_la_min_weight=12)
    assert kept.loc[0, "outcome"] == PARTIAL and kept.loc[0, "score"] < 18
    left = link_central(*args, reference_date=REF, other_la_min_weight=18)
    assert left.loc[0, ["outcome", "matched_record_id", "matched_dataset"]].tolist() == [
        NOT_MATCHED, "", ""]
    assert "held by another LA with weight below 18" in left.loc[0, "reason"]


def test_central_matching_never_links_a_sibling_by_home_and_name_alone():
    # two siblings with the same name and home, born four years apart: an LA's own pass may
    # weigh the home heavily enough to link them; central matching never does
    nhs = _frame([("N1", "Jacob", "Watts", "2017-06-01", "4 Heol y Nant, Bridgend", "CF31 9XQ")],
                 authority="Bridgend", source=NWSSP)
    plasc = _frame([("P1", "Jacob", "Watts", "2021-05-25", "4 Heol y Nant, Bridgend",
                     "CF31 9XQ")], holder="Bridgend", source=PLASC)
    left, right = prepare(nhs, REF), prepare(plasc, REF)
    local = link_prepared(left, right.assign(dataset=PLASC), default_spec(), reference_date=REF)
    assert local.loc[0, "outcome"] == PARTIAL
    central = link_central(left, right, default_spec(), reference_date=REF)
    assert central.loc[0, "outcome"] == NOT_MATCHED


def test_a_run_for_one_la_keeps_every_la_under_central_matching(tmp_path):
    from cme_eval.run.stages import Run

    central = Run.open("wales-2025", tmp_path / "central", authorities=["Powys"], scale=0.01,
                       overlays=("central-all-wales",))
    assert len(central.scenario.authorities) == 22  # its link needs them all
    plain = Run.open("wales-2025", tmp_path / "plain", authorities=["Powys"], scale=0.01)
    assert list(plain.scenario.authorities) == ["Powys"]
    with pytest.raises(ConfigError, match="Atlantis"):
        Run.open("wales-2025", tmp_path, authorities=["Atlantis"],
                 overlays=("central-all-wales",))
