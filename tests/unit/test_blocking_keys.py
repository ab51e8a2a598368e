"""Blocking on integer keys (``blocking.key_codes``, a sort-merge join) against the definition.

A pass pairs two records when every one of its columns is present on both and equal as text.
Here that is checked pair by pair (scalar Python) against ``pair_count`` and
``candidate_positions``: on empty frames, all-missing and constant columns, non-ASCII values
and several passes whose pairs overlap.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from cme_eval.inputs.standardised import present
from cme_eval.linkage.blocking import candidate_positions, key_codes, pair_count, positions_index

VALUES = {"surname_std": ["jones", "jonés", "", "evans", "ap gwilym"],
          "birth_year": ["2011", "2012", ""],
          "postcode_std": ["CF10 1AA", "", "LL58 3DB"],
          "forename_std": ["siân", "sian", "", "ŵyn"]}
PASSES = (("postcode_std",), ("surname_std", "birth_year"), ("forename_std", "surname_std"))


def _frame(n: int, seed: int, only: dict | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({c: pd.Series(rng.choice((only or {}).get(c, v), n), dtype=object)
                         for c, v in VALUES.items()})


def _blocks(left: pd.DataFrame, right: pd.DataFrame, i: int, j: int, rule) -> bool:
    return all(present(left[c].iloc[[i]], c)[0] and present(right[c].iloc[[j]], c)[0]
               and str(left[c].iloc[i]) == str(right[c].iloc[j]) for c in rule)


def _expected(left, right, passes):
    return [(i, j) for i, j in itertools.product(range(len(left)), range(len(right)))
            if any(_blocks(left, right, i, j, rule) for rule in passes)]


CASES = {"random": {}, "all missing": {"postcode_std": [""], "birth_year": [""]},
         "constant": {"surname_std": ["jones"], "postcode_std": ["CF10 1AA"]}}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("sizes", [(0, 5), (5, 0), (1, 1), (60, 45)])
def test_pairs_and_counts_are_those_of_the_definition(case, sizes):
    left, right = _frame(sizes[0], 1, CASES[case]), _frame(sizes[1], 2, CASES[case])
    for rule in PASSES:
        assert pair_count(left, right, rule) == len(_expected(left, right, [rule]))
    got = candidate_positions(left, right, PASSES)
    expected = _expected(left, right, PASSES)  # sorted by left, then right position
    assert list(zip(got.get_level_values(0), got.get_level_values(1), strict=True)) == expected


def test_key_codes_are_shared_between_sides_and_minus_one_when_missing():
    left = pd.DataFrame({"surname_std": ["jonés", "", "evans"], "birth_year": ["2011"] * 3})
    right = pd.DataFrame({"surname_std": ["evans", "jonés", "jones"],
                          "birth_year": ["2011", "2011", ""]})
    lk, rk = key_codes(left, right, ("surname_std", "birth_year"))
    assert lk[0] == rk[1] and lk[2] == rk[0] and lk[0] != lk[2]
    assert lk[1] == -1 and rk[2] == -1


@pytest.mark.parametrize("n", [0, 1, 500])
def test_positions_index_is_the_index_of_the_positions_without_hashing_them(n):
    rng = np.random.default_rng(n)
    li, ri = np.sort(rng.integers(0, 40, n)), rng.integers(0, 70, n)
    made = positions_index(li, ri, 40, 70)
    plain = pd.MultiIndex.from_arrays([li, ri])
    assert made.equals(plain) and made.nlevels == 2
    np.testing.assert_array_equal(made.get_level_values(1), ri)
    frame = pd.DataFrame({"x": np.arange(n)}, index=made)
    assert frame.equals(pd.DataFrame({"x": np.arange(n)}, index=plain))
    assert made.isin(plain[: n // 2]).sum() >= n // 2  # looked up by value, as before
