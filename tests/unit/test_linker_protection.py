"""The linker on data it has never seen: smoothed estimates, monotone weights, budgeted blocking.

Frames here are built to be hostile (constant columns, one value shared by everyone, tiny
sides); each test fails on the linker before issue 11 (ZeroDivisionError, unbounded pairs,
exact agreement weighing less than a misspelling).
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from cme_eval.inputs.standardise import prepare
from cme_eval.linkage import blocking, estimation, link_prepared
from cme_eval.linkage.blocking import LinkWarning
from cme_eval.linkage.classify import pair_weights
from cme_eval.linkage.spec import default_spec

REF = dt.date(2025, 3, 1)
FIRST = ["olivia", "amelia", "isla", "ava", "mia", "ivy", "lily", "rhys", "dylan", "osian",
         "cai", "tomos", "evie", "ffion", "megan", "harri", "jac", "noah", "leo", "gruff"]


def _people(n: int, seed: int, **constant) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "record_id": [f"r{seed}-{i}" for i in range(n)],
        "source": "x",
        "forename": rng.choice(FIRST, n),
        "surname": ["".join(w) for w in rng.choice(list("abcdefghijklmnopqrstuvwxyz"), (n, 7))],
        "dob": [f"{d:02d}/{m:02d}/{y}" for d, m, y in zip(rng.integers(1, 29, n),
                                                          rng.integers(1, 13, n),
                                                          rng.integers(2010, 2019, n),
                                                          strict=True)],
        "address": [f"{k} street {k % 97}" for k in rng.integers(1, 5000, n)],
        "postcode": [f"CF{k % 40} {k % 9}AB" for k in rng.integers(0, 10_000, n)],
    })
    for column, value in constant.items():
        frame[column] = value
    return frame


def _std(frame):
    return prepare(frame, REF)


def test_pairs_are_counted_from_value_counts_without_making_them():
    left = pd.DataFrame({"k": ["a", "a", "b", "", "c"]})
    right = pd.DataFrame({"k": ["a", "b", "b", "b", ""]})
    # a: 2 x 1, b: 1 x 3, empty never blocks, c has no partner
    assert blocking.pair_count(left, right, ("k",)) == 5
    assert len(blocking.candidate_positions(left, right, (("k",),))) == 5


def test_a_constant_column_is_dropped_from_blocking_and_comparisons_with_a_warning():
    left = _std(_people(400, 1, postcode="00000"))
    right = _std(_people(400, 2, postcode="00000"))
    with pytest.warns(LinkWarning, match="'postcode_std' is uninformative"):
        plan = blocking.plan(left, right, default_spec())
    assert "postcode" not in [c.name for c in plan.spec.comparisons]
    assert all("postcode_std" not in p for p in plan.passes)
    assert plan.pair_budget_used < 400 * 400 / 10


def test_a_pass_over_the_budget_is_refined_or_skipped_and_the_budget_holds():
    left = _std(_people(2000, 3, surname="Jones"))
    right = _std(_people(2000, 4, surname="Jones"))
    spec = default_spec().with_settings(max_candidate_pairs=20_000, uninformative_agreement=1.01)
    with pytest.warns(LinkWarning, match="over the budget of 20,000"):
        plan = blocking.plan(left, right, spec)
    assert plan.pair_budget_used <= 20_000
    pairs = blocking.candidate_positions(left, right, plan.passes)
    assert len(pairs) <= 20_000
    assert all(p != ("surname_std", "birth_year") for p in plan.passes)


def test_thousands_of_identical_people_finish_with_every_record_accounted_for():
    one = _people(1, 5).iloc[0]
    left = _std(pd.DataFrame([one] * 3000).assign(record_id=[f"l{i}" for i in range(3000)]))
    right = _std(pd.DataFrame([one] * 3000).assign(record_id=[f"r{i}" for i in range(3000)]))
    spec = default_spec(estimate_u=True).with_settings(max_candidate_pairs=1_000_000)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = link_prepared(left, right.assign(dataset="d"), spec, reference_date=REF)
    assert len(out) == 3000 and out["record_id"].tolist() == left["record_id"].tolist()
    assert any("budget" in str(w.message) or "uninformative" in str(w.message) for w in caught)


def test_estimates_are_never_zero_and_weights_never_infinite_on_a_constant_column():
    # too few records to call the column uninformative, enough to estimate from
    left = _std(_people(300, 6, surname="Jones", postcode="00000"))
    right = _std(_people(300, 7, surname="Jones", postcode="00000"))
    spec = default_spec(estimate_u=True, estimate_m=True).with_settings(
        uninformative_agreement=1.01, min_records_to_estimate=10)
    levels = blocking.plan(left, right, spec)  # plan only: estimation sees every comparison
    from cme_eval.linkage import engines

    scored = engines.get("recordlinkage").score_pairs(left, right, levels)
    weighed, note = estimation.parameters_for(left, right, scored, spec)
    assert note == "u and m estimated from these records"
    for comparison in weighed.comparisons:
        for level in comparison.levels:
            assert 0 < level.u <= 1 and 0 < level.m <= 1
        assert all(math.isfinite(w) for w in comparison.weights())


def test_a_level_never_seen_among_random_pairs_keeps_a_share_of_its_declared_u():
    freq = estimation.smoothed(np.array([0, 0, 0, 3]), np.array([0.1, 0.2, 0.3, 0.4]))
    assert (freq > 0).all() and freq.sum() == pytest.approx(1.0)
    assert freq[1] == pytest.approx(100 * 0.2 / 104)


def test_too_few_records_fall_back_to_the_declared_values_and_say_so():
    left, right = _std(_people(30, 8)), _std(_people(2, 9))
    spec = default_spec(estimate_u=True)
    with pytest.warns(LinkWarning, match=r"too few records to estimate m and u \(30 left, 2 right"):
        weighed, note = estimation.parameters_for(left, right, pd.DataFrame(), spec)
    assert weighed == spec and note.startswith("too few records")


def test_every_engine_weighs_alike_when_estimating_from_tiny_inputs():
    left = _std(_people(60, 10))
    right = _std(left.iloc[:2][["record_id", "source", "forename", "surname", "dob", "address",
                                "postcode"]])
    spec = default_spec(estimate_u=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LinkWarning)
        rl = link_prepared(left, right.assign(dataset="d"), spec, reference_date=REF)
        sp = link_prepared(left, right.assign(dataset="d"), spec, reference_date=REF,
                           engine="splink")
    pd.testing.assert_frame_equal(rl, sp)
    assert (rl["matched_record_id"] != "").sum() == 2


def test_an_exact_common_surname_never_weighs_less_than_a_misspelling_of_it():
    # 'jones' is a third of the right-hand side: its term-frequency weight log2(0.9 / 0.33)
    # is below the 'close' level's log2(0.06 / 0.005); the exact level is lifted to it
    right = pd.DataFrame({"surname_std": ["jones"] * 100 + [f"s{i}" for i in range(200)]})
    left = pd.DataFrame({"surname_std": ["jones", "joness"]})
    spec = default_spec(term_frequency=("surname",))
    spec = replace(spec, comparisons=tuple(c for c in spec.comparisons if c.name == "surname"))
    levels = pd.DataFrame({"surname": [0, 1]},
                          index=pd.MultiIndex.from_arrays([[0, 1], [0, 0]]))
    exact, fuzzy = pair_weights(levels, spec, left, right).to_numpy()
    assert exact >= fuzzy
    assert fuzzy == pytest.approx(math.log2(0.06 / 0.005))
