"""Comparison levels as small vectorised functions over aligned pairs of standardised values.

Each function takes two aligned arrays (left and right values of the candidate pairs) and
returns an int array of levels: 0 is the best agreement, the last level is disagreement and -1
means a value is missing (weight 0). They know nothing of any engine, so recordlinkage, Splink
checks and the tests all share them. String similarity comes from rapidfuzz (C, vectorised).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from cme_eval.standardise import dob_as_int, fold
from cme_eval.synth.reference import name_variants

MISSING = -1
JW_TOLERANCE = 1e-9


def _arrays(a, b) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(a, dtype=object), np.asarray(b, dtype=object)


def jaro_winkler(a, b) -> np.ndarray:
    a, b = _arrays(a, b)
    if not len(a):
        return np.zeros(0)
    # float64 and a tolerance at the thresholds: the same pair must get the same level in every
    # engine (DuckDB computes in double precision).
    sim = process.cpdist(list(a), list(b), scorer=JaroWinkler.normalized_similarity, workers=1,
                         dtype=np.float64)
    return sim + JW_TOLERANCE


@lru_cache(maxsize=1)
def folded_variant_pairs() -> frozenset[tuple[str, str]]:
    """Known name variants (nicknames, Welsh/English forms), folded, in both directions."""
    pairs = set()
    for name, variants in name_variants().items():
        for v in variants:
            pairs.add((fold(name), fold(v)))
    return frozenset(pairs)


@lru_cache(maxsize=4)
def variant_groups(variants: frozenset[tuple[str, str]]) -> dict[str, str]:
    """Each name with known variants -> one representative of its group of variants.

    Two names are variants when they share a group: a dictionary lookup per distinct name,
    then a vectorised comparison, instead of a set lookup per candidate pair.
    """
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y in sorted(variants):
        rx, ry = root(x), root(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    return {name: root(name) for name in parent}


def name_levels(a, b, variants: frozenset[tuple[str, str]] = frozenset()) -> np.ndarray:
    """exact | known variant or JW >= 0.92 | JW >= 0.80 | different."""
    a, b = _arrays(a, b)
    jw = jaro_winkler(a, b)
    groups = variant_groups(variants)
    ga = pd.Series(a).map(groups).to_numpy()
    gb = pd.Series(b).map(groups).to_numpy()
    is_variant = pd.notna(ga) & (ga == gb)
    level = np.select([a == b, is_variant | (jw >= 0.92), jw >= 0.80], [0, 1, 2], default=3)
    return np.where((a == "") | (b == ""), MISSING, level)


def surname_levels(a, b) -> np.ndarray:
    """exact | JW >= 0.92 | JW >= 0.80 | different. Hyphenated names match on either part."""
    a, b = _arrays(a, b)
    jw = jaro_winkler(a, b)
    part = np.zeros(len(a), dtype=bool)
    multi = np.flatnonzero([" " in x or " " in y for x, y in zip(a, b, strict=True)])
    part[multi] = [bool(set(a[i].split()) & set(b[i].split())) for i in multi]
    level = np.select([a == b, part | (jw >= 0.92), jw >= 0.80], [0, 1, 2], default=3)
    return np.where((a == "") | (b == ""), MISSING, level)


def dob_levels(a, b) -> np.ndarray:
    """exact | day and month swapped | one digit different | different.

    Takes ISO date strings, or the integers of ``dob_as_int`` (what the engines pass: integer
    arithmetic over millions of candidate pairs instead of string slicing).
    """
    a, b = np.asarray(a), np.asarray(b)
    if not np.issubdtype(a.dtype, np.integer):
        a = dob_as_int(a)
    if not np.issubdtype(b.dtype, np.integer):
        b = dob_as_int(b)
    missing = (a == 0) | (b == 0)
    ya, ma, da = a // 10000, a // 100 % 100, a % 100
    yb, mb, db = b // 10000, b // 100 % 100, b % 100
    swapped = (ya == yb) & (ma == db) & (da == mb) & (ma != da)
    powers = 10 ** np.arange(8)
    digits_differ = ((a[:, None] // powers % 10) != (b[:, None] // powers % 10)).sum(axis=1)
    level = np.select([a == b, swapped, digits_differ == 1], [0, 1, 2], default=3)
    return np.where(missing, MISSING, level)


def postcode_levels(full_a, full_b, sector_a, sector_b, district_a, district_b) -> np.ndarray:
    """exact | same sector | same district | different."""
    fa, fb = _arrays(full_a, full_b)
    sa, sb = _arrays(sector_a, sector_b)
    da, db = _arrays(district_a, district_b)
    level = np.select([fa == fb, (sa == sb) & (sa != ""), (da == db) & (da != "")], [0, 1, 2], 3)
    return np.where((fa == "") | (fb == ""), MISSING, level)


def address_levels(addr_a, addr_b, number_a, number_b) -> np.ndarray:
    """JW >= 0.90 on the folded address | same house number | different."""
    aa, ab = _arrays(addr_a, addr_b)
    na, nb = _arrays(number_a, number_b)
    jw = jaro_winkler(aa, ab)
    level = np.select([jw >= 0.90, (na == nb) & (na != "")], [0, 1], default=2)
    return np.where((aa == "") | (ab == ""), MISSING, level)


# Which standardised columns each kind of comparison reads, in the order its function takes.
COLUMNS_FOR_KIND = {
    "identifier": lambda c: [c.column],
    "name": lambda c: [c.column],
    "dob": lambda c: [c.column],
    "postcode": lambda c: ["postcode_std", "postcode_sector", "postcode_district"],
    "address": lambda c: ["address_std", "house_number"],
    "address_uprn": lambda c: ["address_std", "house_number", c.column],
}


def address_uprn_levels(addr_a, addr_b, number_a, number_b, uprn_a, uprn_b) -> np.ndarray:
    """same UPRN | then the address text levels, one lower (a UPRN on one side only, or two
    different UPRNs, say nothing beyond the text)."""
    ua, ub = _arrays(uprn_a, uprn_b)
    text = address_levels(addr_a, addr_b, number_a, number_b)
    same = (ua == ub) & (ua != "")
    return np.where(same, 0, np.where(text == MISSING, MISSING, text + 1))


def identifier_levels(a, b) -> np.ndarray:
    """exact | different (missing on either side: -1)."""
    a, b = _arrays(a, b)
    return np.where((a == "") | (b == ""), MISSING, np.where(a == b, 0, 1))


def compute_levels(comparison, left: list, right: list, variants=frozenset()) -> np.ndarray:
    """Levels of one comparison, given its columns' aligned left and right values."""
    if comparison.kind == "name":
        if comparison.name == "surname":
            return surname_levels(left[0], right[0])
        return name_levels(left[0], right[0], variants)
    if comparison.kind == "dob":
        return dob_levels(left[0], right[0])
    if comparison.kind == "postcode":
        return postcode_levels(left[0], right[0], left[1], right[1], left[2], right[2])
    if comparison.kind == "address":
        return address_levels(left[0], right[0], left[1], right[1])
    if comparison.kind == "address_uprn":
        return address_uprn_levels(*(v for pair in zip(left, right, strict=True) for v in pair))
    if comparison.kind == "identifier":
        return identifier_levels(left[0], right[0])
    raise ValueError(f"unknown comparison kind {comparison.kind!r}")
