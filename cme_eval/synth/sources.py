"""What each party would send: source extracts derived from the truth, with declared errors.

The NHS extract (NWSSP) holds every GP-registered child in the DOB window (stale registrations
included); PLASC, EHE, EOTAS, OOC and the CME register hold the children whose true status puts
them there (``schema.STATUS_DATASETS``); each independent school that returns sends one file.
Record ids are assigned after a keyed shuffle so their order reveals nothing about the truth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cme_eval import wales
from cme_eval.config import Scenario
from cme_eval.rng import keyed_rng
from cme_eval.schema import (
    CME_REGISTER,
    EHE,
    EOTAS,
    FILE_NAMES,
    INDEPENDENT,
    LA_DATASETS,
    NWSSP,
    OOC,
    PLASC,
    RETURNS_DIR,
    STATUS_DATASETS,
)
from cme_eval.synth.errors import ErrorContext, apply_errors
from cme_eval.synth.population import AddressFactory, generate_population, nhs_dob_window

ID_PREFIX = {NWSSP: "NHS", INDEPENDENT: "IND", PLASC: "PLA", EHE: "EHE", EOTAS: "EOT", OOC: "OOC",
             CME_REGISTER: "CME"}
FIELDS = ["forename", "surname", "dob", "address", "postcode"]


@dataclass
class SyntheticLA:
    """One LA's synthetic world: the people, what each source sends, and which record is whom."""

    authority: str
    people: pd.DataFrame
    sources: dict[str, pd.DataFrame]  # source -> records (independent: all returns together)
    truth_records: pd.DataFrame
    schools: pd.DataFrame = field(default_factory=pd.DataFrame)


def _holders(people: pd.DataFrame, dataset: str) -> pd.DataFrame:
    statuses = [s for s, where in STATUS_DATASETS.items() if dataset in where]
    return people[people.status.isin(statuses)]


def _nhs_people(scenario: Scenario, people: pd.DataFrame) -> pd.DataFrame:
    lo, hi = nhs_dob_window(scenario)
    dob = pd.to_datetime(people.dob)
    return people[(dob >= pd.Timestamp(lo)) & (dob <= pd.Timestamp(hi))]


def _surgery_addresses(people: pd.DataFrame, addresses: AddressFactory, rng) -> pd.DataFrame:
    """Children with no fixed abode are registered at a GP surgery address."""
    nfa = people.status.eq("no_fixed_abode").to_numpy()
    if nfa.any():
        surgery = addresses.make(rng, 3).sample(int(nfa.sum()), replace=True, random_state=rng)
        people = people.copy()
        people.loc[nfa, "address"] = ("The Surgery, " + surgery["address"]).to_numpy()
        people.loc[nfa, "postcode"] = surgery["postcode"].to_numpy()
    return people


def _assign_schools(
    scenario: Scenario, authority: str, pupils: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Independent-school pupils grouped into schools; each school returns or not."""
    rng = keyed_rng(scenario.seed, authority, "independent-schools")
    cfg = scenario.independent_schools
    n_schools = max(1, math.ceil(len(pupils) / cfg.pupils_per_school))
    slug = wales.get(authority).slug
    schools = pd.DataFrame(
        {
            "school_id": [f"{slug}-school-{i + 1:02d}" for i in range(n_schools)],
            "returned": rng.random(n_schools) < cfg.return_rate,
            "dob_format": np.asarray(cfg.dob_formats, dtype=object)[
                rng.integers(0, len(cfg.dob_formats), n_schools)
            ],
        }
    )
    pupils = pupils.assign(school_id=schools.school_id.to_numpy()[
        rng.integers(0, n_schools, len(pupils))
    ])
    returned = set(schools.school_id[schools.returned])
    return pupils[pupils.school_id.isin(returned)], schools


def _records(
    scenario: Scenario, authority: str, source: str, people: pd.DataFrame, ctx: ErrorContext
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One source's records (fields in the source's own format) and their truth rows."""
    rates = {e: r[source] for e, r in scenario.errors.items() if source in r}
    extra = [c for c in ("school_id",) if c in people]
    base = people[["person_id", *FIELDS, *extra]]
    noisy, applied = apply_errors(
        base, source=source, rates=rates, seed=scenario.seed, authority=authority, context=ctx
    )
    order = keyed_rng(scenario.seed, authority, "record-order", source).permutation(len(noisy))
    noisy = noisy.iloc[order].reset_index(drop=True)
    code = wales.get(authority).gss_code
    noisy.insert(0, "record_id", [f"{ID_PREFIX[source]}-{code}-{i + 1:06d}" for i in range(len(noisy))])
    truth = pd.DataFrame(
        {
            "record_id": noisy.record_id,
            "source": source,
            "person_id": noisy.person_id,
            "errors": [";".join(applied[i]) for i in order],
        }
    )
    return noisy.drop(columns="person_id"), truth


def synthesise(scenario: Scenario, authority: str) -> SyntheticLA:
    """Generate one LA: the population and every source it would send or hold."""
    people = generate_population(scenario, authority)
    addresses = AddressFactory(scenario, authority)
    ctx = ErrorContext(new_addresses=addresses.make)
    sources, truths = {}, []

    nhs = _surgery_addresses(
        _nhs_people(scenario, people), addresses, keyed_rng(scenario.seed, authority, "surgeries")
    )
    sources[NWSSP], t = _records(scenario, authority, NWSSP, nhs, ctx)
    truths.append(t)
    for dataset in LA_DATASETS:
        sources[dataset], t = _records(scenario, authority, dataset, _holders(people, dataset), ctx)
        truths.append(t)

    returned, schools = _assign_schools(scenario, authority, _holders(people, INDEPENDENT))
    records, t = _records(scenario, authority, INDEPENDENT, returned, ctx)
    fmt = records.school_id.map(schools.set_index("school_id").dob_format)
    dob = pd.to_datetime(records.dob)
    records["dob"] = [d.strftime(f) for d, f in zip(dob, fmt, strict=True)]
    sources[INDEPENDENT] = records
    truths.append(t)

    return SyntheticLA(authority, people, sources, pd.concat(truths, ignore_index=True), schools)


def write_synthetic(world: SyntheticLA, out: Path) -> list[Path]:
    """Write the truth and every source as UTF-8 CSV files; one file per returning school."""
    out.mkdir(parents=True, exist_ok=True)
    written = []

    def save(frame: pd.DataFrame, path: Path) -> None:
        frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        written.append(path)

    save(world.people, out / "truth_people.csv")
    save(world.truth_records, out / "truth_records.csv")
    for source, name in FILE_NAMES.items():
        save(world.sources[source], out / name)
    returns = out / RETURNS_DIR
    returns.mkdir(exist_ok=True)
    for old in returns.glob("*.csv"):
        old.unlink()
    by_school = world.sources[INDEPENDENT].groupby("school_id", sort=True)
    for school_id, frame in by_school:
        save(frame.drop(columns="school_id"), returns / f"{school_id}.csv")
    save(world.schools, out / "independent_schools.csv")
    return written
