"""Name and address reference tables (package data), loaded once and shared.

Faker has no Welsh locale, so Welsh surnames, forenames, name variants and street words come
from our own CSVs (``cme_eval/data``, sources in ``data/SOURCES.md``); Faker's en_GB provider
only fills the long tail of other names.
"""

from __future__ import annotations

import io
from collections import defaultdict
from functools import cache, lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from cme_eval.rng import keyed_int


@cache
def table(name: str) -> pd.DataFrame:
    text = resources.files("cme_eval").joinpath("data", f"{name}.csv").read_text(encoding="utf-8")
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


ALL_VARIANT_KINDS = ("nickname", "spelling", "welsh_english")


@lru_cache(maxsize=8)
def name_variants(kinds: tuple[str, ...] = ALL_VARIANT_KINDS) -> dict[str, tuple[str, ...]]:
    """Each name's known variants of the given kinds (nickname, spelling, welsh_english), both
    directions: what the generator injects. The linker never reads this table (it has its own
    knowledge, independent of it), so variants it lacks test the linker as real returns would."""
    variants: dict[str, set[str]] = defaultdict(set)
    for row in table("name_variants").itertuples(index=False):
        if row.kind in kinds and row.name and row.variant and row.name != row.variant:
            variants[row.name].add(row.variant)
            variants[row.variant].add(row.name)
    return {name: tuple(sorted(v)) for name, v in sorted(variants.items())}


@lru_cache(maxsize=8)
def faker_pools(seed: int, size: int = 2000) -> dict[str, np.ndarray]:
    """Pools of en_GB names from a keyed Faker, drawn once, so sampling stays vectorised."""
    from faker import Faker  # imported here: only generation needs it

    fake = Faker("en_GB")
    fake.seed_instance(keyed_int(seed, "faker-pools"))
    # The long tail only: names in our surname table keep exactly their declared shares.
    ours = set(table("surnames")["surname"])
    surnames = [s for s in (fake.last_name() for _ in range(size)) if s not in ours]
    return {
        "surname": np.array(surnames, dtype=object),
        "F": np.array([fake.first_name_female() for _ in range(size)], dtype=object),
        "M": np.array([fake.first_name_male() for _ in range(size)], dtype=object),
    }
