"""Which five of the seven pilot LAs the published Tables 5.1 and 6.1 rest on: an inference.

The evaluation's Tables 5.1 and 6.1 are "[data based on 5 LAs]" and never name them; the re-run
covers all seven, so its counts cannot be set beside the published ones until we know which
five to add up. The report does state a few figures about the five (a total, the smallest and
largest LA, the fewest and most unmatched records); each is held here as a :class:`Constraint`
with its quote, so every 5-of-7 subset of a re-run can be scored against all of them and the
inference can be checked, repeated and argued with. See ``docs/reporting_subset.md``.

Everything here is a pure function of its arguments: no file is read, nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from itertools import combinations
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from cme_eval.config import ConfigError, Scenario
from cme_eval.inputs.schema import ALL_AUTHORITIES, TOTAL

REPORT = "cme-database-pilot-evaluation-2026.txt"
JUST_MARGIN = 0.03
"""How far "just under N" / "just over N" may lie from N: 3%, so "just under 9,000" is read as
8,730 to 9,000 and "just over 33,000" as 33,000 to 33,990. A judgement; it only decides where
the zero-penalty interval ends, and a subset just outside it is penalised only a little."""

Kind = Literal["total", "min", "max", "member"]
_AGG = {"total": "sum", "min": "min", "max": "max"}
SIZE_COLUMN = "received"
SCALE_GRID = np.round(np.arange(0.80, 1.2505, 0.001), 3)
"""Factors tried when ``subset_fit(..., scale=None)`` fits one: the re-run's sizes are taken to
be right to within -20%/+25% for any five LAs together."""


@dataclass(frozen=True)
class Constraint:
    """One published figure about the five LAs, as an interval a subset's value should hit.

    ``kind`` says which value of the subset is compared: ``total`` the sum over its five LAs,
    ``min``/``max`` its smallest/largest LA, ``member`` its LA closest to the interval (a figure
    stated for one unnamed LA). ``low == high`` for an exact figure."""

    name: str
    column: str
    kind: Kind
    low: float
    high: float
    weight: float
    quote: str
    source: str
    reading: str = ""

    def relative_error(self, value: npt.ArrayLike) -> np.ndarray:
        """Signed distance from the interval, relative to the bound passed: 0 inside it."""
        v = np.asarray(value, dtype=float)
        return np.where(v > self.high, (v - self.high) / self.high,
                        np.where(v < self.low, (v - self.low) / self.low, 0.0))


@dataclass(frozen=True)
class PublishedSubsetFacts:
    """The published figures that constrain which five LAs are behind Tables 5.1 and 6.1.

    Weights say how much each figure is trusted *as evidence about the subset*, not how
    accurate the report is: the re-run's LA sizes are calibrated from pupil numbers, which are
    independent of the published tables (weight 1); its per-LA outcome counts rest on the
    pilot-2025 scenario's own per-LA shares, chosen partly from these very figures (weight 0.25
    each, so the four together count as one size figure); CME known before/after are
    calibrated as shares of records received, so they would only repeat the received total
    (weight 0, shown for reference)."""

    n_las: int
    n_las_quote: str
    total_received: Constraint
    received_min: Constraint
    received_max: Constraint
    undivided_la_received: Constraint
    total_not_matched: Constraint
    not_matched_min: Constraint
    not_matched_max: Constraint
    potential_cme: Constraint
    cme_known_before: Constraint
    cme_known_after: Constraint

    def constraints(self) -> tuple[Constraint, ...]:
        return tuple(getattr(self, f.name) for f in fields(self)
                     if f.type in ("Constraint", Constraint))


def _just_under(n: float) -> tuple[float, float]:
    return n * (1 - JUST_MARGIN), n


def _just_over(n: float) -> tuple[float, float]:
    return n, n * (1 + JUST_MARGIN)


_S52 = f"{REPORT}, section 5.2.3 (Records matched)"
_T51 = f"{REPORT}, Table 5.1 'Total' column"
_T61 = f"{REPORT}, Table 6.1"
_SIZE_NOTE = "a size figure: the re-run's LA sizes come from pupil numbers, not from this table"
_OUTCOME_NOTE = ("an outcome figure: the re-run's per-LA unmatched shares are the pilot-2025 "
                 "scenario's calibration choices, so this is weak evidence")

PUBLISHED_SUBSET_FACTS = PublishedSubsetFacts(
    n_las=5,
    n_las_quote="Based on the data submitted by 5 local authorities (section 5.2.3); "
                "Table 5.1 '[data based on 5 LAs]'; Table 6.1 'Data provided by 5 local "
                "authorities'",
    total_received=Constraint(
        "total_received", "received", "total", 93_024, 93_024, 1.0,
        "a total of 93,024 records were received from the NHS and independent school sector",
        _S52, _SIZE_NOTE),
    received_min=Constraint(
        "received_min", "received", "min", *_just_under(9_000), 1.0,
        "these varied from a low of just under 9,000 records", _S52,
        f"'just under 9,000' read as 9,000 less up to {JUST_MARGIN:.0%}"),
    received_max=Constraint(
        "received_max", "received", "max", *_just_over(33_000), 1.0,
        "to a high of just over 33,000 records", _S52,
        f"'just over 33,000' read as 33,000 plus up to {JUST_MARGIN:.0%}"),
    undivided_la_received=Constraint(
        "undivided_la_received", "received", "member", 24_500, 24_500, 0.5,
        "The data was not broken down for NWSSP and independent schools' data for one local "
        "authority hence the total column does not tally",
        f"{REPORT}, note to Table 5.1 (derived)",
        "derived, not stated: total 93,024 - NWSSP 67,768 - independent schools 756 = 24,500 "
        "received by the LA whose figures were not broken down (its not-matched residual, "
        "5,700 - 4,523 - 237 = 940, is the '940 records' list of section 6.2); half weight "
        "because Table 5.1 does not reconcile elsewhere either"),
    total_not_matched=Constraint(
        "total_not_matched", "not_matched", "total", 5_700, 5_700, 0.25,
        "Records not matched ... 5,700", _T51, _OUTCOME_NOTE),
    not_matched_min=Constraint(
        "not_matched_min", "not_matched", "min", 180, 180, 0.25,
        "could not be matched ... ranged from a low of 180", _S52, _OUTCOME_NOTE),
    not_matched_max=Constraint(
        "not_matched_max", "not_matched", "max", 3_517, 3_517, 0.25,
        "to a high of 3,517", _S52, _OUTCOME_NOTE),
    potential_cme=Constraint(
        "potential_cme", "potential_cme", "total", 5_386, 5_386, 0.25,
        "How many potential CMEs has the pilot helped to identify: 5,386", _T61,
        _OUTCOME_NOTE),
    cme_known_before=Constraint(
        "cme_known_before", "cme_known_before", "total", 348, 348, 0.0,
        "Number of CME known to the local authority prior to the pilot: 348", _T61,
        "not scored: pilot-2025 sets it as a share of records received"),
    cme_known_after=Constraint(
        "cme_known_after", "cme_known_after", "total", 2_631, 2_631, 0.0,
        "Number of CME known to the local authority after the pilot: 2,631", _T61,
        "not scored: the re-run's follow-up model is calibrated to it as a share"),
)


@dataclass(frozen=True)
class SubsetChoice:
    """The best-fitting subset and the runner-up, each with its row of :func:`subset_fit`."""

    chosen: tuple[str, ...]
    runner_up: tuple[str, ...]
    chosen_fit: pd.Series
    runner_up_fit: pd.Series


def per_la_from_tables(t51: pd.DataFrame, t61: pd.DataFrame) -> pd.DataFrame:
    """A run's per-LA table for :func:`subset_fit` from its ``table_5_1`` and ``table_6_1``.

    Table 5.1's ``Total`` rows give received and not matched (both sources, as the published
    'Total' column); Table 6.1 gives potential CME and CME known before/after. The pooled
    ``All`` rows are dropped: they are not an LA."""
    t5 = t51[(t51["source"] == TOTAL) & (t51["authority"] != ALL_AUTHORITIES)]
    t6 = t61[t61["authority"] != ALL_AUTHORITIES].rename(
        columns={"potential_cme_identified": "potential_cme"})
    out = t5[["authority", "received", "not_matched"]].merge(
        t6[["authority", "potential_cme", "cme_known_before", "cme_known_after"]],
        on="authority", how="left", validate="one_to_one")
    return out.reset_index(drop=True)


def sizes_from_pupils(pupils: Mapping[str, float], total: float) -> pd.DataFrame:
    """LA sizes (``received``) that split ``total`` by each LA's share of ``pupils``.

    The report states no per-LA record counts, so the only independent per-LA sizes are
    pupil numbers (DOMAIN.md; ``wales.authorities()[name].pupils_5_15``); scoring this table
    instead of a run's shows the size part of the inference without any synthetic noise."""
    if not pupils or any(v <= 0 for v in pupils.values()):
        raise ValueError("pupils: need at least one LA and every count > 0")
    s = pd.Series(dict(pupils), dtype=float)
    received = (s / s.sum() * total).round().astype("int64")
    return pd.DataFrame({"authority": s.index, "received": received.to_numpy()})


def _weights(facts: PublishedSubsetFacts,
             weights: Mapping[str, float] | None) -> dict[str, float]:
    names = [c.name for c in facts.constraints()]
    if weights is None:
        return {c.name: c.weight for c in facts.constraints()}
    unknown = sorted(set(weights) - set(names))
    if unknown:
        raise ValueError(f"weights: unknown constraint(s) {unknown}; allowed: {names}")
    if any(w < 0 for w in weights.values()):
        raise ValueError("weights: every weight must be >= 0")
    return {n: float(weights.get(n, 0.0)) for n in names}


def _check(per_la: pd.DataFrame, columns: list[str], n_las: int) -> None:
    for col in ["authority", *columns]:
        if col not in per_la.columns:
            raise ValueError(f"per_la lacks column {col!r} (has {list(per_la.columns)})")
    names = per_la["authority"]
    if (names == ALL_AUTHORITIES).any():
        raise ValueError(f"column 'authority' holds the pooled row {ALL_AUTHORITIES!r}: "
                         "pass one row per LA")
    if names.duplicated().any():
        raise ValueError(f"column 'authority' repeats {sorted(set(names[names.duplicated()]))}")
    if len(per_la) < n_las:
        raise ValueError(f"column 'authority' has {len(per_la)} LAs; need at least {n_las} "
                         "to choose a subset of that many")
    for col in columns:
        values = pd.to_numeric(per_la[col], errors="coerce")
        if values.isna().any() or (values < 0).any():
            raise ValueError(f"column {col!r} must hold counts >= 0 for every LA")


def _fit_scale(part: pd.DataFrame, sizes: list[Constraint], w: Mapping[str, float]) -> float:
    """The common factor k on the subset's sizes that best meets the weighted size figures.

    Searched on :data:`SCALE_GRID`; where several k fit equally (a flat minimum, e.g. every
    figure met), the one nearest 1 is taken, so the re-run's sizes are changed no more than
    the figures require."""
    grid = SCALE_GRID[np.argsort(np.abs(SCALE_GRID - 1.0), kind="stable")]
    total = np.zeros_like(grid)
    for c in sizes:
        values = part[c.column].to_numpy(dtype=float)[:, None] * grid[None, :]
        if c.kind == "member":
            errs = c.relative_error(values)
            err = errs[np.argmin(np.abs(errs), axis=0), np.arange(grid.size)]
        else:
            err = c.relative_error(getattr(values, _AGG[c.kind])(axis=0))
        total += w[c.name] * err ** 2
    return float(grid[np.argmin(total.round(12))])


def subset_fit(per_la: pd.DataFrame, facts: PublishedSubsetFacts = PUBLISHED_SUBSET_FACTS,
               *, weights: Mapping[str, float] | None = None,
               scale: float | None = 1.0) -> pd.DataFrame:
    """Score every subset of ``facts.n_las`` LAs against the published figures, best first.

    For each figure the subset's value (its total, smallest or largest LA, or the LA nearest
    a one-LA figure) and its signed relative error: 0 inside the published interval, else the
    distance to the nearer bound divided by that bound. The score is the weighted sum of
    squared errors, so an exact total missed by 10% costs 0.01 x weight and a range missed by
    10% costs the same: a range violation is penalised by how far, not just flagged.
    ``violations`` counts the weighted figures stated as a range ("just under", "just over")
    that the subset misses.

    ``scale`` multiplies every count before scoring (the re-run's sizes are a split of the
    seven-LA total by pupil numbers, so the five published LAs may be a common factor off).
    ``None`` fits it per subset on the size figures (column ``received``) alone, within
    :data:`SCALE_GRID`: the subset is then judged on the shape of its sizes, not their level;
    outcome figures are left out of the fit because they would pull the factor towards the
    re-run's own unmatched shares.

    Ties (scores equal to 12 decimals) are broken by the names of the excluded LAs in
    alphabetical order, so the ranking does not depend on the row order of ``per_la``.

    ``weights`` replaces the facts' weights (figures not named get 0); only columns of
    figures with weight > 0 are required, others are reported when present. Scores are
    comparable only between rankings made with the same weights and ``scale``."""
    if scale is not None and not scale > 0:
        raise ValueError(f"scale must be > 0 or None (fitted), got {scale!r}")
    w = _weights(facts, weights)
    used = [c for c in facts.constraints()
            if w[c.name] > 0 or c.column in per_la.columns]
    _check(per_la, sorted({c.column for c in used if w[c.name] > 0}), facts.n_las)
    sizes = [c for c in used if c.column == SIZE_COLUMN and w[c.name] > 0]
    table = per_la.reset_index(drop=True)
    names = list(table["authority"])
    rows = []
    for idx in combinations(range(len(names)), facts.n_las):
        part = table.iloc[list(idx)]
        k = _fit_scale(part, sizes, w) if scale is None else float(scale)
        row: dict[str, object] = {
            "included": tuple(names[i] for i in idx),
            "excluded": tuple(sorted(n for i, n in enumerate(names) if i not in idx)),
            "scale": k,
        }
        score, violations = 0.0, 0
        for c in used:
            values = part[c.column].to_numpy(dtype=float) * k
            if c.kind == "member":
                value = float(values[np.argmin(np.abs(c.relative_error(values)))])
            else:
                value = float(getattr(values, _AGG[c.kind])())
            err = float(c.relative_error(value))
            row[c.name], row[f"{c.name}_err"] = value, err
            score += w[c.name] * err ** 2
            violations += int(w[c.name] > 0 and c.low < c.high and err != 0)
        row["score"], row["violations"] = score, violations
        rows.append(row)
    out = pd.DataFrame(rows)
    out["_key"] = out["score"].round(12)
    out = out.sort_values(["_key", "excluded"], kind="stable").drop(columns="_key")
    out.insert(0, "rank", range(1, len(out) + 1))
    lead = ["rank", "included", "excluded", "score", "violations", "scale"]
    return out[lead + [c for c in out.columns if c not in lead]].reset_index(drop=True)


def best_subset(per_la: pd.DataFrame, facts: PublishedSubsetFacts = PUBLISHED_SUBSET_FACTS,
                *, weights: Mapping[str, float] | None = None,
                scale: float | None = 1.0) -> SubsetChoice:
    """The best-scoring subset of :func:`subset_fit` and the runner-up, with their fits.

    The runner-up is returned because the inference is only as good as its margin: a
    runner-up scoring close to the winner means the figures do not separate the two."""
    fit = subset_fit(per_la, facts, weights=weights, scale=scale)
    if len(fit) < 2:
        raise ValueError(f"column 'authority' has {len(per_la)} LAs: one subset only, so no "
                         "runner-up; the choice needs at least one LA more than the subset")
    first, second = fit.iloc[0], fit.iloc[1]
    return SubsetChoice(first["included"], second["included"], first, second)


def check_settings(scenario: Scenario) -> None:
    """``report.published_subset`` names as many LAs as the published tables rest on."""
    n, named = PUBLISHED_SUBSET_FACTS.n_las, set(scenario.report.published_subset)
    if named and len(named) != n:
        raise ConfigError(f"report.published_subset: the published tables rest on {n} LAs; got "
                          f"{len(named)} different names (or leave it empty)")
