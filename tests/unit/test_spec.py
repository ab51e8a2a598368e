"""cme_eval.linkage.spec: the declared Fellegi-Sunter levels behave as documented."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from cme_eval.linkage.spec import DEFAULT_BLOCKING, DEFAULT_COMPARISONS, Level, default_spec


def test_level_weight_is_log2_m_over_u():
    assert Level((), 0.8, 0.1).raw_weight == pytest.approx(3.0)
    assert Level((), 0.1, 0.8).raw_weight == pytest.approx(-3.0)
    assert Level((), 0.03, 0.03).raw_weight == 0.0


@pytest.mark.parametrize("m, u", [(0.0, 0.1), (0.5, 0.0), (float("nan"), 0.1), (1.5, 0.1)])
def test_a_level_cannot_have_an_undefined_weight(m, u):
    with pytest.raises(ValueError, match="must be in"):
        Level((), m, u)


def test_weights_are_monotone_even_when_m_and_u_say_otherwise():
    from cme_eval.linkage.rules import exact
    from cme_eval.linkage.spec import Comparison

    # an estimated fuzzy level above the exact one: the exact level takes the fuzzy weight
    comparison = Comparison("x", ("a",), (Level((exact("a"),), 0.5, 0.25),
                                          Level((exact("b"),), 0.4, 0.05), Level((), 0.1, 0.7)))
    assert comparison.weights() == pytest.approx([3.0, 3.0, math.log2(0.1 / 0.7)])


def test_a_comparison_ends_with_its_disagreement_level():
    from cme_eval.linkage.rules import exact
    from cme_eval.linkage.spec import Comparison

    with pytest.raises(ValueError, match="last level must be disagreement"):
        Comparison("x", ("a",), (Level((exact("a"),), 0.5, 0.25),))


@pytest.mark.parametrize("comparison", DEFAULT_COMPARISONS, ids=lambda c: c.name)
def test_weights_fall_from_best_level_to_disagreement(comparison):
    weights = np.asarray(comparison.weights())
    assert (np.diff(weights) < 0).all()
    assert weights[0] > 0 > weights[-1]


@pytest.mark.parametrize("comparison", DEFAULT_COMPARISONS, ids=lambda c: c.name)
def test_m_probabilities_add_up_to_one(comparison):
    assert math.fsum(lv.m for lv in comparison.levels) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(
    "comparison",
    list(DEFAULT_COMPARISONS),
    ids=lambda c: c.name,
)
def test_u_probabilities_add_up_to_one(comparison):
    assert math.fsum(lv.u for lv in comparison.levels) == pytest.approx(1.0, abs=1e-12)


def test_default_spec_carries_the_thresholds_and_blocking():
    spec = default_spec(partial_min_weight=10.0, ambiguity_margin=1.5)
    assert spec.partial_min_weight == 10.0
    assert spec.ambiguity_margin == 1.5
    assert spec.blocking == DEFAULT_BLOCKING
    assert spec.perfect_on == ("forename_std", "surname_std", "dob_std", "postcode_std")
    forename = {c.name: c for c in spec.comparisons}["forename"]
    assert [r.kind for r in forename.levels[1].rules] == ["name_variant", "jaro_winkler",
                                                          "swapped_with"]
    assert_allclose(DEFAULT_COMPARISONS[2].weights()[0], math.log2(1860))
