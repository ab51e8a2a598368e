"""The measures a target can name, each computed from a run's tables over a set of LAs.

A measure reads only pooled-able per-LA tables (Table 5.1, Table 6.1 and, with truth, the NHS
records by true status), so the same function judges a report, a replicate, a calibration
check and the emulator's prediction (which builds the same tables from expected counts).
``kind`` says how a measure scales with the run's size: a ``count`` at scale 0.1 is a tenth of
the full-size count; a ``share`` does not scale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from cme_eval.inputs.schema import ALL_AUTHORITIES, TOTAL

NWSSP_LABEL = "NWSSP"
# True statuses of children SAIL's linkage would not find in PLASC or EOTAS of any Welsh LA:
# independent schools, home education, schools in England, registrations left by a move, no
# fixed abode and the missing. Children at a neighbouring Welsh LA's school, placed out of
# county in Wales or living across the border are on some Welsh PLASC.
NOT_IN_STATE_EDUCATION = (
    "independent", "independent_la_placed", "ehe_suitable", "ehe_unsuitable", "ehe_unknown",
    "maintained_england", "moved_within_wales", "moved_to_england", "moved_abroad",
    "no_fixed_abode", "missing_known", "missing_unknown")
INDEPENDENT = ("independent", "independent_la_placed")
EHE = ("ehe_suitable", "ehe_unsuitable", "ehe_unknown")


@dataclass(frozen=True)
class Figures:
    """The per-LA tables a measure reads (no ``All`` rows needed; they are ignored)."""

    table_5_1: pd.DataFrame                    # authority, source, received, ... per source
    table_6_1: pd.DataFrame                    # authority, cme_known_before, ...
    nhs_by_status: pd.DataFrame | None = None  # authority, true_status, nhs_records (truth)

    def total(self, las: tuple[str, ...]) -> pd.DataFrame:
        t = self.table_5_1
        return t[(t["source"] == TOTAL) & t["authority"].isin(las)].set_index("authority")

    def nwssp(self, las: tuple[str, ...]) -> pd.DataFrame:
        t = self.table_5_1
        return t[(t["source"] == NWSSP_LABEL) & t["authority"].isin(las)]

    def t61(self, las: tuple[str, ...]) -> pd.DataFrame:
        t = self.table_6_1
        return t[t["authority"].isin(las) & (t["authority"] != ALL_AUTHORITIES)]

    def statuses(self, las: tuple[str, ...]) -> pd.DataFrame:
        if self.nhs_by_status is None:
            raise KeyError("nhs_by_status")
        t = self.nhs_by_status
        return t[t["authority"].isin(las)]


@dataclass(frozen=True)
class Measure:
    name: str
    kind: Literal["share", "count"]
    describe: str
    compute: Callable[[Figures, tuple[str, ...]], float]
    needs_truth: bool = False


def _ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b else float("nan")


def _pooled_share(column: str) -> Callable[[Figures, tuple[str, ...]], float]:
    def compute(f: Figures, las: tuple[str, ...]) -> float:
        t = f.total(las)
        return _ratio(t[column].sum(), t["received"].sum())
    return compute


def _la_share(columns: tuple[str, ...], how: str) -> Callable[[Figures, tuple[str, ...]], float]:
    def compute(f: Figures, las: tuple[str, ...]) -> float:
        t = f.total(las)
        share = t[list(columns)].sum(axis=1) / t["received"]
        return float(getattr(share, how)())
    return compute


def _la_count(column: str, how: str) -> Callable[[Figures, tuple[str, ...]], float]:
    return lambda f, las: float(getattr(f.total(las)[column], how)())


def _t61(column: str, share: bool = False) -> Callable[[Figures, tuple[str, ...]], float]:
    def compute(f: Figures, las: tuple[str, ...]) -> float:
        count = float(f.t61(las)[column].sum())
        return _ratio(count, f.total(las)["received"].sum()) if share else count
    return compute


def _status_count(statuses: tuple[str, ...]) -> Callable[[Figures, tuple[str, ...]], float]:
    def compute(f: Figures, las: tuple[str, ...]) -> float:
        t = f.statuses(las)
        return float(t.loc[t["true_status"].isin(statuses), "nhs_records"].sum())
    return compute


def _status_share(statuses: tuple[str, ...]) -> Callable[[Figures, tuple[str, ...]], float]:
    def compute(f: Figures, las: tuple[str, ...]) -> float:
        t = f.statuses(las)
        return _ratio(t.loc[t["true_status"].isin(statuses), "nhs_records"].sum(),
                      t["nhs_records"].sum())
    return compute


_MATCHED = ("perfect_match", "partial_match")
MEASURES: dict[str, Measure] = {m.name: m for m in (
    Measure("share_perfect", "share", "perfect matches / records received, pooled",
            _pooled_share("perfect_match")),
    Measure("share_partial", "share", "partial matches / records received, pooled",
            _pooled_share("partial_match")),
    Measure("share_not_matched", "share", "records not matched / records received, pooled",
            _pooled_share("not_matched")),
    Measure("lowest_la_matched_share", "share", "the lowest matched share of one LA",
            _la_share(_MATCHED, "min")),
    Measure("highest_la_matched_share", "share", "the highest matched share of one LA",
            _la_share(_MATCHED, "max")),
    Measure("lowest_la_not_matched_share", "share", "the lowest not-matched share of one LA",
            _la_share(("not_matched",), "min")),
    Measure("highest_la_not_matched_share", "share", "the highest not-matched share of one LA",
            _la_share(("not_matched",), "max")),
    Measure("received", "count", "records received (NHS and independent schools)",
            lambda f, las: float(f.total(las)["received"].sum())),
    Measure("nhs_received", "count", "NHS records received",
            lambda f, las: float(f.nwssp(las)["received"].sum())),
    Measure("smallest_la_received", "count", "records received by the smallest LA",
            _la_count("received", "min")),
    Measure("largest_la_received", "count", "records received by the largest LA",
            _la_count("received", "max")),
    Measure("not_matched", "count", "records not matched",
            lambda f, las: float(f.total(las)["not_matched"].sum())),
    Measure("fewest_la_not_matched", "count", "the fewest records not matched in one LA",
            _la_count("not_matched", "min")),
    Measure("most_la_not_matched", "count", "the most records not matched in one LA",
            _la_count("not_matched", "max")),
    Measure("cme_known_before", "count", "CME known before the pilot (Table 6.1)",
            _t61("cme_known_before")),
    Measure("cme_known_after", "count", "CME known after the pilot's follow-up (Table 6.1)",
            _t61("cme_known_after")),
    Measure("potential_cme", "count", "potential CME identified (Table 6.1)",
            _t61("potential_cme_identified")),
    Measure("share_cme_known_before", "share", "CME known before / records received",
            _t61("cme_known_before", share=True)),
    Measure("share_cme_known_after", "share", "CME known after / records received",
            _t61("cme_known_after", share=True)),
    Measure("share_potential_cme", "share", "potential CME / records received",
            _t61("potential_cme_identified", share=True)),
    Measure("share_not_in_state_education", "share",
            "NHS records whose child is on no Welsh PLASC or EOTAS list (truth)",
            _status_share(NOT_IN_STATE_EDUCATION), needs_truth=True),
    Measure("independent_school_children", "count",
            "NHS records of children at independent schools (truth)",
            _status_count(INDEPENDENT), needs_truth=True),
    Measure("home_educated_children", "count",
            "NHS records of electively home-educated children (truth)",
            _status_count(EHE), needs_truth=True),
)}


def records_behind(measure: str, figures: Figures, las: tuple[str, ...]) -> float:
    """How many records a share rests on: of one LA (the smallest, for a measure of one LA
    among several) or of all of ``las``."""
    received = figures.total(las)["received"]
    if measure.startswith(("lowest_la", "highest_la")):
        return float(received.min()) if len(received) else 0.0
    return float(received.sum())


def value(measure: str, figures: Figures, las: tuple[str, ...]) -> float:
    """``measure`` over ``las``: NaN when the LAs hold no records for it."""
    if not las:
        return float("nan")
    out = MEASURES[measure].compute(figures, las)
    return float(out) if np.isfinite(out) else float("nan")
