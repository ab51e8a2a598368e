"""cme_eval/defaults.yaml is the one place where default values of the settings live.

Every default of the settings dataclasses (cme_eval/config.py) is read from it, every key in it
is a setting, and the link spec's thresholds default to the same values. These tests fail if a
literal default creeps back into the code or the two drift apart again.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import typing
from importlib import resources

import pytest
import yaml

from cme_eval import config
from cme_eval.config import (
    Authority,
    IndependentSchools,
    Linkage,
    Population,
    Scenario,
    build,
    default_setting,
    load_scenario,
)


@functools.cache
def _yaml() -> dict:
    """defaults.yaml read independently of the settings loader."""
    text = resources.files("cme_eval").joinpath("defaults.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _yaml_value(key: str):
    value = _yaml()
    for part in key.split("."):
        assert isinstance(value, dict) and part in value, \
            f"{key}: has a default in cme_eval/config.py but no value in defaults.yaml"
        value = value[part]
    return value


def _leaf_fields(cls: type = Scenario, prefix: str = ""):
    """(dotted key, field, type) of every non-dataclass setting reachable from Scenario."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        if dataclasses.is_dataclass(tp):
            yield from _leaf_fields(tp, f"{prefix}{f.name}.")
        else:
            yield f"{prefix}{f.name}", f, tp


def _nested_fields(cls: type = Scenario, prefix: str = ""):
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            yield f"{prefix}{f.name}", f, hints[f.name]
            yield from _nested_fields(hints[f.name], f"{prefix}{f.name}.")


LEAVES = [(key, f, tp) for key, f, tp in _leaf_fields() if key != "name"]  # name: required


def test_scenario_name_is_the_only_setting_without_a_default():
    required = [key for key, f, _ in _leaf_fields()
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    assert required == ["name"]


@pytest.mark.parametrize("key, f, tp", LEAVES, ids=[key for key, _, _ in LEAVES])
def test_every_default_is_read_from_defaults_yaml(key, f, tp):
    # No literal default in the code: the field's factory reads its own key from the YAML.
    assert f.default is dataclasses.MISSING, f"{key}: literal default {f.default!r} in config.py"
    factory = f.default_factory
    assert isinstance(factory, functools.partial), f"{key}: default not read from defaults.yaml"
    assert factory.func is default_setting and factory.args == (key,)


@pytest.mark.parametrize("key, f, tp", LEAVES, ids=[key for key, _, _ in LEAVES])
def test_every_default_equals_its_value_in_defaults_yaml(key, f, tp):
    value = f.default_factory()
    assert config.plain(value) == config.plain(_yaml_value(key))
    # and of the declared type (a float setting gets a float even where the YAML says 2)
    origin = typing.get_origin(tp) or tp
    assert isinstance(value, origin), f"{key}: {value!r} is not a {tp}"


def test_defaults_are_fresh_copies():
    a, b = Population(), Population()
    a.household_children_weights.append(9.0)
    assert b.household_children_weights == _yaml_value("population.household_children_weights")
    assert Population().household_children_weights == b.household_children_weights


@pytest.mark.parametrize("key, f, cls", list(_nested_fields()),
                         ids=[key for key, _, _ in _nested_fields()])
def test_nested_settings_default_to_their_own_class_defaults(key, f, cls):
    assert f.default_factory is cls
    assert isinstance(_yaml_value(key), dict)


def test_every_key_in_defaults_yaml_is_a_setting():
    def walk(cls: type, data: dict, prefix: str) -> None:
        hints = typing.get_type_hints(cls)
        names = {f.name for f in dataclasses.fields(cls)}
        for key, value in data.items():
            assert key in names, f"defaults.yaml: {prefix}{key} is not a setting of {cls.__name__}"
            if dataclasses.is_dataclass(hints[key]):
                walk(hints[key], value, f"{prefix}{key}.")

    walk(Scenario, _yaml(), "")


def test_defaults_yaml_alone_gives_the_code_defaults():
    # Settings built from the YAML (as load_scenario's lowest layer) equal the dataclasses'
    # own defaults, whole mappings included (status shares, error rates, follow-up).
    data = {**_yaml(), "name": "defaults", "authorities": {"Powys": {}}}
    from_yaml = build(Scenario, data)
    in_code = Scenario(name="defaults", authorities={"Powys": Authority()})
    assert from_yaml == in_code
    assert in_code.status_shares["independent"] == 0.025
    assert in_code.errors["forename_typo"]["nwssp"] == 0.015
    assert in_code.follow_up.resolve_probability["eotas"] == 0.95


def test_an_authority_entry_declares_nothing_by_default():
    # LA entries have no package defaults (defaults.yaml cannot name LAs): None means "derive
    # from the pupil count", {} "no shares of its own".
    assert Authority() == Authority(nhs_records=None, status_shares={})
    assert _yaml_value("authorities") == {}


def test_the_formerly_disagreeing_defaults_now_agree():
    assert IndependentSchools().dob_formats == ["%d/%m/%Y", "%Y-%m-%d", "%d.%m.%y"]
    assert Linkage().partial_min_weight == 12.0 == _yaml_value("linkage.partial_min_weight")


def test_a_scenario_that_sets_nothing_gets_the_code_defaults():
    smoke = load_scenario("smoke")  # sets none of these
    assert smoke.linkage == Linkage()
    # but for out_of_age_listed_share, a reading of the published Table 5.1 in pilot-2025
    assert smoke.independent_schools == dataclasses.replace(IndependentSchools(),
                                                            out_of_age_listed_share=0.0)
    assert smoke.cross_border == config.CrossBorder()
    assert smoke.review == config.Review()
    # but for the published subset, which smoke takes from its base, pilot-2025
    assert smoke.report.published_subset == load_scenario("pilot-2025").report.published_subset
    assert dataclasses.replace(smoke.report, published_subset=[]) == config.Report()


def test_the_link_spec_thresholds_default_to_the_linkage_settings():
    from cme_eval.linkage.spec import LinkSpec, default_spec, spec_from_settings

    settings = Linkage()
    for spec in (LinkSpec(comparisons=(), blocking=()), default_spec(),
                 spec_from_settings(settings)):
        assert spec.partial_min_weight == settings.partial_min_weight
        assert spec.ambiguity_margin == settings.ambiguity_margin
    spec = default_spec(8.0, 1.5)
    assert (spec.partial_min_weight, spec.ambiguity_margin) == (8.0, 1.5)


def _numeric(tp) -> bool:
    if tp in (int, float):
        return True
    return any(_numeric(a) for a in typing.get_args(tp) if a is not type(None))


ALL_FIELDS = [*LEAVES, *(("authorities.*." + f.name, f, tp) for f, tp in zip(
    dataclasses.fields(Authority), typing.get_type_hints(Authority).values(), strict=True))]


@pytest.mark.parametrize("key, f, tp", [x for x in ALL_FIELDS if _numeric(x[2])],
                         ids=[x[0] for x in ALL_FIELDS if _numeric(x[2])])
def test_every_numeric_setting_declares_what_is_allowed(key, f, tp):
    lo, hi = f.metadata.get("min"), f.metadata.get("max")
    if lo is None and hi is None:
        # shares and probabilities: checked 0-1 with the whole mapping (Scenario.__post_init__)
        assert f.metadata.get("allowed"), f"{key}: no range declared"
    for bound in (lo, hi):
        assert bound is None or math.isfinite(bound)
    if lo is not None and hi is not None:
        assert lo <= hi
