"""The settings a fit may move: their declared ranges and priors, their values in a scenario,
and a scenario with them changed. Kept apart from the fit so the report can name them without
loading the emulator."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from cme_eval.config import ConfigError, Scenario
from cme_eval.config.convert import build, merge, nested

_SIZE = re.compile(r"authorities\.(?P<la>[^.]+)\.nhs_records")
_LA_SHARE = re.compile(r"authorities\.(?P<la>[^.]+)\.status_shares\.(?P<status>\w+)")
_SHARE = re.compile(r"status_shares\.(?P<status>\w+)")
_ERROR = re.compile(r"errors\.(?P<error>\w+)\.(?P<source>\w+)")
_RESOLVE = re.compile(r"follow_up\.resolve_probability\.(?P<status>\w+)")
MOVABLE = (_SIZE, _LA_SHARE, _SHARE, _ERROR, _RESOLVE)  # the settings a fit can move


def movable(key: str) -> bool:
    """Whether the fit (and its emulator) can move setting ``key``."""
    return any(p.fullmatch(key) for p in MOVABLE)


def error_of(key: str) -> tuple[str, str] | None:
    """(error type, source) of an error-rate setting, or None."""
    m = _ERROR.fullmatch(key)
    return (m["error"], m["source"]) if m else None


def in_run(scenario: Scenario, key: str) -> bool:
    """Whether setting ``key`` is of the run: a setting of one LA only when the LA is run."""
    m = _SIZE.fullmatch(key) or _LA_SHARE.fullmatch(key)
    return m is None or m["la"] in scenario.authorities


def whole_number(key: str) -> bool:
    """Whether setting ``key`` is a count (an LA's size), written as a whole number."""
    return bool(_SIZE.fullmatch(key))


def describe(key: str) -> str:
    """A free setting in words, for the report."""
    if m := _SIZE.fullmatch(key):
        return f"NHS records sent to {m['la']}"
    if m := _LA_SHARE.fullmatch(key):
        return f"{m['la']}: share of children {_words(m['status'])}"
    if m := _SHARE.fullmatch(key):
        return f"share of children {_words(m['status'])} (LAs that declare none of their own)"
    if m := _ERROR.fullmatch(key):
        return f"rate of {_words(m['error'])} in the {m['source'].upper()} records"
    if m := _RESOLVE.fullmatch(key):
        return f"probability that follow-up resolves a child {_words(m['status'])}"
    return key


def _words(name: str) -> str:
    return {"maintained_neighbour_la": "at a neighbouring LA's school",
            "maintained_england": "at a school in England",
            "moved_within_wales": "moved elsewhere in Wales",
            "missing_known": "known to be missing",
            "outdated_address": "out-of-date addresses"}.get(name, name.replace("_", " "))


@dataclass(frozen=True)
class Free:
    key: str
    low: float
    high: float
    prior: float
    why: str = ""
    whole: bool = False  # a count (an LA's size): written as a whole number

    @property
    def prior_sd(self) -> float:
        return (self.high - self.low) / 4


def setting_value(scenario: Scenario, key: str) -> float:
    """The value setting ``key`` has in ``scenario`` (an LA's size as the run uses it)."""
    if m := _SIZE.fullmatch(key):
        return float(scenario.nhs_records(m["la"]))
    if m := _LA_SHARE.fullmatch(key):
        return float(scenario.shares_for(m["la"])[m["status"]])
    if m := _SHARE.fullmatch(key):
        return float(scenario.status_shares.get(m["status"], 0.0))
    if m := _ERROR.fullmatch(key):
        return float(scenario.errors.get(m["error"], {}).get(m["source"], 0.0))
    if m := _RESOLVE.fullmatch(key):
        return float(scenario.follow_up.resolve_probability.get(m["status"], 0.0))
    raise ConfigError(f"calibration.free.{key}: not a setting the fit can move (an LA's "
                      "nhs_records, a status share, an error rate or a resolve probability)")


def free_settings(prior_world: Scenario, data: dict) -> list[Free]:
    """The scenario's free settings, each with its prior (declared, or the value the
    scenario has before any fit), checked: the range must lie within the setting's bounds."""
    out = []
    for key, f in prior_world.calibration.free.items():
        prior = f.prior if f.prior is not None else setting_value(prior_world, key)
        low, high = f.range
        for end in (low, high):
            try:
                build(Scenario, merge(data, nested(key, end)))
            except ConfigError as exc:
                raise ConfigError(f"calibration.free.{key}.range: {end:g} is outside the "
                                  f"setting's bounds ({exc})") from None
        prior = min(max(prior, low), high)
        out.append(Free(key, low, high, prior, f.why, whole=bool(_SIZE.fullmatch(key))))
    return out


def world(data: dict, free: list[Free], x: np.ndarray) -> Scenario:
    """The scenario with the free settings at ``x``."""
    for f, v in zip(free, x, strict=True):
        data = merge(data, nested(f.key, int(round(v)) if f.whole else float(v)))
    return build(Scenario, data)


