"""Reference data for the 22 Welsh local authorities (LAs) and the seven pilot LAs.

Loaded once from ``cme_eval/data/authorities.csv`` (sources in ``data/SOURCES.md``). Other
modules ask this one for codes, postcode districts, towns and neighbours rather than carrying
their own copies.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class LocalAuthority:
    name: str
    slug: str
    gss_code: str
    upn_code: str
    pilot: bool
    borders_england: bool
    welsh_speaking_share: float
    pupils_5_15: int
    postcode_districts: tuple[str, ...]
    towns: tuple[str, ...]
    neighbours: tuple[str, ...]


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("cme_eval").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@lru_cache(maxsize=1)
def authorities() -> dict[str, LocalAuthority]:
    out = {}
    for row in _read_csv("authorities.csv"):
        out[row["name"]] = LocalAuthority(
            name=row["name"],
            slug=row["slug"],
            gss_code=row["gss_code"],
            upn_code=row["upn_code"],
            pilot=row["pilot"].strip().lower() == "true",
            borders_england=row["borders_england"].strip().lower() == "true",
            welsh_speaking_share=float(row["welsh_speaking_share"]),
            pupils_5_15=int(row["pupils_5_15"]),
            postcode_districts=tuple(row["postcode_districts"].split()),
            towns=tuple(t.strip() for t in row["towns"].split(";") if t.strip()),
            neighbours=tuple(n.strip() for n in row["neighbours"].split(";") if n.strip()),
        )
    return out


AUTHORITY_NAMES: tuple[str, ...] = tuple(authorities())
PILOT_AUTHORITIES: tuple[str, ...] = tuple(n for n, la in authorities().items() if la.pilot)


def get(name: str) -> LocalAuthority:
    try:
        return authorities()[name]
    except KeyError:
        raise KeyError(
            f"unknown authority {name!r}; allowed: {', '.join(AUTHORITY_NAMES)}") from None
