"""One link specification, declared once, that every engine executes.

A comparison turns a pair of standardised values into a *level* (0 = best agreement, last =
disagreement, -1 = a value is missing). Each level carries Fellegi-Sunter m and u probabilities
(how often true matches / non-matches show that level); a pair's match weight is the sum over
comparisons of log2(m/u), with 0 for a missing value. The m and u values below are declared
starting values, documented here; engines only execute them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from cme_eval.config import Linkage
from cme_eval.linkage.rules import (
    Rule,
    day_month_swapped,
    exact,
    jaro_winkler_at_least,
    name_variant,
    one_digit_different,
    shared_word,
    swapped_with,
)


@dataclass(frozen=True)
class Level:
    """One level of a comparison: reached when any of its ``rules`` holds (no rules: the
    disagreement level, reached by every other present pair). ``decides_when_missing``: the
    level applies even when the comparison's own values are missing (the same UPRN is the same
    home whatever the address text says)."""

    rules: tuple[Rule, ...]
    m: float
    u: float
    decides_when_missing: bool = False

    def __post_init__(self) -> None:
        for name in ("m", "u"):
            value = getattr(self, name)
            if not (0 < value <= 1 and math.isfinite(value)):
                raise ValueError(f"level {self.rules!r}: {name} must be in (0, 1], "
                                 f"got {value!r}")

    @property
    def raw_weight(self) -> float:
        return math.log2(self.m / self.u)


def _label(level: Level, own_column: str) -> str:
    if not level.rules:
        return "different"
    return " or ".join(r.describe(own_column) for r in level.rules)


@dataclass(frozen=True)
class Comparison:
    """A named comparison: its levels, best first, the last one disagreement.

    The comparison is missing (level -1, weight 0) for a pair where any of ``missing_if_empty``
    is empty on either side, unless a level that ``decides_when_missing`` holds. The first of
    those columns is the comparison's own column (term frequencies, informativeness).
    """

    name: str
    missing_if_empty: tuple[str, ...]
    levels: tuple[Level, ...]

    def __post_init__(self) -> None:
        if not self.levels or self.levels[-1].rules:
            raise ValueError(f"comparison {self.name!r}: the last level must be disagreement "
                             "(no rules)")
        if any(not lv.rules for lv in self.levels[:-1]):
            raise ValueError(f"comparison {self.name!r}: only the last level may have no rules")

    @property
    def column(self) -> str:
        return self.missing_if_empty[0]

    def labels(self) -> list[str]:
        return [_label(lv, self.column) for lv in self.levels]

    def columns(self) -> list[str]:
        """Every standardised column the comparison reads."""
        cols = dict.fromkeys(self.missing_if_empty)
        for rule in (r for lv in self.levels for r in lv.rules):
            cols.update(dict.fromkeys(c for c in (rule.column, rule.other) if c))
        return list(cols)

    def weights(self) -> list[float]:
        """log2(m/u) per level, made monotone: a level never weighs less than a fuzzier one
        (with estimated m and u a fuzzy level can come out above a better one by chance; the
        ordering of the levels is the declaration, the data only set the sizes)."""
        raw = [lv.raw_weight for lv in self.levels]
        return [max(raw[i:]) for i in range(len(raw))]


TWIN_GUARD = ("forename", 2)  # worst forename level linked: 'JW >= 0.80'
# Two records are of the same birth when this comparison is at this level or better (the date
# of birth exact). A pair of the same birth whose forenames differ is linked unless a twin is
# there to see (``twins.twin_evidence``): then the forename is a variant the linker does not
# know, and the pair becomes a partial match for review.
SAME_BIRTH = ("dob", 0)


@dataclass(frozen=True)
class Guard:
    """A pair whose ``when`` comparison is worse than its level (both values present) is
    linked only if one of ``unless`` is at its level or better (present); comparisons the spec
    does not hold are left out of ``unless``. ``reason``: said of a record left unmatched
    because the guard kept its best candidate from it."""

    name: str
    when: tuple[str, int]
    unless: tuple[tuple[str, int], ...]
    reason: str
    # Only where the data hold families (``blocking.family_share``): on data of unrelated
    # people (FEBRL) a different birth is a typing error, never a brother or sister.
    families: bool = False


# Evidence a careful analyst would not link on, however it weighs. Fellegi-Sunter adds up
# comparisons as if independent, but the household's evidence is shared: a brother or sister
# agrees on surname, postcode and address text at once, which outweighs any one difference.
# On Cardiff (refitted pilot-2025) this guard and the stranger guard below took the wrong links
# from 56 to 36: most were a child absent from every list (home-educated, in a neighbouring
# LA's school) hidden by a sibling's pupil record, a potential CME counted as matched.
_IDENTIFIERS = (("nhs_number", 0), ("upn", 0))  # the same child, whatever else differs
SIBLING_GUARD = Guard(
    "sibling", ("dob", 2), (("forename", 0), *_IDENTIFIERS),
    "best candidate differs in date of birth and forename (possible sibling): review",
    families=True)
# ... and with the date of birth plainly different, only the home says the name is this
# child's and not a namesake's (a same-named child of another age elsewhere, most often from a
# boarder's return without a home address): Cardiff's wrong links 36 -> 29.
NAMESAKE_GUARD = Guard(
    "namesake", ("dob", 2), (("postcode", 0), *_IDENTIFIERS),
    "best candidate differs in date of birth and has no postcode in common: review",
    families=True)
# A first name and a birthday are shared by strangers: in an LA of 60,000 children about 15
# are born on each day. With another surname and no postcode to compare (a boarder's return has
# no home address), nothing else says it is the child: 5 of Cardiff's 16 wrong links from
# independent schools' returns, against 1 right one. Families or not: a typed surname that
# is wholly different is not evidence either way, and a postcode of any kind is needed.
STRANGER_GUARD = Guard(
    "stranger", ("surname", 2), (("postcode", 3), *_IDENTIFIERS),
    "best candidate has another surname and no postcode to compare: review")


@dataclass(frozen=True)
class LinkSpec:
    comparisons: tuple[Comparison, ...]
    # Blocking passes: each a tuple of columns that must agree exactly; candidates are the union.
    blocking: tuple[tuple[str, ...], ...]
    # The deterministic 'perfect' rule: exact agreement on these standardised columns.
    perfect_on: tuple[str, ...] = ("forename_std", "surname_std", "dob_std", "postcode_std")
    # Guards: a pair is never linked when a comparison is worse than this level (missing is
    # fine). Forenames that are plainly different mean another child of the same household,
    # a sibling or a twin, however well everything else agrees; weights alone cannot tell,
    # because surname and address agree for siblings, and the date of birth too for twins.
    max_level_to_link: tuple[tuple[str, int], ...] = (TWIN_GUARD,)
    # ...except that the forename guard (``TWIN_GUARD``'s comparison) lets a pair of the same
    # birth through when no twin is there to see (issue 23: before, 53% of the Welsh/English
    # forms unknown to the linker were lost to it). None: the guard holds whatever the birth.
    same_birth: tuple[str, int] | None = SAME_BIRTH
    # Conditional guards (``Guard``): a difference a careful analyst would not link across
    # unless some other evidence holds.
    guards: tuple[Guard, ...] = (SIBLING_GUARD, NAMESAKE_GUARD, STRANGER_GUARD)
    # Duplicates: a record left unmatched that is a copy of a matched record of its own extract
    # takes that record's match (``linkage.duplicates``; with one-to-one only: without it,
    # copies already share).
    find_duplicates: bool = True
    # Scope: only children of compulsory school age on the reference date are matched (the
    # pilot's rule); False matches every record (data that are not about school children).
    school_age_only: bool = True
    # One-to-one: a right record is used at most once (twins stay apart). False lets several
    # left records take the same right record (duplicates of one person in the left file).
    one_to_one: bool = True
    # The scenario's ``linkage:`` settings, the one place the thresholds, term frequencies,
    # estimation and protection (candidate budget, uninformative columns, the least data to
    # estimate from) are held: what classified is what the report reads.
    settings: Linkage = field(default_factory=Linkage)

    def with_settings(self, **changes: object) -> LinkSpec:
        """This spec with some ``linkage:`` settings changed."""
        return replace(self, settings=replace(self.settings, **changes))  # type: ignore[arg-type]

    @property
    def partial_min_weight(self) -> float:
        return self.settings.partial_min_weight

    @property
    def ambiguity_margin(self) -> float:
        return self.settings.ambiguity_margin

    @property
    def family_share(self) -> float:
        """The share of a side's records with a sibling of another birth at which the data
        hold families (``Guard.families``)."""
        return self.settings.family_share

    @property
    def term_frequency(self) -> tuple[str, ...]:
        """Term-frequency adjustment: for these comparisons an exact agreement weighs
        log2(m / share of the value among the records matched against), so 'Jones' counts for
        less than 'Pritchard', and less in Gwynedd than in Cardiff."""
        return tuple(self.settings.term_frequency)

    @property
    def estimate_u(self) -> bool:
        """u from random pairs of the data being linked (no labels)."""
        return self.settings.estimate_u

    @property
    def estimate_m(self) -> bool:
        """m by EM on the data being linked."""
        return self.settings.estimate_m

    @property
    def max_candidate_pairs(self) -> int:
        """Candidate pairs allowed over all blocking passes, counted before any pair is made."""
        return self.settings.max_candidate_pairs

    @property
    def uninformative_agreement(self) -> float:
        """The chance two random records agree above which a column tells nothing (dropped
        from blocking and comparisons, with a warning)."""
        return self.settings.uninformative_agreement

    @property
    def min_records_to_estimate(self) -> int:
        """Fewer records than this on a side: declared m and u are used, not estimates."""
        return self.settings.min_records_to_estimate


F, S, P, A = "forename_std", "surname_std", "postcode_std", "address_std"
NAME_LEVELS = (
    Level((exact(F),), 0.85, 0.01),
    Level((name_variant(F), jaro_winkler_at_least(F, 0.92), swapped_with(F, S, 0.88)), 0.10, 0.01),
    Level((jaro_winkler_at_least(F, 0.80),), 0.03, 0.03),
    Level((), 0.02, 0.95),
)
SURNAME_LEVELS = (
    Level((exact(S),), 0.90, 0.02),
    Level((shared_word(S), jaro_winkler_at_least(S, 0.92), swapped_with(S, F, 0.88)), 0.06, 0.005),
    Level((jaro_winkler_at_least(S, 0.80),), 0.02, 0.02),
    Level((), 0.02, 0.955),
)
DOB_LEVELS = (
    Level((exact("dob_int"),), 0.93, 0.0005),
    Level((day_month_swapped("dob_int"),), 0.02, 0.00003),
    Level((one_digit_different("dob_int"),), 0.03, 0.002),
    Level((), 0.02, 0.99747),
)
POSTCODE_LEVELS = (
    Level((exact(P),), 0.80, 0.005),
    Level((exact("postcode_sector"),), 0.05, 0.01),
    Level((exact("postcode_district"),), 0.05, 0.08),
    Level((), 0.10, 0.905),
)
ADDRESS_TEXT_LEVELS = (
    # Close text, or the same street once the house number is set aside (a number missing or
    # mistyped on one side).
    Level((jaro_winkler_at_least(A, 0.90), exact("street_std")), 0.75, 0.01),
    Level((exact("house_number"),), 0.05, 0.05),
    Level((), 0.20, 0.94),
)

DEFAULT_COMPARISONS = (
    Comparison("forename", (F,), NAME_LEVELS),
    Comparison("surname", (S,), SURNAME_LEVELS),
    Comparison("dob", ("dob_int",), DOB_LEVELS),
    Comparison("postcode", (P,), POSTCODE_LEVELS),
    Comparison("address", (A,), ADDRESS_TEXT_LEVELS),
)


def identifier_levels(column: str) -> tuple[Level, ...]:
    """A shared person identifier (NHS number, UPN): agreement is near-decisive."""
    return (Level((exact(column),), 0.97, 1e-6), Level((), 0.03, 1.0 - 1e-6))


IDENTIFIER_LEVELS = {name: identifier_levels(f"{name}_std") for name in ("nhs_number", "upn")}
# A UPRN identifies a home, not a child, and says what the address text says: as a separate
# comparison it would count the same evidence twice (a moved family's record would be penalised
# for its address and again for its UPRN, and siblings would gain twice for sharing a home).
# So it becomes the best level of the address comparison: the same UPRN is the same home
# whatever the text says; different or missing UPRNs fall back to the text levels, with the
# text levels' own m (most such pairs have a UPRN on one side only, e.g. a school's return), so
# 'same UPRN' carries the m of close text: the same evidence, read without typing errors.
ADDRESS_UPRN_LEVELS = (
    Level((exact("uprn_std"),), 0.75, 2e-5, decides_when_missing=True),
    *ADDRESS_TEXT_LEVELS,
)
PERSON_IDENTIFIERS = tuple(IDENTIFIER_LEVELS)

DEFAULT_BLOCKING = (
    ("postcode_std",),
    ("dob_std",),
    ("surname_std", "birth_year"),
    ("forename_std", "surname_std"),
    # A moved or mistyped postcode with an unreadable or mistyped date of birth: the same
    # forename at the same house number (cheap: a forename and a number are rarely both shared).
    ("forename_std", "house_number"),
)


def default_spec(partial_min_weight: float | None = None, ambiguity_margin: float | None = None,
                 *, term_frequency: tuple[str, ...] = (), estimate_u: bool = False,
                 estimate_m: bool = False, identifiers: tuple[str, ...] = ()) -> LinkSpec:
    """The spec with its declared m and u (what the unit tests compute by hand).

    The thresholds default to the package defaults of the ``linkage:`` settings
    (cme_eval/defaults.yaml). Term frequencies and estimation stay off unless asked for, so the
    weights are the declared ones. ``identifiers``: as in :func:`spec_from_settings`.
    """
    thresholds: dict[str, Any] = {  # Any: replace() checks ** against every field's type
        k: v for k, v in (("partial_min_weight", partial_min_weight),
                          ("ambiguity_margin", ambiguity_margin)) if v is not None}
    settings = replace(Linkage(), term_frequency=list(term_frequency), estimate_u=estimate_u,
                       estimate_m=estimate_m, **thresholds)
    return spec_from_settings(settings, identifiers)


def spec_from_settings(settings: Linkage, identifiers: tuple[str, ...] = ()) -> LinkSpec:
    """The spec a scenario's ``linkage:`` settings ask for, holding them, and comparing the
    identifiers the scenario shares: a blocking pass for each, an exact comparison for a
    person identifier and a 'same UPRN' address level for the UPRN."""
    comparisons: tuple[Comparison, ...] = DEFAULT_COMPARISONS
    if "uprn" in identifiers:
        comparisons = tuple(
            Comparison("address", (A,), ADDRESS_UPRN_LEVELS) if c.name == "address" else c
            for c in comparisons)
    comparisons += tuple(Comparison(i, (f"{i}_std",), IDENTIFIER_LEVELS[i])
                         for i in identifiers if i in PERSON_IDENTIFIERS)
    return LinkSpec(comparisons=comparisons,
                    blocking=DEFAULT_BLOCKING + tuple((f"{i}_std",) for i in identifiers),
                    settings=settings)
