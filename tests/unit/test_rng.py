"""cme_eval.rng: keyed generators are reproducible and independent of one another."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from cme_eval.rng import key_to_ints, keyed_int, keyed_rng, keyed_rngs, keyed_uniforms


def test_same_seed_and_key_give_the_same_draws():
    a = keyed_rng(2025, "Powys", "population").random(20)
    b = keyed_rng(2025, "Powys", "population").random(20)
    assert_array_equal(a, b)


@pytest.mark.parametrize(
    "other",
    [
        (2025, "Powys", "errors"),      # another purpose
        (2025, "Cardiff", "population"),  # another authority
        (2026, "Powys", "population"),  # another seed
        (2025, "Powys"),                # a shorter key
    ],
)
def test_a_different_key_or_seed_gives_different_draws(other):
    a = keyed_rng(2025, "Powys", "population").random(20)
    b = keyed_rng(*other).random(20)
    assert not np.array_equal(a, b)


def test_one_stream_does_not_depend_on_draws_from_another():
    alone = keyed_rng(1, "Gwynedd", "error", "forename_typo", "nwssp").random(10)
    # Draw heavily from a neighbouring key (other error type) first: nothing shared.
    keyed_rng(1, "Gwynedd", "error", "surname_typo", "nwssp").random(10_000)
    after = keyed_rng(1, "Gwynedd", "error", "forename_typo", "nwssp").random(10)
    assert_array_equal(alone, after)


def test_changing_one_key_part_leaves_other_keys_streams_unchanged():
    # The stream for (seed, A, x) is a function of that key only: computing streams for a
    # changed key part (B instead of A) does not alter the stream of (seed, A, x).
    before = {k: keyed_rng(5, *k).integers(0, 1000, 8) for k in [("A", "x"), ("A", "y")]}
    keyed_rng(5, "B", "x").integers(0, 1000, 8)
    assert_array_equal(keyed_rng(5, "A", "x").integers(0, 1000, 8), before[("A", "x")])
    assert_array_equal(keyed_rng(5, "A", "y").integers(0, 1000, 8), before[("A", "y")])
    assert not np.array_equal(before[("A", "x")], before[("A", "y")])


def test_key_to_ints_are_the_first_four_little_endian_words_of_sha256():
    digest = hashlib.sha256(b"Powys\x1fpopulation").digest()
    expected = [int.from_bytes(digest[0:4], "little"), int.from_bytes(digest[4:8], "little"),
                int.from_bytes(digest[8:12], "little"), int.from_bytes(digest[12:16], "little")]
    assert key_to_ints("Powys", "population") == expected
    assert all(0 <= w < 2**32 for w in expected)


def test_keyed_rng_does_not_touch_global_state():
    np.random.seed(123)
    expected = np.random.random(3)
    np.random.seed(123)
    keyed_rng(1, "a").random(100)
    assert_array_equal(np.random.random(3), expected)


def test_keyed_int_is_stable_and_in_range():
    a, b = keyed_int(2025, "faker-pools"), keyed_int(2025, "faker-pools")
    assert a == b
    assert 0 <= a < 2**31 - 1
    assert keyed_int(2025, "faker-pools") != keyed_int(2026, "faker-pools")


def test_keyed_rngs_give_each_id_its_own_stream_whatever_the_other_ids():
    ids = [f"P-{i}#0" for i in range(50)]
    every = [g.random(5) for g in keyed_rngs(ids, 3, "Powys", "error", "forename_typo", "nwssp")]
    fewer_ids = ids[1::3][::-1]  # some of them, in another order
    fewer = [g.random(5) for g in keyed_rngs(fewer_ids, 3, "Powys", "error", "forename_typo",
                                             "nwssp")]
    for i, draws in zip(fewer_ids, fewer, strict=True):
        assert_array_equal(draws, every[ids.index(i)])
    assert len({tuple(d) for d in every}) == len(ids)  # distinct ids, distinct streams


@pytest.mark.parametrize("other", [(4, "Powys", "x"), (3, "Gwynedd", "x"), (3, "Powys", "y")])
def test_keyed_rngs_depend_on_seed_and_key(other):
    a = keyed_rngs(["P-1#0"], 3, "Powys", "x")[0].random(5)
    b = keyed_rngs(["P-1#0"], *other)[0].random(5)
    assert not np.array_equal(a, b)


def test_keyed_rngs_are_unrelated_to_the_ids_selection_uniforms():
    # the selection draw (keyed_uniforms) and the value stream share a key but not a hash
    ids = [f"P-{i}#0" for i in range(2000)]
    u = keyed_uniforms(ids, 3, "Powys", "x")
    first = np.array([g.random() for g in keyed_rngs(ids, 3, "Powys", "x")])
    assert abs(np.corrcoef(u, first)[0, 1]) < 0.1
    assert keyed_rngs([], 3, "Powys", "x") == []
