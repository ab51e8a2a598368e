"""A scenario as a command loads it: once, checked against every registry.

``cme_eval.config`` checks what settings are (types, ranges, LAs, statuses); the registries of
the layers above check what only they know (engines, error types, return layouts, the published
subset), each where it lives. This module, above them all, applies both, so a command refuses a
bad scenario in one line, naming the file and the key, before anything runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cme_eval.config import ConfigError, Scenario, display, load_scenario, scenario_path
from cme_eval.evaluate import subset
from cme_eval.linkage import engines
from cme_eval.synth import errors, returns

CHECKS = (engines.check_settings, errors.check_settings, returns.check_settings,
          subset.check_settings)


def check(scenario: Scenario, where: str = "") -> Scenario:
    """``scenario``, once every registry has accepted it; ``where`` prefixes a refusal."""
    for check_part in CHECKS:
        try:
            check_part(scenario)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}" if where else str(exc)) from None
    return scenario


def load(name_or_path: str | Path, **options: Any) -> Scenario:
    """``config.load_scenario`` (same options), checked against every registry."""
    scenario = load_scenario(name_or_path, **options)
    return check(scenario, display(scenario_path(name_or_path)))
