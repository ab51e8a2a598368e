"""Linkage quality of one LA against the synthetic truth: every engine run, judged per source
and error mechanism, with the true partners no engine could have found (lost at blocking).

Works on plain frames and settings (no run folder); the arithmetic is in ``accuracy``.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cme_eval.evaluate import accuracy
from cme_eval.schema import MATCHED_AGAINST, SOURCE_LABELS, matched_against
from cme_eval.standardise import prepare


def lost_at_blocking_flags(prepared: dict[str, pd.DataFrame], person_of: pd.Series,
                           blocking: tuple[tuple[str, ...], ...]) -> pd.Series:
    """Per record id of every prepared source: True for a received record whose true partner
    (among the datasets in ``MATCHED_AGAINST``) no blocking pass brings it together with."""
    lost = pd.Series(False, index=pd.concat([f["record_id"] for f in prepared.values()]))
    for source, datasets in MATCHED_AGAINST.items():
        right = pd.concat([prepared[d] for d in datasets], ignore_index=True)
        flags = accuracy.lost_at_blocking(prepared[source], right, person_of, blocking)
        lost[prepared[source]["record_id"].to_numpy()] = flags.to_numpy()
    return lost


def linkage_quality(sources: dict[str, pd.DataFrame], truth_records: pd.DataFrame,
                    by_engine: dict[str, pd.DataFrame], *, authority: str,
                    reference_date: dt.date, blocking: tuple[tuple[str, ...], ...],
                    main_engine: str, central_matching: bool) -> pd.DataFrame:
    """Precision, recall and F1 against the truth, per engine, source and error mechanism, with
    true partners lost at blocking (re-derived from the blocking keys of the true pairs only).

    ``sources`` are the LA's records as ingested, ``by_engine`` each engine's outcomes. Under
    ``central_matching`` the main engine's NHS records were also matched against all-Wales
    PLASC, so it is judged against those too; the engines compared beside it were not.
    """
    prepared = {name: prepare(frame, reference_date) for name, frame in sources.items()}
    person = truth_records.set_index("record_id")["person_id"]
    lost = lost_at_blocking_flags(prepared, person, blocking)
    frames = []
    for engine, outcomes in by_engine.items():
        central = engine == main_engine and central_matching
        judged = accuracy.judge(outcomes, truth_records, matched_against(central))
        judged["lost_at_blocking"] = judged["record_id"].map(lost).fillna(False).astype(bool)
        judged["lost_at_blocking"] &= judged["has_partner"]
        frames.append(accuracy.quality_table(judged, authority, engine, SOURCE_LABELS))
    return pd.concat(frames, ignore_index=True)
