"""Central pre-processing: every NHS record in Wales matched against all-Wales PLASC in one
link, before the records are distributed to LAs (a recommendation of the evaluation).

The same spec as an LA's own matching, with blocking passes that stay small at national size:
an exact date of birth alone would pair each record with ~100 others across Wales, so it is
paired with an initial (either name's, so one misspelt initial is still caught). A record is
then labelled by who holds its match: ``plasc`` when its own LA does, ``plasc_wales`` when
another Welsh LA does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd

from cme_eval.linkage.spec import DEFAULT_BLOCKING, LinkSpec
from cme_eval.schema import NOT_MATCHED, OUT_OF_SCOPE, PLASC, PLASC_WALES

CENTRAL_BLOCKING = (
    ("postcode_std",),
    ("dob_std", "surname_initial"),
    ("dob_std", "forename_initial"),
    ("forename_std", "surname_std"),
)


def central_spec(spec: LinkSpec) -> LinkSpec:
    """``spec`` with national blocking passes (identifier passes kept)."""
    extra = tuple(b for b in spec.blocking if b not in DEFAULT_BLOCKING)
    return replace(spec, blocking=CENTRAL_BLOCKING + extra)


def link_central(nhs_std: pd.DataFrame, plasc_std: pd.DataFrame, spec: LinkSpec, *,
                 reference_date: dt.date, engine: str = "splink") -> pd.DataFrame:
    """One outcome per NHS record (any LA) against all-Wales PLASC.

    ``nhs_std`` carries ``authority`` (the LA the record is sent to); ``plasc_std`` carries
    ``holder`` (the LA whose roll it is on, '' when it is another Welsh LA's record of a child
    registered here). Returns the outcome columns plus ``authority``.
    """
    from cme_eval.linkage import link_prepared

    right = plasc_std.assign(dataset=PLASC)
    outcomes = link_prepared(nhs_std, right, central_spec(spec), reference_date=reference_date,
                             engine=engine)
    holder = right.set_index("record_id")["holder"]
    matched = ~outcomes["outcome"].isin([NOT_MATCHED, OUT_OF_SCOPE])
    own = outcomes["matched_record_id"].map(holder) == nhs_std["authority"].to_numpy()
    outcomes.loc[matched & ~own, "matched_dataset"] = PLASC_WALES
    outcomes.insert(2, "authority", nhs_std["authority"].to_numpy())
    return outcomes


def resolved_centrally(central: pd.DataFrame) -> pd.DataFrame:
    """The central outcomes an LA keeps: matched (or out of scope) before distribution."""
    kept = central[central["outcome"] != NOT_MATCHED].drop(columns="authority")
    return kept.assign(reason="central: " + kept["reason"])
