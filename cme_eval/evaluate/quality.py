"""Linkage quality of one LA against the synthetic truth: every engine run, judged per source
and error mechanism, with the true partners no engine could have found (lost at blocking), and
injected name variants split by whether the linker's own name knowledge recognises them.

Works on plain frames and settings (no run folder); the arithmetic is in ``accuracy``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd

from cme_eval.evaluate import accuracy
from cme_eval.inputs.schema import MATCHED_AGAINST, SOURCE_LABELS, matched_against
from cme_eval.inputs.standardise import prepare
from cme_eval.inputs.standardised import DOB_STD, FORENAME_STD, POSTCODE_STD, SURNAME_STD

Passes = tuple[tuple[str, ...], ...]
# What twins are judged alike on: all the pilot's NHS records hold besides the address, which
# twins share.
IDENTITY = (FORENAME_STD, SURNAME_STD, DOB_STD)


def _identity(frame: pd.DataFrame, columns: tuple[str, ...] = IDENTITY) -> pd.Series:
    """Each record's standardised ``columns`` (``IDENTITY``) as one string, by ``record_id``."""
    parts = [frame[c].astype(str).to_numpy(dtype=object) for c in columns]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + "|" + part
    return pd.Series(joined, index=frame["record_id"].to_numpy())


def _prepared(sources: dict[str, pd.DataFrame], reference_date: dt.date,
              prepared: dict[str, pd.DataFrame] | None) -> dict[str, pd.DataFrame]:
    """``prepared``: the link stage's, when it handed them over; else ``sources`` made again."""
    if prepared is not None:
        return prepared
    return {name: prepare(frame, reference_date) for name, frame in sources.items()}


def lost_at_blocking_flags(prepared: dict[str, pd.DataFrame], person_of: pd.Series,
                           blocking: Passes | Mapping[str, Passes]) -> pd.Series:
    """Per record id of every prepared source: True for a received record whose true partner
    (among the datasets in ``MATCHED_AGAINST``) no blocking pass brings it together with.

    ``blocking`` is one set of passes for every source, or the passes each received source was
    linked with (a source without an entry is not judged: none of its records is lost).
    """
    lost = pd.Series(False, index=pd.concat([f["record_id"] for f in prepared.values()]))
    for source, datasets in MATCHED_AGAINST.items():
        passes = blocking.get(source) if isinstance(blocking, Mapping) else blocking
        if passes is None:
            continue
        right = pd.concat([prepared[d] for d in datasets], ignore_index=True)
        flags = accuracy.lost_at_blocking(prepared[source], right, person_of, passes)
        lost[prepared[source]["record_id"].to_numpy()] = flags.to_numpy()
    return lost


def linkage_quality(sources: dict[str, pd.DataFrame], truth_records: pd.DataFrame,
                    by_engine: dict[str, pd.DataFrame], *, authority: str,
                    reference_date: dt.date, blocking: Passes | Mapping[str, Passes],
                    main_engine: str, central_matching: bool,
                    people: pd.DataFrame | None = None,
                    prepared: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Precision, recall and F1 against the truth, per engine, source and error mechanism, with
    true partners lost at blocking (re-derived from the blocking keys of the true pairs only,
    with ``blocking``: one set of passes, or each received source's own).

    ``sources`` are the LA's records as ingested, ``by_engine`` each engine's outcomes. Under
    ``central_matching`` the main engine's NHS records were also matched against all-Wales
    PLASC, so it is judged against those too; the engines compared beside it were not.
    Injected name variants are also judged apart by whether the linker's own name knowledge
    recognises them, against the true forenames in ``people`` (truth_people); without it,
    against each person's records that carry no error (a person with none is in neither part).
    ``prepared``: ``sources`` standardised as the link stage did (made here when not given).
    """
    prepared = _prepared(sources, reference_date, prepared)
    person = truth_records.set_index("record_id")["person_id"]
    lost = lost_at_blocking_flags(prepared, person, blocking)
    records = pd.concat([f[["record_id", "forename", "surname"]] for f in sources.values()],
                        ignore_index=True)
    variant = accuracy.name_variant_known(
        truth_records, records, accuracy.true_forenames(truth_records, records, people))
    twin_of = None if people is None or "twin_person_id" not in people else (
        people.set_index("person_id")["twin_person_id"].fillna("").astype(str))
    identity = (None if twin_of is None
                else pd.concat([_identity(f) for f in prepared.values()]))
    frames = []
    for engine, outcomes in by_engine.items():
        central = engine == main_engine and central_matching
        judged = accuracy.judge(outcomes, truth_records, matched_against(central), twin_of)
        if identity is not None:
            judged["twin_merged_alike"] = accuracy.twins_alike(judged, identity, person)
        judged["lost_at_blocking"] = judged["record_id"].map(lost).fillna(False).astype(bool)
        judged["lost_at_blocking"] &= judged["has_partner"]
        judged["name_variant"] = judged["record_id"].map(variant).fillna("")
        frames.append(accuracy.quality_table(judged, authority, engine, SOURCE_LABELS))
    return pd.concat(frames, ignore_index=True)


# What a record is told apart by: every field the pilot's records hold (twins share an address,
# so the postcode is here as its sign).
DISTINGUISHED_BY = (*IDENTITY, POSTCODE_STD)


def mechanism_reach(outcomes: pd.DataFrame, truth_records: pd.DataFrame,
                    sources: dict[str, pd.DataFrame], *, reference_date: dt.date,
                    central_matching: bool, mechanism: str,
                    prepared: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """``accuracy.reach`` of one LA's main outcomes for ``mechanism``: its records with a true
    partner by kind (alike another child in every field the link reads, that error alone,
    with other errors), and how many were linked to their own child. ``sources`` and
    ``prepared`` as for ``linkage_quality``."""
    prepared = _prepared(sources, reference_date, prepared)
    person = truth_records.set_index("record_id")["person_id"]
    judged = accuracy.judge(outcomes, truth_records, matched_against(central_matching))
    identity = pd.concat([_identity(f, DISTINGUISHED_BY) for f in prepared.values()])
    return accuracy.reach(judged, identity, person, mechanism)
