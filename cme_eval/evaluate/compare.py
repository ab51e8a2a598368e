"""Policy what-ifs on the same population: the baseline scenario and each overlay (or
combination), same seed, compared on what the recommendations are meant to change.

Per scenario and LA: records received and their outcomes, review hours, and against the truth
the children truly missing education among the NHS records (``true_cme``), how many of them the
LA would find (unmatched, or matched to its CME register), and how many potential CME are not
missing at all (``false_potential_cme``: follow-up work that finds nothing).
"""

from __future__ import annotations

import pandas as pd

from cme_eval.evaluate.workload import review_hours
from cme_eval.fileio import read_csv
from cme_eval.inputs.schema import (
    CME_REGISTER,
    NOT_MATCHED,
    NWSSP,
    OUT_OF_SCOPE,
    PARTIAL,
    PERFECT,
    TRULY_MISSING,
)

COLUMNS = ["scenario", "authority", "received", "perfect_match", "partial_match", "not_matched",
           "review_hours", "true_cme", "true_cme_found", "false_potential_cme"]


def parse_overlays(text: str) -> list[tuple[str, ...]]:
    """'nhs-number,uprn,nhs-number+uprn' -> [('nhs-number',), ('uprn',), ('nhs-number','uprn')]."""
    return [tuple(p.strip() for p in item.split("+") if p.strip())
            for item in text.split(",") if item.strip()]


def authority_row(run, authority: str) -> dict:
    """One scenario's figures for one LA, from its outcomes and truth."""
    la_dir, truth_dir = run.la_dir(authority), run.truth_dir(authority)
    outcomes = read_csv(la_dir / "outcomes.csv")
    truth = read_csv(truth_dir / "truth_records.csv").set_index("record_id")["person_id"]
    status = read_csv(truth_dir / "truth_people.csv").set_index("person_id")["status"]
    true_status = outcomes["record_id"].map(truth).map(status)
    counts = outcomes["outcome"].value_counts()
    review = run.scenario.review
    nhs = (outcomes["source"] == NWSSP) & (outcomes["outcome"] != OUT_OF_SCOPE)
    missing = nhs & true_status.isin(TRULY_MISSING)
    found = missing & ((outcomes["outcome"] == NOT_MATCHED)
                       | (outcomes["matched_dataset"] == CME_REGISTER))
    potential = nhs & (outcomes["outcome"] == NOT_MATCHED)
    return {
        "scenario": run.scenario.name, "authority": authority, "received": len(outcomes),
        "perfect_match": int(counts.get(PERFECT, 0)),
        "partial_match": int(counts.get(PARTIAL, 0)),
        "not_matched": int(counts.get(NOT_MATCHED, 0)),
        "review_hours": float(review_hours(counts.get(PARTIAL, 0), counts.get(NOT_MATCHED, 0),
                                           review.minutes_per_partial_check,
                                           review.minutes_per_follow_up)[2]),
        "true_cme": int(missing.sum()), "true_cme_found": int(found.sum()),
        "false_potential_cme": int((potential & ~true_status.isin(TRULY_MISSING)).sum()),
    }


def with_totals(table: pd.DataFrame) -> pd.DataFrame:
    numeric = [c for c in COLUMNS if c not in ("scenario", "authority")]
    pooled = table.groupby("scenario", sort=False, as_index=False)[numeric].sum()
    pooled.insert(1, "authority", "All")
    pooled["review_hours"] = pooled["review_hours"].round(1)
    return pd.concat([table, pooled[COLUMNS]], ignore_index=True)


def verdict(table: pd.DataFrame, baseline: str) -> list[str]:
    """Plain sentences: what each scenario changes against the baseline, and which buys most."""
    pooled = table[table["authority"] == "All"].set_index("scenario")
    base = pooled.loc[baseline]
    lines, gains = [], {}
    for name, row in pooled.drop(index=baseline).iterrows():
        saved = base["review_hours"] - row["review_hours"]
        fewer = base["false_potential_cme"] - row["false_potential_cme"]
        gains[name] = saved
        line = (
            f"{name}: {int(row['not_matched']):,} records not matched (baseline "
            f"{int(base['not_matched']):,}), {fewer:,} fewer potential CME who are not missing, "
            f"{saved:,.0f} review hours saved; {int(row['true_cme_found'])} of "
            f"{int(row['true_cme'])} truly missing children found.")
        hidden = int(base["true_cme_found"] - row["true_cme_found"])
        if hidden > 0:
            line += (f" But {hidden} truly missing {'child is' if hidden == 1 else 'children are'}"
                     " linked to another child's record, so would not be followed up.")
        lines.append(line)
    if gains:
        best = max(gains, key=lambda k: gains[k])
        lines.insert(0, f"Of the what-ifs compared, {best} buys most: it saves "
                        f"{gains[best]:,.0f} of {base['review_hours']:,.0f} review hours on the "
                        "same population.")
    return lines
