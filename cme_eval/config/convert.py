"""From plain settings (YAML text, mappings) to typed, checked settings, and back.

Every conversion error is a :class:`ConfigError` naming the dotted key and what is allowed. This
module knows nothing of which settings exist (``settings``) or where scenarios live (``load``).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import math
import re
import types
import typing
from importlib import resources
from typing import Any

import yaml

from cme_eval.exceptions import CmeEvalError


class ConfigError(CmeEvalError, ValueError):
    """A scenario or parameter is invalid; the message names the key and what is allowed."""


class _Loader(yaml.SafeLoader):
    """Safe YAML without implicit dates: a date stays text until the settings check reads it,
    so an impossible date (2025-02-30) is refused with its key instead of a raw traceback."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml_text(text: str, where: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML: {' '.join(str(exc).split())}") from None


def package_defaults() -> dict[str, Any]:
    text = resources.files("cme_eval").joinpath("defaults.yaml").read_text(encoding="utf-8")
    return load_yaml_text(text, "cme_eval/defaults.yaml") or {}


def plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def convert(value: Any, tp: Any, where: str, meta: typing.Mapping[str, Any]) -> Any:
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return build(typing.cast(type, tp), value, where)  # a dataclass type, not an instance
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return None if value is None else convert(value, args[0], where, meta)
    if origin is dict:
        key_tp, val_tp = typing.get_args(tp)
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return {
            convert(k, key_tp, where, {}): convert(v, val_tp, f"{where}.{k}", meta)
            for k, v in value.items()
        }
    if origin is list:
        (item_tp,) = typing.get_args(tp)
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return [convert(v, item_tp, f"{where}[{i}]", meta) for i, v in enumerate(value)]
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if tp is dt.date:
        if isinstance(value, dt.datetime):  # a date and time: say which day is meant
            raise ConfigError(f"{where}: expected a date YYYY-MM-DD, got {value!r}")
        if isinstance(value, dt.date):
            return value
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            raise ConfigError(f"{where}: expected a date YYYY-MM-DD, got {value!r}")
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError as exc:  # well formed but not in the calendar: 2025-02-30
            raise ConfigError(f"{where}: {value!r} is not a real date ({exc}); allowed: a "
                              "calendar date YYYY-MM-DD") from None
    if tp in (int, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        lo, hi = meta.get("min"), meta.get("max")
        allowed = f"{'' if lo is None else lo} <= value <= {'' if hi is None else hi}".strip()
        if lo is None and hi is None:
            allowed = meta.get("allowed", "a finite number")
        # YAML .nan, .inf and -.inf: a NaN passes every range check and silently turns a
        # threshold or a rate off.
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{where}: {value} is not a finite number; allowed: {allowed}")
        if tp is int and isinstance(value, float) and not value.is_integer():
            raise ConfigError(f"{where}: expected a whole number, got {value!r}")
        try:
            value = tp(value)
        except OverflowError:  # an integer beyond any float
            raise ConfigError(f"{where}: {value} is out of range; allowed: {allowed}") from None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ConfigError(f"{where}: {value} is out of range; allowed: {allowed}")
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
        kwargs[name] = convert(value, hints[name], key, fields[name].metadata)
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a required key is missing
        raise ConfigError(f"{where or 'scenario'}: {exc}") from None


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` laid on ``base``, mapping by mapping (copies: neither is changed). The one
    deep merge: scenario layers, overlays, overrides and replicate variants all use it."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def nested(key: str, value: Any) -> dict[str, Any]:
    """``{'a': {'b': value}}`` from the dotted key ``a.b`` (LA names hold spaces, never dots)."""
    out: Any = value
    for part in reversed(key.split(".")):
        out = {part: out}
    return out


def dotted_get(data: dict[str, Any], key: str) -> Any:
    """The value at dotted ``key`` of nested ``data`` (KeyError when any part is absent)."""
    out: Any = data
    for part in key.split("."):
        if not isinstance(out, dict):
            raise KeyError(key)
        out = out[part]
    return out
