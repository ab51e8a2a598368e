"""cme_eval.linkage.classify (and link_source end to end): one outcome per received record."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from pandas.testing import assert_frame_equal, assert_series_equal

from cme_eval.inputs.schema import OUTCOME_COLUMNS
from cme_eval.linkage import link_source
from cme_eval.linkage.classify import one_to_one, pair_weights
from cme_eval.linkage.spec import LinkSpec, default_spec

REF = dt.date(2025, 4, 30)

# Level-0 weights from the m/u values declared in linkage/spec.py, worked out here:
W_FORENAME = [math.log2(0.85 / 0.01), math.log2(0.10 / 0.01), math.log2(0.03 / 0.03),
              math.log2(0.02 / 0.95)]
W_SURNAME0 = math.log2(0.90 / 0.02)
W_DOB0 = math.log2(0.93 / 0.0005)
W_POSTCODE0 = math.log2(0.80 / 0.005)
W_ADDRESS0 = math.log2(0.75 / 0.01)
EXACT_WEIGHT = W_FORENAME[0] + W_SURNAME0 + W_DOB0 + W_POSTCODE0 + W_ADDRESS0  # 36.3131


# ------------------------------------------------------------------------------------------
# Weights and one-to-one assignment


def test_pair_weights_sum_log2_m_over_u_with_missing_as_zero():
    spec = default_spec()
    levels = pd.DataFrame({"forename": [0, 1, -1], "surname": [0, 0, 3], "dob": [0, 0, -1],
                           "postcode": [0, 0, -1], "address": [0, 0, -1]})
    expected = pd.Series([
        EXACT_WEIGHT,
        EXACT_WEIGHT - W_FORENAME[0] + W_FORENAME[1],
        math.log2(0.02 / 0.955),  # only the surname is known, and it disagrees
    ])
    assert_series_equal(pair_weights(levels, spec), expected)
    assert EXACT_WEIGHT == pytest.approx(36.3131, abs=1e-4)


def test_one_to_one_prefers_exact_pairs_and_uses_each_record_once():
    cand = pd.DataFrame({
        "left":   [0, 0, 1, 1, 2, 2, 3],
        "right":  [0, 1, 1, 0, 1, 2, 2],
        "weight": [20.0, 30.0, 25.0, 28.0, 29.0, 10.0, 12.0],
        "exact":  [True, False, True, False, False, False, False],
    })
    chosen = one_to_one(cand)
    # exact pairs first (1-1 at 25, then 0-0 at 20), then by weight: 2-1 (29) is blocked by
    # right 1, 2-2 (10) vs 3-2 (12): 3-2 is heavier, so 2 is left without a partner
    assert sorted(zip(chosen["left"], chosen["right"], strict=True)) == [(0, 0), (1, 1), (3, 2)]
    assert chosen["left"].is_unique and chosen["right"].is_unique


def test_one_to_one_breaks_ties_by_position():
    cand = pd.DataFrame({"left": [1, 0], "right": [0, 0], "weight": [10.0, 10.0],
                         "exact": [False, False]})
    chosen = one_to_one(cand)
    assert list(zip(chosen["left"], chosen["right"], strict=True)) == [(0, 0)]


def test_one_to_one_of_nothing():
    cand = pd.DataFrame({"left": pd.Series([], dtype=int), "right": pd.Series([], dtype=int),
                         "weight": pd.Series([], dtype=float), "exact": pd.Series([], dtype=bool)})
    assert len(one_to_one(cand)) == 0


# ------------------------------------------------------------------------------------------
# End to end on hand-made records


def _left(rows):
    return pd.DataFrame(rows, columns=["record_id", "source", "forename", "surname", "dob",
                                       "address", "postcode"])


def _right(rows):
    frame = pd.DataFrame(rows, columns=["record_id", "source", "forename", "surname", "dob",
                                        "address", "postcode"])
    return frame.assign(dataset=frame["source"])


TWIN_HOME = ("7 Ffordd Las, Llangefni", "LL77 7AB")


@pytest.fixture(scope="module")
def outcomes():
    left = _left([
        ("L1", "nwssp", "Ffion", "Pritchard", "2014-05-06", *TWIN_HOME),
        ("L2", "nwssp", "Cerys", "Pritchard", "2014-05-06", *TWIN_HOME),
        ("L3", "nwssp", "Gareth", "Hughes", "2021-01-15", "3 Stryd Fawr, Amlwch", "LL68 9XY"),
        ("L4", "nwssp", "Owain", "Jenkins", "not a date", "9 Heol Wen, Holyhead", "LL65 1AA"),
        ("L5", "nwssp", "Megan", "Bowen", "2012-11-20", "20 Tan y Bryn, Menai Bridge",
         "LL59 5QQ"),
        ("L6", "nwssp", "Gethin", "Lewis", "2013-02-10", "5 Lôn Isaf, Amlwch", "LL68 9ZZ"),
    ])
    right = _right([
        ("R1", "plasc", "Cerys", "Pritchard", "2014-05-06", *TWIN_HOME),
        ("R2", "plasc", "Ffion", "Pritchard", "2014-05-06", *TWIN_HOME),
        ("R3", "plasc", "Gareth", "Hughes", "2021-01-15", "3 Stryd Fawr, Amlwch", "LL68 9XY"),
        ("R4", "ehe", "Gethyn", "Lewis", "2013-02-10", "5 Lon Isaf, Amlwch", "LL68 9ZZ"),
    ])
    # threshold 8 given: the reasons below quote it
    return link_source(left, right, default_spec(8.0), reference_date=REF)


def test_every_left_record_has_exactly_one_outcome_in_order(outcomes):
    assert outcomes.columns.tolist() == list(OUTCOME_COLUMNS)
    assert outcomes["record_id"].tolist() == ["L1", "L2", "L3", "L4", "L5", "L6"]
    assert (outcomes["source"] == "nwssp").all()


def test_twins_each_match_their_own_record(outcomes):
    twins = outcomes.iloc[:2]
    expected = pd.DataFrame({
        "record_id": ["L1", "L2"], "outcome": ["perfect", "perfect"],
        "matched_record_id": ["R2", "R1"], "matched_dataset": ["plasc", "plasc"],
    })
    assert_frame_equal(twins[expected.columns.tolist()].reset_index(drop=True), expected)
    assert_allclose(twins["score"].to_numpy(), [EXACT_WEIGHT, EXACT_WEIGHT], atol=1e-4)
    # the other twin scores 36.3 - 6.4 - 5.6 = 24.3, far more than 2 below: no review flag
    assert (twins["reason"] == "exact on standardised name, date of birth and postcode").all()


def test_a_child_too_young_is_out_of_scope_even_with_an_exact_partner(outcomes):
    # born 15 Jan 2021: five on 15 Jan 2026, so not of compulsory school age on 30 Apr 2025
    row = outcomes.iloc[2]
    assert row["outcome"] == "out_of_scope"
    assert row["matched_record_id"] == ""
    assert np.isnan(row["score"])
    assert row["reason"] == "outside compulsory school age on the reference date"


def test_an_unreadable_dob_stays_in_scope_and_says_so(outcomes):
    row = outcomes.iloc[3]
    assert row["outcome"] == "not_matched"
    assert "age unknown" in row["reason"]
    assert "dob unreadable" in row["reason"]
    assert row["reason"].startswith("no candidate in any blocking pass")


def test_no_candidate(outcomes):
    row = outcomes.iloc[4]
    assert row["outcome"] == "not_matched"
    assert np.isnan(row["score"])
    assert row["reason"] == "no candidate in any blocking pass"


def test_a_close_forename_is_a_partial_match(outcomes):
    # gethin/gethyn: m=5, t=0 -> Jaro 0.8889, prefix 4 -> JW 0.9333: the 'close' level;
    # 'Lôn' folds to 'lon', so the address is identical
    row = outcomes.iloc[5]
    assert row["outcome"] == "partial"
    assert row["matched_record_id"] == "R4"
    assert row["matched_dataset"] == "ehe"
    expected = EXACT_WEIGHT - W_FORENAME[0] + W_FORENAME[1]  # 33.2256
    assert row["score"] == pytest.approx(expected, abs=1e-4)
    assert row["reason"] == f"match weight {expected:.1f} >= 8"


def test_two_strong_candidates_close_together_are_flagged_for_review():
    # Two right records for the same child, one with a close forename: both strong, the
    # weights differ by 6.41 - 3.32 = 3.09 > 2 with the default margin, < 4 with margin 4.
    left = _left([("L1", "nwssp", "Ffion", "Pritchard", "2014-05-06", *TWIN_HOME)])
    right = _right([("R1", "plasc", "Ffion", "Pritchard", "2014-05-06", *TWIN_HOME),
                    ("R2", "ehe", "Ffionn", "Pritchard", "2014-05-06", *TWIN_HOME)])
    default = link_source(left, right, default_spec(), reference_date=REF)
    assert "review" not in default.loc[0, "reason"]
    wide = link_source(left, right, default_spec(ambiguity_margin=4.0), reference_date=REF)
    assert wide.loc[0, "outcome"] == "perfect"
    assert wide.loc[0, "matched_record_id"] == "R1"
    assert wide.loc[0, "reason"] == ("exact on standardised name, date of birth and postcode; "
                                     "review: 2 strong candidates")


def test_a_weak_candidate_is_not_matched_with_its_weight_reported():
    # Same surname and birth year only (blocking pass surname + year): forename different,
    # DOB two digits off, postcode and address different.
    left = _left([("L1", "nwssp", "Ffion", "Pritchard", "2014-05-06", "1 Oak Way, Bala",
                   "LL23 7AA")])
    right = _right([("R1", "plasc", "Gwen", "Pritchard", "2014-11-26", "qq", "CF10 1AA")])
    out = link_source(left, right, default_spec(8.0), reference_date=REF)
    expected = (W_FORENAME[3] + W_SURNAME0 + math.log2(0.02 / 0.9975) + math.log2(0.10 / 0.905)
                + math.log2(0.20 / 0.94))
    assert out.loc[0, "outcome"] == "not_matched"
    assert out.loc[0, "score"] == pytest.approx(expected, abs=1e-4)
    assert out.loc[0, "reason"] == f"best weight {expected:.1f} below 8"


def test_a_duplicate_that_lost_its_partner_takes_its_copys_match():
    # issue 23, point 2: one-to-one holds between children, not between copies of one child
    left = _left([("A", "nwssp", "Ffion", "Pritchard", "2014-05-06", *TWIN_HOME),
                  ("B", "nwssp", "Ffion", "Pritchard", "2014-05-06", *TWIN_HOME)])
    right = _right([("R1", "plasc", "Ffion", "Pritchard", "2014-05-06", *TWIN_HOME)])
    out = link_source(left, right, default_spec(), reference_date=REF)
    assert out["outcome"].tolist() == ["perfect", "partial"]
    assert out["matched_record_id"].tolist() == ["R1", "R1"]
    assert out.loc[1, "reason"] == "duplicate of A: takes its match"
    without = link_source(left, right, replace(default_spec(), find_duplicates=False),
                          reference_date=REF)
    assert without["outcome"].tolist() == ["perfect", "not_matched"]
    assert "below" not in without.loc[1, "reason"]  # not a false weight claim


def test_twins_and_siblings_are_not_copies():
    twin = ("B", "nwssp", "Cerys", "Pritchard", "2014-05-06", *TWIN_HOME)
    sibling = ("D", "nwssp", "Ffion", "Pritchard", "2016-05-06", *TWIN_HOME)
    for other in (twin, sibling):
        left = _left([("A", "nwssp", "Ffion", "Pritchard", "2014-05-06", *TWIN_HOME), other])
        right = _right([("R1", "plasc", "Ffion", "Pritchard", "2014-05-06", *TWIN_HOME)])
        out = link_source(left, right, default_spec(), reference_date=REF)
        assert out["matched_record_id"].tolist() == ["R1", ""], other


def test_a_named_record_does_not_share_the_match_of_one_sent_without_a_forename():
    # the one without a forename is Sophia's and is matched to her pupil record; Julie, her
    # twin, has no pupil record (schooled elsewhere): beside a record without a forename she
    # may be its twin, not its copy (Cardiff, refitted pilot-2025)
    left = _left([("A", "nwssp", "", "Parkinson", "2012-07-12", *TWIN_HOME),
                  ("B", "nwssp", "Julie", "Parkinson", "2012-07-12", *TWIN_HOME)])
    right = _right([("R1", "plasc", "Sophia", "Parkinson", "2012-07-12", *TWIN_HOME)])
    out = link_source(left, right, default_spec(), reference_date=REF)
    assert out["matched_record_id"].tolist() == ["R1", ""]


def test_a_copy_at_another_address_takes_its_match_unless_two_could_be_it():
    # same forename, surname and birth, unmatched, elsewhere in the LA: a copy sent with an
    # older address far likelier than a namesake born the same day; a partial match, reviewed
    home = ("A", "nwssp", "Ffion", "Pritchard", "2014-05-06", *TWIN_HOME)
    moved = ("C", "nwssp", "Ffion", "Pritchard", "2014-05-06", "4 Oak Road, Cardiff",
             "CF5 0WQ")
    right = [("R1", "plasc", "Ffion", "Pritchard", "2014-05-06", *TWIN_HOME)]
    out = link_source(_left([home, moved]), _right(right), default_spec(), reference_date=REF)
    assert out["matched_record_id"].tolist() == ["R1", "R1"]
    assert out.loc[1, ["outcome", "reason"]].tolist() == [
        "partial", "duplicate of A: takes its match"]
    # two matched records of that name and birth (namesakes): neither is taken for the copy
    other = ("E", "nwssp", "Ffion", "Pritchard", "2014-05-06", "9 Elm Road, Newport", "NP20 1AA")
    right.append(("R2", "plasc", "Ffion", "Pritchard", "2014-05-06", "9 Elm Road, Newport",
                  "NP20 1AA"))
    out = link_source(_left([home, other, moved]), _right(right), default_spec(),
                      reference_date=REF)
    assert out["matched_record_id"].tolist() == ["R1", "R2", ""]
    # a crowded block (more than a child, a twin and a copy of one surname and birth): no
    # exact name is taken for a copy
    crowd = [(f"S{i}", "nwssp", name, "Pritchard", "2014-05-06", f"{i} Stryd Fawr, Bala",
              "LL23 7AA") for i, name in enumerate(("Nia", "Osian"))]
    out = link_source(_left([home, moved, *crowd]), _right(right[:1]), default_spec(),
                      reference_date=REF)
    assert out["matched_record_id"].tolist()[:2] == ["R1", ""]


def test_an_empty_right_side_leaves_everything_unmatched_or_out_of_scope():
    left = _left([("L1", "nwssp", "Ffion", "Pritchard", "2014-05-06", *TWIN_HOME),
                  ("L2", "nwssp", "Nia", "Rees", "2022-01-01", "x", "LL23 7AA")])
    right = _right([])
    out = link_source(left, right, default_spec(), reference_date=REF)
    assert out["outcome"].tolist() == ["not_matched", "out_of_scope"]


def test_spec_defaults():
    from cme_eval.config import Linkage

    spec = default_spec()
    assert isinstance(spec, LinkSpec)
    # the thresholds are the linkage settings' package defaults (cme_eval/defaults.yaml)
    assert spec.partial_min_weight == Linkage().partial_min_weight == 12.0
    assert spec.ambiguity_margin == 2.0
    assert [c.name for c in spec.comparisons] == ["forename", "surname", "dob", "postcode",
                                                   "address"]
    assert_allclose(spec.comparisons[0].weights(), W_FORENAME)


def test_link_authority_gives_one_outcome_per_received_record(tmp_path):
    from cme_eval.config import load_scenario
    from cme_eval.inputs.ingest import read_authority
    from cme_eval.linkage import link_authority
    from cme_eval.synth.sources import synthesise, write_synthetic

    la = "Isle of Anglesey"
    scenario = load_scenario("smoke", authorities=[la])
    world = synthesise(scenario, la)
    write_synthetic(world, tmp_path)
    sources = read_authority(tmp_path, la)
    out = link_authority(sources, default_spec(), reference_date=scenario.dates.nhs_extract)
    expected_ids = (sources["nwssp"]["record_id"].tolist()
                    + sources["independent"]["record_id"].tolist())
    assert len(expected_ids) == len(world.sources["nwssp"]) + len(world.sources["independent"])
    assert out["record_id"].tolist() == expected_ids
    assert set(out["outcome"]) <= {"perfect", "partial", "not_matched", "out_of_scope"}
    matched = out[out["outcome"].isin(["perfect", "partial"])]
    assert (matched["matched_record_id"] != "").all()
    # an NHS record is never matched to another NHS record, nor a school record to a school's
    assert not matched.loc[matched.source == "nwssp", "matched_dataset"].eq("nwssp").any()
    assert not matched.loc[matched.source == "independent", "matched_dataset"].eq(
        "independent").any()
    # within one received source, each target record is used at most once
    for _, group in matched.groupby("source"):
        assert group["matched_record_id"].is_unique


def test_a_twin_does_not_take_the_other_twins_record():
    left = _left([
        ("N1", "nwssp", "Harry", "Russell", "2019-02-02", "12 Heol Isaf, Cardiff", "CF24 6TN"),
        ("N2", "nwssp", "Seren", "Russell", "2019-02-02", "4 Oak Road, Cardiff", "CF5 0WQ"),
    ])
    right = _right([
        ("P1", "plasc", "Harry", "Russell", "2019-02-02", "4 Oak Road, Cardiff", "CF5 0WQ"),
    ])
    out = link_source(left, right, default_spec(), reference_date=REF)
    assert out["matched_record_id"].tolist() == ["P1", ""]
    assert out["outcome"].tolist() == ["partial", "not_matched"]


# ------------------------------------------------------------------------------------------
# The twin guard looks for the twin (issue 23, point 1)

HOME = ("12 Heol Isaf, Cardiff", "CF24 6TN")
VARIANT = "forename differs: name variant unknown to the linker?"


def test_a_name_variant_the_linker_does_not_know_is_a_partial_match_for_review():
    # Zebedee and Ziggy (a preferred name) are far apart to Jaro-Winkler and to the
    # linker's name knowledge; same surname, birth and home, no twin
    left = _left([("N1", "nwssp", "Zebedee", "Pritchard", "2014-05-06", *HOME)])
    right = _right([("P1", "plasc", "Ziggy", "Pritchard", "2014-05-06", *HOME)])
    out = link_source(left, right, default_spec(), reference_date=REF)
    assert out[["outcome", "matched_record_id"]].values.tolist() == [["partial", "P1"]]
    assert VARIANT in out["reason"].iloc[0]


@pytest.mark.parametrize("twin_on", ["left", "right"])
def test_with_a_twin_there_to_see_a_different_forename_still_blocks(twin_on):
    # Zebedee and his twin Zoe. Left: both NHS records (Zoe's at an old address: the birth and
    # surname are enough), and only Zoe's pupil record on the right: Zebedee must not take it.
    # Right: Zoe's pupil record and Zebedee's own under another name (Zeb, at an old address):
    # Zoe's record is not his, because his own agrees better.
    zebedee = ("N1", "nwssp", "Zebedee", "Pritchard", "2014-05-06", *HOME)
    zoe = ("P1", "plasc", "Zoe", "Pritchard", "2014-05-06", *HOME)
    if twin_on == "left":
        left = _left([zebedee, ("N2", "nwssp", "Zoey", "Pritchard", "2014-05-06",
                                "4 Oak Road, Cardiff", "CF5 0WQ")])
        right = _right([zoe])
    else:
        left = _left([zebedee])
        right = _right([zoe, ("P2", "plasc", "Zeb", "Pritchard", "2014-05-06",
                              "4 Oak Road, Cardiff", "CF5 0WQ")])
    out = link_source(left, right, default_spec(), reference_date=REF).set_index("record_id")
    assert out.loc["N1", "matched_record_id"] != "P1"
    if twin_on == "left":
        assert out.loc["N2", "matched_record_id"] == "P1"
        assert "possible twin or sibling" in out.loc["N1", "reason"]


def test_once_its_twin_is_matched_a_twin_under_an_unknown_variant_takes_what_is_left():
    # Zebedee's pupil record says Ziggy (a name the linker does not know); his twin Bethan is
    # matched to her own record, so the evidence of a twin is explained and Ziggy's record is
    # all that is left for him: a partial match for review, saying why
    left = _left([("N1", "nwssp", "Zebedee", "Pritchard", "2014-05-06", *HOME),
                  ("N2", "nwssp", "Bethan", "Pritchard", "2014-05-06", *HOME)])
    right = _right([("P1", "plasc", "Ziggy", "Pritchard", "2014-05-06", *HOME),
                    ("P2", "plasc", "Bethan", "Pritchard", "2014-05-06", *HOME)])
    out = link_source(left, right, default_spec(), reference_date=REF).set_index("record_id")
    assert out["matched_record_id"].to_dict() == {"N1": "P1", "N2": "P2"}
    assert out.loc["N1", "outcome"] == "partial" and out.loc["N2", "outcome"] == "perfect"
    assert VARIANT in out.loc["N1", "reason"]
    assert "twin of that birth there to see is matched to its own record" in out.loc["N1",
                                                                                    "reason"]


@pytest.mark.parametrize("case", ["twin unmatched", "two left for him", "twin's second record"])
def test_a_twin_held_back_stays_unmatched_while_the_evidence_is_not_explained(case):
    zebedee = ("N1", "nwssp", "Zebedee", "Pritchard", "2014-05-06", *HOME)
    ziggy = ("P1", "plasc", "Ziggy", "Pritchard", "2014-05-06", *HOME)
    if case == "twin unmatched":  # only the right side shows the twin: which record is his?
        left = _left([zebedee])
        right = _right([ziggy, ("P2", "plasc", "Bethan", "Pritchard", "2014-05-06", *HOME)])
    elif case == "two left for him":  # Bethan matched, but two records under other forenames
        left = _left([zebedee, ("N2", "nwssp", "Bethan", "Pritchard", "2014-05-06", *HOME)])
        right = _right([ziggy, ("P2", "plasc", "Bethan", "Pritchard", "2014-05-06", *HOME),
                        ("P3", "plasc", "Gruffydd", "Pritchard", "2014-05-06", *HOME)])
    else:  # the record left over is Bethan's second one (an independent school's return)
        left = _left([zebedee, ("N2", "nwssp", "Bethan", "Pritchard", "2014-05-06", *HOME)])
        right = _right([("P2", "plasc", "Bethan", "Pritchard", "2014-05-06", *HOME),
                        ("S1", "independent", "Bethan", "Pritchard", "2014-05-06", *HOME)])
    out = link_source(left, right, default_spec(), reference_date=REF).set_index("record_id")
    assert out.loc["N1", "matched_record_id"] == ""
    assert out.loc["N1", "outcome"] == "not_matched"


def test_a_twin_whose_surname_was_mistyped_is_still_seen():
    # Jack's twin Ella is on the left under 'Phyllips' at an old address: her forename is the
    # pupil record's, her surname nearly his; Jack must not take Ella's pupil record
    left = _left([("N1", "nwssp", "Jack", "Phillips", "2012-08-04", *HOME),
                  ("N2", "nwssp", "Ella", "Phyllips", "2012-08-04", "4 Oak Road, Cardiff",
                   "CF5 0WQ")])
    right = _right([("P1", "plasc", "Ella", "Phillips", "2012-08-04", *HOME)])
    out = link_source(left, right, default_spec(), reference_date=REF).set_index("record_id")
    assert out.loc["N1", "matched_record_id"] == ""
    assert "possible twin or sibling" in out.loc["N1", "reason"]


def test_a_twin_entered_under_the_other_twins_forename_does_not_share_a_variant_match():
    # Two identical NHS records 'Dorothy' (one is Bethany's, her twin's forename typed on it):
    # one is linked to Bethany's pupil record as a name variant; the other is no copy of that
    left = _left([("N1", "nwssp", "Dorothy", "Burgess", "2012-12-31", *HOME),
                  ("N2", "nwssp", "Dorothy", "Burgess", "2012-12-31", *HOME)])
    right = _right([("P1", "plasc", "Bethany", "Burgess", "2012-12-31", *HOME)])
    out = link_source(left, right, default_spec(), reference_date=REF)
    assert out["matched_record_id"].tolist().count("P1") == 1


def test_an_unrelated_child_of_the_same_name_and_birthday_is_no_twin():
    # two Thomases born the same day in one LA, at different homes: not evidence of a twin,
    # because Tomi agrees no better with Max than Macsen does
    left = _left([("N1", "nwssp", "Macsen", "Thomas", "2009-12-10", *HOME),
                  ("N2", "nwssp", "Tomi", "Thomas", "2009-12-10", "4 Oak Road, Cardiff",
                   "CF5 0WQ")])
    right = _right([("P1", "plasc", "Max", "Thomas", "2009-12-10", *HOME)])
    out = link_source(left, right, default_spec(), reference_date=REF)
    assert out["matched_record_id"].tolist() == ["P1", ""]


def test_a_sibling_born_another_day_is_never_linked_however_strong_the_rest():
    left = _left([("N1", "nwssp", "Zebedee", "Pritchard", "2014-05-06", *HOME)])
    right = _right([("P1", "plasc", "Gwen", "Pritchard", "2016-09-01", *HOME)])
    out = link_source(left, right, default_spec(8.0), reference_date=REF)
    assert out["outcome"].tolist() == ["not_matched"]


def test_other_guards_hold_whatever_the_birth():
    from cme_eval.linkage.classify import guarded
    from cme_eval.linkage.spec import SAME_BIRTH

    spec = replace(default_spec(), guards=())  # the level guards alone (conditional: below)
    levels = pd.DataFrame({"forename": [3, 3, 0], "dob": [0, 2, 3]})
    frame = pd.DataFrame({"surname_std": ["a", "b", "c"], "dob_int": [20140506, 20140507, 0],
                          "forename_std": ["x", "y", "z"], "postcode_std": ["", "", ""],
                          "address_std": ["", "", ""]})
    idx = np.arange(3)
    blocked, differs, _ = guarded(frame, frame, levels, spec, idx, idx)
    assert blocked.tolist() == [False, True, False] and differs.tolist() == [True, True, False]
    dob_guard = spec.__class__(**{**spec.__dict__, "max_level_to_link": (
        *spec.max_level_to_link, ("dob", 2))})
    blocked, _, _ = guarded(frame, frame, levels, dob_guard, idx, idx)
    assert blocked.tolist() == [False, True, True]  # the central date guard, unconditional
    unconditional = spec.__class__(**{**spec.__dict__, "same_birth": None})
    assert guarded(frame, frame, levels, unconditional, idx, idx)[0].tolist() == [
        True, True, False]
    assert SAME_BIRTH == ("dob", 0)
    # with the conditional guards: born another day, nothing says where (no postcode compared)
    assert guarded(frame, frame, levels, default_spec(), idx, idx)[0].tolist() == [
        False, True, True]


# ------------------------------------------------------------------------------------------
# Conditional guards (spec.guards): evidence a careful analyst does not link on


def _reason_of(out: pd.DataFrame, record_id: str) -> str:
    return out.set_index("record_id").at[record_id, "reason"]


def _families(threshold: float | None = None) -> LinkSpec:
    """The declared spec with its family guards on whatever the data (one record a side holds
    no family to see: ``linkage.family_share`` 0 means always)."""
    spec = default_spec(threshold)
    return spec.with_settings(family_share=0.0)


def test_a_sibling_of_another_age_with_a_like_forename_is_not_linked():
    # Ella and Lola (JW 0.80 to 0.92) of one home and surname, born two years apart: weights
    # add up the home three times over; the sibling guard keeps it apart
    left = _left([("N1", "nwssp", "Ella", "Pritchard", "2014-05-06", *HOME)])
    right = _right([("P1", "plasc", "Lola", "Pritchard", "2016-09-01", *HOME)])
    out = link_source(left, right, _families(8.0), reference_date=REF)
    assert out["outcome"].tolist() == ["not_matched"]
    assert "possible sibling" in _reason_of(out, "N1")
    # the same records where no families are seen (the package's threshold): no guard
    seen = link_source(left, right, default_spec(8.0), reference_date=REF)
    assert seen["outcome"].tolist() == ["partial"]
    unguarded = replace(_families(8.0), guards=())
    assert link_source(left, right, unguarded, reference_date=REF)["outcome"].tolist() == [
        "partial"]  # what the guard prevents: the weights alone link them


def test_a_sibling_s_date_of_birth_entered_for_a_child_still_links_on_name_and_home():
    left = _left([("N1", "nwssp", "Ella", "Pritchard", "2014-05-06", *HOME)])
    right = _right([("P1", "plasc", "Ella", "Pritchard", "2016-09-01", *HOME)])
    out = link_source(left, right, _families(8.0), reference_date=REF)
    assert out["matched_record_id"].tolist() == ["P1"]


def test_a_namesake_of_another_age_elsewhere_is_not_linked():
    left = _left([("N1", "nwssp", "Ella", "Pritchard", "2014-05-06", *HOME)])
    right = _right([("P1", "plasc", "Ella", "Pritchard", "2016-09-01",
                     "3 Stryd Fawr, Bangor", "LL57 1AA")])
    # a low threshold, so that the weights alone would link them (the declared m and u)
    spec = _families(0.5)
    out = link_source(left, right, spec, reference_date=REF)
    assert out["outcome"].tolist() == ["not_matched"]
    assert "no postcode in common" in _reason_of(out, "N1")
    unguarded = link_source(left, right, replace(spec, guards=()), reference_date=REF)
    assert unguarded["outcome"].tolist() == ["partial"]


def test_a_first_name_and_birthday_without_surname_or_home_is_a_stranger():
    # a boarder's return has no home address: the same forename and birth, another surname
    left = _left([("N1", "nwssp", "Ruby", "Cunningham", "2013-03-10", "", "")])
    right = _right([("P1", "plasc", "Ruby", "Rice", "2013-03-10", *HOME)])
    out = link_source(left, right, default_spec(4.0), reference_date=REF)
    assert out["outcome"].tolist() == ["not_matched"]
    assert "another surname" in _reason_of(out, "N1")  # families or not (none here)
    # at the same home, another surname (a step-family) may still link on the weights
    home = _left([("N1", "nwssp", "Ruby", "Cunningham", "2013-03-10", *HOME)])
    assert link_source(home, right, default_spec(4.0), reference_date=REF)[
        "matched_record_id"].tolist() == ["P1"]


def test_a_shared_identifier_lifts_the_conditional_guards():
    from cme_eval.linkage.classify import guarded

    spec = default_spec(identifiers=("nhs_number",))
    levels = pd.DataFrame({"forename": [2, 2, 0], "surname": [0, 0, 3], "dob": [3, 3, 0],
                           "postcode": [0, 0, -1], "address": [0, 0, -1],
                           "nhs_number": [3, 0, 0]})
    frame = pd.DataFrame({"surname_std": ["a", "b", "c"], "dob_int": [20140506, 20160507, 0],
                          "forename_std": ["x", "y", "z"], "postcode_std": ["", "", ""],
                          "address_std": ["", "", ""]})
    idx = np.arange(3)
    blocked, _, _ = guarded(frame, frame, levels, spec, idx, idx)
    assert blocked.tolist() == [True, False, False]


def test_a_twin_with_a_like_forename_does_not_take_the_record_of_one_at_an_old_address():
    # Isabelle has no pupil record (schooled elsewhere); Isla's NHS record is at an old
    # address. Isabelle and Isla agree well enough (JW 0.80), and at the same home Isabelle's
    # pair outweighs Isla's own: the twin beside her on the left, whose forename agrees
    # better, keeps it from being linked (Powys, refitted pilot-2025)
    left = _left([("N1", "nwssp", "Isabelle", "Reed", "2016-05-21", *HOME),
                  ("N2", "nwssp", "Isla", "Reed", "2016-05-21", "4 Old Road, Brecon", "LD3 7AA")])
    right = _right([("P1", "plasc", "Isla", "Reed", "2016-05-21", *HOME)])
    out = link_source(left, right, default_spec(), reference_date=REF)
    assert out["matched_record_id"].tolist() == ["", "P1"]
    assert "a twin of that birth is there to see" in out.loc[0, "reason"]


def test_a_like_forename_is_not_blocked_by_a_better_candidate_on_the_right():
    # Ffionn beside Ffion on the right, one birth: the left record takes the better one by
    # weight; the other stays a candidate (for review), not a twin kept out
    from cme_eval.linkage.twins import twin_evidence

    left = pd.DataFrame({"forename_std": ["ffion"], "surname_std": ["pritchard"],
                         "dob_int": [20140506], "postcode_std": ["LL77 7AB"],
                         "address_std": ["7 ffordd las"]})
    right = left.iloc[[0, 0]].reset_index(drop=True).assign(forename_std=["ffion", "ffionn"])
    idx = np.array([0])
    assert not twin_evidence(left, right, idx, np.array([1]), sides=("left",), at_home=())[0]
    assert twin_evidence(left, right, idx, np.array([1]))[0]  # forenames differing: it counts


def test_a_record_without_a_forename_beside_twins_is_linked_to_neither():
    left = _left([("N1", "nwssp", "", "Morley", "2016-03-20", *HOME)])
    right = _right([("P1", "plasc", "Arthur", "Morley", "2016-03-20", *HOME),
                    ("P2", "plasc", "Alice", "Morley", "2016-03-20", *HOME)])
    out = link_source(left, right, default_spec(), reference_date=REF)
    assert out["outcome"].tolist() == ["not_matched"]
    assert "a twin of that birth is there to see" in out.loc[0, "reason"]
    # with one child of that birth there, the record without a forename is still its match
    arthur = _right([("P1", "plasc", "Arthur", "Morley", "2016-03-20", *HOME)])
    alone = link_source(left, arthur, default_spec(), reference_date=REF)
    assert alone["matched_record_id"].tolist() == ["P1"]


def test_a_twin_does_not_take_the_second_copy_of_his_matched_twins_record():
    # Archibald (Archie) has two identical pupil records; his twin Charlie has none. Archibald
    # takes one; the second is his too (Archie is his nickname), so Charlie, whose forename is
    # only like Archie's (JW 0.84), is left for follow-up.
    same = ("Graham", "2015-04-24", *HOME)
    left = _left([("N1", "nwssp", "Archibald", *same), ("N2", "nwssp", "Charlie", *same)])
    right = _right([("P1", "plasc", "Archie", *same), ("P2", "plasc", "Archie", *same)])
    out = link_source(left, right, default_spec(), reference_date=REF).set_index("record_id")
    assert out.loc["N1", "matched_record_id"] in ("P1", "P2")
    assert out.loc["N2", "outcome"] == "not_matched"
    assert "a twin of that birth is there to see" in out.loc["N2", "reason"]


def test_between_twins_on_the_right_the_forename_decides_not_a_slip_in_the_surname():
    # Charlie's own record has his surname and postcode mistyped (Prike, CF24 6TM); his twin
    # Harry's is entered as Hari, a forename only like Charlie (JW 0.86), and outweighs it
    left = _left([("N1", "nwssp", "Charlie", "Price", "2017-09-01", *HOME)])
    right = _right([("P1", "plasc", "Hari", "Price", "2017-09-01", *HOME),
                    ("P2", "plasc", "Charlie", "Prike", "2017-09-01", HOME[0], "CF24 6TM")])
    out = link_source(left, right, default_spec(), reference_date=REF)
    assert out["matched_record_id"].tolist() == ["P2"]


def test_between_twins_on_the_left_the_forename_decides_not_the_weights():
    # the same twins the other way round: Harry's NHS record (Hari) outweighs Charlie's own
    # (Prike, with a slip in the postcode) for Charlie's pupil record; Hari takes Harry's
    left = _left([("N1", "nwssp", "Hari", "Price", "2017-09-01", *HOME),
                  ("N2", "nwssp", "Charlie", "Prike", "2017-09-01", HOME[0], "CF24 6TM")])
    right = _right([("P1", "plasc", "Charlie", "Price", "2017-09-01", *HOME),
                    ("P2", "plasc", "Harry", "Price", "2017-09-01", *HOME)])
    out = link_source(left, right, default_spec(), reference_date=REF).set_index("record_id")
    assert out["matched_record_id"].to_dict() == {"N1": "P2", "N2": "P1"}


@pytest.mark.parametrize("typed", ["Daie", "aDy"])
def test_a_twin_is_seen_under_a_surname_spelled_by_sound_or_slipped(typed):
    # Holly's NHS record says Daie (by sound) or aDy (two letters swapped): still her twin
    # Ethan's family, so Ethan takes his own pupil record, not Holly's
    left = _left([("N1", "nwssp", "Ethan", "Day", "2020-02-06", *HOME),
                  ("N2", "nwssp", "Holly", typed, "2020-02-06", *HOME)])
    right = _right([("P1", "plasc", "Holly", "Day", "2020-02-06", *HOME)])
    out = link_source(left, right, default_spec(), reference_date=REF).set_index("record_id")
    assert out.loc["N1", "matched_record_id"] == ""
    assert "possible twin or sibling" in out.loc["N1", "reason"]


@pytest.mark.parametrize("slip", ["Jonh", "Kohn"])
def test_a_slip_beside_identical_twins_is_left_to_the_weights(slip):
    # two children of one name, birth and home on each side (the hostile frame of identical
    # people), one typed with a slip: Jonh a close spelling (JW 0.97), Kohn one keystroke from
    # John (JW 0.83, no closer level). A slip is not another name: the better claimant wins its
    # own record by weight, and is no twin keeping the slip from the second John
    same = ("Smith", "2014-05-06", *HOME)
    left = _left([("N1", "nwssp", "John", *same), ("N2", "nwssp", slip, *same)])
    right = _right([("P1", "plasc", "John", *same), ("P2", "plasc", "John", *same)])
    out = link_source(left, right, default_spec(), reference_date=REF)
    assert sorted(out["matched_record_id"]) == ["P1", "P2"]


@pytest.mark.parametrize(("second", "linked"), [("nwssp", False), ("plasc", True)])
def test_a_forename_two_datasets_give_a_child_is_not_taken_for_a_variant(second, linked):
    # An independent school's return names Millie; the LA's census and the NHS extract both name
    # the child of that surname, birth and home Manon: Manon is that child's name, and Millie
    # another child (her twin, whose own NHS record is under an old address). Two copies in
    # one dataset are one source, not two: Millie may still be a form of the name there.
    same = ("Byrne", "2013-03-11", *HOME)
    left = _left([("I1", "independent", "Millie", *same)])
    right = _right([("P1", "plasc", "Manon", *same), ("X1", second, "Manon", *same)])
    out = link_source(left, right, default_spec(), reference_date=REF)
    assert (out["outcome"].iloc[0] == "partial") is linked
    if linked:
        assert VARIANT in out["reason"].iloc[0]
    else:
        assert out["matched_record_id"].iloc[0] == ""


def test_corroborated_needs_the_same_forename_home_and_birth_in_another_dataset():
    from cme_eval.inputs.standardise import prepare
    from cme_eval.linkage.twins import corroborated

    right = prepare(_right([
        ("P1", "plasc", "Manon", "Byrne", "2013-03-11", *HOME),
        ("N1", "nwssp", "Manon", "Bryne", "2013-03-11", *HOME),  # a slip in the surname
        ("P2", "plasc", "Cai", "Evans", "2012-01-01", *HOME),
        ("N2", "nwssp", "Cai", "Evans", "2012-01-01", "1 Other Road, Cardiff", "CF5 1AA"),
        ("P3", "plasc", "Ela", "Hughes", "2011-02-02", *HOME),
        ("N3", "nwssp", "Elin", "Hughes", "2011-02-02", *HOME),
        ("P4", "plasc", "Bryn", "Lloyd", "2010-03-03", *HOME),
    ]), REF).assign(dataset=lambda f: f["source"])
    got = corroborated(right, np.arange(len(right)))
    # Manon: named so by both; Cai: elsewhere in the other; Ela/Elin: another forename; Bryn: once
    assert got.tolist() == [True, True, False, False, False, False, False]


@pytest.mark.parametrize(("child", "twin_typed", "twin"), [
    ("Charlie", "Loe", "Leo"),     # the twin's own NHS record, one keystroke off
    ("Lily", "Laura", "Lowri"),    # ... under the English form of her Welsh name
])
def test_a_twins_own_record_under_a_slip_or_a_known_variant_is_a_twin_there_to_see(
        child, twin_typed, twin):
    # The twin's NHS record is at an old address, and its forename as typed is too unlike the
    # pupil record's for Jaro-Winkler (Loe and Leo 0.56): yet it, not the other twin, is the
    # pupil record's claimant, so the child is not linked to the twin's record as a variant.
    left = _left([("N1", "nwssp", child, "Mellor", "2012-05-19", *HOME),
                  ("N2", "nwssp", twin_typed, "Mellor", "2012-05-19", "Erw Las, Tonyrefail",
                   "CF39 8AA")])
    right = _right([("P1", "plasc", twin, "Mellor", "2012-05-19", *HOME)])
    out = link_source(left, right, default_spec(), reference_date=REF).set_index("record_id")
    assert out.loc["N1", "matched_record_id"] == ""
    assert "possible twin or sibling" in out.loc["N1", "reason"]
