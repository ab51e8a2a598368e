"""The synthetic profile: every declared target beside the value the generator realised.

One row per measure: LA size, status shares (and, for a status with an age profile, its share
in primary and secondary ages), surname shares, twin share, each error rate per
source (realised among the records it could apply to), and the independent schools' return
rate. Researchers see at a glance whether the population is what the scenario says it is; the
tests check the same table statistically.

One kind of row declares nothing: ``name_variant_unknown_to_linker`` (target blank), per name
variant error type, the share of injected variants the linker's own name knowledge does not
recognise. The generator draws variants from its own table and the linker never reads it, so
this share says how far the linkage accuracy on those records is evidence rather than the
generator's table read back. Only the profile, on the evaluation side, looks at both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cme_eval.config import Scenario
from cme_eval.evaluate.accuracy import (
    NAME_VARIANT_ERRORS,
    UNKNOWN_TO_LINKER,
    name_variant_known,
    true_forenames,
)
from cme_eval.inputs.schema import NWSSP
from cme_eval.synth.population import _surname_weights, ages_on, profile_factor
from cme_eval.synth.world import SyntheticLA

COLUMNS = ["authority", "measure", "key", "target", "realised", "n"]
TOP_SURNAMES = 10
# Age bands the profile reports a status's share in, when the status has an age profile.
AGE_BANDS = {"ages 5-10": (5, 10), "ages 11-15": (11, 15)}


def profile(world: SyntheticLA, scenario: Scenario) -> pd.DataFrame:
    la, rows = world.authority, []

    def add(measure: str, key: str, target: float, realised: float, n: int) -> None:
        rows.append({"authority": la, "measure": measure, "key": key, "target": target,
                     "realised": realised, "n": n})

    residents = world.people[world.people["resident"].astype(bool)]
    n = len(residents)
    add("nhs_records", NWSSP, round(scenario.nhs_records(la) * scenario.scale),
        len(world.sources[NWSSP]), len(world.sources[NWSSP]))
    counts = residents["status"].value_counts()
    for status, share in scenario.shares_for(la).items():
        add("status_share", status, share, counts.get(status, 0) / max(n, 1), n)
    ages = ages_on(residents["dob"].to_numpy(), scenario.dates.nhs_extract)
    shares = scenario.shares_for(la)
    for status, age_profile in scenario.status_age_profile.items():
        for band, (lo, hi) in AGE_BANDS.items():
            in_band = (ages >= lo) & (ages <= hi)
            target = shares[status] * float(np.mean(profile_factor(age_profile,
                                                                   np.arange(lo, hi + 1))))
            n_band = int(in_band.sum())
            add("status_share_by_age", f"{status}/{band}", target,
                float((residents["status"].to_numpy()[in_band] == status).mean())
                if n_band else 0.0, n_band)
    names, weights, _ = _surname_weights(la)
    surnames = residents["surname"].value_counts()
    for i in np.argsort(-weights, kind="stable")[:TOP_SURNAMES]:
        add("surname_share", names[i], weights[i], surnames.get(names[i], 0) / max(n, 1), n)
    twins = int(residents["twin_person_id"].astype(str).ne("").sum())
    add("twin_share", "children who are a twin", scenario.population.twin_share,
        twins / max(n, 1), n)
    for row in world.error_stats.itertuples(index=False):
        add("error_rate", f"{row.error}/{row.source}", row.declared,
            row.applied / row.eligible if row.eligible else 0.0, row.eligible)
    for error, (unknown, n_known) in _variants_unknown_to_linker(world).items():
        add("name_variant_unknown_to_linker", error, float("nan"), unknown, n_known)
    schools = world.schools
    if len(schools):
        add("school_return_rate", "independent schools",
            scenario.independent_schools.return_rate, float(schools["returned"].mean()),
            len(schools))
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["target"] = out["target"].astype(float).round(6)
    out["realised"] = out["realised"].astype(float).round(6)
    return out


def _variants_unknown_to_linker(world: SyntheticLA) -> dict[str, tuple[float, int]]:
    """Per name variant error type with injected records: (share the linker does not
    recognise, records judged), against the people's true forenames."""
    # Evaluation-side imports, here only: the generator itself never sees the linker.

    truth = world.truth_records
    records = pd.concat([f[["record_id", "forename", "surname"]] for f in world.sources.values()],
                        ignore_index=True)
    label = name_variant_known(truth, records, true_forenames(truth, records, world.people))
    errors = truth.set_index("record_id")["errors"].reindex(label.index).str.split(";")
    out = {}
    for error in NAME_VARIANT_ERRORS:
        judged = label[errors.map(lambda e, x=error: x in e).to_numpy() & label.ne("").to_numpy()]
        if len(judged):
            out[error] = (float(judged.eq(UNKNOWN_TO_LINKER).mean()), len(judged))
    return out
