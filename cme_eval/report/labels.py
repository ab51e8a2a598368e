"""Words for people: the machine names of columns and categories as a reader sees them.

The CSVs keep their machine names (``perfect_match``, ``maintained_neighbour_la``), which
scripts rely on; the HTML report and the spreadsheets show these labels, and numbers formatted
for reading: thousands separators, shares as percentages, yes/no. One table of words, used by
both, so a label is changed in one place.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

import pandas as pd

from cme_eval.linkage import engines

COLUMNS = {
    "authority": "Local authority", "source": "Source", "received": "Received",
    "perfect_match": "Perfect match", "partial_match": "Partial match",
    "not_matched": "Not matched", "out_of_scope": "Out of scope",
    "cme_known_before": "CME known before", "cme_known_after": "CME known after",
    "potential_cme_identified": "Potential CME identified", "true_status": "True status",
    "potential_cme": "Potential CME", "resolved_by_follow_up": "Resolved by follow-up",
    "engine": "Method", "mechanism": "Error in the record", "records": "Records",
    "with_true_partner": "With a true partner", "predicted_links": "Links made",
    "correct_links": "Correct links", "lost_at_blocking": "Lost before comparison",
    "twins_merged": "Linked to their twin",
    "twins_merged_alike": "Of which the twins are alike in the records",
    "precision": "Precision", "recall": "Recall", "f1": "F1 score",
    "records_in_scope": "Records in scope",
    "not_matched_but_known": "Not matched, but held by the LA",
    "not_matched_truly_unaccounted": "Not matched, truly unaccounted for",
    "false_links": "Wrong links", "partial_matches": "Partial matches",
    "unmatched_follow_ups": "Unmatched records to follow up",
    "minutes_per_partial_check": "Minutes per partial check",
    "minutes_per_follow_up": "Minutes per follow-up",
    "hours_checking_partials": "Hours checking partial matches",
    "hours_following_up": "Hours following up", "hours_total": "Hours in total",
    "measure": "Measure", "published": "Published", "reproduced": "This re-run",
    "difference": "Difference", "within_tolerance": "Within tolerance",
    "tolerance": "Tolerance", "applicable": "Applies to this run", "note": "Note",
    "truly_missing_found": "Truly missing children among potential CME",
    "mean": "Mean", "sd": "Standard deviation", "p2_5": "2.5th percentile", "p50": "Median",
    "p97_5": "97.5th percentile", "n": "Replicates",
    "p2_5_parameters": "2.5th percentile, fit drawn too",
    "p97_5_parameters": "97.5th percentile, fit drawn too",
    "replicate_p2_5": "Replicates: 2.5th percentile",
    "replicate_p97_5": "Replicates: 97.5th percentile",
    "published_in_replicate_interval": "Published value within the replicates' 95% range",
    "partial_duplicate_of_matched": "Partial: a copy of a matched child (sent twice)",
    "partial_forename_differs": "Partial: forename differs",
    "matched_confirmed_by_review": "Matched: confirmed by review",
    "not_matched_rejected_by_review": "Not matched: candidate rejected by review",
}
VALUES = {
    "maintained_own_la": "Maintained school, own LA",
    "maintained_neighbour_la": "Maintained school, neighbouring Welsh LA",
    "maintained_england": "Maintained school in England",
    "independent": "Independent school", "independent_la_placed": "Independent school, LA placed",
    "ehe_suitable": "Home educated, suitably", "ehe_unsuitable": "Home educated, unsuitably",
    "ehe_unknown": "Home educated, unknown to the LA",
    "eotas": "Educated other than at school", "out_of_county": "Placed out of county",
    "moved_within_wales": "Moved within Wales", "moved_to_england": "Moved to England",
    "moved_abroad": "Moved abroad", "no_fixed_abode": "No fixed abode",
    "misallocated_border": "Lives over the border, allocated by postcode",
    "missing_known": "Missing education, known to the LA",
    "missing_unknown": "Missing education, unknown to the LA",
    "none": "No error", "all": "All records",
}  # and each engine by its own label (linkage.engines: Engine.label), see ``_words``
CATEGORY_COLUMNS = ("authority", "source", "true_status", "engine", "mechanism")
SHARE_COLUMNS = ("precision", "recall", "f1")
_SNAKE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+")


def value(text: str) -> str:
    """A category as words: the table above, else the machine name with its words spaced
    ('dob_day_month_swap' -> 'Dob day month swap'); a suffix in brackets is kept."""
    text = str(text)
    words = _words()
    if text in words:
        return words[text]
    match = _SNAKE.match(text)
    if not match:
        return text
    head = words.get(match.group(0), match.group(0).replace("_", " ").capitalize())
    return head + text[match.end():]


@functools.cache
def _words() -> dict[str, str]:
    """``VALUES`` and every engine's label: an engine is named for people in its own module."""
    return {**VALUES, **{name: engines.get(name).label for name in engines.engine_names()}}


def column(name: str) -> str:
    return COLUMNS.get(name, value(name))


_FAMILIES = {"errors": "Error rate", "status_shares": "Share of children",
             "follow_up.resolve_probability": "Follow-up resolves"}


def parameter(name: str, low: float, high: float, unit: str) -> str:
    """A sensitivity parameter in words: 'Error rate: outdated address, x0.5 to x1.5'."""
    if name == "linkage.partial_min_weight":
        return f"Partial-match weight threshold, {low:g} to {high:g}"
    family, _, key = name.rpartition(".")
    what = f"{_FAMILIES.get(family, family)}: {value(key)[:1].lower()}{value(key)[1:]}"
    if unit == "factor":
        return f"{what}, x{low:g} to x{high:g}"
    return f"{what}, {low:g} to {high:g}"


def relabelled(table: pd.DataFrame) -> pd.DataFrame:
    """Columns and categories in words; numbers untouched (for spreadsheets)."""
    out = table.copy()
    for c in CATEGORY_COLUMNS:
        if c in out:
            out[c] = out[c].map(value)
    return out.rename(columns=column)


def _number(v: Any, share: bool = False, decimals: int = 0) -> str:  # v: any cell
    if isinstance(v, bool) or v in ("True", "False"):
        return "yes" if v in (True, "True") else "no"
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(x):
        return ""
    if share:
        return f"{x:.2%}" if abs(x) >= 0.0001 or x == 0 else f"{x:.4%}"
    if decimals:
        return f"{x:,.{decimals}f}"
    return f"{x:,.0f}" if x == round(x) else f"{x:,.2f}"


def for_reading(table: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text a person reads: labels, thousands separators, percentages, yes/no.

    A published-vs-reproduced table formats each row by its measure: shares as percentages
    (differences in percentage points), counts with separators."""
    out = table.copy().astype(object)
    share_rows = (out["measure"].astype(str).str.contains("share")
                  if "measure" in out else pd.Series(False, index=out.index))
    for c in out.columns:
        if c in CATEGORY_COLUMNS:
            out[c] = out[c].map(value)
        elif c in ("published", "reproduced", "difference"):
            out[c] = [(_points(v) if c == "difference" else _number(v, share=True))
                      if is_share else _number(v) for v, is_share in zip(out[c], share_rows,
                                                                         strict=True)]
        elif c == "tolerance":
            out[c] = [_tolerance(v, is_share) for v, is_share in zip(out[c], share_rows,
                                                                      strict=True)]
        elif c in SHARE_COLUMNS:
            out[c] = out[c].map(lambda v: _number(v, share=True))
        elif c.startswith(("hours_", "minutes_")):
            out[c] = out[c].map(lambda v: _number(v, decimals=1))
        elif c not in ("measure", "note"):
            out[c] = out[c].map(_number)
    if "measure" in out:
        out["measure"] = out["measure"].map(lambda m: m[:1].upper() + m[1:])
    return out.rename(columns=column)


def _tolerance(text: object, share: bool) -> str:
    """A tolerance on the scale of its measure: for a share shown as a percentage, an absolute
    tolerance in percentage points ("+/- 0.03" -> "+/- 3.0 points") and a range in percent
    ("within 0.89-0.98" -> "within 89.0%-98.0%"); any other tolerance as written."""
    text = str(text)
    if not share:
        return text
    if m := re.fullmatch(r"\+/- ([0-9.]+)", text):
        return f"+/- {float(m[1]) * 100:.1f} points"
    if m := re.fullmatch(r"within ([0-9.]+)-([0-9.]+)", text):
        return f"within {float(m[1]):.1%}-{float(m[2]):.1%}"
    return text


def _points(v: Any) -> str:
    try:
        return f"{float(v) * 100:+.1f} points"
    except (TypeError, ValueError):
        return str(v)


# -- words the notebooks use beside the report's --------------------------------------------
# Kept apart from COLUMNS and VALUES, which the report's tables, spreadsheets and figures read:
# a word added here never changes a report output.

# The files an LA receives and holds (and what the generate stage counts besides).
DATASETS = {
    "nwssp": "NHS extract (NWSSP)", "independent": "Independent school returns",
    "plasc": "PLASC (pupils on roll)", "ehe": "Elective home education list",
    "eotas": "Educated other than at school list", "ooc": "Out-of-county placements",
    "cme_register": "CME register", "neighbour_enrolments": "Neighbouring LAs' enrolments",
    "plasc_wales": "PLASC of other Welsh LAs",
    "people (truth)": "Children in the population (truth)",
    "independent schools returning": "Independent schools returning a list",
    "independent schools not returning": "Independent schools not returning a list",
}
OUTCOME_WORDS = {"perfect": "Perfect match", "partial": "Partial match",
                 "not_matched": "Not matched", "out_of_scope": "Out of scope"}
# Standardised columns (blocking passes) and comparisons (explanations), lower case.
FIELDS = {
    "forename": "forename", "surname": "surname", "dob": "date of birth",
    "postcode": "postcode", "address": "address", "nhs_number": "NHS number", "upn": "UPN",
    "uprn": "UPRN", "forename_std": "forename", "surname_std": "surname",
    "dob_std": "date of birth", "dob_int": "date of birth", "postcode_std": "postcode",
    "address_std": "address", "street_std": "street", "house_number": "house number",
    "birth_year": "year of birth", "surname_initial": "surname initial",
    "forename_initial": "forename initial", "postcode_district": "postcode district",
    "postcode_sector": "postcode sector", "uprn_std": "UPRN", "nhs_number_std": "NHS number",
    "upn_std": "UPN",
}
VIEW_COLUMNS = {
    "dataset": "Dataset", "blocking_pass": "Pass", "blocked_on": "Blocked on",
    "candidate_pairs": "Candidate pairs (counted)", "what_happened": "What happened",
    "records_received": "Records received", "records_held": "Records matched against",
    "columns_left_out": "Columns left out as uninformative",
    "m_and_u": "Where m and u came from", "comparison": "Comparison", "level": "Level",
    "weight": "Weight", "cumulative": "Running total", "setting": "Setting",
    "value_low": "With the setting low", "value_base": "As the scenario sets it",
    "value_high": "With the setting high", "exceeds_chance": "Moves it more than chance",
    "not in this run": "Not in this run", "file": "File", "row": "Row", "field": "Field",
    "problem": "Problem",
}
# Captions of the figures the compile stage writes (``figures/<name>.png``).
FIGURES = {
    "outcomes_by_authority": "Share of records received by outcome, per local authority",
    "published_vs_reproduced": "Published and reproduced shares",
    "potential_cme_by_true_status": "Potential CME by true status, resolved by follow-up or not",
    "precision_recall": "Precision and recall per authority and method",
    "score_distribution": "Match weights by outcome",
}


def engine(name: str) -> str:
    """An engine as people name it: its own ``label`` (each engine declares one, in
    cme_eval.linkage.engines, the only place engine names are written), else ``value``."""
    try:
        own = getattr(engines.get(name), "label", "")
    except (ImportError, ValueError, RuntimeError):  # not an engine (any more): words anyway
        own = ""
    return own or value(name)


def dataset(name: str) -> str:
    return DATASETS.get(name, value(name))


def outcome(name: str) -> str:
    return OUTCOME_WORDS.get(name, value(name))


def field(name: str) -> str:
    """A standardised column or a comparison in words, lower case ('birth_year' -> 'year of
    birth'); an unknown one with '_std' dropped and its words spaced."""
    return FIELDS.get(name, name.removesuffix("_std").replace("_", " "))


def heading(name: str) -> str:
    """A column heading of a notebook's table: ``VIEW_COLUMNS``, else the report's."""
    return VIEW_COLUMNS.get(name, column(name))
