"""The numpy backend's encoded evaluation against the plain definition of every rule, pair by pair.

``rules.PairCache`` compares integer codes and computes what needs the values once per distinct
pair of values (``per_distinct``); ``comparisons.compare`` and the recordlinkage engine encode
every record once and take each pair's codes by position. Here each rule kind and each
comparison is also evaluated one pair at a time from its definition (scalar Python), and both
must give the same answer: on empty input, all-missing and constant columns, non-ASCII values
(a value the standardisation would fold is still compared as given) and repeated pairs.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from rapidfuzz.distance import JaroWinkler

from cme_eval.linkage.comparisons import (
    chunk_size,
    compare,
    encode_columns,
    in_threads,
    levels_in,
    levels_of,
    pair_cache,
)
from cme_eval.linkage.names import are_variants
from cme_eval.linkage.rules import (
    INTEGER_COLUMNS,
    JW_TOLERANCE,
    KINDS,
    PairCache,
    Rule,
    encode,
    holds,
)
from cme_eval.linkage.spec import ADDRESS_UPRN_LEVELS, DEFAULT_COMPARISONS, Comparison

NAMES = ["dafydd", "david", "dai", "william", "bill", "jones", "jomes", "lloyd jones",
         "jones lloyd", "ap gwilym", "gwilym", "", "siân", "sian", "zoë", "zoe", "łukasz", "x"]
DATES = [20110803, 20110308, 20110804, 20100803, 20110808, 0, 20111225, 20110830]
VALUES = {"forename_std": NAMES, "surname_std": NAMES, "dob_int": DATES,
          "postcode_std": ["CF10 1AA", "CF10 1AB", "", "LL58 3DB"],
          "postcode_sector": ["CF10 1", "LL58 3", ""], "postcode_district": ["CF10", ""],
          "address_std": ["12 high street", "12 high st", "", "tŷ gwyn"],
          "house_number": ["12", "", "7"], "uprn_std": ["100", "", "200"],
          "street_std": ["high street", "high st", ""]}


def _present(value, column: str) -> bool:
    return value != (0 if column in INTEGER_COLUMNS else "")


def _one_digit(a: int, b: int) -> bool:
    return sum(x != y for x, y in zip(f"{a:08d}", f"{b:08d}", strict=True)) == 1


def _jw(a: str, b: str, threshold: float) -> bool:
    return JaroWinkler.normalized_similarity(a, b) + JW_TOLERANCE >= threshold


def scalar_holds(rule: Rule, left: dict, right: dict, i: int) -> bool:
    """The rule's definition for the one pair ``i`` (``rules.KINDS``)."""
    c, o = rule.column, rule.other
    a, b = left[c][i], right[c][i]
    if not (_present(a, c) and _present(b, c)):
        return False
    if rule.kind == "exact":
        return bool(a == b)
    if rule.kind == "jaro_winkler":
        return _jw(a, b, rule.threshold)
    if rule.kind == "swapped_with":
        if not (_present(left[o][i], o) and _present(right[o][i], o)):
            return False
        return _jw(a, right[o][i], rule.threshold) and _jw(left[o][i], b, rule.threshold)
    if rule.kind == "name_variant":
        return bool(are_variants([a], [b])[0])
    if rule.kind == "shared_word":
        return (" " in a or " " in b) and bool(set(a.split()) & set(b.split()))
    if rule.kind == "day_month_swapped":
        return (a // 10000 == b // 10000 and a // 100 % 100 == b % 100
                and a % 100 == b // 100 % 100 and a // 100 % 100 != a % 100)
    return _one_digit(int(a), int(b))


def scalar_level(comparison: Comparison, left: dict, right: dict, i: int) -> int:
    """The comparison's level for the one pair ``i``: the first level one of whose rules
    holds, -1 when a value is missing (unless that level decides when missing)."""
    level, decisive = len(comparison.levels) - 1, False
    for k, lv in enumerate(comparison.levels[:-1]):
        if any(scalar_holds(rule, left, right, i) for rule in lv.rules):
            level, decisive = k, lv.decides_when_missing
            break
    missing = any(not (_present(left[c][i], c) and _present(right[c][i], c))
                  for c in comparison.missing_if_empty)
    return -1 if missing and not decisive else level


def _arrays(columns, n: int, seed: int, only: dict | None = None) -> tuple[dict, dict]:
    """``n`` pairs of sample values (repeats included) per column; ``only``: a column held to
    the given values (constant, all missing)."""
    rng = np.random.default_rng(seed)
    left, right = {}, {}
    for c in columns:
        values = (only or {}).get(c, VALUES[c])
        dtype = np.int64 if c in INTEGER_COLUMNS else object
        left[c] = np.asarray(rng.choice(np.asarray(values, dtype=object), n), dtype=dtype)
        right[c] = np.asarray(rng.choice(np.asarray(values, dtype=object), n), dtype=dtype)
    return left, right


RULES = [Rule("exact", "forename_std"), Rule("exact", "dob_int"),
         Rule("jaro_winkler", "surname_std", 0.92), Rule("jaro_winkler", "address_std", 0.9),
         Rule("name_variant", "forename_std"), Rule("shared_word", "surname_std"),
         Rule("day_month_swapped", "dob_int"), Rule("one_digit_different", "dob_int"),
         Rule("swapped_with", "forename_std", 0.88, "surname_std")]
COMPARISONS = [*DEFAULT_COMPARISONS, Comparison("address", ("address_std",), ADDRESS_UPRN_LEVELS)]


def test_every_rule_kind_is_checked_against_its_definition():
    assert {r.kind for r in RULES} == set(KINDS)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: f"{r.kind}-{r.column}")
@pytest.mark.parametrize("n", [0, 1, 3000])
def test_each_rule_holds_as_defined_pair_by_pair(rule, n):
    columns = [rule.column] + ([rule.other] if rule.other else [])
    left, right = _arrays(columns, n, seed=n)
    expected = [scalar_holds(rule, left, right, i) for i in range(n)]
    np.testing.assert_array_equal(holds(rule, left, right), np.asarray(expected, dtype=bool))
    if n > 100:
        assert 0 < sum(expected) < n  # the sample exercises both answers


def _check_levels(comparison: Comparison, left: dict, right: dict) -> None:
    n = len(next(iter(left.values())))
    expected = np.asarray([scalar_level(comparison, left, right, i) for i in range(n)],
                          dtype=np.int8)
    np.testing.assert_array_equal(levels_of(comparison, left, right), expected)
    # Records encoded once, pairs by position (what compare and the recordlinkage engine do).
    lf, rf = pd.DataFrame(left), pd.DataFrame(right)
    cache = pair_cache(encode_columns(lf, rf, [comparison]), np.arange(n), np.arange(n))
    np.testing.assert_array_equal(levels_in(comparison, cache), expected)


@pytest.mark.parametrize("comparison", COMPARISONS, ids=lambda c: f"{c.name}-{len(c.levels)}")
@pytest.mark.parametrize("n", [0, 1, 3000])
def test_each_comparison_levels_as_defined_pair_by_pair(comparison, n):
    _check_levels(comparison, *_arrays(comparison.columns(), n, seed=n + 1))


@pytest.mark.parametrize("comparison", COMPARISONS, ids=lambda c: f"{c.name}-{len(c.levels)}")
@pytest.mark.parametrize("kind", ["all missing", "constant"])
def test_levels_with_an_all_missing_or_constant_column(comparison, kind):
    for column in comparison.columns():
        value = VALUES[column][0] if kind == "constant" else (
            0 if column in INTEGER_COLUMNS else "")
        _check_levels(comparison, *_arrays(comparison.columns(), 500, seed=3,
                                           only={column: [value]}))


def test_compare_positions_pairs_into_whole_frames_chunk_by_chunk():
    """``compare`` (records encoded once, several chunks, one cache for the comparisons of a
    chunk) gives each pair the levels of its own values."""
    columns = list(dict.fromkeys(c for comp in COMPARISONS[:5] for c in comp.columns()))
    left, right = _arrays(columns, 300, seed=7)
    lf, rf = pd.DataFrame(left), pd.DataFrame(right)
    li, ri = np.asarray(list(itertools.product(range(300), range(0, 300, 7)))).T
    pairs = pd.MultiIndex.from_arrays([li, ri])
    got = compare(lf, rf, pairs, COMPARISONS[:5], chunk=1000)
    for comp in COMPARISONS[:5]:
        lv = {c: v[li] for c, v in left.items()}
        rv = {c: v[ri] for c, v in right.items()}
        expected = [scalar_level(comp, lv, rv, i) for i in range(len(li))]
        np.testing.assert_array_equal(got[comp.name].to_numpy(), expected)


def test_chunks_compared_in_threads_come_back_in_order_and_within_the_memory_bound():
    import threading

    finished, last_done = [], threading.Event()

    def work(start):  # the first chunk waits for the last one: it finishes last
        if start == 0:
            assert last_done.wait(timeout=10), "the chunks were not compared side by side"
        finished.append(start)
        if start == 30:
            last_done.set()
        return start, threading.get_ident()

    got = in_threads(work, range(0, 40, 10), threads=2)
    assert [start for start, _ in got] == [0, 10, 20, 30] and finished[-1] == 0
    assert len({ident for _, ident in got}) == 2
    assert in_threads(work, [5], threads=2) == [(5, threading.get_ident())]  # no pool for one
    # the chunk budget is shared among the threads, and small inputs still split
    assert chunk_size(3_000_000, chunk=1_000_000, threads=2) == 500_000
    assert chunk_size(7, chunk=1_000_000, threads=2) == 4
    assert chunk_size(0, chunk=10, threads=4) == 1 and chunk_size(5, chunk=10, threads=1) == 5


def test_encode_shares_codes_between_sides_and_marks_missing():
    encoded = encode("forename_std", np.asarray(["siân", "", "sian"], dtype=object),
                     np.asarray(["sian", "siân", ""], dtype=object))
    (a, missing, b), (b_again, a_again, missing_again) = encoded.left, encoded.right
    assert a == a_again and b == b_again and a != b and missing == missing_again == -1
    assert encoded.vocabulary[a] == "siân" and encoded.vocabulary[b] == "sian"
    empty = encode("dob_int", np.zeros(0, np.int64), np.zeros(0, np.int64))
    assert empty.left.shape == empty.right.shape == (0,)
    dates = encode("dob_int", np.asarray([20110803, 0]), np.asarray([0, 20110803]))
    assert dates.left.tolist() == [0, -1] and dates.right.tolist() == [-1, 0]


def test_per_distinct_computes_each_distinct_pair_once_and_keeps_the_answers():
    calls = []

    def joined(a, b):
        calls.append(len(a))
        return np.asarray([x + "|" + y for x, y in zip(a, b, strict=True)], dtype=object)

    left = {"forename_std": np.asarray(["a", "b", "a", "a", "c"], dtype=object)}
    right = {"forename_std": np.asarray(["x", "y", "x", "y", "x"], dtype=object)}
    cache = PairCache(left, right)
    assert cache.per_distinct(joined, "forename_std", "forename_std",
                              np.asarray([0, 2, 3])).tolist() == ["a|x", "a|x", "a|y"]
    assert calls == [2]
    assert cache.per_distinct(joined, "forename_std", "forename_std",
                              np.arange(5)).tolist() == ["a|x", "b|y", "a|x", "a|y", "c|x"]
    assert calls == [2, 2]  # only the two pairs of values not asked about before
