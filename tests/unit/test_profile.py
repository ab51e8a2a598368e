"""The synthetic profile, and the generator checked statistically against declared targets.

Gwynedd at scale 0.3 gives about 6,400 resident children and 4,800 NHS records: enough for the
checks to mean something (4 sd of a 1% share is about 0.5 points) in well under a second.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cme_eval.config import load_scenario
from cme_eval.fileio import read_csv
from cme_eval.synth.population import _surname_weights
from cme_eval.synth.profile import COLUMNS, TOP_SURNAMES, _variants_unknown_to_linker, profile
from cme_eval.synth.sources import synthesise, write_synthetic
from cme_eval.synth.world import SyntheticLA

LA = "Gwynedd"
SCALE = 0.3
Z = 4  # standard deviations allowed


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("smoke", authorities=[LA], scale=SCALE)


@pytest.fixture(scope="module")
def world(scenario):
    return synthesise(scenario, LA)


@pytest.fixture(scope="module")
def prof(world, scenario):
    return profile(world, scenario)


def _rows(prof: pd.DataFrame, measure: str) -> pd.DataFrame:
    rows = prof[prof["measure"] == measure]
    assert len(rows), measure
    return rows


def _numbers(column: pd.Series) -> pd.Series:
    """A column read back as text: numbers, blanks as NaN."""
    return pd.to_numeric(column.replace("", np.nan))


def _binomial_sd(target: pd.Series, n: pd.Series) -> pd.Series:
    return np.sqrt(target * (1 - target) / n)


def test_profile_columns_and_measures(prof):
    assert list(prof.columns) == COLUMNS
    assert set(prof["authority"]) == {LA}
    assert set(prof["measure"]) == {"nhs_records", "status_share", "surname_share", "twin_share",
                                    "error_rate", "name_variant_unknown_to_linker",
                                    "school_return_rate", "status_share_by_age"}


def test_nhs_extract_size_is_near_the_target(prof, scenario):
    (row,) = _rows(prof, "nhs_records").itertuples()
    assert row.target == round(scenario.nhs_records(LA) * SCALE)
    # twins copy a sibling's date of birth across the window's edge; duplicates add a few
    assert abs(row.realised - row.target) <= 0.02 * row.target


def test_status_shares_are_within_4_binomial_sd(prof, scenario, world):
    rows = _rows(prof, "status_share")
    assert list(rows["key"]) == list(scenario.shares_for(LA))  # every status, remainder first
    n = int((world.people["resident"]).sum())
    assert (rows["n"] == n).all() and n > 6000
    sd = _binomial_sd(rows["target"], rows["n"])
    z = (rows["realised"] - rows["target"]).abs()
    bad = rows[z > Z * sd + 1e-6]  # a zero share must be realised exactly zero
    assert bad.empty, bad.to_string()
    assert rows["realised"].sum() == pytest.approx(1.0, abs=1e-4)
    assert rows.set_index("key").at["maintained_england", "realised"] == 0  # Gwynedd: no border


def test_twin_share_is_the_declared_value(prof, world):
    (row,) = _rows(prof, "twin_share").itertuples()
    assert row.target == 0.03
    # pairs are placed, not drawn: exactly round(n x share / 2) of them
    assert abs(row.realised - row.target) <= 2 / row.n
    residents = world.people[world.people["resident"]]
    assert (residents["twin_person_id"] != "").sum() == 2 * round(row.n * 0.03 / 2)


def test_error_rates_are_within_4_binomial_sd_where_there_are_enough_records(prof):
    rows = _rows(prof, "error_rate")
    big = rows[rows["n"] >= 200]
    # most declared NHS and PLASC rates are checked (independent returns are small here)
    assert len(big) >= 20
    assert {k.split("/")[1] for k in big["key"]} == {"nwssp", "plasc"}
    sd = _binomial_sd(big["target"], big["n"])
    bad = big[(big["realised"] - big["target"]).abs() > Z * sd + 1e-6]
    assert bad.empty, bad.to_string()


def test_error_rate_rows_are_every_declared_rate(prof, scenario, world):
    keys = set(_rows(prof, "error_rate")["key"])
    declared = {f"{e}/{src}" for src in ("nwssp", "independent", "plasc")
                for e, rate in scenario.error_rates(src).items() if rate > 0}
    assert keys == declared
    assert (world.error_stats["applied"] <= world.error_stats["eligible"]).all()


def test_top_surname_shares_are_within_4_sd(prof, world):
    rows = _rows(prof, "surname_share")
    names, weights, _ = _surname_weights(LA)
    top = [names[i] for i in np.argsort(-weights, kind="stable")[:TOP_SURNAMES]]
    assert list(rows["key"]) == top
    assert rows["key"].iloc[0] == "Jones"
    # Siblings share a surname, so children are drawn in household clusters: the binomial
    # variance is inflated by the design effect sum(size^2) / n (about 2.3 here). Without it,
    # other seeds put a surname 4.8 plain sd away (Roberts, seed 1).
    residents = world.people[world.people["resident"]]
    sizes = residents.groupby("household_id").size()
    deff = float((sizes**2).sum() / len(residents))
    assert 1.5 < deff < 3
    sd = _binomial_sd(rows["target"], rows["n"]) * math.sqrt(deff)
    bad = rows[(rows["realised"] - rows["target"]).abs() > Z * sd]
    assert bad.empty, bad.to_string()


def test_school_return_rate_row(prof, world):
    (row,) = _rows(prof, "school_return_rate").itertuples()
    assert row.target == 0.8
    assert row.n == len(world.schools)
    assert row.realised == world.schools["returned"].mean()


def test_write_synthetic_writes_the_profile_only_with_the_scenario(world, scenario, prof,
                                                                   tmp_path):
    without = write_synthetic(world, tmp_path / "a")
    assert not (tmp_path / "a" / "truth" / "synthetic_profile.csv").exists()
    written = write_synthetic(world, tmp_path / "b", scenario)
    path = tmp_path / "b" / "truth" / "synthetic_profile.csv"
    assert path in written and len(written) == len(without) + 1
    back = read_csv(path)
    assert list(back.columns) == COLUMNS
    assert back[["authority", "measure", "key"]].values.tolist() == \
        prof[["authority", "measure", "key"]].values.tolist()
    assert back["n"].astype(int).tolist() == prof["n"].tolist()
    # the CSV holds 4 decimals (see the xfail below); a target nothing declares is blank
    assert np.allclose(_numbers(back["realised"]), prof["realised"], atol=5e-5 + 1e-12)
    assert np.allclose(_numbers(back["target"]), prof["target"], atol=5e-5 + 1e-12,
                       equal_nan=True)


def test_synthetic_profile_csv_keeps_the_values_of_profile(world, scenario, prof, tmp_path):
    write_synthetic(world, tmp_path, scenario)
    back = read_csv(tmp_path / "truth" / "synthetic_profile.csv")
    assert np.allclose(_numbers(back["realised"]), prof["realised"], rtol=0, atol=1e-6)
    assert np.allclose(_numbers(back["target"]), prof["target"], rtol=0, atol=1e-6,
                       equal_nan=True)
    blank = back["measure"] == "name_variant_unknown_to_linker"
    assert blank.any() and back.loc[blank, "target"].eq("").all()


# -- injected name variants the linker's own knowledge does not recognise ------------------------


def test_name_variant_rows_give_the_share_unknown_to_the_linker_per_error_type(prof, world):
    rows = _rows(prof, "name_variant_unknown_to_linker").set_index("key")
    assert list(rows.index) == ["preferred_forename", "welsh_english_variant"]
    assert rows["target"].isna().all()  # nothing is declared: the generator does not know it
    # every injected variant is judged (the people hold every true forename)
    applied = world.error_stats.groupby("error")["applied"].sum()
    assert rows["n"].to_dict() == {e: applied[e] for e in rows.index}
    # the generator's table is wider than the linker's knowledge, on purpose, but not disjoint
    assert ((rows["realised"] > 0.05) & (rows["realised"] < 0.95)).all(), rows


def test_name_variant_share_counts_what_the_linker_misses_on_hand_made_records():
    people = pd.DataFrame({"person_id": ["a", "b", "c", "d"],
                           "forename": ["Dafydd", "Dafydd", "Gwilym", "Thomas"]})
    records = pd.DataFrame({
        "record_id": ["R1", "R2", "R3", "R4", "R5"],
        "forename": ["David", "Dai", "Gwil", "Hughes", "Thomas"],
        "surname": ["Price", "Price", "Owen", "Tom", "Hughes"]})
    truth = pd.DataFrame({
        "record_id": ["R1", "R2", "R3", "R4", "R5"], "person_id": ["a", "b", "c", "d", "d"],
        "source": "nwssp",
        "errors": ["welsh_english_variant", "preferred_forename", "preferred_forename",
                   "preferred_forename;forename_surname_swap", "dob_wrong_digit"]})
    world = SyntheticLA("Gwynedd", people, {"nwssp": records}, truth)
    # David is the linker's Welsh/English pair for Dafydd; Dai and Gwil are pet forms only the
    # generator's table has; Tom (sent in the surname: names swapped) is a known nickname.
    assert _variants_unknown_to_linker(world) == {"preferred_forename": (2 / 3, 3),
                                                  "welsh_english_variant": (0.0, 1)}
