"""The contract every error type in the registry keeps, checked on a realistic frame.

For each type, applied alone to the synthetic people of one LA:

* at rate 1.0 every row is either unchanged or changed only in the type's declared ``fields``
  (row noise instead appends exactly the eligible rows, as copies of the originals), only
  eligible rows change, and nearly all of them do;
* the applied list names the error on exactly the changed rows (and on nothing else);
* ``attrs['error_stats']`` reports the declared rate, ``eligible`` equal to
  ``error.eligible(frame, ctx).sum()`` and ``applied`` equal to the rows changed;
* at rate 0.3 the realised rate among eligible rows is within 4 binomial sd of 0.3.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from cme_eval.config import load_scenario
from cme_eval.synth.errors import REGISTRY, ErrorContext, apply_errors
from cme_eval.synth.population import AddressFactory
from cme_eval.synth.sources import synthesise

LA = "Isle of Anglesey"
FIELDS = ["forename", "surname", "dob", "address", "postcode"]
SOURCE = "nwssp"
MIN_ELIGIBLE = 50
# Welsh diacritics are rare in Anglesey's names (about 10 of 2,500 children here): the statistical
# check of such a type runs on a larger, more Welsh-named frame (Gwynedd), never skipped.
RARE = {"dropped_diacritics"}
RARE_LA, RARE_SCALE = "Gwynedd", 0.5


class Setting(NamedTuple):
    """One LA's synthetic people, the context the errors need, and the LA (which keys the draws)."""

    frame: pd.DataFrame
    ctx: ErrorContext
    authority: str


def _setting(authority, scale):
    scenario = load_scenario("smoke", authorities=[authority], scale=scale)
    world = synthesise(scenario, authority)
    frame = world.people[["person_id", *FIELDS]].reset_index(drop=True)
    ctx = ErrorContext(new_addresses=AddressFactory(scenario, authority).make_each,
                       people=world.people)
    return Setting(frame, ctx, authority)


@pytest.fixture(scope="module")
def setting():
    return _setting(LA, 0.2)


@pytest.fixture(scope="module")
def rare_setting():
    return _setting(RARE_LA, RARE_SCALE)


def _check_contract(setting, error, rate):
    """Apply one error alone at ``rate``; check the contract; return (n eligible, n applied)."""
    frame, ctx, authority = setting
    before = frame.copy()
    eligible = np.asarray(error.eligible(frame, ctx), dtype=bool)
    assert eligible.shape == (len(frame),)
    out, applied = apply_errors(frame, source=SOURCE, rates={error.name: rate}, seed=2025,
                                authority=authority, context=ctx)
    assert_frame_equal(frame, before)  # the input is never modified
    assert len(applied) == len(out)
    assert list(out.columns) == list(frame.columns)

    (stats,) = out.attrs["error_stats"]
    assert stats["error"] == error.name and stats["source"] == SOURCE
    assert stats["declared"] == rate
    assert stats["eligible"] == int(eligible.sum())

    n = len(frame)
    if error.row_noise:
        originals, copies = out.iloc[:n], out.iloc[n:].reset_index(drop=True)
        assert_frame_equal(originals, frame)  # originals untouched
        assert applied[:n] == [[]] * n
        assert applied[n:] == [[error.name]] * len(copies)
        assert stats["applied"] == len(copies)
        # each copy is an exact copy of an eligible original, each original copied at most once
        source_rows = frame.reset_index().merge(copies, on=list(frame.columns), how="inner")
        assert len(source_rows) == len(copies)
        assert source_rows["index"].is_unique
        assert eligible[source_rows["index"].to_numpy()].all()
        if rate == 1.0:
            assert len(copies) == eligible.sum()
            assert_frame_equal(copies, frame[eligible].reset_index(drop=True))
        return int(eligible.sum()), len(copies)

    assert len(out) == n
    diff = out.ne(frame)
    changed = diff.any(axis=1).to_numpy()
    changed_columns = set(diff.columns[diff.any(axis=0)])
    assert changed_columns <= set(error.fields), changed_columns - set(error.fields)
    assert not (changed & ~eligible).any(), "an ineligible row was changed"
    assert [bool(a) for a in applied] == changed.tolist()
    assert all(a == [error.name] for a in applied if a)
    assert stats["applied"] == int(changed.sum())
    if rate == 1.0:
        # every eligible row is selected; an edit may rarely leave a value as it was (a
        # sibling's forename that is the same, a typo swapping two equal letters)
        assert changed.sum() >= 0.95 * eligible.sum()
        assert changed.sum() > 0
    return int(eligible.sum()), int(changed.sum())


@pytest.mark.parametrize("error", REGISTRY, ids=lambda e: e.name)
def test_rate_one_changes_only_declared_fields_of_eligible_rows(setting, error):
    _check_contract(setting, error, 1.0)


@pytest.mark.parametrize("error", REGISTRY, ids=lambda e: e.name)
def test_realised_rate_among_eligible_rows_is_the_declared_rate(request, error):
    setting = request.getfixturevalue("rare_setting" if error.name in RARE else "setting")
    rate = 0.3
    eligible, applied = _check_contract(setting, error, rate)
    assert eligible >= MIN_ELIGIBLE, f"{error.name}: only {eligible} eligible rows"
    sd = math.sqrt(rate * (1 - rate) / eligible)
    assert abs(applied / eligible - rate) <= 4 * sd, (applied, eligible)


def test_the_frame_is_realistic_enough_for_the_statistical_checks(setting):
    frame, ctx, _ = setting
    counts = {e.name: int(e.eligible(frame, ctx).sum()) for e in REGISTRY}
    # the rare types' rate check asserts its own frame has enough eligible rows
    assert {n for n, c in counts.items() if c < MIN_ELIGIBLE} <= RARE
    # and eligibility is selective where it should be (not everything is eligible)
    for name in ("preferred_forename", "welsh_english_variant", "dob_day_month_swap",
                 "copied_from_household", "phonetic_misspelling"):
        assert counts[name] < len(frame), name
    # an address can only go missing where there is one (boarders from abroad have none)
    assert counts["missing_address"] == frame["address"].ne("").sum()


def test_every_type_is_in_the_contract():
    # a new error type is covered by the parametrisation automatically; this pins the count so
    # the registry cannot shrink unnoticed
    assert len(REGISTRY) == 18
    assert len({e.name for e in REGISTRY}) == len(REGISTRY)
    assert [e.name for e in REGISTRY if e.row_noise] == ["duplicate_record"]


def test_copied_from_household_needs_the_people():
    error = next(e for e in REGISTRY if e.name == "copied_from_household")
    frame = pd.DataFrame({"person_id": ["a", "b"], "forename": ["A", "B"], "surname": ["X", "X"],
                          "dob": ["2014-01-02", "2015-03-04"], "address": ["", ""],
                          "postcode": ["", ""]})
    ctx = ErrorContext(new_addresses=lambda rngs: None)
    assert not error.eligible(frame, ctx).any()
    people = frame.assign(household_id=["h", "h"])
    ctx = ErrorContext(new_addresses=lambda rngs: None, people=people)
    assert error.eligible(frame, ctx).all()
    out, applied = apply_errors(frame, source=SOURCE, rates={error.name: 1.0}, seed=1,
                                authority=LA, context=ctx)
    # each child got its sibling's forename or date of birth
    for i, other in ((0, 1), (1, 0)):
        changed = [c for c in ("forename", "dob") if out.at[i, c] != frame.at[i, c]]
        assert len(changed) == 1
        assert out.at[i, changed[0]] == frame.at[other, changed[0]]
    assert applied == [[error.name], [error.name]]
