"""The truth: households of children resident (GP-registered) in one LA, each with one status.

Everything is drawn with numpy arrays from keyed generators, so a full-size LA takes a second or
two and the same (seed, authority) always gives the same people.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from cme_eval import wales
from cme_eval.config import Scenario
from cme_eval.rng import keyed_rng
from cme_eval.schooling import compulsory_dob_range
from cme_eval.synth.reference import faker_pools, table

INWARD_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))  # letters used in inward codes
OLDEST_AGE, YOUNGEST_AGE = 19, 3  # population: children aged 3 up to (not including) 19


def _months_before(day: dt.date, months: int) -> dt.date:
    return (pd.Timestamp(day) - pd.DateOffset(months=months)).date()


def nhs_dob_window(scenario: Scenario) -> tuple[dt.date, dt.date]:
    """Dates of birth covered by the NHS extract: compulsory school age, plus a margin."""
    earliest, latest = compulsory_dob_range(scenario.dates.nhs_extract)
    margin = scenario.population.nhs_dob_margin_months
    return _months_before(earliest, margin), _months_before(latest, -margin)


def _uniform_dates(rng: np.random.Generator, lo: dt.date, hi: dt.date, n: int) -> np.ndarray:
    span = (hi - lo).days + 1
    return np.datetime64(lo, "D") + rng.integers(0, span, n).astype("timedelta64[D]")


def _weighted_choice(rng: np.random.Generator, values, weights, n: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return np.asarray(values, dtype=object)[rng.choice(len(w), size=n, p=w / w.sum())]


class AddressFactory:
    """Makes plausible addresses in one LA: house number or name, street, town, postcode."""

    def __init__(self, scenario: Scenario, authority: str):
        self.la = wales.get(authority)
        self.house_name_share = scenario.population.house_name_share
        streets = table("streets")
        self.words = {
            (lang, kind): grp
            for (lang, kind), grp in streets.assign(weight=streets.weight.astype(float)).groupby(
                ["language", "kind"]
            )
        }
        self.stems = streets[streets.kind == "stem"].assign(weight=lambda d: d.weight.astype(float))
        self.house_names = table("house_names")["name"].to_numpy(dtype=object)

    def _pick(self, rng, frame: pd.DataFrame, n: int) -> np.ndarray:
        return _weighted_choice(rng, frame["word"], frame["weight"], n)

    def make(self, rng: np.random.Generator, n: int) -> pd.DataFrame:
        welsh = rng.random(n) < self.la.welsh_speaking_share
        stems = self._pick(rng, self.stems, n)
        en_suffix = self._pick(rng, self.words[("en", "suffix")], n)
        cy_prefix = self._pick(rng, self.words[("cy", "prefix")], n)
        street = np.where(welsh, cy_prefix + " " + stems, stems + " " + en_suffix)
        number = rng.integers(1, 180, n).astype(str).astype(object)
        named = rng.random(n) < self.house_name_share
        house = np.where(named, self.house_names[rng.integers(0, len(self.house_names), n)], number)
        town = np.asarray(self.la.towns, dtype=object)[rng.integers(0, len(self.la.towns), n)]
        district = np.asarray(self.la.postcode_districts, dtype=object)[
            rng.integers(0, len(self.la.postcode_districts), n)
        ]
        inward = (
            rng.integers(0, 10, n).astype(str).astype(object)
            + INWARD_LETTERS[rng.integers(0, len(INWARD_LETTERS), n)]
            + INWARD_LETTERS[rng.integers(0, len(INWARD_LETTERS), n)]
        )
        return pd.DataFrame(
            {
                "address": np.where(named, house + ", " + street, house + " " + street)
                + ", "
                + town,
                "postcode": district + " " + inward,
            }
        )


def _surname_weights(authority: str) -> tuple[np.ndarray, np.ndarray, float]:
    """Welsh surname table weighted for the LA; the remainder goes to Faker's en_GB pool.

    Gwynedd and Anglesey use the north-west shares; elsewhere the all-Wales shares are scaled
    by (0.6 + share of Welsh speakers), so Welsh surnames are weakest in Cardiff and
    Monmouthshire (an indicative model, documented in data/SOURCES.md).
    """
    names = table("surnames")
    la = wales.get(authority)
    if la.name in ("Gwynedd", "Isle of Anglesey"):
        w = names["share_north_west"].astype(float).to_numpy()
    else:
        w = names["share_wales"].astype(float).to_numpy() * (0.6 + la.welsh_speaking_share)
    return names["surname"].to_numpy(dtype=object), w, max(0.0, 1.0 - w.sum())


def _sample_surnames(rng, authority: str, pool: np.ndarray, n: int) -> np.ndarray:
    values, w, other = _surname_weights(authority)
    pick = _weighted_choice(rng, np.append(values, "<other>"), np.append(w, other), n)
    is_other = pick == "<other>"
    pick[is_other] = pool[rng.integers(0, len(pool), is_other.sum())]
    return pick


def _sample_forenames(rng, scenario: Scenario, authority: str, sex: np.ndarray) -> np.ndarray:
    names = table("forenames")
    s = wales.get(authority).welsh_speaking_share
    pools = faker_pools(scenario.seed)
    out = np.empty(len(sex), dtype=object)
    for code in ("F", "M"):
        rows = names[names.sex == code]
        w = (1 - s) * rows.weight_english_areas.astype(float) + s * rows.weight_welsh_areas.astype(
            float
        )
        idx = np.flatnonzero(sex == code)
        out[idx] = _weighted_choice(rng, rows.forename, w, len(idx))
        other = idx[rng.random(len(idx)) < scenario.population.other_forename_share]
        out[other] = pools[code][rng.integers(0, len(pools[code]), len(other))]
    return out


def generate_population(scenario: Scenario, authority: str) -> pd.DataFrame:
    """Children resident in ``authority`` (aged about 3-18), with households and true status.

    The NHS window gets exactly ``nhs_records x scale`` children, so LA sizes follow the
    scenario; children outside it give the out-of-scope ages that schools return.
    """
    la_cfg = scenario.authorities[authority]
    rng = keyed_rng(scenario.seed, authority, "population")
    ref = scenario.dates.nhs_extract
    lo, hi = nhs_dob_window(scenario)
    pop_lo = _months_before(ref, 12 * OLDEST_AGE) + dt.timedelta(days=1)
    pop_hi = _months_before(ref, 12 * YOUNGEST_AGE)
    n_window = max(1, round(la_cfg.nhs_records * scenario.scale))
    outside_days = (lo - pop_lo).days + (pop_hi - hi).days
    n_outside = round(n_window * outside_days / ((hi - lo).days + 1))
    n_older = round(n_outside * (lo - pop_lo).days / outside_days)
    dob = np.concatenate(
        [
            _uniform_dates(rng, lo, hi, n_window),
            _uniform_dates(rng, pop_lo, lo - dt.timedelta(days=1), n_older),
            _uniform_dates(rng, hi + dt.timedelta(days=1), pop_hi, n_outside - n_older),
        ]
    )
    n = len(dob)
    dob = dob[rng.permutation(n)]

    # Households: consecutive children share one, sizes drawn from the declared weights.
    weights = np.asarray(scenario.population.household_children_weights, dtype=float)
    sizes = rng.choice(np.arange(1, len(weights) + 1), size=n, p=weights / weights.sum())
    household = np.repeat(np.arange(n), sizes)[:n]
    first_in_household = np.r_[True, household[1:] != household[:-1]]

    # Twins: the second child of a household takes the first's date of birth.
    second = np.flatnonzero(~first_in_household & np.r_[False, first_in_household[:-1]])
    n_pairs = min(len(second), round(n * scenario.population.twin_share / 2))
    twin_second = np.sort(rng.choice(second, size=n_pairs, replace=False))
    dob[twin_second] = dob[twin_second - 1]
    twin_of = np.full(n, -1)
    twin_of[twin_second] = twin_second - 1
    twin_of[twin_second - 1] = twin_second

    pools = faker_pools(scenario.seed)
    sex = np.where(rng.random(n) < 0.5, "F", "M")
    forename = _sample_forenames(rng, scenario, authority, sex)
    # Twins get different forenames (a real source of false matches if the linker merges them).
    for _ in range(10):
        clash = twin_second[forename[twin_second] == forename[twin_second - 1]]
        if not len(clash):
            break
        forename[clash] = _sample_forenames(rng, scenario, authority, sex[clash])

    household_ids = np.unique(household)
    hh_surname = _sample_surnames(rng, authority, pools["surname"], len(household_ids))
    surname = hh_surname[household]
    own = (rng.random(n) >= scenario.population.siblings_share_surname) & ~first_in_household
    own[twin_of >= 0] = False  # twins share a surname
    surname[own] = _sample_surnames(rng, authority, pools["surname"], own.sum())

    addresses = AddressFactory(scenario, authority).make(rng, len(household_ids))
    shares = scenario.shares_for(authority)
    status = _weighted_choice(rng, list(shares), list(shares.values()), n)

    code = wales.get(authority).gss_code
    return pd.DataFrame(
        {
            "person_id": [f"P-{code}-{i:07d}" for i in range(n)],
            "household_id": [f"H-{code}-{h:07d}" for h in household],
            "forename": forename,
            "surname": surname,
            "sex": sex,
            "dob": pd.to_datetime(dob).strftime("%Y-%m-%d"),
            "address": addresses["address"].to_numpy()[household],
            "postcode": addresses["postcode"].to_numpy()[household],
            "authority": authority,
            "status": status,
            "twin_person_id": [f"P-{code}-{t:07d}" if t >= 0 else "" for t in twin_of],
        }
    )
