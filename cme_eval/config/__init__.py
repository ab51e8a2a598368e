"""Scenario settings: what they are (``settings``), how plain values become them (``convert``)
and where they are read from (``load``). The bottom layer: it imports nothing of the linker,
the generator or the evaluation; each of those checks its own registry's part of a scenario
(``cme_eval.run.scenario.load`` applies every such check once per command)."""

from cme_eval.config.convert import ConfigError, build, merge, package_defaults, plain
from cme_eval.config.load import (
    available_overlays,
    available_scenarios,
    display,
    is_scenario_file,
    load_scenario,
    overlay_description,
    resolve_authorities,
    resolved_settings,
    restricted,
    scenario_path,
)
from cme_eval.config.settings import (
    MAX_WEIGHT_THRESHOLD,
    NHS_RECORDS_PER_PUPIL,
    OWN_LA_STATUS,
    Authority,
    CrossBorder,
    Dates,
    FollowUp,
    IndependentSchools,
    Linkage,
    Population,
    Report,
    Review,
    Scenario,
    Spark,
    default_setting,
)

__all__ = [
    "MAX_WEIGHT_THRESHOLD", "NHS_RECORDS_PER_PUPIL", "OWN_LA_STATUS", "Authority", "ConfigError",
    "CrossBorder", "Dates", "FollowUp", "IndependentSchools", "Linkage", "Population", "Report",
    "Review", "Scenario", "Spark", "available_overlays", "available_scenarios", "build",
    "default_setting", "display", "is_scenario_file", "load_scenario", "merge",
    "overlay_description", "package_defaults", "plain", "resolve_authorities",
    "resolved_settings", "restricted", "scenario_path",
]
