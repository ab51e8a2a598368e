"""One declaration, two backends: numpy and SQL give identical answers for every rule kind.

Each rule kind (and each comparison of the spec, levels and missing values together) is run
on the same pairs by the numpy backend and by DuckDB over the compiled SQL; adding a kind to
one backend and not the other fails here.
"""

from __future__ import annotations

import itertools

import duckdb
import numpy as np
import pandas as pd
import pytest

from cme_eval.linkage import sql
from cme_eval.linkage.comparisons import levels_of
from cme_eval.linkage.rules import (
    INTEGER_COLUMNS,
    KINDS,
    Rule,
    derived_columns,
    derived_values,
    holds,
    keystrokes,
)
from cme_eval.linkage.spec import ADDRESS_UPRN_LEVELS, DEFAULT_COMPARISONS, Comparison, default_spec

NAMES = ["dafydd", "david", "dai", "william", "bill", "wiliam", "jones", "jomes", "lloyd jones",
         "jones lloyd", "ap gwilym", "gwilym", "", "sian", "jane", "sioned", "x"]
DATES = [20110803, 20110308, 20110804, 20100803, 20120903, 20110808, 0, 20111225, 20110830]
CODES = ["CF10 1AA", "CF10 1AB", "CF10 2AA", "LL58 3DB", "", "2615", "00000"]
SAMPLE = {"forename_std": NAMES, "surname_std": NAMES, "dob_int": DATES,
          "postcode_std": CODES, "postcode_sector": ["CF10 1", "CF10 2", "LL58 3", ""],
          "postcode_district": ["CF10", "LL58", ""],
          "address_std": ["12 high street", "12 high st", "oakway", "", "hillcrest"],
          "house_number": ["12", "7", "", "4a"], "uprn_std": ["100", "200", ""],
          "street_std": ["high street", "high st", "oakway", ""]}


def _pairs(columns: list[str], limit: int = 4000) -> tuple[dict, dict]:
    """Every combination of sample values for one column (both sides), and for several
    columns a deterministic shuffle of combinations."""
    rng = np.random.default_rng(5)
    n = limit if len(columns) > 1 else len(SAMPLE[columns[0]]) ** 2
    left, right = {}, {}
    for c in columns:
        values = SAMPLE[c]
        if len(columns) == 1:
            a, b = zip(*itertools.product(values, values), strict=True)
        else:
            a, b = rng.choice(values, n), rng.choice(values, n)
        dtype = np.int64 if c in INTEGER_COLUMNS else object
        left[c], right[c] = np.asarray(a, dtype=dtype), np.asarray(b, dtype=dtype)
    return left, right


def _duckdb(condition: str, left: dict, right: dict, extra: dict[str, str]) -> np.ndarray:
    frame = pd.DataFrame({**{f"{c}_l": v for c, v in left.items()},
                          **{f"{c}_r": v for c, v in right.items()}})
    for name, source in extra.items():
        for side, values in (("l", left), ("r", right)):
            frame[f"{name}_{side}"] = derived_values(pd.DataFrame({source: values[source]}),
                                                     name, source).to_numpy()
    con = duckdb.connect()
    con.register("pairs", frame)
    return con.sql(f"SELECT {condition} AS v FROM pairs").fetchnumpy()["v"]


RULES = [Rule("exact", "forename_std"), Rule("exact", "dob_int"),
         Rule("jaro_winkler", "surname_std", 0.92), Rule("jaro_winkler", "surname_std", 0.8),
         Rule("name_variant", "forename_std"), Rule("shared_word", "surname_std"),
         Rule("day_month_swapped", "dob_int"), Rule("one_digit_different", "dob_int"),
         Rule("swapped_with", "forename_std", 0.92, "surname_std")]


def test_every_rule_kind_is_tested():
    assert {r.kind for r in RULES} == set(KINDS)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: f"{r.kind}-{r.column}")
def test_numpy_and_sql_agree_on_every_rule_kind(rule):
    left, right = _pairs([rule.column] if rule.other is None else [rule.column, rule.other],
                         limit=20_000)
    expected = holds(rule, left, right)
    got = _duckdb(f"COALESCE({sql.sql(rule)}, FALSE)", left, right, derived_columns(rule))
    assert expected.any() and not expected.all()  # the sample exercises both answers
    np.testing.assert_array_equal(got.astype(bool), expected)


COMPARISONS = [*DEFAULT_COMPARISONS, Comparison("address", ("address_std",), ADDRESS_UPRN_LEVELS),
               *[c for c in default_spec(identifiers=("nhs_number",)).comparisons
                 if c.name == "nhs_number"]]
SAMPLE["nhs_number_std"] = ["4857773456", "4857773457", ""]


@pytest.mark.parametrize("comparison", COMPARISONS, ids=lambda c: f"{c.name}-{len(c.levels)}")
def test_numpy_and_sql_agree_on_every_comparison(comparison):
    left, right = _pairs(comparison.columns())
    expected = levels_of(comparison, left, right)
    top = len(comparison.levels) - 1
    whens = "".join(f" WHEN {cond} THEN {i}"
                    for i, cond in enumerate(sql.level_conditions(comparison)[:-1]))
    case = f"CASE WHEN {sql.missing_condition(comparison)} THEN -1{whens} ELSE {top} END"
    spec = default_spec()
    extra = {k: v for k, v in sql.derived(spec).items() if v in left}
    got = _duckdb(case, left, right, extra)
    assert set(np.unique(expected)) >= {-1, 0, top}  # every kind of answer is exercised
    np.testing.assert_array_equal(got.astype(int), expected.astype(int))


def test_a_bad_rule_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown rule kind 'soundex'"):
        Rule("soundex", "surname_std")
    with pytest.raises(ValueError, match="threshold is required"):
        Rule("jaro_winkler", "surname_std")


def test_keystrokes_count_one_for_each_slip_and_a_swap_of_neighbours():
    got = keystrokes(["kohn", "jonh", "jon", "charlie", "", "sian"],
                     ["john", "john", "john", "archie", "", "sian"])
    assert got.tolist() == [1, 1, 1, 4, 0, 0] and got.dtype == np.int64
    assert keystrokes([], []).tolist() == []
