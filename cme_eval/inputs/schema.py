"""Names shared by every stage: sources, true statuses, outcomes and the common record schema.

One record schema for every source after ingest keeps the engines and the evaluation apart from
the quirks of each file. Truth (``record_id -> person_id``) is a separate table that only the
evaluation reads.
"""

from __future__ import annotations

from pathlib import Path

# Received sources (matched and counted in Table 5.1) and the LA's own datasets.
NWSSP = "nwssp"
INDEPENDENT = "independent"
PLASC = "plasc"
EHE = "ehe"
EOTAS = "eotas"
OOC = "ooc"
CME_REGISTER = "cme_register"
# What-if datasets (empty in the pilot): pupils other Welsh LAs say live here (neighbour
# exchange), and other LAs' PLASC records of this LA's NHS children (central matching).
NEIGHBOUR_ENROLMENTS = "neighbour_enrolments"
PLASC_WALES = "plasc_wales"

RECEIVED_SOURCES = (NWSSP, INDEPENDENT)
LA_DATASETS = (PLASC, EHE, EOTAS, OOC, CME_REGISTER)
SOURCES = RECEIVED_SOURCES + LA_DATASETS  # each with its own error rates and identifiers
OPTIONAL_DATASETS = (NEIGHBOUR_ENROLMENTS,)  # held by the LA when it exists; no file: empty
# Both what-if datasets are other LAs' PLASC records: they carry PLASC's errors and identifiers.
RECORDS_LIKE = {NEIGHBOUR_ENROLMENTS: PLASC, PLASC_WALES: PLASC}

# How sources are labelled in published tables (Table 5.1 of the evaluation report).
SOURCE_LABELS = {NWSSP: "NWSSP", INDEPENDENT: "Independent schools"}
TOTAL = "Total"
ALL_AUTHORITIES = "All"

# Each child's one true education status, and which of the home LA's datasets would hold them.
STATUS_DATASETS: dict[str, tuple[str, ...]] = {
    "maintained_own_la": (PLASC,),
    # on a neighbouring Welsh LA's school roll (which tells the home LA only in the exchange)
    "maintained_neighbour_la": (NEIGHBOUR_ENROLMENTS,),
    "independent": (INDEPENDENT,),  # fee-paying: only the school's return knows
    "independent_la_placed": (INDEPENDENT, OOC),  # placed and funded by the LA (IDP)
    "maintained_england": (),  # on an English school's roll (border LAs)
    "ehe_suitable": (EHE,),
    "ehe_unsuitable": (EHE, CME_REGISTER),  # education judged unsuitable: also on the register
    "ehe_unknown": (),  # home educated, never notified to the LA
    "eotas": (EOTAS,),
    "out_of_county": (OOC,),
    "moved_within_wales": (),  # stale GP registration: the child lives in another Welsh LA
    "moved_to_england": (),
    "moved_abroad": (),
    "no_fixed_abode": (PLASC,),  # registered at a GP surgery address
    "missing_known": (CME_REGISTER,),
    "missing_unknown": (),  # truly missing education and unknown to the LA
    # Lives in a neighbouring LA, but the NHS allocated the family here from a cross-border
    # postcode (council tax is paid to the other LA, which also schools the child).
    "misallocated_border": (),
}
STATUSES = tuple(STATUS_DATASETS)
# Children who are not resident in the LA but turn up in one of its sources.
VISITOR_DATASETS: dict[str, tuple[str, ...]] = {
    "boarder": (INDEPENDENT,),  # boards at a school in the LA; lives elsewhere or abroad
    "inbound_pupil": (PLASC,),  # lives in a neighbouring LA, attends this LA's school
}
# Statuses whose GP registration in this LA is stale: the child no longer lives here.
# Statuses that belong to a whole family rather than to one child (drawn per household, so
# they have no age profile of their own).
HOUSEHOLD_STATUSES = ("moved_within_wales", "moved_to_england", "moved_abroad",
                      "misallocated_border", "no_fixed_abode")
STALE_STATUSES = ("moved_within_wales", "moved_to_england", "moved_abroad")
# Statuses whose child is on another Welsh LA's PLASC: what all-Wales central matching can find.
ON_ANOTHER_WELSH_ROLL = ("maintained_neighbour_la", "moved_within_wales", "misallocated_border")
TRULY_MISSING = ("missing_known", "missing_unknown")

# What each received source is matched against: the LA's own datasets, plus the other received
# source. An NHS record is accounted for by an independent school's return, and a school's
# pupil is confirmed as resident by the NHS extract (see the README's design notes).
MATCHED_AGAINST: dict[str, tuple[str, ...]] = {
    NWSSP: (*LA_DATASETS, *OPTIONAL_DATASETS, INDEPENDENT),
    INDEPENDENT: (*LA_DATASETS, NWSSP),
}
# With central matching, NHS records are first matched against all-Wales PLASC.
MATCHED_AGAINST_CENTRALLY: dict[str, tuple[str, ...]] = {
    NWSSP: (*MATCHED_AGAINST[NWSSP], PLASC_WALES),
    INDEPENDENT: MATCHED_AGAINST[INDEPENDENT],
}


def matched_against(central: bool) -> dict[str, tuple[str, ...]]:
    return MATCHED_AGAINST_CENTRALLY if central else MATCHED_AGAINST


# File layout of one LA's synthetic folder, as `cme-eval generate` writes it and ingest reads it.
FILE_NAMES = {
    NWSSP: "nhs_extract.csv",
    PLASC: "plasc.csv",
    EHE: "ehe.csv",
    EOTAS: "eotas.csv",
    OOC: "ooc.csv",
    CME_REGISTER: "cme_register.csv",
    NEIGHBOUR_ENROLMENTS: "neighbour_enrolments.csv",
    PLASC_WALES: "plasc_elsewhere.csv",
}
RETURNS_DIR = "independent_returns"
# What ``cme-eval generate`` writes, side by side: what an LA would hold or receive, and what
# only a synthetic world has (truth, profile). Linking reads only the first.
INPUTS_DIR = "inputs"
TRUTH_DIR = "truth"
TRUTH_FILES = ("truth_people.csv", "truth_records.csv", "independent_schools.csv",
               "synthetic_profile.csv")


def inputs_folder(folder):
    """The folder of an LA's input files: ``folder`` itself, or its ``inputs/`` when ``folder``
    is what ``cme-eval generate`` wrote (inputs/ and truth/ side by side)."""

    folder = Path(folder)
    return folder / INPUTS_DIR if (folder / INPUTS_DIR).is_dir() else folder


# Outcomes: every received record gets exactly one.
PERFECT = "perfect"
PARTIAL = "partial"
NOT_MATCHED = "not_matched"
OUT_OF_SCOPE = "out_of_scope"
OUTCOMES = (PERFECT, PARTIAL, NOT_MATCHED, OUT_OF_SCOPE)

# Identifiers a record may carry after ingest, beside its required fields (see ``ingest``).
OPTIONAL_IDENTIFIERS = ("nhs_number", "uprn", "upn")
# Every engine's outcomes: one row per received record.
OUTCOME_COLUMNS = ("record_id", "source", "outcome", "matched_record_id", "matched_dataset",
                   "score", "reason")
# Parts of a ``reason`` (parts are joined by "; ") that the tables count (Table 5.1's notes).
DUPLICATE_REASON = "duplicate of {copy}: takes its match"  # a copy of a matched child
NAME_VARIANT = "forename differs: name variant unknown to the linker?"
CONFIRMED = "confirmed by review"  # a reviewer's decisions (``--decisions``)
REJECTED = "not a match by review"
