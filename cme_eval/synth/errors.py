"""The error model as data: an ordered registry of named error types.

Each error type changes one or more fields of a source record. The scenario declares a rate per
error type and source (``errors:`` in the YAML); each record's applied errors are kept in the
truth, so realised rates can be measured rather than assumed. Every type draws from its own
keyed generator (seed, authority, error, source): changing one rate never reshuffles another.
An error that cannot apply to a record (no nickname known, no diacritic to drop, a day/month
swap that would give the same date) is not recorded for it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cme_eval.rng import keyed_rng
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


@dataclass(frozen=True)
class ErrorContext:
    """What an error function may need beyond the rows: a fresh-address maker."""

    new_addresses: Callable[[np.random.Generator, int], pd.DataFrame]


ApplyFn = Callable[[pd.DataFrame, np.ndarray, np.random.Generator, ErrorContext], np.ndarray]


@dataclass(frozen=True)
class ErrorType:
    name: str
    fields: tuple[str, ...]
    description: str
    apply: ApplyFn  # (frame, row positions, rng, context) -> positions actually changed


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


def _per_value(column: str, fn: Callable[[str, np.random.Generator], str]) -> ApplyFn:
    def apply(df, rows, rng, ctx):
        values = df[column].to_numpy(dtype=object)
        changed = []
        for pos in rows:
            new = fn(values[pos], rng)
            if new != values[pos]:
                values[pos] = new
                changed.append(pos)
        df[column] = values
        return np.asarray(changed, dtype=int)

    return apply


def _variant(value: str, rng: np.random.Generator) -> str:
    options = name_variants().get(value, ())
    return options[int(rng.integers(0, len(options)))] if options else value


def _drop_diacritics(df, rows, rng, ctx):
    changed = []
    for column in ("forename", "surname"):
        values = df[column].to_numpy(dtype=object)
        for pos in rows:
            folded = fold_diacritics(values[pos])
            if folded != values[pos]:
                values[pos] = folded
                changed.append(pos)
        df[column] = values
    return np.unique(np.asarray(changed, dtype=int))


def _dob_day_month_swap(df, rows, rng, ctx):
    dob = pd.to_datetime(df["dob"].iloc[rows])
    ok = (dob.dt.day <= 12) & (dob.dt.day != dob.dt.month)
    rows = np.asarray(rows)[ok.to_numpy()]
    swapped = pd.to_datetime(
        {"year": dob[ok].dt.year, "month": dob[ok].dt.day, "day": dob[ok].dt.month}
    )
    values = df["dob"].to_numpy(dtype=object)
    values[rows] = swapped.dt.strftime("%Y-%m-%d").to_numpy()
    df["dob"] = values
    return rows


def _missing_postcode(df, rows, rng, ctx):
    values = df["postcode"].to_numpy(dtype=object)
    rows = np.asarray([r for r in rows if values[r]], dtype=int)
    values[rows] = ""
    df["postcode"] = values
    return rows


def _outdated_address(df, rows, rng, ctx):
    """The source holds an earlier address in the same LA (a move it was never told about)."""
    fresh = ctx.new_addresses(rng, len(rows))
    for column in ("address", "postcode"):
        values = df[column].to_numpy(dtype=object)
        values[rows] = fresh[column].to_numpy()
        df[column] = values
    return np.asarray(rows, dtype=int)


REGISTRY: tuple[ErrorType, ...] = (
    ErrorType("forename_typo", ("forename",), "keyboard typo in the forename",
              _per_value("forename", keyboard_typo)),
    ErrorType("surname_typo", ("surname",), "keyboard typo in the surname",
              _per_value("surname", keyboard_typo)),
    ErrorType("preferred_forename", ("forename",),
              "preferred name, nickname or Welsh/English form instead of the legal forename",
              _per_value("forename", _variant)),
    ErrorType("dropped_diacritics", ("forename", "surname"),
              "diacritics dropped (Siân -> Sian)", _drop_diacritics),
    ErrorType("dob_day_month_swap", ("dob",), "day and month of birth swapped",
              _dob_day_month_swap),
    ErrorType("missing_postcode", ("postcode",), "postcode left empty", _missing_postcode),
    ErrorType("outdated_address", ("address", "postcode"),
              "an earlier address in the same LA", _outdated_address),
)
ERROR_TYPES: dict[str, ErrorType] = {e.name: e for e in REGISTRY}


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

    Rows are selected by one uniform draw per row and error type, in the frame's order, so the
    selection of one error type does not depend on any other's rate.
    """
    out = df.reset_index(drop=True).copy()
    applied: list[list[str]] = [[] for _ in range(len(out))]
    for error in REGISTRY:
        rate = rates.get(error.name, 0.0)
        if rate <= 0 or out.empty:
            continue
        rng = keyed_rng(seed, authority, "error", error.name, source)
        rows = np.flatnonzero(rng.random(len(out)) < rate)
        for pos in error.apply(out, rows, rng, context):
            applied[pos].append(error.name)
    return out, applied
