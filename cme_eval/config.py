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
import types
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from cme_eval import wales
from cme_eval.schema import OPTIONAL_IDENTIFIERS, RECORDS_LIKE, SOURCES, STATUSES

# NHS records per maintained-school pupil aged 5-15: the pilot's "in excess of 167,000" records
# over the seven pilot LAs' ~142,000 such pupils (DOMAIN.md; indicative). Covers independent,
# home-educated and out-of-date registrations as well as maintained pupils.
NHS_RECORDS_PER_PUPIL = 167_000 / 142_000


class ConfigError(ValueError):
    """A scenario or parameter is invalid; the message names the key and what is allowed."""


def _range(lo: float | None = None, hi: float | None = None) -> dict[str, Any]:
    return {"min": lo, "max": hi}


@dataclass(frozen=True)
class Dates:
    """Reference dates of the pilot (the NHS extract and the January school census)."""

    nhs_extract: dt.date = dt.date(2025, 4, 30)
    plasc_census: dt.date = dt.date(2025, 1, 16)


@dataclass(frozen=True)
class Population:
    """Shape of the synthetic population of children aged about 3-18."""

    # The NHS extract covers children of compulsory school age on the extract date, widened by
    # this many months on each side (so some out-of-scope ages are received, as in the pilot).
    nhs_dob_margin_months: int = field(default=2, metadata=_range(0, 24))
    # Number of children per household: relative weights for 1, 2, 3, 4 and 5 children.
    household_children_weights: list[float] = field(
        default_factory=lambda: [0.42, 0.38, 0.14, 0.05, 0.01]
    )
    twin_share: float = field(default=0.03, metadata=_range(0, 0.2))
    siblings_share_surname: float = field(default=0.9, metadata=_range(0, 1))
    # Share of forenames drawn from Faker's en_GB pool rather than the ranked tables.
    other_forename_share: float = field(default=0.25, metadata=_range(0, 1))
    house_name_share: float = field(default=0.08, metadata=_range(0, 1))
    two_parent_share: float = field(default=0.7, metadata=_range(0, 1))
    # Pupils living in a neighbouring LA who attend this LA's maintained schools, as a share of
    # its own PLASC: they are on its PLASC but not in its NHS extract (realistic decoys).
    inbound_pupil_share: float = field(default=0.02, metadata=_range(0, 0.5))


@dataclass(frozen=True)
class Authority:
    """Per-LA settings: size (before scaling) and any status shares that differ from the default.

    ``nhs_records`` defaults to the LA's indicative pupils aged 5-15 x NHS_RECORDS_PER_PUPIL.
    """

    nhs_records: int | None = field(default=None, metadata=_range(1, None))
    status_shares: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class IndependentSchools:
    """How independent-school returns are produced."""

    pupils_per_school: int = field(default=150, metadata=_range(1, None))
    return_rate: float = field(default=0.8, metadata=_range(0, 1))
    dob_formats: list[str] = field(default_factory=lambda: ["%d/%m/%Y", "%Y-%m-%d"])
    # Share of returning schools that also list boarders who live outside the LA (or abroad),
    # and how many boarders such a school lists, as a share of its resident pupils.
    boarders_listed_share: float = field(default=0.3, metadata=_range(0, 1))
    boarders_per_pupil: float = field(default=0.15, metadata=_range(0, 2))
    include_la_placed: bool = True  # schools also list pupils the LA placed with them
    # Share of returning schools that list every pupil on roll, not only those of
    # compulsory school age (nursery and sixth-form pupils then arrive out of scope).
    out_of_age_listed_share: float = field(default=0.3, metadata=_range(0, 1))
    # Weights of the return layouts (see cme_eval/synth/returns.py); unnamed layouts weigh 0.
    layouts: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Linkage:
    """Thresholds of the outcome bands (the comparison spec itself lives in linkage.spec)."""

    partial_min_weight: float = field(default=12.0, metadata=_range(None, None))
    # A second candidate within this many weight units of the best one flags the record for review.
    ambiguity_margin: float = field(default=2.0, metadata=_range(0, None))
    engine: str = "recordlinkage"
    term_frequency: list[str] = field(default_factory=lambda: ["forename", "surname"])
    estimate_u: bool = True   # u from random record pairs of the data being linked
    estimate_m: bool = False  # m by EM (off: EM latches onto households, see README)

    def __post_init__(self) -> None:
        engines = ("recordlinkage", "splink", "excel_baseline")
        if self.engine not in engines:
            raise ConfigError(f"linkage.engine: unknown engine {self.engine!r}; allowed: "
                              + ", ".join(engines))


@dataclass(frozen=True)
class CrossBorder:
    """Recommendations about children schooled across an LA border (both off in the pilot)."""

    # Share of pupils on another Welsh LA's roll that the school's LA reports to the child's
    # home LA (neighbour exchange). English schools take no part.
    neighbour_exchange: float = field(default=0.0, metadata=_range(0, 1))
    # NHS records are matched centrally against all-Wales PLASC before distribution; needs
    # every Welsh LA in the scenario (wales-2025).
    central_matching: bool = False
    central_engine: str = "splink"
    # A central partial match held by another LA needs this weight (the national pool makes a
    # chance agreement likelier; see linkage/central.py for the measurement behind 16).
    other_la_min_weight: float = field(default=16.0, metadata=_range(0, None))

    def __post_init__(self) -> None:
        if self.central_engine not in ("recordlinkage", "splink"):
            raise ConfigError(f"cross_border.central_engine: unknown engine "
                              f"{self.central_engine!r}; allowed: recordlinkage, splink")


@dataclass(frozen=True)
class FollowUp:
    """The documented follow-up model behind 'CME known after' (Table 6.1).

    For each potential CME, the probability that an LA's follow-up resolves it (finds the child
    in education or gone), by the child's true status. Statuses not listed are never resolved.
    """

    resolve_probability: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Review:
    """Staff time per review task (evaluate/workload.py says how these were calibrated)."""

    minutes_per_partial_check: float = field(default=2.0, metadata=_range(0, 600))
    minutes_per_follow_up: float = field(default=30.0, metadata=_range(0, 6000))


@dataclass(frozen=True)
class Report:
    """Publication settings. A run on real data always applies disclosure control."""

    real_data: bool = False
    disclosure_control: bool = False  # also on synthetic data, e.g. to preview a release
    # Engines whose outcomes are compared beside the main one (linkage_quality, baseline gap).
    compare_engines: list[str] = field(default_factory=lambda: ["excel_baseline"])

    @property
    def protect(self) -> bool:
        return self.real_data or self.disclosure_control


@dataclass(frozen=True)
class Scenario:
    """A whole evaluation scenario: population, sources, errors, linkage and follow-up."""

    name: str
    description: str = ""
    seed: int = field(default=2025, metadata=_range(0, None))
    scale: float = field(default=1.0, metadata=_range(1e-6, 10))
    dates: Dates = field(default_factory=Dates)
    population: Population = field(default_factory=Population)
    status_shares: dict[str, float] = field(default_factory=dict)
    authorities: dict[str, Authority] = field(default_factory=dict)
    independent_schools: IndependentSchools = field(default_factory=IndependentSchools)
    # errors[error_type][source] = probability that a record of that source gets that error.
    errors: dict[str, dict[str, float]] = field(default_factory=dict)
    no_errors: bool = False  # the clean control: every error rate 0, whatever `errors` says
    # How stale the NHS extract is, relative to the annual pilot extract (quarterly: 0.25): the
    # share of moved-away children still registered here, and a factor on the NHS out-of-date
    # address rate. The population itself is the same, so what-ifs compare like with like.
    nhs_staleness: float = field(default=1.0, metadata=_range(0, 1))
    # Identifiers each source shares (none by default, as in the pilot): source -> names.
    identifiers: dict[str, list[str]] = field(default_factory=dict)
    linkage: Linkage = field(default_factory=Linkage)
    cross_border: CrossBorder = field(default_factory=CrossBorder)
    follow_up: FollowUp = field(default_factory=FollowUp)
    review: Review = field(default_factory=Review)
    report: Report = field(default_factory=Report)

    def __post_init__(self) -> None:
        _check_status_keys(self.status_shares, "status_shares")
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
        from cme_eval.synth.errors import ERROR_TYPES  # late import: errors imports schema only

        for err, by_source in self.errors.items():
            if err not in ERROR_TYPES:
                raise ConfigError(
                    f"errors: unknown error type {err!r}; allowed: " + ", ".join(ERROR_TYPES)
                )
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
        from cme_eval.synth.returns import LAYOUTS

        for layout in self.independent_schools.layouts:
            if layout not in LAYOUTS:
                raise ConfigError(f"independent_schools.layouts: unknown layout {layout!r}; "
                                  "allowed: " + ", ".join(LAYOUTS))

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
        from cme_eval.schema import MATCHED_AGAINST

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
        return _plain(dataclasses.asdict(self))


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




def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------------------------
# Building typed settings from plain mappings, with errors that name the key.


def _convert(value: Any, tp: Any, where: str, meta: typing.Mapping[str, Any]) -> Any:
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return build(tp, value, where)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return None if value is None else _convert(value, args[0], where, meta)
    if origin is dict:
        key_tp, val_tp = typing.get_args(tp)
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return {
            _convert(k, key_tp, where, {}): _convert(v, val_tp, f"{where}.{k}", meta)
            for k, v in value.items()
        }
    if origin is list:
        (item_tp,) = typing.get_args(tp)
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return [_convert(v, item_tp, f"{where}[{i}]", meta) for i, v in enumerate(value)]
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if tp is dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise ConfigError(f"{where}: expected a date YYYY-MM-DD, got {value!r}") from None
    if tp in (int, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        if tp is int and float(value) != int(value):
            raise ConfigError(f"{where}: expected a whole number, got {value!r}")
        value = tp(value)
        lo, hi = meta.get("min"), meta.get("max")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            allowed = f"{'' if lo is None else lo} <= value <= {'' if hi is None else hi}"
            raise ConfigError(f"{where}: {value} is out of range; allowed: {allowed.strip()}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected text, got {value!r}")
        return value
    raise TypeError(f"unsupported settings type {tp!r} at {where}")  # a bug in this module


def build(cls: type, data: dict[str, Any], where: str = "") -> Any:
    """Build dataclass ``cls`` from ``data``, rejecting unknown keys and bad values."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        prefix = f"{where}." if where else ""
        raise ConfigError(
            f"{prefix}{unknown[0]}: unknown key; allowed: " + ", ".join(sorted(fields))
        )
    kwargs = {}
    for name, value in data.items():
        key = f"{where}.{name}" if where else name
        kwargs[name] = _convert(value, hints[name], key, fields[name].metadata)
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a required key is missing
        raise ConfigError(f"{where or 'scenario'}: {exc}") from None


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


# --------------------------------------------------------------------------------------------
# Where scenarios live and how they are loaded.

REPO_ROOT = Path(__file__).resolve().parents[1]
SCENARIO_DIR = REPO_ROOT / "synthetic" / "scenarios"


def available_scenarios() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def scenario_path(name_or_path: str | Path) -> Path:
    """A scenario given by name (``smoke``) or by path to a YAML file."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise ConfigError(f"scenario file not found: {path}")
        return path
    candidate = SCENARIO_DIR / f"{name_or_path}.yaml"
    if not candidate.is_file():
        raise ConfigError(
            f"unknown scenario {str(name_or_path)!r}; available: " + ", ".join(available_scenarios())
        )
    return candidate


def package_defaults() -> dict[str, Any]:
    text = resources.files("cme_eval").joinpath("defaults.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text) or {}


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path.name}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path.name}: expected a mapping at the top level")
    return data


def _read_with_base(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    """A scenario YAML may start from another with ``base: NAME`` (e.g. smoke from pilot-2025)."""
    data = _read_yaml(path)
    base = data.pop("base", None)
    if base is None:
        return data
    base_path = scenario_path(base)
    if base_path.resolve() in seen:
        raise ConfigError(f"{path.name}: base scenarios form a loop: {base}")
    inherited = _read_with_base(base_path, (*seen, path.resolve()))
    inherited.pop("name", None)
    inherited.pop("description", None)
    return _merge(inherited, data)


OVERLAY_DIR = SCENARIO_DIR / "overlays"


def available_overlays() -> list[str]:
    return sorted(p.stem for p in OVERLAY_DIR.glob("*.yaml"))


def _overlay(name: str) -> dict[str, Any]:
    path = OVERLAY_DIR / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(f"unknown overlay {name!r}; available: "
                          + ", ".join(available_overlays()))
    data = _read_yaml(path)
    data.pop("description", None)
    return data


def overlay_description(name: str) -> str:
    """What an overlay changes, in its own words (its YAML's ``description``)."""
    _overlay(name)  # an unknown name is named, with the available ones
    return " ".join(str(_read_yaml(OVERLAY_DIR / f"{name}.yaml").get("description", "")).split())


def load_scenario(
    name_or_path: str | Path,
    *,
    overlays: list[str] | tuple[str, ...] = (),
    seed: int | None = None,
    scale: float | None = None,
    authorities: list[str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Scenario:
    """Load a scenario: package defaults < scenario YAML < run parameters.

    ``overlays`` are small YAML files in ``synthetic/scenarios/overlays/`` (policy what-ifs)
    merged on top of the scenario. ``authorities`` restricts the run to a subset of the
    scenario's LAs (each must be in it).
    ``overrides`` is a nested mapping of any further settings, validated like the YAML.
    """
    path = scenario_path(name_or_path)
    data = _merge(package_defaults(), _read_with_base(path, seen=()))
    data.setdefault("name", path.stem)
    for overlay in overlays:  # policy what-ifs, in the order given
        data = _merge(data, _overlay(overlay))
    if overlays:
        data["name"] = "+".join([data["name"], *overlays])
    if overrides:
        data = _merge(data, overrides)
    if seed is not None:
        data["seed"] = seed
    if scale is not None:
        data["scale"] = scale
    if authorities:
        known = data.get("authorities") or {}
        for name in authorities:
            if name not in known:
                allowed = ", ".join(known) if known else "(none)"
                raise ConfigError(
                    f"authorities: {name!r} is not in scenario {data['name']!r}; allowed: {allowed}"
                )
        data["authorities"] = {name: known[name] for name in authorities}
    try:
        return build(Scenario, data)
    except ConfigError as exc:
        raise ConfigError(f"{path.name}: {exc}") from None
