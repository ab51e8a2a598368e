"""Where scenarios and overlays live and how they are loaded: package defaults < scenario YAML
(with its ``base:`` chain) < overlays < run parameters, built into a checked :class:`Scenario`.

Checks against the registries of other layers (engines, error types, return layouts, the
published subset) are not made here: each registry checks its own part where it lives, and
``cme_eval.run.scenario.load`` applies them all once per command.
"""

from __future__ import annotations

import dataclasses
import difflib
from pathlib import Path
from typing import Any

from cme_eval import shipped
from cme_eval.config.convert import (
    ConfigError,
    build,
    convert,
    dotted_get,
    load_yaml_text,
    merge,
    nested,
    package_defaults,
)
from cme_eval.config.settings import Scenario


def available_scenarios() -> list[str]:
    return sorted(p.stem for p in shipped.scenario_dir().glob("*.yaml"))


def is_scenario_file(name_or_path: str | Path) -> bool:
    return Path(name_or_path).suffix in (".yaml", ".yml")


def scenario_path(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """A scenario given by name (``smoke``) or by path to a YAML file.

    A path is read relative to where the user stands (or to ``relative_to``, the folder of the
    scenario that names it as ``base:``) and returned absolute, so it keeps working when a
    notebook kernel runs in another folder.
    """
    if is_scenario_file(name_or_path):
        path = Path(name_or_path).expanduser()
        if relative_to is not None and not path.is_absolute():
            path = relative_to / path
        if not path.is_file():
            where = "" if path.is_absolute() else f" (looked in {Path.cwd()})"
            raise ConfigError(f"scenario file not found: {name_or_path}{where}")
        return path.resolve()
    candidate = shipped.scenario_dir() / f"{name_or_path}.yaml"
    if not candidate.is_file():
        near = difflib.get_close_matches(str(name_or_path), available_scenarios(), n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise ConfigError(
            f"unknown scenario {str(name_or_path)!r}{hint}; available: "
            + ", ".join(available_scenarios()) + " (or a path to a .yaml file)"
        )
    return candidate


def display(path: Path) -> str:
    """A file as the user knows it: shipped scenarios by file name, others relative to the
    current folder where they lie beneath it."""
    if path.parent in (shipped.scenario_dir(), shipped.overlay_dir()):
        return path.name
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def _read_yaml(path: Path) -> dict[str, Any]:
    where = display(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        line = exc.object[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{where}: not UTF-8 text (line {line}, byte {exc.start} is "
                          f"{exc.object[exc.start]:#04x}); save the file as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{where}: cannot be read: {exc.strerror}") from None
    data = load_yaml_text(text, where)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping of settings at the top level")
    return data


def fitted_path(scenario: Path, fitted: str) -> Path:
    """The fitted-values file a scenario names (relative to the scenario's folder)."""
    return (scenario.parent / fitted).resolve()


def _with_fitted(path: Path, data: dict[str, Any], fitted_layer: bool = True
                 ) -> dict[str, Any]:
    """The scenario's own settings with each free setting's declared prior, then the values
    ``cme-eval calibrate --save`` fitted, laid on top (``fitted_layer`` False: priors only,
    the world before any fit). A free setting the scenario also sets by hand is refused: a
    fitted value comes from the command, never from an edit."""
    calibration = data.get("calibration")
    if not isinstance(calibration, dict):
        return data
    targets = calibration.get("targets")
    if isinstance(targets, str) and is_scenario_file(targets):  # a path: from the scenario's
        calibration["targets"] = str((path.parent / targets).resolve())  # folder, kept absolute
    if not calibration.get("fitted"):
        return data
    fitted = fitted_path(path, str(calibration["fitted"]))
    free = calibration.get("free") or {}
    if not isinstance(free, dict):
        return data  # the settings check says what is wrong
    for key, declared in free.items():
        try:
            dotted_get(data, key)
        except KeyError:
            if isinstance(declared, dict) and isinstance(declared.get("prior"), int | float):
                data = merge(data, nested(str(key), declared["prior"]))
            continue
        raise ConfigError(f"{display(path)}: {key}: a free setting of calibration.free is set "
                          "by cme-eval calibrate --save, not by hand; remove the value here")
    if not fitted_layer or not fitted.is_file():
        return data  # not fitted yet: the priors, declared values and package defaults stand
    document = _read_yaml(fitted)
    values = document.get("values") or {}
    if not isinstance(values, dict):
        raise ConfigError(f"{display(fitted)}: values: expected dotted setting: value")
    intervals = document.get("intervals") or {}
    if not isinstance(intervals, dict):
        raise ConfigError(f"{display(fitted)}: intervals: expected dotted setting: [low, high]")
    data = merge(data, {"calibration": {"intervals": {
        str(k): v for k, v in intervals.items() if k in free}}})
    for key, value in values.items():
        if key not in free:
            raise ConfigError(f"{display(fitted)}: values.{key}: not a free setting of "
                              f"{display(path)} (calibration.free); refit the scenario")
        data = merge(data, nested(str(key), value))
    return data


def _read_with_base(path: Path, seen: tuple[Path, ...], fitted_layer: bool | str = True
                    ) -> dict[str, Any]:
    """A scenario YAML may start from another with ``base: NAME`` (e.g. smoke from pilot-2025),
    or ``base: other.yaml``, a path relative to the file that names it. Each file's fitted
    values (``calibration.fitted``) are laid on it before a file based on it is."""
    data = _with_fitted(path, _read_yaml(path), fitted_layer is True)
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ConfigError(f"{display(path)}: base: expected a scenario name or file, got {base!r}")
    try:
        base_path = scenario_path(base, relative_to=path.parent)
    except ConfigError as exc:
        raise ConfigError(f"{display(path)}: base: {exc}") from None
    if base_path in seen or base_path == path:
        raise ConfigError(f"{display(path)}: base scenarios form a loop: {base}")
    inherited = _read_with_base(base_path, (*seen, path),
                                True if fitted_layer == "base" else fitted_layer)
    inherited.pop("name", None)
    inherited.pop("description", None)
    return merge(inherited, data)


def available_overlays() -> list[str]:
    return sorted(p.stem for p in shipped.overlay_dir().glob("*.yaml"))


def _overlay_path(name: str) -> Path:
    path = shipped.overlay_dir() / f"{name}.yaml"
    if not path.is_file():
        near = difflib.get_close_matches(name, available_overlays(), n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise ConfigError(f"unknown overlay {name!r}{hint}; available: "
                          + ", ".join(available_overlays()))
    return path


def _overlay(name: str) -> dict[str, Any]:
    data = _read_yaml(_overlay_path(name))
    data.pop("description", None)
    return data


def overlay_description(name: str) -> str:
    """What an overlay changes, in its own words (its YAML's ``description``)."""
    return " ".join(str(_read_yaml(_overlay_path(name)).get("description", "")).split())


def _key(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalpha())


def resolve_authorities(asked: list[str] | tuple[str, ...], known: list[str], scenario: str,
                        where: str = "authorities") -> list[str]:
    """The scenario's own spelling of each LA asked for, ignoring case, spaces and hyphens
    (``cardiff``, ``isle-of-anglesey``); a name it does not hold is refused with the nearest."""
    by_key = {_key(k): k for k in known}
    out = []
    for name in asked:
        if _key(name) in by_key:
            out.append(by_key[_key(name)])
            continue
        near = difflib.get_close_matches(_key(name), list(by_key), n=1, cutoff=0.6)
        hint = f" (did you mean {by_key[near[0]]!r}?)" if near else ""
        raise ConfigError(f"{where}: {name!r} is not in scenario {scenario!r}{hint}; allowed: "
                          + (", ".join(known) if known else "(none)"))
    return list(dict.fromkeys(out))


def restricted(scenario: Scenario, asked: list[str] | tuple[str, ...]) -> Scenario:
    """``scenario`` restricted to the LAs ``asked`` for (its own spelling of each, whatever
    the case or hyphens; a name it does not hold is refused with the nearest)."""
    names = resolve_authorities(asked, list(scenario.authorities), scenario.name)
    return dataclasses.replace(scenario, authorities={n: scenario.authorities[n] for n in names})


def resolved_settings(name_or_path: str | Path, overrides: dict[str, Any] | None = None,
                      *, fitted_layer: bool | str = True) -> dict[str, Any]:
    """A scenario with its defaults and ``base:`` chain merged in (and ``overrides`` on top):
    the plain settings a run folder keeps as ``scenario.yaml``, so the run can be repeated
    without the original files. ``fitted_layer``: False leaves out every fitted value (each
    free setting at its prior); ``"base"`` only the scenario's own (what its fit starts
    from, its base scenarios as fitted)."""
    path = scenario_path(name_or_path)
    data = merge(package_defaults(), _read_with_base(path, seen=(), fitted_layer=fitted_layer))
    data.setdefault("name", path.stem)
    data["calibration"]["fitted"] = ""  # its values are laid in: a run folder needs no file
    return merge(data, overrides) if overrides else data


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
    scenario's LAs (each must be in it; case and hyphens do not matter).
    ``overrides`` is a nested mapping of any further settings, validated like the YAML.
    A bad setting is blamed on the scenario file; a bad run parameter on the parameter.
    """
    path = scenario_path(name_or_path)
    data = resolved_settings(path)
    for overlay in overlays:  # policy what-ifs, in the order given
        data = merge(data, _overlay(overlay))
    if overlays:
        data["name"] = "+".join([data["name"], *overlays])
    if overrides:
        data = merge(data, overrides)
    for key, value in (("seed", seed), ("scale", scale)):  # checked on their own, so a bad
        if value is not None:                            # one is not blamed on the file
            meta = next(f.metadata for f in dataclasses.fields(Scenario) if f.name == key)
            data[key] = convert(value, int if key == "seed" else float,
                                 f"run parameter {key}", meta)
    if authorities:
        known = data.get("authorities") or {}
        if not isinstance(known, dict):
            known = {}
        names = resolve_authorities(authorities, list(known), str(data.get("name")))
        data["authorities"] = {name: known[name] for name in names}
    try:
        return build(Scenario, data)
    except ConfigError as exc:
        raise ConfigError(f"{display(path)}: {exc}") from None
