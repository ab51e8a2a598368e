"""The published evaluation beside the reproduction: measure, published, reproduced, difference.

Published figures come from ``shared/reference/published-figures.json`` (a copy ships with the
package so a run never depends on a folder outside it). Shares are of records received, as the
report states them; tolerances are the calibration targets of the pilot-2025 scenario. The
published Table 5.1 does not add up (its NWSSP and independent-school columns sum to less than
its 'received' total, and the independent-school matches exceed what was received), so the
comparison reports that check and its result rather than copying the inconsistency.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from cme_eval.evaluate.subset import PUBLISHED_SUBSET_FACTS as facts
from cme_eval.inputs.schema import ALL_AUTHORITIES, TOTAL
from cme_eval.wales import PILOT_AUTHORITIES

# A tolerance as _verdict reads it, and a compared measure: (measure, published, reproduced,
# tolerance, note).
Tolerance = (float | tuple[str, float] | tuple[str, float, float]
             | tuple[str, float, float, float])
Measure = tuple[str, float, float, Tolerance, str]

COLUMNS = ["measure", "published", "reproduced", "difference", "within_tolerance", "tolerance",
           "applicable", "note"]


@lru_cache(maxsize=1)
def published_figures() -> dict:
    text = resources.files("cme_eval").joinpath("data", "published-figures.json").read_text(
        encoding="utf-8")
    return json.loads(text)


def published_table_5_1_adds_up() -> tuple[bool, str]:
    """Whether the published Table 5.1 reconciles, with the arithmetic that says so."""
    rows = published_figures()["table_5_1"]["rows"]
    nwssp, indep, total = (rows["received"][i] for i in range(3))
    parts = {k: rows[k][2] for k in ("perfect_match", "partial_match", "not_matched")}
    checks = [
        f"NWSSP {nwssp:,} + independent schools {indep:,} = {nwssp + indep:,} "
        f"vs total received {total:,}",
        f"perfect + partial + not matched = {sum(parts.values()):,} vs received {total:,}",
        f"independent schools: matched {rows['perfect_match'][1] + rows['partial_match'][1]:,} "
        f"of {indep:,} received",
    ]
    ok = (nwssp + indep == total and sum(parts.values()) == total
          and rows["perfect_match"][1] + rows["partial_match"][1] <= indep)
    return ok, "; ".join(checks)


def _verdict(published: float, reproduced: float, tol) -> tuple[bool, str]:
    """Whether ``reproduced`` is within ``tol`` of ``published``, and the tolerance in words.

    ``tol``: a number (absolute), ``("relative", r)``, ``("range", low, high)`` (the value must
    lie in it) or ``("interval", low, high, r)`` (a published interval such as "just under
    9,000", widened by ``r`` of its bounds)."""
    diff = float(reproduced) - float(published)
    if isinstance(tol, tuple) and tol[0] == "range":
        return tol[1] <= reproduced <= tol[2], f"within {tol[1]:g}-{tol[2]:g}"
    if isinstance(tol, tuple) and tol[0] == "interval":
        _, low, high, r = tol
        return (low * (1 - r) <= reproduced <= high * (1 + r),
                f"within {low:,.0f}-{high:,.0f}, +/- {r:.0%}")
    if isinstance(tol, tuple):
        return abs(diff) <= tol[1] * abs(published), f"+/- {tol[1]:.0%} of published"
    return abs(diff) <= tol, f"+/- {tol:g}"


SUBSET_NOTE = ("the published count is of five LAs; compared on the five declared in "
               "report.published_subset (an inference: docs/reporting_subset.md)")
WEAK_NOTE = ("weak evidence: the report gives no per-LA counts, and the re-run's per-LA "
             "unmatched counts follow the scenario's own per-LA calibration "
             "(docs/reporting_subset.md)")


def _subset_rows(t51: pd.DataFrame, t61: pd.DataFrame, subset: tuple[str, ...]
                 ) -> list[Measure]:
    """The published counts of Tables 5.1 and 6.1 beside the same counts on ``subset``."""

    total = t51[(t51["source"] == TOTAL) & t51["authority"].isin(subset)]
    t6 = t61[t61["authority"].isin(subset)]
    rec, nm = total["received"], total["not_matched"]
    pub61 = published_figures()["table_6_1"]["rows"]
    small, large = facts.received_min, facts.received_max
    return [
        ("records received, the five LAs (Table 5.1)", facts.total_received.low, rec.sum(),
         ("relative", 0.10), SUBSET_NOTE),
        ("records not matched, the five LAs (Table 5.1)", facts.total_not_matched.low,
         nm.sum(), ("relative", 0.15), SUBSET_NOTE),
        ("records received by the smallest of the five LAs (just under 9,000)", small.high,
         rec.min(), ("interval", small.low, small.high, 0.10), ""),
        ("records received by the largest of the five LAs (just over 33,000)", large.low,
         rec.max(), ("interval", large.low, large.high, 0.10), ""),
        ("fewest records not matched in one of the five LAs", facts.not_matched_min.low,
         nm.min(), ("relative", 0.5), WEAK_NOTE),
        ("most records not matched in one of the five LAs", facts.not_matched_max.low,
         nm.max(), ("relative", 0.5), WEAK_NOTE),
        ("CME known before the pilot, the five LAs (Table 6.1)",
         pub61["cme_known_before_pilot"], t6["cme_known_before"].sum(), ("relative", 0.25),
         ""),
        ("CME known after the pilot, the five LAs (Table 6.1)", pub61["cme_known_after_pilot"],
         t6["cme_known_after"].sum(), ("relative", 0.25), ""),
        ("potential CME identified, the five LAs (Table 6.1)",
         pub61["potential_cme_identified"], t6["potential_cme_identified"].sum(),
         ("relative", 0.25), ""),
    ]


def compare(t51: pd.DataFrame, t61: pd.DataFrame, scale: float = 1.0, *,
            authorities: tuple[str, ...] | None = None,
            subset: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per published measure, with the reproduction and whether it is within tolerance.

    Judged only on what the run covers. Shares and per-LA ranges apply to any set of pilot
    LAs. Counts apply only to a full-size run (``scale`` 1) that covers the LAs they are of:
    the NHS records sent to the seven need all seven; the counts of Tables 5.1 and 6.1 (five
    unnamed LAs) need ``subset``, the five the scenario declares (``report.published_subset``),
    all in the run. A measure that does not apply keeps its figures, is marked ``applicable``
    False with the reason in ``note``, and has no verdict. ``authorities``: the LAs run
    (default: the seven).
    """

    run_las = set(authorities or PILOT_AUTHORITIES)
    all_seven = run_las == set(PILOT_AUTHORITIES)
    not_pilot = sorted(run_las - set(PILOT_AUTHORITIES))
    fig = published_figures()
    text = fig["table_5_1_text"]
    total = t51[t51["source"] == TOTAL].set_index("authority")
    pooled = total.loc[ALL_AUTHORITIES]
    per_la = total.drop(index=ALL_AUTHORITIES)
    rec = pooled["received"]
    matched_la = (per_la["perfect_match"] + per_la["partial_match"]) / per_la["received"]
    unmatched_la = per_la["not_matched"] / per_la["received"]
    pub61 = fig["table_6_1"]["rows"]
    pub_received = fig["table_5_1"]["rows"]["received"][2]
    t61_all = t61.set_index("authority").loc[ALL_AUTHORITIES]
    nhs = int(t51[(t51["authority"] == ALL_AUTHORITIES) & (t51["source"] == "NWSSP")]
              ["received"].iloc[0])
    full_size = scale == 1.0
    rows: list[Measure] = [
        ("perfect match, share of records received", text["perfect_share_overall"],
         pooled["perfect_match"] / rec, 0.03, ""),
        ("partial match, share of records received", text["partial_share_overall"],
         pooled["partial_match"] / rec, 0.03, ""),
        ("not matched, share of records received", 1 - text["matched_share_overall"],
         pooled["not_matched"] / rec, 0.015, ""),
        ("lowest matched share of an LA", text["matched_share_per_la_range"][0],
         matched_la.min(), ("range", 0.89, 0.98), ""),
        ("highest matched share of an LA", text["matched_share_per_la_range"][1],
         matched_la.max(), ("range", 0.89, 0.98), ""),
        ("lowest not-matched share of an LA", 0.02, unmatched_la.min(), ("range", 0.02, 0.11),
         ""),
        ("highest not-matched share of an LA", 0.11, unmatched_la.max(), ("range", 0.02, 0.11),
         ""),
        ("CME known before, share of records received", pub61["cme_known_before_pilot"]
         / pub_received, t61_all["cme_known_before"] / rec, ("relative", 0.25), ""),
        ("CME known after, share of records received", pub61["cme_known_after_pilot"]
         / pub_received, t61_all["cme_known_after"] / rec, ("relative", 0.25), ""),
        ("potential CME identified, share of records received",
         pub61["potential_cme_identified"] / pub_received,
         t61_all["potential_cme_identified"] / rec, ("relative", 0.25), ""),
    ]
    counts: list[Measure] = [
        ("NHS records sent to the seven LAs", 167_000, nhs, ("relative", 0.05), "")]
    subset_in_run = bool(subset) and set(subset) <= run_las
    if subset_in_run:
        counts += _subset_rows(t51, t61, tuple(subset))
    else:
        missing = sorted(set(subset) - run_las)
        reason = ("the scenario declares no published subset (report.published_subset)"
                  if not subset else f"this run lacks {', '.join(missing)}")
        counts.append(("counts of Tables 5.1 and 6.1 (five LAs)", np.nan, np.nan, 0.0,
                       f"not compared: {reason}"))
    out = []
    tagged = [(row, False) for row in rows] + [(row, True) for row in counts]
    for (measure, published, reproduced, tol, note), is_count in tagged:
        applies = True
        if not_pilot:
            applies = False
            note = (f"the published figures are of the pilot LAs; {', '.join(not_pilot[:3])}"
                    f"{' ...' if len(not_pilot) > 3 else ''} took no part")
        elif is_count and note.startswith("not compared"):
            applies = False
        elif is_count and not full_size:
            applies = False
            note = f"a count at full size; this run is at scale {scale:g}"
        elif measure.startswith("NHS records sent to the seven") and not all_seven:
            applies = False
            note = f"a count of all seven pilot LAs; this run has {len(run_las)}"
        ok, described = _verdict(published, reproduced, tol)
        out.append({"measure": measure, "published": round(float(published), 6),
                    "reproduced": round(float(reproduced), 6),
                    "difference": round(float(reproduced) - float(published), 6),
                    "within_tolerance": bool(ok) if applies else "", "tolerance": described,
                    "applicable": applies, "note": note})
    pub_ok, _ = published_table_5_1_adds_up()
    reproduced_ok = bool((t51[["perfect_match", "partial_match", "not_matched", "out_of_scope"]]
                          .sum(axis=1) == t51["received"]).all())
    out.append({"measure": "Table 5.1 adds up (received = sum of outcomes; sources = total)",
                "published": float(pub_ok), "reproduced": float(reproduced_ok),
                "difference": float(reproduced_ok) - float(pub_ok),
                "within_tolerance": reproduced_ok, "tolerance": "must add up (1 = yes)",
                "applicable": True, "note": ""})
    return pd.DataFrame(out, columns=COLUMNS)
