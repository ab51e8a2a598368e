"""One link specification, declared once, that every engine executes.

A comparison turns a pair of standardised values into a *level* (0 = best agreement, last =
disagreement, -1 = a value is missing). Each level carries Fellegi-Sunter m and u probabilities
(how often true matches / non-matches show that level); a pair's match weight is the sum over
comparisons of log2(m/u), with 0 for a missing value. The m and u values below are declared
starting values, documented here; engines only execute them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


def _setting(key: str) -> Any:
    """The package default of a linkage setting (cme_eval/defaults.yaml, the one place defaults
    live). Imported late: config is not needed to import this module."""
    from cme_eval.config import default_setting

    return default_setting(f"linkage.{key}")


@dataclass(frozen=True)
class Level:
    label: str
    m: float
    u: float

    @property
    def weight(self) -> float:
        return math.log2(self.m / self.u)


@dataclass(frozen=True)
class Comparison:
    """A named comparison of one kind ('name', 'dob', 'postcode', 'address') on one field."""

    name: str
    kind: str
    column: str
    levels: tuple[Level, ...]

    def weights(self) -> list[float]:
        return [lv.weight for lv in self.levels]


@dataclass(frozen=True)
class LinkSpec:
    comparisons: tuple[Comparison, ...]
    # Blocking passes: each a tuple of columns that must agree exactly; candidates are the union.
    blocking: tuple[tuple[str, ...], ...]
    # The deterministic 'perfect' rule: exact agreement on these standardised columns.
    perfect_on: tuple[str, ...] = ("forename_std", "surname_std", "dob_std", "postcode_std")
    # Thresholds: the package defaults of the linkage settings unless given.
    partial_min_weight: float = field(default_factory=lambda: _setting("partial_min_weight"))
    ambiguity_margin: float = field(default_factory=lambda: _setting("ambiguity_margin"))
    # Guards: a pair is never linked when a comparison is worse than this level (missing is
    # fine). Forenames that are plainly different mean another child of the same household,
    # usually a twin, however well everything else agrees; weights alone cannot tell, because
    # surname, date of birth and address agree together for twins.
    max_level_to_link: tuple[tuple[str, int], ...] = (("forename", 2),)
    # Term-frequency adjustment: for these comparisons an exact agreement weighs
    # log2(m / share of the value among the records matched against), so 'Jones' counts for
    # less than 'Pritchard', and less in Gwynedd than in Cardiff.
    term_frequency: tuple[str, ...] = ()
    # Estimate u from random pairs and/or m by EM on the data being linked (no labels).
    estimate_u: bool = False
    estimate_m: bool = False
    name_variants: frozenset[tuple[str, str]] = field(default_factory=frozenset)


NAME_LEVELS = (
    Level("exact", 0.85, 0.01),
    Level("variant or close (JW>=0.92)", 0.10, 0.01),
    Level("similar (JW>=0.80)", 0.03, 0.03),
    Level("different", 0.02, 0.95),
)
SURNAME_LEVELS = (
    Level("exact", 0.90, 0.02),
    Level("close (JW>=0.92)", 0.06, 0.005),
    Level("similar (JW>=0.80)", 0.02, 0.02),
    Level("different", 0.02, 0.955),
)
DOB_LEVELS = (
    Level("exact", 0.93, 0.0005),
    Level("day and month swapped", 0.02, 0.00003),
    Level("one digit different", 0.03, 0.002),
    Level("different", 0.02, 0.99747),
)
POSTCODE_LEVELS = (
    Level("exact", 0.80, 0.005),
    Level("same sector", 0.05, 0.01),
    Level("same district", 0.05, 0.08),
    Level("different", 0.10, 0.905),
)
ADDRESS_LEVELS = (
    Level("close (JW>=0.90)", 0.75, 0.01),
    Level("same house number", 0.05, 0.05),
    Level("different", 0.20, 0.94),
)

DEFAULT_COMPARISONS = (
    Comparison("forename", "name", "forename_std", NAME_LEVELS),
    Comparison("surname", "name", "surname_std", SURNAME_LEVELS),
    Comparison("dob", "dob", "dob_int", DOB_LEVELS),
    Comparison("postcode", "postcode", "postcode_std", POSTCODE_LEVELS),
    Comparison("address", "address", "address_std", ADDRESS_LEVELS),
)
# A shared person identifier (NHS number, UPN): agreement is near-decisive.
IDENTIFIER_LEVELS = {
    "nhs_number": (Level("exact", 0.97, 1e-6), Level("different", 0.03, 1.0 - 1e-6)),
    "upn": (Level("exact", 0.97, 1e-6), Level("different", 0.03, 1.0 - 1e-6)),
}
# A UPRN identifies a home, not a child, and says what the address text says: as a separate
# comparison it would count the same evidence twice (a moved family's record would be penalised
# for its address and again for its UPRN, and siblings would gain twice for sharing a home).
# So it becomes the best level of the address comparison: the same UPRN is the same home
# whatever the text says; different or missing UPRNs fall back to the text levels, with the
# text levels' own m (most such pairs have a UPRN on one side only, e.g. a school's return), so
# 'same UPRN' carries the m of close text: the same evidence, read without typing errors.
ADDRESS_UPRN_LEVELS = (
    Level("same UPRN", 0.75, 2e-5),
    Level("close (JW>=0.90)", 0.75, 0.01),
    Level("same house number", 0.05, 0.05),
    Level("different", 0.20, 0.94),
)
PERSON_IDENTIFIERS = tuple(IDENTIFIER_LEVELS)

DEFAULT_BLOCKING = (
    ("postcode_std",),
    ("dob_std",),
    ("surname_std", "birth_year"),
    ("forename_std", "surname_std"),
)


def default_spec(partial_min_weight: float | None = None, ambiguity_margin: float | None = None,
                 *, term_frequency: tuple[str, ...] = (), estimate_u: bool = False,
                 estimate_m: bool = False, identifiers: tuple[str, ...] = ()) -> LinkSpec:
    """The spec with its declared m and u (what the unit tests compute by hand).

    The thresholds default to the package defaults of the ``linkage:`` settings
    (cme_eval/defaults.yaml). Term frequencies and estimation stay off unless asked for, so the
    weights are the declared ones. ``identifiers`` adds a blocking pass for each shared
    identifier, an exact comparison for a person identifier and a 'same UPRN' address level
    for the UPRN.
    """
    if partial_min_weight is None:
        partial_min_weight = _setting("partial_min_weight")
    if ambiguity_margin is None:
        ambiguity_margin = _setting("ambiguity_margin")
    from cme_eval.linkage.comparisons import folded_variant_pairs

    comparisons = DEFAULT_COMPARISONS
    if "uprn" in identifiers:
        comparisons = tuple(
            Comparison("address", "address_uprn", "uprn_std", ADDRESS_UPRN_LEVELS)
            if c.name == "address" else c for c in comparisons)
    comparisons += tuple(Comparison(i, "identifier", f"{i}_std", IDENTIFIER_LEVELS[i])
                         for i in identifiers if i in PERSON_IDENTIFIERS)
    return LinkSpec(
        comparisons=comparisons,
        blocking=DEFAULT_BLOCKING + tuple((f"{i}_std",) for i in identifiers),
        partial_min_weight=partial_min_weight,
        ambiguity_margin=ambiguity_margin,
        term_frequency=term_frequency,
        estimate_u=estimate_u,
        estimate_m=estimate_m,
        name_variants=folded_variant_pairs(),
    )


def spec_from_settings(settings, identifiers=()) -> LinkSpec:
    """The spec a scenario's ``linkage:`` settings ask for (config.Linkage), comparing the
    identifiers the scenario shares."""
    return default_spec(settings.partial_min_weight, settings.ambiguity_margin,
                        term_frequency=tuple(settings.term_frequency),
                        estimate_u=settings.estimate_u, estimate_m=settings.estimate_m,
                        identifiers=tuple(identifiers))
