"""What each party would send: source extracts derived from the truth, with declared errors.

The NHS extract (NWSSP) holds every GP-registered child in the DOB window (stale registrations
and families allocated here from a cross-border postcode included); PLASC, EHE, EOTAS, OOC and
the CME register hold the children whose true status puts them there
(``schema.STATUS_DATASETS``), PLASC also the pupils who come in from neighbouring LAs; each
independent school that returns sends one file in its own layout, sometimes with boarders who
live elsewhere. Record ids are assigned after a keyed shuffle so their order reveals nothing.

Two what-if datasets exist only in their scenarios: the neighbour-enrolment list other Welsh LAs
send about this LA's children (``cross_border.neighbour_exchange``), and other LAs' PLASC records
of this LA's children, for central matching against all-Wales PLASC.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from cme_eval import wales
from cme_eval.config import Scenario
from cme_eval.fileio import write_csv
from cme_eval.inputs.schema import (
    FILE_NAMES,
    INDEPENDENT,
    INPUTS_DIR,
    LA_DATASETS,
    NEIGHBOUR_ENROLMENTS,
    NWSSP,
    ON_ANOTHER_WELSH_ROLL,
    PLASC,
    PLASC_WALES,
    RECORDS_LIKE,
    RETURNS_DIR,
    STALE_STATUSES,
    STATUS_DATASETS,
    TRUTH_DIR,
    VISITOR_DATASETS,
)
from cme_eval.rng import keyed_rng
from cme_eval.schooling import in_scope_mask
from cme_eval.synth import returns
from cme_eval.synth.errors import ErrorContext, apply_errors
from cme_eval.synth.population import (
    AddressFactory,
    generate_population,
    generate_visitors,
    nhs_dob_window,
)
from cme_eval.synth.profile import profile
from cme_eval.synth.world import SyntheticLA  # defined there; importable from here as before

ID_PREFIX = {NWSSP: "NHS", PLASC: "PLA", "ehe": "EHE", "eotas": "EOT", "ooc": "OOC",
             "cme_register": "CME", NEIGHBOUR_ENROLMENTS: "NBR", PLASC_WALES: "PLW"}
FIELDS = ["forename", "surname", "dob", "address", "postcode"]


def _holders(people: pd.DataFrame, dataset: str, statuses=None) -> pd.DataFrame:
    table = {**STATUS_DATASETS, **VISITOR_DATASETS}
    wanted = [s for s, where in table.items() if dataset in where]
    if statuses is not None:
        wanted = [s for s in wanted if s in statuses]
    return people[people.status.isin(wanted)]


def _nhs_people(scenario: Scenario, authority: str, people: pd.DataFrame) -> pd.DataFrame:
    """Registered children in the DOB window. A family that moved away is still registered
    here with probability ``nhs_staleness`` (1 for the annual pilot extract), drawn per
    household so the family stays together."""
    lo, hi = nhs_dob_window(scenario)
    dob = pd.to_datetime(people.dob)
    keep = people.resident & (dob >= pd.Timestamp(lo)) & (dob <= pd.Timestamp(hi))
    if scenario.nhs_staleness < 1:
        households = people["household_id"].unique()
        u = pd.Series(keyed_rng(scenario.seed, authority, "staleness").random(len(households)),
                      index=households)
        still = people["household_id"].map(u) < scenario.nhs_staleness
        keep &= ~people.status.isin(STALE_STATUSES) | still
    return people[keep]


def _surgery_addresses(people: pd.DataFrame, addresses: AddressFactory, rng) -> pd.DataFrame:
    """Children with no fixed abode are registered at a GP surgery address."""
    nfa = people.status.eq("no_fixed_abode").to_numpy()
    if nfa.any():
        surgery = addresses.make(rng, 3).sample(int(nfa.sum()), replace=True, random_state=rng)
        people = people.copy()
        people.loc[nfa, "address"] = ("The Surgery, " + surgery["address"]).to_numpy()
        people.loc[nfa, "postcode"] = surgery["postcode"].to_numpy()
    return people


def _neighbours(authority: str) -> tuple[list[str], list[str]]:
    """Welsh neighbours by name, and English ones (written 'England: X' in the reference data)."""
    la = wales.get(authority)
    welsh = [n for n in la.neighbours if n in wales.AUTHORITY_NAMES]
    english = [n.split(":", 1)[1].strip() for n in la.neighbours if n.startswith("England:")]
    return welsh, english


def _inbound_pupils(scenario: Scenario, authority: str, n_plasc: int) -> pd.DataFrame:
    welsh, _ = _neighbours(authority)
    n = round(n_plasc * scenario.population.inbound_pupil_share)
    if not welsh or n == 0:
        return generate_visitors(scenario, authority, "inbound_pupil", 0, None)
    home = welsh[keyed_rng(scenario.seed, authority, "inbound-home").integers(0, len(welsh))]
    return generate_visitors(scenario, authority, "inbound_pupil", n, home)


def _reported_by_neighbours(scenario: Scenario, authority: str, holders: pd.DataFrame):
    """Pupils on a neighbouring Welsh LA's roll that the neighbour reports (keyed per child,
    so a larger exchange share only ever adds children)."""
    u = keyed_rng(scenario.seed, authority, "neighbour-exchange").random(len(holders))
    return holders[u < scenario.cross_border.neighbour_exchange]


def _on_other_welsh_rolls(scenario: Scenario, authority: str, residents: pd.DataFrame):
    """This LA's children on another Welsh LA's PLASC, as that LA holds them: at their home
    address, except a family that moved within Wales, who are at their new one."""
    held = residents[residents.status.isin(ON_ANOTHER_WELSH_ROLL)].copy()
    moved = held.status.eq("moved_within_wales").to_numpy()
    if moved.any():
        rng = keyed_rng(scenario.seed, authority, "moved-within-wales-new-home")
        others = [a for a in wales.AUTHORITY_NAMES if a != authority]
        households = held.loc[moved, "household_id"].unique()
        new_la = np.asarray(others, dtype=object)[rng.integers(0, len(others), len(households))]
        homes = []
        for la in sorted(set(new_la)):
            mask = new_la == la
            homes.append(AddressFactory(scenario, la).make(rng, int(mask.sum()))
                         .assign(household_id=households[mask]))
        homes = pd.concat(homes, ignore_index=True).set_index("household_id")
        hh = held.loc[moved, "household_id"]
        for column in ("address", "postcode", "uprn"):
            held.loc[moved, column] = hh.map(homes[column]).to_numpy()
    return held


def _schools(scenario: Scenario, authority: str, pupils: pd.DataFrame):
    """Pupils grouped into schools; each school returns or not, in its layout and date format."""
    rng = keyed_rng(scenario.seed, authority, "independent-schools")
    cfg = scenario.independent_schools
    n_schools = max(1, math.ceil(len(pupils) / cfg.pupils_per_school))
    slug = wales.get(authority).slug
    layouts = cfg.layouts or {name: 1.0 for name in returns.LAYOUTS}
    names = [k for k, w in layouts.items() if w > 0]
    weights = np.asarray([layouts[k] for k in names], dtype=float)
    schools = pd.DataFrame({
        "school_id": [f"{slug}-school-{i + 1:02d}" for i in range(n_schools)],
        "returned": rng.random(n_schools) < cfg.return_rate,
        "layout": np.asarray(names, dtype=object)[
            rng.choice(len(names), n_schools, p=weights / weights.sum())],
        "dob_format": np.asarray(cfg.dob_formats, dtype=object)[
            rng.integers(0, len(cfg.dob_formats), n_schools)],
        "lists_boarders": rng.random(n_schools) < cfg.boarders_listed_share,
        "lists_out_of_age": rng.random(n_schools) < cfg.out_of_age_listed_share,
    })
    pupils = pupils.assign(school_id=schools.school_id.to_numpy()[
        rng.integers(0, n_schools, len(pupils))])
    return pupils, schools


def _boarders(scenario: Scenario, authority: str, pupils: pd.DataFrame, schools: pd.DataFrame):
    """Boarders listed by returning schools that list them: living in England or abroad."""
    listing = schools[schools.returned & schools.lists_boarders].school_id
    per_school = pupils[pupils.school_id.isin(listing)].groupby("school_id").size()
    counts = (per_school * scenario.independent_schools.boarders_per_pupil).round().astype(int)
    n = int(counts.sum())
    if n == 0:
        return generate_visitors(scenario, authority, "boarder", 0, None).assign(school_id="")
    boarders = generate_visitors(scenario, authority, "boarder", n, None)
    return boarders.assign(school_id=np.repeat(counts.index.to_numpy(), counts.to_numpy()))


def _records(scenario: Scenario, authority: str, source: str, people: pd.DataFrame,
             ctx: ErrorContext, ctx_stats: list, extra: tuple[str, ...] = ()):
    """One source's records (errors applied, keyed shuffle) and their truth rows (no ids yet)."""
    shared = scenario.identifiers.get(RECORDS_LIKE.get(source, source), [])
    idents = [i for i in shared if i in people]
    base = people[["person_id", *FIELDS, *idents, *extra]]
    noisy, applied = apply_errors(base, source=source, rates=scenario.error_rates(source),
                                  seed=scenario.seed, authority=authority, context=ctx)
    ctx_stats.extend(noisy.attrs.get("error_stats", []))
    noisy = noisy.astype({i: str for i in idents})
    order = keyed_rng(scenario.seed, authority, "record-order", source).permutation(len(noisy))
    noisy = noisy.iloc[order].reset_index(drop=True)
    truth = pd.DataFrame({"source": source, "person_id": noisy.person_id,
                          "errors": [";".join(applied[i]) for i in order]})
    return noisy.drop(columns="person_id"), truth


def _with_ids(records: pd.DataFrame, truth: pd.DataFrame, ids: list[str]):
    records.insert(0, "record_id", ids)
    truth.insert(0, "record_id", ids)
    return records, truth


def synthesise(scenario: Scenario, authority: str) -> SyntheticLA:
    """Generate one LA: the population and every source it would send or hold."""
    residents = generate_population(scenario, authority)
    code = wales.get(authority).gss_code
    factory = AddressFactory(scenario, authority)

    plasc_people = _holders(residents, PLASC)
    inbound = _inbound_pupils(scenario, authority, len(plasc_people))
    # Every pupil is at a school whatever the what-if; only what a school lists changes.
    pupils, schools = _schools(scenario, authority, _holders(residents, INDEPENDENT))
    boarders = _boarders(scenario, authority, pupils, schools)
    people = pd.concat([residents, inbound, boarders.drop(columns="school_id")],
                       ignore_index=True).astype({"uprn": "int64"})
    ctx = ErrorContext(new_addresses=factory.make_each, people=people)
    sources: dict[str, pd.DataFrame] = {}
    truths: list[pd.DataFrame] = []
    stats: list[dict[str, object]] = []  # per error and source (errors.apply_errors)

    def add(source: str, frame: pd.DataFrame) -> None:
        records, truth = _records(scenario, authority, source, frame, ctx, stats)
        ids = [f"{ID_PREFIX[source]}-{code}-{i + 1:06d}" for i in range(len(records))]
        sources[source], t = _with_ids(records, truth, ids)
        truths.append(t)

    nhs = _surgery_addresses(_nhs_people(scenario, authority, residents), factory,
                             keyed_rng(scenario.seed, authority, "surgeries"))
    add(NWSSP, nhs)
    add(PLASC, pd.concat([plasc_people, inbound], ignore_index=True))
    for dataset in LA_DATASETS:
        if dataset != PLASC:
            add(dataset, _holders(residents, dataset))
    if scenario.cross_border.neighbour_exchange > 0:
        add(NEIGHBOUR_ENROLMENTS, _reported_by_neighbours(
            scenario, authority, _holders(residents, NEIGHBOUR_ENROLMENTS)))
    if scenario.cross_border.central_matching:
        add(PLASC_WALES, _on_other_welsh_rolls(scenario, authority, residents))

    returned = set(schools.school_id[schools.returned])
    listed = pd.concat([pupils, boarders], ignore_index=True)
    # Schools were asked for pupils of compulsory school age; some sent everyone on roll.
    in_age = in_scope_mask(pd.to_datetime(listed["dob"]), scenario.dates.nhs_extract)
    all_ages = set(schools.school_id[schools.lists_out_of_age])
    listed = listed[in_age.to_numpy() | listed.school_id.isin(all_ages).to_numpy()]
    if not scenario.independent_schools.include_la_placed:  # the LA placed them: it knows
        listed = listed[listed.status.ne("independent_la_placed")]
    listed = listed[listed.school_id.isin(returned)].assign(
        boarder=lambda d: ~d.resident.astype(bool),
        la_placed=lambda d: d.status.eq("independent_la_placed"))
    records, truth = _records(scenario, authority, INDEPENDENT, listed, ctx, stats,
                              extra=("school_id", "boarder", "la_placed"))
    # Each school's file lists its pupils in the shuffled order; ids are file and row.
    records = records.sort_values("school_id", kind="stable")
    truth = truth.loc[records.index].reset_index(drop=True)
    records = records.reset_index(drop=True)
    by_school = schools.set_index("school_id")
    ids = np.empty(len(records), dtype=object)
    for school_id, idx in records.groupby("school_id").indices.items():
        name = returns.file_name(school_id, by_school.at[school_id, "layout"])
        ids[idx] = returns.record_ids(f"{RETURNS_DIR}/{name}", len(idx))
    records["dob"] = _school_dob(records, by_school["dob_format"])
    sources[INDEPENDENT], t = _with_ids(records, truth, list(ids))
    truths.append(t)

    return SyntheticLA(authority, people, sources, pd.concat(truths, ignore_index=True), schools,
                       pd.DataFrame(stats, columns=["error", "source", "declared", "eligible",
                                                    "applied"]))


def _school_dob(records: pd.DataFrame, formats: pd.Series) -> list[str]:
    """Each school writes dates of birth its own way (ISO values stay if unparseable)."""
    out = []
    for dob, fmt in zip(records["dob"], records["school_id"].map(formats), strict=True):
        date = pd.to_datetime(dob, format="%Y-%m-%d", errors="coerce")
        if pd.isna(date):
            out.append(dob)
        elif fmt == "excel":
            out.append(str((date - pd.Timestamp("1899-12-30")).days))
        else:
            out.append(date.strftime(fmt))
    return out


def write_synthetic(world: SyntheticLA, out: Path, scenario: Scenario | None = None) -> list[Path]:
    """Write every source into ``out/inputs/`` (exactly what an LA would hold or receive; one
    file per returning school) and the truth into ``out/truth/``, as UTF-8 files.

    With the ``scenario``, also ``truth/synthetic_profile.csv``: every target beside its
    realised value. Linking reads only ``inputs/``; only evaluation against truth reads
    ``truth/``, so the same code runs on an LA's real extracts, which have no truth.
    """
    inputs, truth = out / INPUTS_DIR, out / TRUTH_DIR
    inputs.mkdir(parents=True, exist_ok=True)
    truth.mkdir(parents=True, exist_ok=True)
    written = [write_csv(world.people, truth / "truth_people.csv"),
               write_csv(world.truth_records, truth / "truth_records.csv")]
    for source, name in FILE_NAMES.items():
        if source in world.sources:  # what-if datasets only in their scenarios
            written.append(write_csv(world.sources[source], inputs / name))
    folder = inputs / RETURNS_DIR
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    layouts = world.schools.set_index("school_id")["layout"]
    for school_id, frame in world.sources[INDEPENDENT].groupby("school_id", sort=True):
        written.append(returns.write_return(frame, layouts[school_id], folder, school_id))
    written.append(write_csv(world.schools, truth / "independent_schools.csv"))
    if scenario is not None:
        written.append(write_csv(profile(world, scenario), truth / "synthetic_profile.csv",
                                 float_format="%.6f"))
    return written
