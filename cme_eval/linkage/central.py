"""Central pre-processing: every NHS record in Wales matched against all-Wales PLASC in one
link, before the records are distributed to LAs (a recommendation of the evaluation).

The same spec as an LA's own matching, with three changes for national size, each measured on
wales-2025 against the truth:

- Blocking: an exact date of birth alone would pair each record with ~100 others across Wales,
  so it is paired with an initial (either name's, so one misspelt initial is still caught).
- A date-of-birth guard: a pair whose dates of birth are entirely different is never linked
  centrally. Only PLASC is in the pool, so a child known to EHE, EOTAS, an independent school or
  the CME register would otherwise take a sibling's PLASC record (same surname and home): 504
  such false links against 277 true ones, which the LA's own pass still finds.
- A match held by another LA needs ``other_la_min_weight`` (16 by default): the pool is about
  twenty LAs' size, so a chance agreement on name and date of birth is ~4 bits likelier. Between
  12 and 16, 102 of 149 such matches were to the wrong child.

A record is then labelled by who holds its match: ``plasc`` when its own LA does,
``plasc_wales`` when another Welsh LA does.

The engine is ``cross_border.central_engine``, any pair-scoring engine: Splink on DuckDB by
default, ``splink-spark`` for a pool beyond one machine (the same SQL in Spark's dialect, on
the session the ``spark`` settings describe; the outcomes are the same, record by record).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd

from cme_eval.config import CrossBorder
from cme_eval.inputs.schema import NOT_MATCHED, OUT_OF_SCOPE, PARTIAL, PLASC, PLASC_WALES
from cme_eval.linkage import link_prepared
from cme_eval.linkage.spec import DEFAULT_BLOCKING, LinkSpec

CENTRAL_BLOCKING = (
    ("postcode_std",),
    ("dob_std", "surname_initial"),
    ("dob_std", "forename_initial"),
    ("forename_std", "surname_std"),
)


DOB_GUARD = ("dob", 2)  # worst date-of-birth level linked centrally: one digit different


def central_spec(spec: LinkSpec) -> LinkSpec:
    """``spec`` with national blocking passes (identifier passes kept) and the date-of-birth
    guard."""
    extra = tuple(b for b in spec.blocking if b not in DEFAULT_BLOCKING)
    return replace(spec, blocking=CENTRAL_BLOCKING + extra,
                   max_level_to_link=(*spec.max_level_to_link, DOB_GUARD))


def link_central(nhs_std: pd.DataFrame, plasc_std: pd.DataFrame, spec: LinkSpec, *,
                 reference_date: dt.date, engine: str | None = None,
                 other_la_min_weight: float | None = None,
                 diagnostics: list | None = None) -> pd.DataFrame:
    """One outcome per NHS record (any LA) against all-Wales PLASC.

    ``nhs_std`` carries ``authority`` (the LA the record is sent to); ``plasc_std`` carries
    ``holder`` (the LA whose roll it is on, '' when it is another Welsh LA's record of a child
    registered here). Returns the outcome columns plus ``authority``. ``engine`` and
    ``other_la_min_weight`` default to the package defaults (``cross_border`` settings).
    """

    defaults = CrossBorder()
    engine = engine or defaults.central_engine
    if other_la_min_weight is None:
        other_la_min_weight = defaults.other_la_min_weight

    right = plasc_std.assign(dataset=PLASC)
    outcomes = link_prepared(nhs_std, right, central_spec(spec), reference_date=reference_date,
                             engine=engine, diagnostics=diagnostics)
    holder = right.set_index("record_id")["holder"]
    matched = ~outcomes["outcome"].isin([NOT_MATCHED, OUT_OF_SCOPE])
    own = outcomes["matched_record_id"].map(holder) == nhs_std["authority"].to_numpy()
    outcomes.loc[matched & ~own, "matched_dataset"] = PLASC_WALES
    weak = matched & ~own & (outcomes["outcome"] == PARTIAL) & (
        outcomes["score"] < other_la_min_weight)
    outcomes.loc[weak, ["outcome", "matched_record_id", "matched_dataset"]] = [NOT_MATCHED, "", ""]
    outcomes.loc[weak, "reason"] = (
        f"best match is held by another LA with weight below {other_la_min_weight:g}: "
        "left to the LA")
    outcomes.insert(2, "authority", nhs_std["authority"].to_numpy())
    return outcomes


