"""The truth: households of children resident (GP-registered) in one LA, each with one status.

Everything is drawn with numpy arrays from keyed generators, so a full-size LA takes a second or
two and the same (seed, authority) always gives the same people.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from cme_eval import wales
from cme_eval.config import ConfigError, Scenario
from cme_eval.identifiers import nhs_numbers, upns, uprns
from cme_eval.inputs.schema import HOUSEHOLD_STATUSES, STALE_STATUSES, STATUSES
from cme_eval.inputs.standardise import fold
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
    if n == 0:
        return np.empty(0, dtype=object)
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

    def make(self, rng: np.random.Generator, n: int, districts=None) -> pd.DataFrame:
        """``n`` addresses; postcodes in ``districts`` if given, else any of the LA's."""
        districts = tuple(districts or self.la.postcode_districts)
        welsh = rng.random(n) < self.la.welsh_speaking_share
        stems = self._pick(rng, self.stems, n)
        en_suffix = self._pick(rng, self.words[("en", "suffix")], n)
        cy_prefix = self._pick(rng, self.words[("cy", "prefix")], n)
        number = rng.integers(1, 180, n)
        named = rng.random(n) < self.house_name_share
        house_name = rng.integers(0, len(self.house_names), n)
        town = rng.integers(0, len(self.la.towns), n)
        district = rng.integers(0, len(districts), n)
        inward = (rng.integers(0, 10, n), rng.integers(0, len(INWARD_LETTERS), n),
                  rng.integers(0, len(INWARD_LETTERS), n))
        return self._assemble(welsh, stems, en_suffix, cy_prefix, number, named, house_name,
                              town, districts, district, inward, uprns(rng, n))

    # uniforms each record draws in make_each: welsh, stem, suffix, prefix, number, named,
    # house name, town, district, inward digit and two letters, UPRN
    _UNIFORMS_PER_ADDRESS = 13

    def make_each(self, rngs, districts=None) -> pd.DataFrame:
        """One address per generator in ``rngs``, each drawn from its own generator alone (a
        fixed number of uniforms each), so a record's address does not depend on the others.

        The same distribution as ``make``; UPRNs are not forced distinct across records (two
        of 9 billion rarely coincide)."""
        districts = tuple(districts or self.la.postcode_districts)
        n = len(rngs)
        u = (np.stack([g.random(self._UNIFORMS_PER_ADDRESS) for g in rngs]) if n
             else np.zeros((0, self._UNIFORMS_PER_ADDRESS)))

        def pick(frame: pd.DataFrame, col: np.ndarray) -> np.ndarray:
            cdf = np.cumsum(frame["weight"].to_numpy(dtype=float))
            idx = np.searchsorted(cdf / cdf[-1], col, side="right")
            return frame["word"].to_numpy(dtype=object)[np.minimum(idx, len(cdf) - 1)]

        def index(col: np.ndarray, size: int) -> np.ndarray:
            return np.minimum((col * size).astype(np.int64), size - 1)

        return self._assemble(
            u[:, 0] < self.la.welsh_speaking_share,
            pick(self.stems, u[:, 1]),
            pick(self.words[("en", "suffix")], u[:, 2]),
            pick(self.words[("cy", "prefix")], u[:, 3]),
            1 + index(u[:, 4], 179),
            u[:, 5] < self.house_name_share,
            index(u[:, 6], len(self.house_names)),
            index(u[:, 7], len(self.la.towns)),
            districts,
            index(u[:, 8], len(districts)),
            (index(u[:, 9], 10), index(u[:, 10], len(INWARD_LETTERS)),
             index(u[:, 11], len(INWARD_LETTERS))),
            (10_090_000_000 + index(u[:, 12], 9_000_000_000)).astype("int64"),
        )

    def _assemble(self, welsh, stems, en_suffix, cy_prefix, number, named, house_name, town,
                  districts, district, inward, uprn) -> pd.DataFrame:
        """Addresses from drawn parts (indices into the LA's towns, districts and names)."""
        street = np.where(welsh, cy_prefix + " " + stems, stems + " " + en_suffix)
        number = np.asarray(number).astype(str).astype(object)
        house = np.where(named, self.house_names[house_name], number)
        town = np.asarray(self.la.towns, dtype=object)[town]
        district = np.asarray(districts, dtype=object)[district]
        digit, first, second = inward
        inward = (np.asarray(digit).astype(str).astype(object) + INWARD_LETTERS[first]
                  + INWARD_LETTERS[second])
        return pd.DataFrame(
            {
                "address": np.where(named, house + ", " + street, house + " " + street)
                + ", "
                + town,
                "postcode": district + " " + inward,
                "uprn": uprn,
            }
        )


def cross_border_districts(authority: str) -> tuple[str, ...]:
    """Postcode districts the LA shares with another LA (where NHS allocation goes wrong)."""
    la = wales.get(authority)
    others: set[str] = set()
    for name, other in wales.authorities().items():
        if name != authority:
            others.update(other.postcode_districts)
    shared = tuple(d for d in la.postcode_districts if d in others)
    return shared or la.postcode_districts


OWN_LA = "maintained_own_la"
COMPULSORY_AGES = np.arange(5, 16)  # whole years over which an age profile averages 1
PHONE_PREFIX = "07700 900"  # Ofcom's range reserved for drama: never a real number


def _parents(rng, scenario: Scenario, surnames: np.ndarray, pools) -> pd.DataFrame:
    """One or two parents per household, with the contact details a CME database holds."""
    n = len(surnames)
    out = {}
    for k, present in ((1, np.ones(n, dtype=bool)),
                       (2, rng.random(n) < scenario.population.two_parent_share)):
        sex = np.where(rng.random(n) < (0.85 if k == 1 else 0.15), "F", "M")
        fore = np.where(sex == "F", pools["F"][rng.integers(0, len(pools["F"]), n)],
                        pools["M"][rng.integers(0, len(pools["M"]), n)])
        sur = np.where(rng.random(n) < 0.8, surnames,
                       pools["surname"][rng.integers(0, len(pools["surname"]), n)])
        phone = [f"{PHONE_PREFIX}{x:03d}" for x in rng.integers(0, 1000, n)]
        email = [f"{fold(f).replace(' ', '')}.{fold(s).replace(' ', '')}{d}@example.org"
                 for f, s, d in zip(fore, sur, rng.integers(1, 100, n), strict=True)]
        for column, values in (("forename", fore), ("surname", sur), ("phone", phone),
                               ("email", email)):
            out[f"parent{k}_{column}"] = np.where(present, np.asarray(values, dtype=object), "")
    return pd.DataFrame(out)


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


def _statuses(scenario: Scenario, authority: str, household: np.ndarray,
              n_households: int, age: np.ndarray) -> np.ndarray:
    """Each child's true status. Statuses that belong to a family (a move, a cross-border
    home, no fixed abode) are drawn per household and shared by its children; the rest per
    child, at the share of the child's age when the status has an age profile
    (``synth.ages``). Both keep each status's expected share of children as declared."""
    shares = scenario.shares_for(authority)
    # Inverse-CDF draws with one uniform per household and one per child, always drawn, and the
    # stale (moved-away) statuses last before the remainder: a what-if that shrinks staleness
    # turns some moved families into ordinary ones and changes no other child's status.
    order = sorted(shares, key=lambda s: (s == OWN_LA, s in STALE_STATUSES, STATUSES.index(s)))
    family = [s for s in order if s in HOUSEHOLD_STATUSES]
    child = [s for s in order if s not in HOUSEHOLD_STATUSES]
    rng = _rng(scenario, authority, "status")
    u_household, u_child = rng.random(n_households), rng.random(len(household))
    family_cdf = np.cumsum([shares[s] for s in family])
    pick = np.searchsorted(family_cdf, u_household, side="right")
    per_household = np.asarray([*family, ""], dtype=object)[pick]
    status = per_household[household]
    rest = status == ""
    weights = np.asarray([shares[s] for s in child], dtype=float)
    if not rest.any() or weights.sum() <= 0:
        return status
    profiles = scenario.status_age_profile
    if not profiles:  # every status as common at every age: one distribution for all
        cdf = np.cumsum(weights / weights.sum())
        idx = np.minimum(np.searchsorted(cdf, u_child[rest], side="right"), len(child) - 1)
        status[rest] = np.asarray(child, dtype=object)[idx]
        return status
    where = np.flatnonzero(rest)
    for a in np.unique(age[where]):
        at = where[age[where] == a]
        w = age_weights(shares, child, profiles, int(a), authority)
        cdf = np.cumsum(w / w.sum())
        idx = np.minimum(np.searchsorted(cdf, u_child[at], side="right"), len(child) - 1)
        status[at] = np.asarray(child, dtype=object)[idx]
    return status


def ages_on(dob: np.ndarray, on: dt.date) -> np.ndarray:
    """Whole years of age on ``on`` of each date of birth (numpy datetime64[D] or dates)."""
    born = pd.to_datetime(dob)
    years = on.year - born.year
    before_birthday = (born.month > on.month) | ((born.month == on.month) & (born.day > on.day))
    return np.asarray(years - before_birthday.astype(int))


def profile_factor(profile: dict[int, float], age: int | np.ndarray) -> np.ndarray:
    """A status's relative weight at ``age``: linear between the ages declared, flat beyond
    them, normalised to a mean of 1 over the compulsory ages 5-15."""
    ages = sorted(profile)
    values = [profile[a] for a in ages]
    mean = float(np.mean(np.interp(COMPULSORY_AGES, ages, values)))
    return np.asarray(np.interp(age, ages, values)) / mean


def age_weights(shares: dict[str, float], child: list[str], profiles: dict[str, dict[int, float]],
                age: int, authority: str) -> np.ndarray:
    """Each per-child status's share at ``age``; the remainder (maintained_own_la) takes what
    the profiled statuses leave, so the shares still add up at every age."""
    w = np.asarray([shares[s] * (profile_factor(profiles[s], age) if s in profiles else 1.0)
                    for s in child], dtype=float)
    if OWN_LA in child:
        own = child.index(OWN_LA)
        w[own] += sum(shares[s] for s in child) - w.sum()
        if w[own] < 0:
            raise ConfigError(f"status_age_profile: at age {age} the profiled shares of "
                              f"{authority} leave no remainder for {OWN_LA}; flatten the "
                              "profiles or lower the shares")
    return w


def _rng(scenario: Scenario, authority: str, purpose: str) -> np.random.Generator:
    return keyed_rng(scenario.seed, authority, "population", purpose)


def generate_population(scenario: Scenario, authority: str) -> pd.DataFrame:
    """Children resident in ``authority`` (aged about 3-18), with households and true status.

    The NHS window gets exactly ``nhs_records x scale`` children, so LA sizes follow the
    scenario; children outside it give the out-of-scope ages that schools return. Each aspect
    (dates, households, twins, names, addresses, statuses, parents, identifiers) draws from its
    own keyed generator, so changing e.g. the twin share leaves every name and status as it was.
    """
    ref = scenario.dates.nhs_extract
    lo, hi = nhs_dob_window(scenario)
    pop_lo = _months_before(ref, 12 * OLDEST_AGE) + dt.timedelta(days=1)
    pop_hi = _months_before(ref, 12 * YOUNGEST_AGE)
    n_window = max(1, round(scenario.nhs_records(authority) * scenario.scale))
    outside_days = (lo - pop_lo).days + (pop_hi - hi).days
    n_outside = round(n_window * outside_days / ((hi - lo).days + 1))
    n_older = round(n_outside * (lo - pop_lo).days / outside_days)
    rng = _rng(scenario, authority, "dob")
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
    rng = _rng(scenario, authority, "households")
    weights = np.asarray(scenario.population.household_children_weights, dtype=float)
    sizes = rng.choice(np.arange(1, len(weights) + 1), size=n, p=weights / weights.sum())
    household = np.repeat(np.arange(n), sizes)[:n]
    first_in_household = np.r_[True, household[1:] != household[:-1]]
    n_households = int(household[-1]) + 1

    # Twins: the second child of a household takes the first's date of birth.
    rng = _rng(scenario, authority, "twins")
    second = np.flatnonzero(~first_in_household & np.r_[False, first_in_household[:-1]])
    n_pairs = min(len(second), round(n * scenario.population.twin_share / 2))
    twin_second = np.sort(rng.choice(second, size=n_pairs, replace=False))
    dob[twin_second] = dob[twin_second - 1]
    twin_of = np.full(n, -1)
    twin_of[twin_second] = twin_second - 1
    twin_of[twin_second - 1] = twin_second

    pools = faker_pools(scenario.seed)
    rng = _rng(scenario, authority, "forenames")
    sex = np.where(rng.random(n) < 0.5, "F", "M")
    forename = _sample_forenames(rng, scenario, authority, sex)
    # Brothers and sisters, twins among them, get different forenames: parents do not give two
    # children one name, and a household of namesakes told apart only by their birth is not a
    # family any list holds (twins stay a real source of false matches if the linker merges them).
    for _ in range(10):
        clash = np.flatnonzero(pd.DataFrame({"h": household, "f": forename}).duplicated())
        if not len(clash):
            break
        forename[clash] = _sample_forenames(rng, scenario, authority, sex[clash])

    rng = _rng(scenario, authority, "surnames")
    hh_surname = _sample_surnames(rng, authority, pools["surname"], n_households)
    surname = hh_surname[household]
    own = (rng.random(n) >= scenario.population.siblings_share_surname) & ~first_in_household
    own[twin_of >= 0] = False  # twins share a surname
    surname[own] = _sample_surnames(rng, authority, pools["surname"], own.sum())

    status = _statuses(scenario, authority, household, n_households, ages_on(dob, ref))

    factory = AddressFactory(scenario, authority)
    rng = _rng(scenario, authority, "addresses")
    homes = factory.make(rng, n_households)
    address = homes["address"].to_numpy()[household]
    postcode = homes["postcode"].to_numpy()[household]
    uprn = homes["uprn"].to_numpy()[household]
    # Misallocated families live across the border: their postcode is in a shared district.
    moved_households = np.unique(household[status == "misallocated_border"])
    if len(moved_households):
        border = factory.make(rng, len(moved_households),
                              districts=cross_border_districts(authority))
        where = np.searchsorted(moved_households, household)
        hit = np.isin(household, moved_households)
        address[hit] = border["address"].to_numpy()[where[hit]]
        postcode[hit] = border["postcode"].to_numpy()[where[hit]]
        uprn[hit] = border["uprn"].to_numpy()[where[hit]]

    rng = _rng(scenario, authority, "identifiers")
    la = wales.get(authority)
    school_year = pd.to_datetime(dob).year + 5
    upn = np.empty(n, dtype=object)
    for year in np.unique(school_year):
        idx = np.flatnonzero(school_year == year)
        upn[idx] = upns(rng, la.upn_code, len(idx), int(year))

    code = la.gss_code
    people = pd.DataFrame(
        {
            "person_id": [f"P-{code}-{i:07d}" for i in range(n)],
            "household_id": [f"H-{code}-{h:07d}" for h in household],
            "forename": forename,
            "surname": surname,
            "sex": sex,
            "dob": pd.to_datetime(dob).strftime("%Y-%m-%d"),
            "address": address,
            "postcode": postcode,
            "uprn": uprn,
            "nhs_number": nhs_numbers(rng, n),
            "upn": upn,
            "authority": authority,
            "status": status,
            "resident": True,
            "twin_person_id": [f"P-{code}-{t:07d}" if t >= 0 else "" for t in twin_of],
        }
    )
    parents = _parents(_rng(scenario, authority, "parents"), scenario, hh_surname, pools)
    return pd.concat([people, parents.iloc[household].reset_index(drop=True)], axis=1)


def generate_visitors(
    scenario: Scenario, authority: str, kind: str, n: int, home_authority: str | None
) -> pd.DataFrame:
    """Children who are not resident in ``authority`` but appear in one of its sources:
    boarders listed by its independent schools, or pupils from a neighbouring LA on its PLASC.
    ``home_authority`` is where they live (None: abroad, no UK address)."""
    rng = _rng(scenario, authority, f"visitors-{kind}")
    lo, hi = nhs_dob_window(scenario)
    dob = _uniform_dates(rng, lo, hi, n)
    pools = faker_pools(scenario.seed)
    sex = np.where(rng.random(n) < 0.5, "F", "M")
    forename = _sample_forenames(rng, scenario, authority, sex)
    surname = _sample_surnames(rng, home_authority or authority, pools["surname"], n)
    if home_authority and home_authority in wales.AUTHORITY_NAMES:
        homes = AddressFactory(scenario, home_authority).make(rng, n)
    else:
        homes = pd.DataFrame({"address": [""] * n, "postcode": [""] * n, "uprn": [0] * n})
    code = wales.get(authority).gss_code
    return pd.DataFrame({
        "person_id": [f"V-{code}-{kind}-{i:05d}" for i in range(n)],
        "household_id": [f"VH-{code}-{kind}-{i:05d}" for i in range(n)],
        "forename": forename, "surname": surname, "sex": sex,
        "dob": pd.to_datetime(dob).strftime("%Y-%m-%d"),
        "address": homes["address"].to_numpy(), "postcode": homes["postcode"].to_numpy(),
        "uprn": homes["uprn"].to_numpy(), "nhs_number": "", "upn": "",
        "authority": home_authority or "abroad", "status": kind, "resident": False,
        "twin_person_id": "",
    })
