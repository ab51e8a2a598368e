"""The error model as data: an ordered registry of named error types.

Each error type changes one or more fields of a source record. The scenario declares a rate per
error type and source (``errors:`` in the YAML). A rate is the probability that a record *to
which the error can apply* gets it (a day/month swap needs a day of 12 or less; a nickname needs
a known one), so a declared rate can be checked against the realised one. Each record's applied
errors are kept in the truth. Every draw is keyed by (seed, authority, error, source) and the
record itself (its person and copy number): changing one rate never reshuffles another, and a
record's errors, values included (which typo, which new address), do not depend on which other
records the frame holds or their order.

Order matters and is part of the declaration: row noise (duplicates) first, so a duplicate gets
its own field errors; the date format last, after every error to the date's value.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from cme_eval.config import ConfigError, Scenario
from cme_eval.rng import keyed_rngs, keyed_uniforms
from cme_eval.synth.reference import name_variants

# QWERTY neighbours, for typos that a keyboard would make.
_ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
KEY_NEIGHBOURS: dict[str, str] = {}
for r, row in enumerate(_ROWS):
    for c, ch in enumerate(row):
        near = [row[c - 1] if c > 0 else "", row[c + 1] if c + 1 < len(row) else ""]
        for rr in (r - 1, r + 1):
            if 0 <= rr < len(_ROWS):
                near += [_ROWS[rr][cc] for cc in (c - 1, c, c + 1) if 0 <= cc < len(_ROWS[rr])]
        KEY_NEIGHBOURS[ch] = "".join(n for n in near if n)

# Spelling by ear: pairs of letter groups that sound alike in English and Welsh names.
PHONETIC_PAIRS = (
    ("ph", "f"), ("f", "ph"), ("ck", "k"), ("c", "k"), ("k", "c"), ("ee", "ea"), ("ea", "ee"),
    ("ie", "y"), ("y", "ie"), ("i", "y"), ("y", "i"), ("ll", "l"), ("nn", "n"), ("dd", "th"),
    ("th", "dd"), ("ai", "ay"), ("ou", "ow"), ("s", "z"), ("z", "s"), ("w", "oo"), ("ff", "f"),
    ("ae", "ay"), ("an", "en"),
)
# Alternative ways a date of birth arrives (value unchanged, representation not ISO).
DOB_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y", "%d-%b-%Y", "%d %B %Y", "excel")
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


@dataclass(frozen=True)
class ErrorContext:
    """What an error function may need beyond the rows themselves.

    ``new_addresses`` makes fresh addresses in the LA, one per generator (each drawn from its
    own: ``AddressFactory.make_each``); ``people`` is the truth (for values copied from a
    household member).
    """

    new_addresses: Callable[[Sequence[np.random.Generator]], pd.DataFrame]
    people: pd.DataFrame | None = None

    @cached_property
    def household_of(self) -> pd.Series:
        """person_id -> household_id (empty without people)."""
        if self.people is None:
            return pd.Series(dtype=object)
        return self.people.set_index("person_id")["household_id"]

    @cached_property
    def members(self) -> pd.Series:
        """household_id -> person_ids of its children."""
        if self.people is None:
            return pd.Series(dtype=object)
        # As ``groupby("household_id")["person_id"].agg(list)`` (households sorted, children
        # in the order of ``people``), without a Python call per household: ~1 s on Cardiff.
        households = self.people["household_id"].to_numpy()
        order = np.argsort(households, kind="stable")
        keys, starts = np.unique(households[order], return_index=True)
        children = np.split(self.people["person_id"].to_numpy()[order], starts[1:])
        return pd.Series([list(c) for c in children], index=pd.Index(keys, name="household_id"),
                         name="person_id", dtype=object)


EligibleFn = Callable[[pd.DataFrame, ErrorContext], np.ndarray]
# (frame, selected row positions, one generator per selected row, context) -> positions actually
# changed. The frame is edited in place. ``rngs[i]`` belongs to the record at ``rows[i]`` and is
# keyed by that record, so it is the only randomness that record's values may use.
ApplyFn = Callable[
    [pd.DataFrame, np.ndarray, Sequence[np.random.Generator], ErrorContext], np.ndarray
]


def _always(df: pd.DataFrame, ctx: ErrorContext) -> np.ndarray:
    return np.ones(len(df), dtype=bool)


@dataclass(frozen=True)
class ErrorType:
    """A named error. Field errors have an ``apply``; row noise (``row_noise``: copies of the
    selected records appended by ``apply_errors``) has none."""

    name: str
    fields: tuple[str, ...]
    description: str
    apply: ApplyFn | None = None  # (frame, rows, rngs, context) -> positions actually changed
    eligible: EligibleFn = field(default=_always)
    row_noise: bool = False  # adds records rather than changing fields

    def __post_init__(self) -> None:
        if (self.apply is None) != self.row_noise:
            raise ValueError(f"{self.name}: row noise has no apply function; field errors need one")


def _non_empty(*columns: str) -> EligibleFn:
    def eligible(df, ctx):
        mask = np.ones(len(df), dtype=bool)
        for column in columns:
            mask &= df[column].fillna("").astype(str).str.len().to_numpy() > 0
        return mask

    return eligible


# -- single-value edits ------------------------------------------------------------------------


def keyboard_typo(value: str, rng: np.random.Generator) -> str:
    """One keyboard slip: a neighbouring key, a dropped, doubled or transposed letter."""
    if len(value) < 2:
        return value
    i = int(rng.integers(0, len(value)))
    op = int(rng.integers(0, 4))
    ch = value[i]
    if op == 0 and ch.lower() in KEY_NEIGHBOURS:
        near = KEY_NEIGHBOURS[ch.lower()]
        new = near[int(rng.integers(0, len(near)))]
        return value[:i] + (new.upper() if ch.isupper() else new) + value[i + 1 :]
    if op == 1:
        return value[:i] + value[i + 1 :]
    if op == 2:
        return value[: i + 1] + ch.lower() + value[i + 1 :]
    j = min(i + 1, len(value) - 1) if i + 1 < len(value) else i - 1
    a, b = sorted((i, j))
    return value[:a] + value[b] + value[a] + value[b + 1 :]


def fold_diacritics(value: str) -> str:
    """Siân -> Sian, Llŷr -> Llyr: what many systems do to Welsh names."""
    return "".join(
        c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c)
    )


def phonetic_spelling(value: str, rng: np.random.Generator) -> str:
    """Respell one sound the way it might be heard (Rhys -> Rhis, Phillips -> Fillips)."""
    lower = value.lower()
    options = [(a, b) for a, b in PHONETIC_PAIRS if a in lower]
    if not options:
        return value
    a, b = options[int(rng.integers(0, len(options)))]
    at = lower.find(a)
    new = b
    if value[at].isupper():
        new = b[0].upper() + b[1:]
    return value[:at] + new + value[at + len(a) :]


def postcode_slip(value: str, rng: np.random.Generator) -> str:
    """One character of a postcode wrong: a digit for a digit, a letter for a letter."""
    chars = [i for i, c in enumerate(value) if c != " "]
    if not chars:
        return value
    i = chars[int(rng.integers(0, len(chars)))]
    pool = "0123456789" if value[i].isdigit() else POSTCODE_LETTERS
    pool = pool.replace(value[i], "")
    return value[:i] + pool[int(rng.integers(0, len(pool)))] + value[i + 1 :]


def _edit_each(column: str, fn: Callable[[str, np.random.Generator], str]) -> ApplyFn:
    """Apply a single-value edit to the selected rows (up to 3 tries for a visible change)."""

    def apply(df, rows, rngs, ctx):
        values = df[column].to_numpy(dtype=object)
        changed = []
        for pos, rng in zip(rows, rngs, strict=True):
            old = values[pos]
            for _ in range(3):
                new = fn(old, rng)
                if new != old:
                    values[pos] = new
                    changed.append(pos)
                    break
        df[column] = values
        return np.asarray(changed, dtype=int)

    return apply


def _variant_of(kinds: tuple[str, ...]) -> Callable[[str, np.random.Generator], str]:
    def pick(value: str, rng: np.random.Generator) -> str:
        options = name_variants(kinds).get(value, ())
        return options[int(rng.integers(0, len(options)))] if options else value

    return pick


def _has_variant(kinds: tuple[str, ...]) -> EligibleFn:
    def eligible(df, ctx):
        known = name_variants(kinds)
        return df["forename"].map(lambda v: v in known).to_numpy(dtype=bool)

    return eligible


# -- whole-record edits ------------------------------------------------------------------------


def _has_diacritic(df, ctx):
    both = df["forename"].fillna("") + df["surname"].fillna("")
    return (both.map(fold_diacritics) != both).to_numpy()


def _drop_diacritics(df, rows, rngs, ctx):
    for column in ("forename", "surname"):
        values = df[column].to_numpy(dtype=object)
        values[rows] = [fold_diacritics(v) for v in values[rows]]
        df[column] = values
    return np.asarray(rows, dtype=int)


def _swappable_names(df, ctx):
    return (_non_empty("forename", "surname")(df, ctx)
            & (df["forename"] != df["surname"]).to_numpy())


def _swap_names(df, rows, rngs, ctx):
    fore, sur = df["forename"].to_numpy(dtype=object), df["surname"].to_numpy(dtype=object)
    fore[rows], sur[rows] = sur[rows].copy(), fore[rows].copy()
    df["forename"], df["surname"] = fore, sur
    return np.asarray(rows, dtype=int)


def _dob_parts(df) -> pd.DataFrame:
    return df["dob"].fillna("").astype(str).str.extract(r"^(\d{4})-(\d{2})-(\d{2})$")


def _swappable_dob(df, ctx):
    parts = _dob_parts(df)
    day, month = pd.to_numeric(parts[2]), pd.to_numeric(parts[1])
    return ((day <= 12) & (day != month)).fillna(False).to_numpy(dtype=bool)


def _dob_day_month_swap(df, rows, rngs, ctx):
    parts = _dob_parts(df).iloc[rows]
    values = df["dob"].to_numpy(dtype=object)
    values[rows] = (parts[0] + "-" + parts[2] + "-" + parts[1]).to_numpy()
    df["dob"] = values
    return np.asarray(rows, dtype=int)


def _iso_dob(df, ctx):
    return _dob_parts(df)[0].notna().to_numpy()


def _dob_wrong_digit(df, rows, rngs, ctx):
    """One digit of the date wrong, keeping a real date (year's last digit, month or day)."""
    values = df["dob"].to_numpy(dtype=object)
    changed = []
    for pos, rng in zip(rows, rngs, strict=True):
        old = values[pos]
        for _ in range(10):
            i = int(rng.choice([3, 6, 8, 9]))  # year units, month units, day tens/units
            new = old[:i] + str(int(rng.integers(0, 10))) + old[i + 1 :]
            if new != old and not pd.isna(pd.to_datetime(new, errors="coerce", format="%Y-%m-%d")):
                values[pos] = new
                changed.append(pos)
                break
    df["dob"] = values
    return np.asarray(changed, dtype=int)


def _dob_format(df, rows, rngs, ctx):
    """Write the date another way: UK numeric, two-digit year, text month or an Excel serial."""
    values = df["dob"].to_numpy(dtype=object)
    dates = pd.to_datetime(pd.Series(values[rows], dtype=object), format="%Y-%m-%d")
    formats = [DOB_FORMATS[int(rng.integers(0, len(DOB_FORMATS)))] for rng in rngs]
    serial = (dates - pd.Timestamp("1899-12-30")).dt.days.astype(str)
    values[rows] = [s if f == "excel" else d.strftime(f)
                    for d, f, s in zip(dates, formats, serial, strict=True)]
    df["dob"] = values
    return np.asarray(rows, dtype=int)


def _blank(*columns: str) -> ApplyFn:
    def apply(df, rows, rngs, ctx):
        for column in columns:
            values = df[column].to_numpy(dtype=object)
            values[rows] = ""
            df[column] = values
        return np.asarray(rows, dtype=int)

    return apply


def _outdated_address(df, rows, rngs, ctx):
    """The source holds an earlier address in the same LA (a move it was never told about),
    with that address's UPRN when the source carries UPRNs; each drawn from its record's rng."""
    fresh = ctx.new_addresses(rngs)
    for column in ("address", "postcode", "uprn"):
        if column not in df or column not in fresh:
            continue
        values = df[column].to_numpy(dtype=object)
        values[rows] = fresh[column].to_numpy()
        df[column] = values
    return np.asarray(rows, dtype=int)


def _has_sibling(df, ctx):
    if ctx.people is None or "person_id" not in df:
        return np.zeros(len(df), dtype=bool)
    size = ctx.members.map(len)
    return (df["person_id"].map(ctx.household_of).map(size).fillna(0) > 1).to_numpy()


def _copy_from_household(df, rows, rngs, ctx):
    """A sibling's forename or date of birth entered against this child."""
    if not len(rows):
        return np.zeros(0, dtype=int)
    people = ctx.people.set_index("person_id")
    changed = []
    for pos, rng in zip(rows, rngs, strict=True):
        me = df["person_id"].iat[pos]
        sibs = [p for p in ctx.members[ctx.household_of[me]] if p != me]
        sib = sibs[int(rng.integers(0, len(sibs)))]
        column = "forename" if rng.random() < 0.5 else "dob"
        value = people.at[sib, column]
        if value != df.at[df.index[pos], column]:
            df.iloc[pos, df.columns.get_loc(column)] = value
            changed.append(pos)
    return np.asarray(changed, dtype=int)


REGISTRY: tuple[ErrorType, ...] = (
    ErrorType("duplicate_record", (), "the same child sent twice (the copy may differ)",
              row_noise=True),
    ErrorType("forename_typo", ("forename",), "keyboard typo in the forename",
              _edit_each("forename", keyboard_typo), _non_empty("forename")),
    ErrorType("surname_typo", ("surname",), "keyboard typo in the surname",
              _edit_each("surname", keyboard_typo), _non_empty("surname")),
    ErrorType("phonetic_misspelling", ("surname",), "surname spelt by ear (Phillips -> Fillips)",
              _edit_each("surname", phonetic_spelling),
              lambda df, ctx: df["surname"].map(
                  lambda v: any(a in str(v).lower() for a, _ in PHONETIC_PAIRS)).to_numpy(bool)),
    ErrorType("preferred_forename", ("forename",),
              "preferred name or nickname instead of the legal forename (Thomas -> Tom)",
              _edit_each("forename", _variant_of(("nickname", "spelling"))),
              _has_variant(("nickname", "spelling"))),
    ErrorType("welsh_english_variant", ("forename",),
              "the Welsh or English form of the forename (Dafydd <-> David)",
              _edit_each("forename", _variant_of(("welsh_english",))),
              _has_variant(("welsh_english",))),
    ErrorType("dropped_diacritics", ("forename", "surname"),
              "diacritics dropped (Siân -> Sian)", _drop_diacritics, _has_diacritic),
    ErrorType("forename_surname_swap", ("forename", "surname"),
              "forename and surname entered the wrong way round", _swap_names, _swappable_names),
    ErrorType("copied_from_household", ("forename", "dob"),
              "a sibling's forename or date of birth entered for this child",
              _copy_from_household, _has_sibling),
    ErrorType("missing_forename", ("forename",), "forename left empty", _blank("forename"),
              _non_empty("forename")),
    ErrorType("missing_address", ("address",), "address left empty", _blank("address"),
              _non_empty("address")),
    ErrorType("missing_postcode", ("postcode",), "postcode left empty", _blank("postcode"),
              _non_empty("postcode")),
    ErrorType("outdated_address", ("address", "postcode", "uprn"),
              "an earlier address in the same LA", _outdated_address),
    ErrorType("postcode_character_error", ("postcode",), "one character of the postcode wrong",
              _edit_each("postcode", postcode_slip), _non_empty("postcode")),
    ErrorType("dob_day_month_swap", ("dob",), "day and month of birth swapped",
              _dob_day_month_swap, _swappable_dob),
    ErrorType("dob_wrong_digit", ("dob",), "one digit of the date of birth wrong",
              _dob_wrong_digit, _iso_dob),
    ErrorType("missing_dob", ("dob",), "date of birth left empty", _blank("dob"),
              _non_empty("dob")),
    ErrorType("dob_format_variety", ("dob",),
              "date of birth written another way (03/08/2011, 3-Aug-2011, Excel serial 40758)",
              _dob_format, _iso_dob),
)
ERROR_TYPES: dict[str, ErrorType] = {e.name: e for e in REGISTRY}


def _record_keys(frame: pd.DataFrame) -> pd.Series:
    """Who each row is: its person and which copy (0 the original, 1 a duplicate...), or its
    position in a frame without people."""
    if "person_id" not in frame:
        return pd.Series(frame.index.astype(str), index=frame.index)
    person = frame["person_id"].astype(str)
    return person + "#" + frame.groupby(person, sort=False).cumcount().astype(str)


def apply_errors(
    df: pd.DataFrame,
    *,
    source: str,
    rates: dict[str, float],
    seed: int,
    authority: str,
    context: ErrorContext,
) -> tuple[pd.DataFrame, list[list[str]]]:
    """Apply every error type at its declared rate; return the new frame and each row's errors.

    For each type, one uniform draw per record selects the rows, keyed by the record's person
    (and copy number); only rows where the type can apply are taken. Each selected record then
    draws its values (which typo, which address) from its own generator with the same key, so
    neither a record's errors nor their values depend on which other records the frame holds.
    Duplicates are appended after the original rows (a copy's key is its person and copy 1).
    """
    out = df.reset_index(drop=True).copy()
    applied: list[list[str]] = [[] for _ in range(len(out))]
    stats = []
    for error in REGISTRY:
        rate = rates.get(error.name, 0.0)
        if rate <= 0 or out.empty:
            continue
        key = (authority, "error", error.name, source)
        eligible = error.eligible(out, context)
        records = _record_keys(out).to_numpy(dtype=object)
        rows = np.flatnonzero((keyed_uniforms(records, seed, *key) < rate) & eligible)
        if error.apply is None:  # row noise
            out = pd.concat([out, out.iloc[rows]], ignore_index=True)
            applied += [[error.name] for _ in rows]
            changed = rows
        else:
            changed = error.apply(out, rows, keyed_rngs(records[rows], seed, *key), context)
            for pos in changed:
                applied[pos].append(error.name)
        stats.append({"error": error.name, "source": source, "declared": rate,
                      "eligible": int(eligible.sum()), "applied": len(changed)})
    out.attrs["error_stats"] = stats
    return out, applied


def check_settings(scenario: Scenario) -> None:
    """Every error type the scenario declares is one this module makes."""
    for err in scenario.errors:
        if err not in ERROR_TYPES:
            raise ConfigError(f"errors: unknown error type {err!r}; allowed: "
                              + ", ".join(ERROR_TYPES))
