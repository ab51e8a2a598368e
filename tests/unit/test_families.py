"""Whether the data hold families (``blocking.family_share``), and the family guards it
switches (``spec.Guard.families``): on for children's households, off for unrelated people."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cme_eval import outside_data
from cme_eval.api import _prepared
from cme_eval.inputs.standardise import prepare
from cme_eval.linkage import blocking
from cme_eval.linkage.spec import default_spec

REF = dt.date(2025, 4, 30)


def _records(rows):
    frame = pd.DataFrame(rows, columns=["forename", "surname", "dob", "postcode"])
    return prepare(frame.assign(record_id=[f"R{i}" for i in range(len(frame))], source="nwssp",
                                address=""), REF)


FAMILY = [("Ella", "Reed", "2014-05-06", "CF5 6XN"), ("Lola", "Reed", "2016-09-01", "CF5 6XN"),
          ("Tom", "Ash", "2012-01-02", "CF10 1AA"), ("Ann", "Birch", "2011-03-04", "CF10 1AB")]


def test_a_record_with_a_sibling_of_another_birth_at_its_home_counts():
    assert blocking.family_share(_records(FAMILY)) == 0.5


@pytest.mark.parametrize("change", [
    {"dob": "2014-05-06"},  # twins (one birth): not a family of several ages
    {"postcode": "CF5 6XP"},  # another home
    {"postcode": ""},  # home unknown
    {"surname": "Rees"},  # another family
])
def test_a_record_without_such_a_sibling_does_not(change):
    rows = [FAMILY[0], tuple(change.get(k, v) for k, v in
                             zip(("forename", "surname", "dob", "postcode"), FAMILY[1],
                                 strict=True)), *FAMILY[2:]]
    assert blocking.family_share(_records(rows)) == 0.0


def test_an_uninformative_postcode_says_nothing_of_families():
    assert blocking.family_share(_records(FAMILY), useless=("postcode_std",)) == 0.0


def test_the_plan_keeps_the_family_guards_only_where_families_are_seen():
    spec = default_spec()
    names = {g.name for g in spec.guards}
    assert names == {"sibling", "namesake", "stranger"}
    family = _records(FAMILY)
    seen = blocking.plan(family, family.assign(dataset="plasc"), spec)
    assert seen.families == 0.5 and {g.name for g in seen.spec.guards} == names
    strangers = _records(FAMILY[2:])
    unseen = blocking.plan(strangers, strangers.assign(dataset="plasc"), spec)
    assert unseen.families == 0.0
    assert [g.name for g in unseen.spec.guards] == ["stranger"]  # not a family guard


@pytest.mark.parametrize("n", [1, 2, 3])
def test_febrl_holds_no_families(n):
    # data this project did not make: a mistyped date of birth in a duplicate is no sibling
    task = outside_data.febrl_task(n)
    _, _, left, right = _prepared(task.left, task.right, task.columns, REF, "auto")
    assert max(blocking.family_share(left), blocking.family_share(right)) < (
        default_spec().family_share)


def test_a_guard_whose_lifting_evidence_is_not_compared_does_not_apply():
    # a constant postcode is dropped as uninformative (``blocking.plan``): no pair has a
    # postcode to compare, and the stranger and namesake guards would make every other surname
    # a stranger and every other birth a namesake
    spec = default_spec()
    without = tuple(c for c in spec.comparisons if c.name != "postcode")
    assert [g.name for g in blocking._guards_that_apply(spec, without, families=1.0)] == [
        "sibling"]
    assert [g.name for g in blocking._guards_that_apply(spec, spec.comparisons, 1.0)] == [
        "sibling", "namesake", "stranger"]
