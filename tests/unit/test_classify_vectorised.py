"""classify's vectorised helpers against their definitions, pair by pair (scalar Python).

``exact_pairs`` compares integer codes made once per column; ``twin_evidence`` joins only the
pairs whose record shares its birth with another (``_shares_birth``); ``pair_weights``
looks each left record's term frequency up once. Each is checked here against the plain
definition on empty input, all-missing and constant columns and non-ASCII names.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from rapidfuzz.distance import JaroWinkler

from cme_eval.linkage.classify import TF_FLOOR, exact_pairs, pair_weights
from cme_eval.linkage.comparisons import compare
from cme_eval.linkage.spec import default_spec
from cme_eval.linkage.twins import TWIN_AGREES, TWIN_SURNAME_AGREES, _shares_birth, twin_evidence

FORENAMES = ["siân", "sian", "", "ioan", "john", "zoë"]
SURNAMES = ["jones", "", "ap rhys", "jonés"]
DOBS = [20140101, 0, 20140102]
POSTCODES = ["CF10 1AA", "", "CF10 2BB"]
ADDRESSES = ["1 high st", "", "2 high st"]


def _frame(n: int, seed: int, only: dict | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    columns = {"forename_std": FORENAMES, "surname_std": SURNAMES, "dob_int": DOBS,
               "postcode_std": POSTCODES, "address_std": ADDRESSES}
    frame = pd.DataFrame({c: rng.choice(np.asarray((only or {}).get(c, v), dtype=object), n)
                          for c, v in columns.items()})
    frame["dob_int"] = frame["dob_int"].astype(np.int64)
    frame["dob_std"] = [str(d) if d else "" for d in frame["dob_int"]]
    return frame


CASES = {"random": {}, "all missing": {"surname_std": [""], "postcode_std": [""]},
         "constant": {"surname_std": ["jones"], "dob_int": [20140101]}}


def _all_pairs(left, right):
    """Every (left, right) pair of positions, by left then right."""
    return (np.repeat(np.arange(len(left)), len(right)),
            np.tile(np.arange(len(right)), len(left)))


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("sizes", [(0, 3), (1, 1), (25, 30)])
def test_exact_is_every_perfect_on_value_equal_and_not_empty(case, sizes):
    spec = default_spec()
    left, right = _frame(sizes[0], 1, CASES[case]), _frame(sizes[1], 2, CASES[case])
    li, ri = _all_pairs(left, right)
    got = exact_pairs(left, right, pd.MultiIndex.from_arrays([li, ri]), spec)
    expected = [all(left[c].iloc[i] == right[c].iloc[j] and left[c].iloc[i] != ""
                    for c in spec.perfect_on) for i, j in zip(li, ri, strict=True)]
    np.testing.assert_array_equal(got, np.asarray(expected, dtype=bool))


def _sibling_evidence(frame, me, theirs_name, own_jw) -> bool:
    """twin_evidence's definition for one side of one pair."""
    row = frame.iloc[me]
    if row["surname_std"] == "" or row["dob_int"] == 0:
        return False
    for k in range(len(frame)):
        other = frame.iloc[k]
        surname = JaroWinkler.normalized_similarity(other["surname_std"], row["surname_std"])
        if k == me or surname < TWIN_SURNAME_AGREES or other["dob_int"] != row["dob_int"] \
                or other["surname_std"][:1] != row["surname_std"][:1]:
            continue
        home = ((other["postcode_std"] == row["postcode_std"] and other["postcode_std"] != "")
                or (other["address_std"] == row["address_std"] and other["address_std"] != ""))
        agree = JaroWinkler.normalized_similarity(theirs_name, other["forename_std"])
        if (home and other["forename_std"] != row["forename_std"]) or (
                agree > own_jw and agree >= TWIN_AGREES):
            return True
    return False


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("sizes", [(0, 3), (1, 1), (20, 24)])
def test_twin_evidence_is_a_sibling_at_home_or_with_a_closer_forename(case, sizes):
    left, right = _frame(sizes[0], 3, CASES[case]), _frame(sizes[1], 4, CASES[case])
    li, ri = _all_pairs(left, right)
    got = twin_evidence(left, right, li, ri)
    expected = []
    for i, j in zip(li, ri, strict=True):
        lname, rname = left["forename_std"].iloc[i], right["forename_std"].iloc[j]
        own = JaroWinkler.normalized_similarity(lname, rname)
        expected.append(_sibling_evidence(right, j, lname, own)
                        or _sibling_evidence(left, i, rname, own))
    np.testing.assert_array_equal(got, np.asarray(expected, dtype=bool))
    if case == "random" and sizes[0] > 1:
        assert 0 < sum(expected) < len(expected)  # both answers exercised


def test_shares_birth_is_another_record_of_the_same_birth_with_a_surname():
    frame = _frame(40, 5)
    got = _shares_birth(frame)
    known = (frame["surname_std"] != "") & (frame["dob_int"] != 0)
    expected = [known.iloc[i] and any(
        k != i and known.iloc[k] and frame["dob_int"].iloc[k] == row.dob_int
        for k in range(len(frame)))
        for i, row in enumerate(frame.itertuples())]
    np.testing.assert_array_equal(got, np.asarray(expected, dtype=bool))
    assert _shares_birth(frame.iloc[:0]).shape == (0,)


def test_term_frequency_weights_are_those_of_each_pairs_own_value():
    spec = default_spec(term_frequency=("forename",))
    left, right = _frame(30, 6), _frame(40, 7)
    li, ri = _all_pairs(left, right)
    rng = np.random.default_rng(8)
    levels = pd.DataFrame({c.name: rng.integers(-1, len(c.levels), len(li)).astype(np.int8)
                           for c in spec.comparisons},
                          index=pd.MultiIndex.from_arrays([li, ri]))
    got = pair_weights(levels, spec, left, right).to_numpy()
    share = right["forename_std"].value_counts(normalize=True)
    forename = spec.comparisons[0]
    weights = forename.weights()
    for k in np.flatnonzero(levels["forename"].to_numpy() == 0):
        tf = max(share.get(left["forename_std"].iloc[li[k]], TF_FLOOR), TF_FLOOR)
        own = max(math.log2(forename.levels[0].m / tf), max(weights[1:]))
        others = sum(([*c.weights(), 0.0][levels[c.name].iloc[k]])
                     for c in spec.comparisons[1:])
        assert got[k] == pytest.approx(own + others, rel=0, abs=1e-12)


def test_each_sides_siblings_are_searched_once_per_link(monkeypatch):
    # twin_evidence is asked several questions of one link (a variant, a like forename, a
    # nameless record) and corroborated one more: each side's records of a shared birth are
    # found once, kept for the link's later questions
    from cme_eval.inputs.standardise import prepare
    from cme_eval.linkage import twins
    from cme_eval.linkage.classify import guarded

    calls = []
    shares_birth = twins._shares_birth

    def counted(frame):
        calls.append(len(frame))
        return shares_birth(frame)

    monkeypatch.setattr(twins, "_shares_birth", counted)
    ref = dt.date(2024, 1, 15)
    rows = [("N1", "Zebedee", "Hall", "2014-05-06"), ("N2", "Zoe", "Hall", "2014-05-06"),
            ("N3", "", "Hall", "2014-05-06"), ("N4", "Isabelle", "Reed", "2015-01-01"),
            ("N5", "Isla", "Reed", "2015-01-01")]
    frame = pd.DataFrame(rows, columns=["record_id", "forename", "surname", "dob"]).assign(
        source="nwssp", address="1 High St", postcode="CF10 1AA")
    left = prepare(frame, ref)
    right = prepare(frame.assign(source="plasc"), ref).assign(dataset="plasc")
    spec = default_spec()
    li, ri = np.repeat(np.arange(5), 5), np.tile(np.arange(5), 5)
    levels = compare(left, right, pd.MultiIndex.from_arrays([li, ri]), spec.comparisons)
    guarded(left, right, levels, spec, li, ri)
    assert sorted(calls) == [len(left), len(right)]
