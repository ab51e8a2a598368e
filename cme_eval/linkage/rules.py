"""Comparison rules as data, compiled once for numpy and once for SQL.

A comparison level says *when* a pair reaches it as a tuple of :class:`Rule` (any of them
suffices). A rule is a kind, the standardised column it reads and, for Jaro-Winkler, a
threshold: nothing else. Two backends compile every kind from that one declaration:

- :func:`holds` (numpy, over aligned arrays of the candidate pairs' values): recordlinkage,
  estimation and the explanations;
- :func:`sql` (SQL over ``column_l``/``column_r``, in DuckDB's or Spark's dialect): Splink.
  Spark has no Jaro-Winkler of DuckDB's (rapidfuzz's) definition: Splink's jar counts half
  transpositions, so it is the UDF ``JW_SPARK_UDF`` (rapidfuzz, registered by the engine).

A test runs both on the same pairs for every kind and requires identical answers, so adding a
kind means adding it here, in both backends, and nowhere else. Every rule requires its values
to be present on both sides (a missing value is never agreement); what missing means is
``cme_eval.inputs.standardised``'s one definition ('' for text, 0 for ``dob_int``), in numpy
(``present``) and in SQL (``present_sql``) alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

from cme_eval.inputs import standardised as std
from cme_eval.inputs.standardised import INTEGER_COLUMNS  # noqa: F401 (0 missing; text: '')
from cme_eval.linkage.names import are_variants, variant_keys

JW_TOLERANCE = 1e-9  # the same pair gets the same level in float64 numpy and in DuckDB

KINDS = {
    "exact": "the values are equal",
    "jaro_winkler": "Jaro-Winkler similarity at or above the threshold",
    "name_variant": "known variants of one name (the linker's own name knowledge)",
    "shared_word": "a multi-word value shares a word with the other (double-barrelled names)",
    "day_month_swapped": "same year, day and month the other way round",
    "one_digit_different": "the dates' eight digits differ in exactly one place",
    "swapped_with": "this column is like the other record's ``other`` column and the other way "
                    "round, by Jaro-Winkler at or above the threshold (forename and surname "
                    "transposed, perhaps mistyped too)",
}


@dataclass(frozen=True)
class Rule:
    kind: str
    column: str
    threshold: float | None = None
    other: str | None = None  # swapped_with: the column it is transposed with

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown rule kind {self.kind!r}; allowed: {', '.join(KINDS)}")
        if (self.kind == "swapped_with") != (self.other is not None):
            raise ValueError(f"{self.kind} on {self.column}: another column is "
                             f"{'required' if self.kind == 'swapped_with' else 'not used'}")
        needs = self.kind in ("jaro_winkler", "swapped_with")
        if needs != (self.threshold is not None):
            raise ValueError(f"{self.kind} on {self.column}: a threshold is "
                             f"{'required' if needs else 'not used'}")

    def describe(self, own_column: str) -> str:
        """Human words for reports and explanations, thresholds included."""
        thing = COLUMN_WORDS.get(self.column, self.column)
        if self.kind == "exact":
            return "exact" if self.column == own_column else f"same {thing}"
        if self.kind == "jaro_winkler":
            where = "" if self.column == own_column else f"{thing} "
            return f"{where}JW >= {self.threshold:.2f}"
        if self.kind == "swapped_with":
            other = cast(str, self.other)  # swapped_with has one (__post_init__)
            return f"swapped with {COLUMN_WORDS.get(other, other)}"  # JW as above
        return {"name_variant": "known variant", "shared_word": "shares a word",
                "day_month_swapped": "day and month swapped",
                "one_digit_different": "one digit different"}[self.kind]


COLUMN_WORDS = {std.POSTCODE_SECTOR: "sector", std.POSTCODE_DISTRICT: "district",
                std.FORENAME_STD: "forename", std.SURNAME_STD: "surname",
                std.STREET_STD: "street", std.HOUSE_NUMBER: "house number",
                std.UPRN_STD: "UPRN"}


def exact(column: str) -> Rule:
    return Rule("exact", column)


def jaro_winkler_at_least(column: str, threshold: float) -> Rule:
    return Rule("jaro_winkler", column, threshold)


def name_variant(column: str) -> Rule:
    return Rule("name_variant", column)


def shared_word(column: str) -> Rule:
    return Rule("shared_word", column)


def swapped_with(column: str, other: str, threshold: float) -> Rule:
    return Rule("swapped_with", column, threshold, other)


def day_month_swapped(column: str = std.DOB_INT) -> Rule:
    return Rule("day_month_swapped", column)


def one_digit_different(column: str = std.DOB_INT) -> Rule:
    return Rule("one_digit_different", column)


# -- numpy ---------------------------------------------------------------------------------


def present(values: np.ndarray, column: str) -> np.ndarray:
    """Which values are present: ``standardised.present``, the one definition."""
    return std.present(values, column)


def jaro_winkler(a, b) -> np.ndarray:
    """Jaro-Winkler similarity per aligned pair (rapidfuzz, float64, plus the tolerance)."""
    a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    if not len(a):
        return np.zeros(0)
    sim = process.cpdist(list(a), list(b), scorer=JaroWinkler.normalized_similarity, workers=-1,
                         dtype=np.float64)
    return sim + JW_TOLERANCE


def keystrokes(a, b) -> np.ndarray:
    """Per aligned pair, how many keystrokes apart (optimal string alignment: a letter
    changed, dropped or added, or two neighbours swapped, each one), as integers."""
    a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    if not len(a):
        return np.zeros(0, dtype=np.int64)
    return process.cpdist(list(a), list(b), scorer=OSA.distance, workers=-1, dtype=np.int64)


def _shared_word(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.zeros(len(a), dtype=bool)
    multi = np.flatnonzero([" " in x or " " in y for x, y in zip(a, b, strict=True)])
    out[multi] = [bool(set(a[i].split()) & set(b[i].split())) for i in multi]
    return out


def _day_month_swapped(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ya, ma, da = a // 10000, a // 100 % 100, a % 100
    yb, mb, db = b // 10000, b // 100 % 100, b % 100
    return (ya == yb) & (ma == db) & (da == mb) & (ma != da)


_POWERS = 10 ** np.arange(9, dtype=np.int64)


def _one_digit_different(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether two 8-digit numbers (yyyymmdd) differ in exactly one of their 8 digits.

    If only digit q differs, |a - b| is that digit's difference (1 to 9) times 10**q, so q is
    the place of |a - b|'s leading digit; the two then agree above and below place q. One
    pass over the pairs that differ, instead of eight digit columns for every pair."""
    a, b = np.asarray(a, dtype=np.int64) % _POWERS[8], np.asarray(b, dtype=np.int64) % _POWERS[8]
    out = np.zeros(len(a), dtype=bool)
    idx = np.flatnonzero(a != b)
    if not len(idx):
        return out
    a, b = a[idx], b[idx]
    place = np.searchsorted(_POWERS, np.abs(a - b), side="right") - 1  # q: 10**q <= |a-b|
    unit = _POWERS[place]
    out[idx] = (a // (unit * 10) == b // (unit * 10)) & (a % unit == b % unit)
    return out


@dataclass(frozen=True)
class Encoded:
    """One column of both sides as integer codes into one vocabulary: equal values share a
    code, and a missing value (``present``) is -1.

    Why: rules then compare integers instead of Python strings, and what they compute from the
    values themselves (Jaro-Winkler, name variants, shared words) is computed once per distinct
    pair of values. Candidate pairs repeat a few thousand names: on Cardiff's NHS records, 2.6
    million candidate pairs hold about 240,000 distinct pairs of forenames."""

    vocabulary: np.ndarray  # the distinct values (int64 for an integer column, else objects)
    left: np.ndarray  # int32: each left value's code (-1 where missing)
    right: np.ndarray  # int32: each right value's code (-1 where missing)


def column_values(values, column: str) -> np.ndarray:
    """The values as the rules read them: int64 for an integer column, else objects."""
    return np.asarray(values, dtype=np.int64 if column in INTEGER_COLUMNS else object)


def encode(column: str, left, right) -> Encoded:
    """``left`` and ``right`` values of ``column`` as codes into one vocabulary (``Encoded``).

    Two values share a code exactly when they are equal (hashing, as ``==`` on the values:
    standardised columns hold text or integers, never NaN); ``present`` is asked once per
    distinct value."""
    a, b = column_values(left, column), column_values(right, column)
    codes, vocabulary = pd.factorize(np.concatenate([a, b]), use_na_sentinel=False)
    vocabulary = np.asarray(vocabulary, dtype=a.dtype)
    codes = np.where(present(vocabulary, column)[codes], codes, -1).astype(np.int32)
    return Encoded(vocabulary, codes[:len(a)], codes[len(a):])


class PairCache:
    """What the rules of one or more comparisons share over the same aligned pairs: each
    column's codes per pair (``Encoded``), which pairs have both values present, and
    Jaro-Winkler similarities (a column pair is compared once per distinct pair of values,
    whatever the thresholds asked of it, and only on the pairs asked about).

    Made from the pairs' values (``PairCache(left, right)``: each column is encoded when first
    read), or from codes (``from_codes``): an engine encodes every record once, then takes each
    pair's codes by position, instead of handling one Python string per pair and column.
    """

    def __init__(self, left: Mapping[str, np.ndarray] | None = None,
                 right: Mapping[str, np.ndarray] | None = None):
        self._left, self._right = left or {}, right or {}
        self._vocabulary: dict[str, np.ndarray] = {}
        self._codes: dict[tuple[str, str], np.ndarray] = {}
        self._present: dict[str, np.ndarray] = {}
        self._pairs_of: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._known: dict[tuple, np.ndarray] = {}  # per function and columns: answered yet
        self._answers: dict[tuple, np.ndarray] = {}
        self._per_value: dict[tuple, np.ndarray] = {}

    @classmethod
    def from_codes(cls, vocabulary: Mapping[str, np.ndarray],
                   left: Mapping[str, np.ndarray], right: Mapping[str, np.ndarray]
                   ) -> PairCache:
        """A cache over pairs given by each column's vocabulary (``Encoded.vocabulary``) and
        the pairs' codes into it on each side."""
        cache = cls()
        for column, values in vocabulary.items():
            cache._vocabulary[column] = values
            cache._codes["l", column] = np.asarray(left[column])
            cache._codes["r", column] = np.asarray(right[column])
        return cache

    def _encoded(self, column: str) -> None:
        if column not in self._vocabulary:
            encoded = encode(column, self._left[column], self._right[column])
            self._vocabulary[column] = encoded.vocabulary
            self._codes["l", column], self._codes["r", column] = encoded.left, encoded.right

    def vocabulary(self, column: str) -> np.ndarray:
        self._encoded(column)
        return self._vocabulary[column]

    def codes(self, side: str, column: str) -> np.ndarray:
        """Each pair's code on ``side`` ('l' or 'r'); -1 where the value is missing."""
        self._encoded(column)
        return self._codes[side, column]

    def pairs(self, column: str) -> int:
        """How many pairs (read from ``column``)."""
        return len(self.codes("l", column))

    def values(self, side: str, column: str, idx: np.ndarray) -> np.ndarray:
        """The values on ``side`` of the pairs at ``idx``, each present."""
        return self.vocabulary(column)[self.codes(side, column)[idx]]

    def per_value(self, function: Callable[[np.ndarray], np.ndarray], column: str
                  ) -> np.ndarray:
        """``function`` of each value of ``column``'s vocabulary (index it by code), kept."""
        key = (function, column)
        if key not in self._per_value:
            self._per_value[key] = np.asarray(function(self.vocabulary(column)))
        return self._per_value[key]

    def present(self, column: str) -> np.ndarray:
        """Both sides present, per pair."""
        if column not in self._present:
            self._present[column] = (self.codes("l", column) >= 0) & (self.codes("r", column) >= 0)
        return self._present[column]

    def _distinct(self, left_column: str, right_column: str
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each pair's index among the distinct pairs of codes of (``left_column`` on the
        left, ``right_column`` on the right), and those distinct pairs' left and right codes.
        Made once per column pair: each function of the values then looks its answers up."""
        key = (left_column, right_column)
        if key not in self._pairs_of:
            width = len(self.vocabulary(right_column)) + 1  # codes from -1: shifted by one
            combined = ((self.codes("l", left_column).astype(np.int64) + 1) * width
                        + self.codes("r", right_column) + 1)
            which, distinct = pd.factorize(combined)
            self._pairs_of[key] = which, distinct // width - 1, distinct % width - 1
        return self._pairs_of[key]

    def per_distinct(self, function: Callable[[np.ndarray, np.ndarray], np.ndarray],
                     left_column: str, right_column: str, idx: np.ndarray) -> np.ndarray:
        """``function(left values, right values)`` (element-wise over aligned arrays) for the
        pairs at ``idx``, each present on both sides: computed once per distinct pair of values
        and kept, so a later rule asking the same of other pairs computes only what is new."""
        if not len(idx):
            return np.zeros(0)
        which, left_codes, right_codes = self._distinct(left_column, right_column)
        asked = which[idx]
        key = (function, left_column, right_column)
        known = self._known.setdefault(key, np.zeros(len(left_codes), dtype=bool))
        need = np.zeros(len(left_codes), dtype=bool)
        need[asked] = True
        new = np.flatnonzero(need & ~known)
        if len(new):
            answers = np.asarray(function(self.vocabulary(left_column)[left_codes[new]],
                                          self.vocabulary(right_column)[right_codes[new]]))
            if key not in self._answers:
                self._answers[key] = np.empty(len(left_codes), dtype=answers.dtype)
            self._answers[key][new] = answers
            known[new] = True
        return self._answers[key][asked]

    def jaro_winkler(self, left_column: str, right_column: str, idx: np.ndarray) -> np.ndarray:
        """Jaro-Winkler similarity of the pairs at ``idx`` (``per_distinct``)."""
        return self.per_distinct(jaro_winkler, left_column, right_column, idx)


def holds(rule: Rule, left: Mapping[str, np.ndarray] | PairCache,
          right: Mapping[str, np.ndarray] | None = None, idx: np.ndarray | None = None
          ) -> np.ndarray:
    """Whether ``rule`` holds for each aligned pair (``left[column][i]``, ``right[column][i]``),
    or only for the pairs at positions ``idx`` (given a :class:`PairCache` for ``left``)."""
    # a mapping for left comes with one for right
    cache = left if isinstance(left, PairCache) else PairCache(
        left, cast("Mapping[str, np.ndarray]", right))
    c = rule.column
    if idx is None:
        idx = np.arange(cache.pairs(c))
    both = cache.present(c)[idx]
    if rule.kind == "swapped_with":  # which has an other column (__post_init__)
        both &= cache.present(cast(str, rule.other))[idx]
    sel = idx[both]
    hit = np.zeros(len(idx), dtype=bool)
    if not len(sel):
        return hit
    if rule.kind == "swapped_with":
        o, t = cast(str, rule.other), rule.threshold
        first = cache.jaro_winkler(c, o, sel) >= t  # the second cross only where the first is
        crossed = sel[first]
        ok = np.zeros(len(sel), dtype=bool)
        ok[first] = cache.jaro_winkler(o, c, crossed) >= t
        hit[both] = ok
        return hit
    if rule.kind == "jaro_winkler":
        hit[both] = cache.jaro_winkler(c, c, sel) >= rule.threshold
    elif rule.kind == "exact":  # equal values, equal codes
        hit[both] = cache.codes("l", c)[sel] == cache.codes("r", c)[sel]
    elif rule.kind == "name_variant":
        hit[both] = cache.per_distinct(are_variants, c, c, sel)
    elif rule.kind == "shared_word":
        hit[both] = cache.per_distinct(_shared_word, c, c, sel)
    else:  # day_month_swapped or one_digit_different (kinds are checked when the rule is made)
        hit[both] = _date_rule(rule.kind, cache, c, sel)
    return hit


def _year(dates: np.ndarray) -> np.ndarray:
    return dates // 10000


def _upper_digits(dates: np.ndarray) -> np.ndarray:
    return dates % _POWERS[8] // 10000


def _lower_digits(dates: np.ndarray) -> np.ndarray:
    return dates % 10000


# Each date rule, and parts of a date at least one of which two dates it holds for share: the
# year to have day and month swapped; the first or the last four of the eight digits to differ
# in one digit only.
_DATE_RULES = {"day_month_swapped": (_day_month_swapped, (_year,)),
               "one_digit_different": (_one_digit_different, (_upper_digits, _lower_digits))}


def _date_rule(kind: str, cache: PairCache, column: str, idx: np.ndarray) -> np.ndarray:
    """A date rule for the pairs at ``idx`` (present on both sides). Most pairs share none of
    the parts the rule needs (``_DATE_RULES``): that is found from each distinct date's parts,
    compared by code, and the rule's arithmetic is done only on the pairs that remain."""
    test, parts = _DATE_RULES[kind]
    left, right = cache.codes("l", column)[idx], cache.codes("r", column)[idx]
    may = np.zeros(len(idx), dtype=bool)
    for part in parts:
        values = cache.per_value(part, column)
        may |= values[left] == values[right]
    out = np.zeros(len(idx), dtype=bool)
    rest = idx[may]
    out[may] = test(cache.values("l", column, rest), cache.values("r", column, rest))
    return out


def derived_columns(rule: Rule) -> dict[str, str]:
    """Extra columns a SQL engine's tables need for this rule: {name: source column}."""
    return {f"{rule.column}_keys": rule.column} if rule.kind == "name_variant" else {}


def derived_values(frame: pd.DataFrame, name: str, source: str) -> pd.Series:
    """The values of a derived column (see ``derived_columns``) for a SQL engine's table."""

    keys = variant_keys()
    return frame[source].map(lambda v: list(keys.get(v, ())))


# -- SQL -------------------------------------------------------------------------------------


def present_sql(column: str, side: str) -> str:
    """``present`` in SQL: the value is not its column type's missing value."""
    return f"{column}_{side} <> {std.missing_literal_sql(column)}"


SQL_DIALECTS = ("duckdb", "spark")
JW_SPARK_UDF = "cme_jaro_winkler"  # rapidfuzz's Jaro-Winkler as a Spark (pandas) UDF

# The few functions whose names differ: integer division, Jaro-Winkler, arrays.
_SQL_WORDS = {
    "duckdb": {"div": "//", "jw": "jaro_winkler_similarity", "size": "len",
               "intersect": "list_intersect", "split": "string_split"},
    "spark": {"div": "DIV", "jw": JW_SPARK_UDF, "size": "size", "intersect": "array_intersect",
              "split": "split"},
}


def _digit_terms(c: str, div: str = "//") -> str:
    return " + ".join(f"CAST(({c}_l {div} {10 ** k}) % 10 <> ({c}_r {div} {10 ** k}) % 10 "
                      "AS INTEGER)" for k in range(8))


def sql(rule: Rule, dialect: str = "duckdb") -> str:
    """The rule as a SQL condition over ``column_l`` and ``column_r``, in ``dialect``
    (``duckdb`` or ``spark``: the same condition, only function names differ)."""
    if dialect not in _SQL_WORDS:
        raise ValueError(f"unknown SQL dialect {dialect!r}; allowed: {', '.join(SQL_DIALECTS)}")
    w = _SQL_WORDS[dialect]
    div, jw = w["div"], w["jw"]
    c = rule.column
    both = f"{present_sql(c, 'l')} AND {present_sql(c, 'r')}"
    if rule.kind == "swapped_with":
        o = cast(str, rule.other)  # swapped_with has one (__post_init__)
        t = rule.threshold
        return (f"({both} AND {present_sql(o, 'l')} AND {present_sql(o, 'r')} AND "
                f"{jw}({c}_l, {o}_r) + {JW_TOLERANCE} >= {t} AND "
                f"{jw}({o}_l, {c}_r) + {JW_TOLERANCE} >= {t})")
    if rule.kind == "exact":
        hit = f"{c}_l = {c}_r"
    elif rule.kind == "jaro_winkler":
        hit = f"{jw}({c}_l, {c}_r) + {JW_TOLERANCE} >= {rule.threshold}"
    elif rule.kind == "name_variant":
        hit = f"{w['size']}({w['intersect']}({c}_keys_l, {c}_keys_r)) > 0"
    elif rule.kind == "shared_word":
        split = w["split"]
        hit = (f"(contains({c}_l, ' ') OR contains({c}_r, ' ')) AND "
               f"{w['size']}({w['intersect']}({split}({c}_l, ' '), {split}({c}_r, ' '))) > 0")
    elif rule.kind == "day_month_swapped":
        hit = (f"{c}_l {div} 10000 = {c}_r {div} 10000 AND ({c}_l {div} 100) % 100 = {c}_r % 100"
               f" AND {c}_l % 100 = ({c}_r {div} 100) % 100"
               f" AND ({c}_l {div} 100) % 100 <> {c}_l % 100")
    else:
        hit = f"({_digit_terms(c, div)}) = 1"
    return f"({both} AND {hit})"
