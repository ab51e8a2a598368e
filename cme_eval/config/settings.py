"""Typed, validated scenario settings.

Layers, lowest first: package defaults (``cme_eval/defaults.yaml``) < scenario YAML
(``synthetic/scenarios/NAME.yaml``) < run parameters (seed, scale, authorities given on the
command line or as notebook parameters). Every layer is checked against the dataclasses below:
an unknown key, an unknown authority or status, or a value out of range raises
:class:`ConfigError` naming the key and what is allowed. Silent typos in a scenario would
otherwise produce a plausible but wrong evaluation, which is the worst kind of failure here.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import functools
import math
import re
import typing
from dataclasses import dataclass, field
from typing import Any

from cme_eval import wales
from cme_eval.config.convert import ConfigError, convert, package_defaults, plain
from cme_eval.inputs.schema import (
    HOUSEHOLD_STATUSES,
    MATCHED_AGAINST,
    OPTIONAL_IDENTIFIERS,
    RECORDS_LIKE,
    SOURCES,
    STATUSES,
)

# NHS records per maintained-school pupil aged 5-15: the pilot's "in excess of 167,000" records
# over the seven pilot LAs' ~142,000 such pupils (DOMAIN.md; indicative). Covers independent,
# home-educated and out-of-date registrations as well as maintained pupils.
NHS_RECORDS_PER_PUPIL = 167_000 / 142_000


# The highest match-weight threshold (log2 units) a setting may ask for.
MAX_WEIGHT_THRESHOLD = 60


def _range(lo: float | None = None, hi: float | None = None) -> dict[str, Any]:
    return {"min": lo, "max": hi}


# Mappings of shares and probabilities: their range (0-1) is checked with the mapping as a whole
# (Scenario.__post_init__), with its own message; "allowed" is what a non-number is told.
_SHARE = {"allowed": "a share 0 <= value <= 1"}
_PROBABILITY = {"allowed": "a probability 0 <= value <= 1"}


# Default values live in cme_eval/defaults.yaml and nowhere else: a field's default is read from
# there (checked like any scenario value), so ``Linkage()`` in code and tests and a scenario
# loaded with the package defaults agree. tests/unit/test_defaults.py keeps the two in step.


@functools.cache
def _defaults_data() -> dict[str, Any]:
    return package_defaults()  # read once


@functools.cache
def _default_value(key: str) -> Any:
    """The package default of dotted setting ``key``, converted and checked for its field."""
    data: Any = _defaults_data()
    cls: Any = Scenario
    parts = key.split(".")
    for i, part in enumerate(parts):
        if not isinstance(data, dict) or part not in data:
            raise ConfigError(f"cme_eval/defaults.yaml: {key}: missing; every default value of "
                              "the settings lives in that file")
        data = data[part]
        fld = next(f for f in dataclasses.fields(cls) if f.name == part)
        tp = typing.get_type_hints(cls)[part]
        if i < len(parts) - 1:
            cls = tp
    try:
        return convert(data, tp, key, fld.metadata)
    except ConfigError as exc:
        raise ConfigError(f"cme_eval/defaults.yaml: {exc}") from None


def default_setting(key: str) -> Any:
    """The package default of a setting, by dotted key (``"linkage.partial_min_weight"``)."""
    return copy.deepcopy(_default_value(key))


def _default(key: str) -> typing.Callable[[], Any]:
    """A ``default_factory`` giving the package default of dotted setting ``key``."""
    return functools.partial(default_setting, key)


@dataclass(frozen=True)
class Dates:
    """Reference dates of the pilot (the NHS extract and the January school census)."""

    nhs_extract: dt.date = field(default_factory=_default("dates.nhs_extract"))
    plasc_census: dt.date = field(default_factory=_default("dates.plasc_census"))

    def __post_init__(self) -> None:
        # Children's ages are worked out from these dates (19 years either side), so a date
        # near the calendar's ends would fail deep inside with "year 10000 is out of range".
        for name in ("nhs_extract", "plasc_census"):
            value = getattr(self, name)
            if not EARLIEST_DATE <= value <= LATEST_DATE:
                raise ConfigError(f"dates.{name}: {value.isoformat()} is out of range; "
                                  f"allowed: {EARLIEST_DATE.isoformat()} to "
                                  f"{LATEST_DATE.isoformat()}")


EARLIEST_DATE, LATEST_DATE = dt.date(1990, 1, 1), dt.date(2100, 12, 31)


@dataclass(frozen=True)
class Population:
    """Shape of the synthetic population of children aged about 3-18."""

    # The NHS extract covers children of compulsory school age on the extract date, widened by
    # this many months on each side (so some out-of-scope ages are received, as in the pilot).
    nhs_dob_margin_months: int = field(default_factory=_default("population.nhs_dob_margin_months"),
                                       metadata=_range(0, 24))
    # Number of children per household: relative weights for 1, 2, 3, ... children (each >= 0,
    # at least one > 0).
    household_children_weights: list[float] = field(
        default_factory=_default("population.household_children_weights"), metadata=_range(0, None))
    twin_share: float = field(default_factory=_default("population.twin_share"),
                              metadata=_range(0, 0.2))
    siblings_share_surname: float = field(
        default_factory=_default("population.siblings_share_surname"), metadata=_range(0, 1))
    # Share of forenames drawn from Faker's en_GB pool rather than the ranked tables.
    other_forename_share: float = field(
        default_factory=_default("population.other_forename_share"), metadata=_range(0, 1))
    house_name_share: float = field(default_factory=_default("population.house_name_share"),
                                    metadata=_range(0, 1))
    two_parent_share: float = field(default_factory=_default("population.two_parent_share"),
                                    metadata=_range(0, 1))
    # Pupils living in a neighbouring LA who attend this LA's maintained schools, as a share of
    # its own PLASC: they are on its PLASC but not in its NHS extract (realistic decoys).
    inbound_pupil_share: float = field(
        default_factory=_default("population.inbound_pupil_share"), metadata=_range(0, 0.5))

    def __post_init__(self) -> None:
        _check_weights(self.household_children_weights, "population.household_children_weights",
                       allow_empty=False)


@dataclass(frozen=True)
class Authority:
    """Per-LA settings: size (before scaling) and any status shares that differ from the default.

    ``nhs_records`` defaults to the LA's indicative pupils aged 5-15 x NHS_RECORDS_PER_PUPIL.
    An LA entry has no package defaults of its own (defaults.yaml cannot name LAs it does not
    know): ``None`` and ``{}`` here mean "not declared", not a value.
    """

    nhs_records: int | None = field(default=None, metadata=_range(1, None))
    status_shares: dict[str, float] = field(default_factory=dict, metadata=_SHARE)


@dataclass(frozen=True)
class IndependentSchools:
    """How independent-school returns are produced."""

    pupils_per_school: int = field(
        default_factory=_default("independent_schools.pupils_per_school"), metadata=_range(1, None))
    return_rate: float = field(default_factory=_default("independent_schools.return_rate"),
                               metadata=_range(0, 1))
    # strftime formats of the dates of birth schools send: each must write and read back a
    # whole date (day, month and year); or excel, an Excel serial day number.
    dob_formats: list[str] = field(default_factory=_default("independent_schools.dob_formats"))
    # Share of returning schools that also list boarders who live outside the LA (or abroad),
    # and how many boarders such a school lists, as a share of its resident pupils.
    boarders_listed_share: float = field(
        default_factory=_default("independent_schools.boarders_listed_share"),
        metadata=_range(0, 1))
    boarders_per_pupil: float = field(
        default_factory=_default("independent_schools.boarders_per_pupil"), metadata=_range(0, 2))
    # Schools also list pupils the LA placed with them.
    include_la_placed: bool = field(
        default_factory=_default("independent_schools.include_la_placed"))
    # Share of returning schools that list every pupil on roll, not only those of
    # compulsory school age (nursery and sixth-form pupils then arrive out of scope).
    out_of_age_listed_share: float = field(
        default_factory=_default("independent_schools.out_of_age_listed_share"),
        metadata=_range(0, 1))
    # Weights of the return layouts (see cme_eval/synth/returns.py); unnamed layouts weigh 0,
    # and none named means every layout equally.
    layouts: dict[str, float] = field(default_factory=_default("independent_schools.layouts"),
                                      metadata=_range(0, None))

    def __post_init__(self) -> None:
        if not self.dob_formats:
            raise ConfigError("independent_schools.dob_formats: no format given; allowed: a list "
                              "of one or more strftime formats of a whole date, e.g. %d/%m/%Y")
        for i, fmt in enumerate(self.dob_formats):
            _check_date_format(fmt, f"independent_schools.dob_formats[{i}]")
        _check_weights(self.layouts, "independent_schools.layouts", allow_empty=True)


@dataclass(frozen=True)
class Linkage:
    """Thresholds of the outcome bands (the comparison spec itself lives in linkage.spec)."""

    # Match weight (log2 units) a pair needs for a partial match. The declared spec's weights
    # sum to about 36 for full agreement without identifiers (about 85 with NHS number, UPN and
    # UPRN), so a threshold above MAX_WEIGHT_THRESHOLD could only turn partial matching off.
    partial_min_weight: float = field(default_factory=_default("linkage.partial_min_weight"),
                                      metadata=_range(0, MAX_WEIGHT_THRESHOLD))
    # A second candidate within this many weight units of the best one flags the record for review.
    ambiguity_margin: float = field(default_factory=_default("linkage.ambiguity_margin"),
                                    metadata=_range(0, None))
    engine: str = field(default_factory=_default("linkage.engine"))
    term_frequency: list[str] = field(default_factory=_default("linkage.term_frequency"))
    # u from random record pairs of the data being linked.
    estimate_u: bool = field(default_factory=_default("linkage.estimate_u"))
    # m by EM (off: EM latches onto households, see README).
    estimate_m: bool = field(default_factory=_default("linkage.estimate_m"))
    # Candidate pairs allowed over all blocking passes, counted from value counts before any
    # pair is made; a pass that would exceed it is refined or skipped (linkage/blocking.py).
    # 30 million pairs peaked at 3.1 GB (recordlinkage) and 4.4 GB (Splink), measured.
    max_candidate_pairs: int = field(default_factory=_default("linkage.max_candidate_pairs"),
                                     metadata=_range(1, None))
    # A column on which two random records agree at least this often (e.g. a constant
    # postcode) is dropped from blocking and comparisons, with a warning.
    uninformative_agreement: float = field(
        default_factory=_default("linkage.uninformative_agreement"), metadata=_range(0, 1))
    # Fewer records than this on either side: the declared m and u are used, not estimates.
    min_records_to_estimate: int = field(
        default_factory=_default("linkage.min_records_to_estimate"), metadata=_range(1, None))
    # A side where at least this share of records has a brother or sister of another birth
    # (the same surname and postcode) holds families, and the sibling guards apply
    # (linkage/spec.py: a sibling or namesake of another age is not linked). 0: always.
    family_share: float = field(default_factory=_default("linkage.family_share"),
                                metadata=_range(0, 1))


@dataclass(frozen=True)
class CrossBorder:
    """Recommendations about children schooled across an LA border (both off in the pilot)."""

    # Share of pupils on another Welsh LA's roll that the school's LA reports to the child's
    # home LA (neighbour exchange). English schools take no part.
    neighbour_exchange: float = field(default_factory=_default("cross_border.neighbour_exchange"),
                                      metadata=_range(0, 1))
    # NHS records are matched centrally against all-Wales PLASC before distribution; needs
    # every Welsh LA in the scenario (wales-2025).
    central_matching: bool = field(default_factory=_default("cross_border.central_matching"))
    central_engine: str = field(default_factory=_default("cross_border.central_engine"))
    # A central partial match held by another LA needs this weight (the national pool makes a
    # chance agreement likelier; see linkage/central.py for the measurement behind 16).
    other_la_min_weight: float = field(
        default_factory=_default("cross_border.other_la_min_weight"),
        metadata=_range(0, MAX_WEIGHT_THRESHOLD))


# Spark's size notation: a whole number and a unit (k, m, g, t), e.g. 512m, 2g.
_SPARK_SIZE = re.compile(r"[1-9][0-9]*[kmgt]", re.IGNORECASE)
# local, local[2], local[*], local[4,2] (threads, failures) or a cluster manager's URL.
_SPARK_MASTER = re.compile(r"local(\[([1-9][0-9]*|\*)(,[1-9][0-9]*)?\])?|"
                           r"(spark|k8s|mesos)://\S+|yarn")
# Properties the other keys set; spark.conf may not set them a second time.
_SPARK_OWN = {"spark.master": "master", "spark.driver.memory": "driver_memory",
              "spark.sql.shuffle.partitions": "shuffle_partitions",
              "spark.sql.warehouse.dir": "warehouse_dir"}


@dataclass(frozen=True)
class Spark:
    """Where the ``splink-spark`` engine runs (``linkage.engine`` or
    ``cross_border.central_engine``); unused by the other engines. See docs/scaling.md."""

    # local[N]: N threads on this machine; a cluster: spark://host:7077, yarn, k8s://...
    master: str = field(default_factory=_default("spark.master"))
    # The driver JVM's heap; in local mode the driver is also the executor, so this bounds
    # what Spark holds (Python's own memory comes on top).
    driver_memory: str = field(default_factory=_default("spark.driver_memory"))
    # Partitions of every shuffle (joins of blocking, the predictions); on a cluster, about
    # 2-3 per executor core.
    shuffle_partitions: int = field(default_factory=_default("spark.shuffle_partitions"),
                                    metadata=_range(1, 100_000))
    # Where Splink writes its intermediate tables (parquet); "": a temporary folder of the
    # session, removed afterwards. On a cluster, a shared folder (hdfs://, s3a://). Each link
    # works in a subfolder of its own, removed when the link is done.
    checkpoint_dir: str = field(default_factory=_default("spark.checkpoint_dir"))
    # spark.sql.warehouse.dir; "": inside the session's temporary folder.
    warehouse_dir: str = field(default_factory=_default("spark.warehouse_dir"))
    # Further Spark properties as text, e.g. {spark.executor.memory: 8g} for a cluster.
    conf: dict[str, str] = field(default_factory=_default("spark.conf"))

    def __post_init__(self) -> None:
        if not _SPARK_MASTER.fullmatch(self.master):
            raise ConfigError(f"spark.master: {self.master!r} is not a Spark master; allowed: "
                              "local, local[N], local[*], spark://HOST:PORT, yarn, k8s://URL")
        if not _SPARK_SIZE.fullmatch(self.driver_memory):
            raise ConfigError(f"spark.driver_memory: {self.driver_memory!r} is not a size; "
                              "allowed: a whole number and a unit k, m, g or t, e.g. 2g")
        for key in self.conf:
            if not key.startswith("spark."):
                raise ConfigError(f"spark.conf.{key}: not a Spark property; allowed: names "
                                  "starting with 'spark.'")
            if key in _SPARK_OWN:
                raise ConfigError(f"spark.conf.{key}: set by spark.{_SPARK_OWN[key]}; allowed: "
                                  "any other Spark property")


@dataclass(frozen=True)
class FollowUp:
    """The documented follow-up model behind 'CME known after' (Table 6.1).

    For each potential CME, the probability that an LA's follow-up resolves it (finds the child
    in education or gone), by the child's true status. Statuses not listed are never resolved.
    """

    resolve_probability: dict[str, float] = field(
        default_factory=_default("follow_up.resolve_probability"), metadata=_PROBABILITY)


@dataclass(frozen=True)
class Review:
    """Staff time per review task (evaluate/workload.py says how these were calibrated)."""

    minutes_per_partial_check: float = field(
        default_factory=_default("review.minutes_per_partial_check"), metadata=_range(0, 600))
    minutes_per_follow_up: float = field(
        default_factory=_default("review.minutes_per_follow_up"), metadata=_range(0, 6000))


@dataclass(frozen=True)
class Report:
    """Publication settings. A run on real data applies disclosure control unless explicitly
    told not to (``release_unprotected``)."""

    real_data: bool = field(default_factory=_default("report.real_data"))
    # Also on synthetic data, e.g. to preview a release.
    disclosure_control: bool = field(default_factory=_default("report.disclosure_control"))
    # Engines whose outcomes are compared beside the main one (linkage_quality, baseline gap).
    compare_engines: list[str] = field(default_factory=_default("report.compare_engines"))
    # Real data with exact counts, for internal use only: set by an explicit request
    # (cme-eval evaluate --no-disclosure-control), never by default.
    release_unprotected: bool = field(default_factory=_default("report.release_unprotected"))
    # The LAs the published Tables 5.1 and 6.1 rest on ("[data based on 5 LAs]", never named):
    # the counts of the publication are compared on these LAs only. Empty: no count is
    # compared, only shares. pilot-2025 declares the inferred five (docs/reporting_subset.md).
    published_subset: list[str] = field(default_factory=_default("report.published_subset"))

    def __post_init__(self) -> None:
        unknown = [n for n in self.published_subset if n not in wales.PILOT_AUTHORITIES]
        if unknown:
            raise ConfigError(f"report.published_subset: {unknown[0]!r} is not a pilot "
                              "authority; allowed: " + ", ".join(wales.PILOT_AUTHORITIES))

    @property
    def protect(self) -> bool:
        return (self.real_data and not self.release_unprotected) or self.disclosure_control


@dataclass(frozen=True)
class FreeSetting:
    """One setting the fit may move: within ``range``, drawn towards ``prior`` (a declared
    belief, with ``why``; none: the value the scenario has without a fit) by a weight of one
    target whose interval is half the range wide (``calibration.fit``)."""

    range: list[float]
    prior: float | None = None
    why: str = ""


@dataclass(frozen=True)
class Calibration:
    """How the scenario's world is fitted to published figures (``cme-eval calibrate``).

    ``targets``: the targets file (a name in ``synthetic/targets/`` or a path relative to the
    scenario). ``free``: the settings the fit may move, each a dotted key (as in
    ``--set``) with its range and prior (:class:`FreeSetting`); every other setting stays as
    declared. ``fitted``: the file
    the command writes the fitted values into (relative to the scenario); they are read as a
    layer just above the scenario's own settings, so no fitted value is ever typed by hand.
    ``fit_scale``: the size the fit's emulator is measured at; ``check_scale``: the size
    ``calibrate --check`` reruns the scenario at."""

    targets: str = field(default_factory=_default("calibration.targets"))
    fitted: str = field(default_factory=_default("calibration.fitted"))
    free: dict[str, FreeSetting] = field(default_factory=_default("calibration.free"))
    fit_scale: float = field(default_factory=_default("calibration.fit_scale"),
                             metadata=_range(1e-3, 1))
    check_scale: float = field(default_factory=_default("calibration.check_scale"),
                               metadata=_range(1e-3, 1))
    emulator_runs: int = field(default_factory=_default("calibration.emulator_runs"),
                               metadata=_range(1, 20))
    verify_scale: float = field(default_factory=_default("calibration.verify_scale"),
                                metadata=_range(1e-3, 1))
    # Each fitted setting's 95% interval, laid in from the fitted file with its value (for the
    # report and for replicates that draw the fitted settings: replicate --parameter-draws).
    intervals: dict[str, list[float]] = field(
        default_factory=_default("calibration.intervals"),
        metadata={"allowed": "[low, high] numbers"})

    def __post_init__(self) -> None:
        for key, free in self.free.items():
            where = f"calibration.free.{key}"
            if len(free.range) != 2 or not free.range[0] < free.range[1]:
                raise ConfigError(f"{where}.range: expected [LOW, HIGH] with LOW below HIGH")
            if free.prior is not None and not free.range[0] <= free.prior <= free.range[1]:
                raise ConfigError(f"{where}.prior: {free.prior:g} lies outside the range")


@dataclass(frozen=True)
class Scenario:
    """A whole evaluation scenario: population, sources, errors, linkage and follow-up."""

    name: str
    description: str = field(default_factory=_default("description"))
    seed: int = field(default_factory=_default("seed"), metadata=_range(0, None))
    scale: float = field(default_factory=_default("scale"), metadata=_range(1e-6, 10))
    dates: Dates = field(default_factory=Dates)
    population: Population = field(default_factory=Population)
    status_shares: dict[str, float] = field(default_factory=_default("status_shares"),
                                            metadata=_SHARE)
    # How a status's share changes with age: status -> {age in years: relative weight},
    # interpolated between the ages given and normalised to a mean of 1 over ages 5-15, so the
    # declared share stays the share of children of compulsory school age (synth/ages.py).
    status_age_profile: dict[str, dict[int, float]] = field(
        default_factory=_default("status_age_profile"),
        metadata={"allowed": "a weight 0 or more per age"})
    authorities: dict[str, Authority] = field(default_factory=_default("authorities"))
    independent_schools: IndependentSchools = field(default_factory=IndependentSchools)
    # errors[error_type][source] = probability that a record of that source gets that error.
    errors: dict[str, dict[str, float]] = field(default_factory=_default("errors"),
                                                metadata=_PROBABILITY)
    # The clean control: every error rate 0, whatever `errors` says.
    no_errors: bool = field(default_factory=_default("no_errors"))
    # How stale the NHS extract is, relative to the annual pilot extract (quarterly: 0.25): the
    # share of moved-away children still registered here, and a factor on the NHS out-of-date
    # address rate. The population itself is the same, so what-ifs compare like with like.
    nhs_staleness: float = field(default_factory=_default("nhs_staleness"), metadata=_range(0, 1))
    # Identifiers each source shares (none by default, as in the pilot): source -> names.
    identifiers: dict[str, list[str]] = field(default_factory=_default("identifiers"))
    linkage: Linkage = field(default_factory=Linkage)
    cross_border: CrossBorder = field(default_factory=CrossBorder)
    spark: Spark = field(default_factory=Spark)
    follow_up: FollowUp = field(default_factory=FollowUp)
    review: Review = field(default_factory=Review)
    report: Report = field(default_factory=Report)
    calibration: Calibration = field(default_factory=Calibration)

    def __post_init__(self) -> None:
        _check_status_keys(self.status_shares, "status_shares")
        _check_age_profiles(self.status_age_profile)
        if not self.authorities:
            raise ConfigError("authorities: at least one authority is required")
        for name, la in self.authorities.items():
            if name not in wales.AUTHORITY_NAMES:
                raise ConfigError(
                    f"authorities: unknown authority {name!r}; allowed: "
                    + ", ".join(wales.AUTHORITY_NAMES)
                )
            _check_status_keys(la.status_shares, f"authorities.{name}.status_shares")
            self.shares_for(name)  # raises if the declared shares leave no room
        for err, by_source in self.errors.items():
            for src, rate in by_source.items():
                if src not in SOURCES:
                    raise ConfigError(
                        f"errors.{err}: unknown source {src!r}; allowed: " + ", ".join(SOURCES)
                    )
                if not 0 <= rate <= 1:
                    raise ConfigError(f"errors.{err}.{src}: {rate} is not a probability (0-1)")
        _check_status_keys(self.follow_up.resolve_probability, "follow_up.resolve_probability",
                           remainder=False)
        for src, names in self.identifiers.items():
            if src not in SOURCES:
                raise ConfigError(
                    f"identifiers: unknown source {src!r}; allowed: " + ", ".join(SOURCES))
            for ident in names:
                if ident not in OPTIONAL_IDENTIFIERS:
                    raise ConfigError(f"identifiers.{src}: unknown identifier {ident!r}; "
                                      "allowed: " + ", ".join(OPTIONAL_IDENTIFIERS))
        missing = [a for a in wales.AUTHORITY_NAMES if a not in self.authorities]
        if self.cross_border.central_matching and missing:
            raise ConfigError(
                "cross_border.central_matching matches against all-Wales PLASC, so every Welsh "
                f"LA must be in the scenario (use wales-2025); missing: {', '.join(missing)}")

    def shares_for(self, authority: str) -> dict[str, float]:
        """Status shares for one LA: the scenario default overlaid with the LA's own, and
        ``maintained_own_la`` as the remainder (so an LA override never has to re-balance)."""
        shares = dict(self.status_shares)
        shares.update(self.authorities[authority].status_shares)
        total = sum(shares.values())
        if total > 1 + 1e-9:
            raise ConfigError(
                f"authorities.{authority}.status_shares: the declared shares add up to "
                f"{total:.6f}; they must leave a remainder (>= 0) for {OWN_LA_STATUS}"
            )
        return {OWN_LA_STATUS: max(0.0, 1.0 - total), **shares}

    def error_rate(self, error: str, source: str) -> float:
        return 0.0 if self.no_errors else self.errors.get(error, {}).get(source, 0.0)

    def error_rates(self, source: str) -> dict[str, float]:
        """Every declared error rate of one source (empty in the no-errors control)."""
        if self.no_errors:
            return {}
        source = RECORDS_LIKE.get(source, source)
        rates = {e: by[source] for e, by in self.errors.items() if source in by}
        if source == "nwssp" and "outdated_address" in rates:
            rates["outdated_address"] *= self.nhs_staleness
        return rates

    def shared_identifiers(self) -> tuple[str, ...]:
        """Identifiers held by a received source and by at least one dataset it is matched
        against: only those can be compared."""
        out = []
        for ident in OPTIONAL_IDENTIFIERS:
            for source, targets in MATCHED_AGAINST.items():
                if ident in self.identifiers.get(source, []) and any(
                        ident in self.identifiers.get(t, []) for t in targets):
                    out.append(ident)
                    break
        return tuple(out)

    def nhs_records(self, authority: str) -> int:
        """NHS records for an LA before scaling: declared, or derived from its pupil count."""
        declared = self.authorities[authority].nhs_records
        if declared is not None:
            return declared
        return round(wales.get(authority).pupils_5_15 * NHS_RECORDS_PER_PUPIL)

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready form (dates as ISO strings) for manifests and notebook parameters."""
        return plain(dataclasses.asdict(self))


OWN_LA_STATUS = "maintained_own_la"


def _check_status_keys(shares: dict[str, float], where: str, remainder: bool = True) -> None:
    for key, value in shares.items():
        if remainder and key == OWN_LA_STATUS:
            raise ConfigError(
                f"{where}.{key}: this share is the remainder (1 - the other shares); "
                "set the other statuses instead"
            )
        if key not in STATUSES:
            raise ConfigError(f"{where}: unknown status {key!r}; allowed: " + ", ".join(STATUSES))
        if not 0 <= value <= 1:
            raise ConfigError(f"{where}.{key}: {value} is not a share (0-1)")


def _check_age_profiles(profiles: dict[str, dict[int, float]]) -> None:
    for status, profile in profiles.items():
        where = f"status_age_profile.{status}"
        allowed = [s for s in STATUSES if s != OWN_LA_STATUS and s not in HOUSEHOLD_STATUSES]
        if status not in allowed:
            raise ConfigError(f"{where}: not a status drawn per child (a family's move or "
                              "home has no age of its own); allowed: " + ", ".join(allowed))
        if not profile:
            raise ConfigError(f"{where}: give at least one age: weight")
        for age, weight in profile.items():
            if not isinstance(age, int) or not 3 <= age <= 18:
                raise ConfigError(f"{where}: ages are whole years 3-18")
            if not isinstance(weight, int | float) or weight < 0 or not math.isfinite(weight):
                raise ConfigError(f"{where}.{age}: a weight is a number 0 or more")
        if not any(profile.values()):
            raise ConfigError(f"{where}: at least one weight must be above 0")


def _check_weights(weights: list[float] | dict[str, float], where: str, *,
                   allow_empty: bool) -> None:
    """Relative weights: each finite and >= 0, and (unless none is given and that is allowed)
    adding up to more than 0, so that something can be drawn."""
    items = list(weights.items() if isinstance(weights, dict) else enumerate(weights))
    for key, value in items:
        at = f"{where}.{key}" if isinstance(weights, dict) else f"{where}[{key}]"
        if not math.isfinite(value) or value < 0:
            raise ConfigError(f"{at}: {value} is out of range; allowed: a weight 0 <= value")
    if not items and allow_empty:
        return
    if sum(value for _, value in items) <= 0:
        raise ConfigError(f"{where}: the weights add up to 0; allowed: weights >= 0 with at least "
                          "one > 0")


DATE_FORMAT_SAMPLE = dt.date(2011, 8, 3)  # day != month, neither is 1, so a swap shows


def _check_date_format(fmt: str, where: str) -> None:
    """A strftime format of a whole date: writing the sample date and reading it back with the
    same format gives the sample date (so day, month and year are all in it). ``excel`` (an
    Excel serial day number, see synth/sources.py) is the one named format."""
    if fmt == "excel":
        return
    allowed = ("a strftime format of a whole date (day, month and year), e.g. %d/%m/%Y, or "
               "excel (an Excel serial day number)")
    try:
        text = DATE_FORMAT_SAMPLE.strftime(fmt)
    except (ValueError, UnicodeError) as exc:
        raise ConfigError(f"{where}: {fmt!r} is not a date format ({exc}); allowed: {allowed}") \
            from None
    if text == fmt:
        raise ConfigError(f"{where}: {fmt!r} has no date directive; allowed: {allowed}")
    try:
        back = dt.datetime.strptime(text, fmt).date()
    except ValueError as exc:
        raise ConfigError(f"{where}: {fmt!r} cannot be read back ({exc}); allowed: {allowed}") \
            from None
    if back != DATE_FORMAT_SAMPLE:
        raise ConfigError(
            f"{where}: {fmt!r} does not hold a whole date ({DATE_FORMAT_SAMPLE.isoformat()} is "
            f"written {text!r} and read back as {back.isoformat()}); allowed: {allowed}")




