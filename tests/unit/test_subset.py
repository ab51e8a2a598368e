"""cme_eval.evaluate.subset: which five LAs the published tables rest on, on hand-made tables."""

from __future__ import annotations

from itertools import combinations

import pandas as pd
import pytest

from cme_eval.evaluate.published import published_figures
from cme_eval.evaluate.subset import (
    JUST_MARGIN,
    PUBLISHED_SUBSET_FACTS,
    Constraint,
    best_subset,
    per_la_from_tables,
    sizes_from_pupils,
    subset_fit,
)

FACTS = PUBLISHED_SUBSET_FACTS
SIZES = {"total_received": 1.0, "received_min": 1.0, "received_max": 1.0}

# Five LAs that meet every published figure exactly (received 93,024 with the smallest just
# under 9,000, the largest just over 33,000 and one of 24,500; not matched 5,700 from 180 to
# 3,517; potential CME 5,386), and two decoys: one too big to be "just over 33,000", one that
# would break the totals.
RIGHT = ("A", "B", "C", "D", "E")
ROWS = [
    # authority, received, not_matched, potential_cme
    ("F", 55_000, 4_000, 3_900),
    ("A", 33_500, 3_517, 3_300),
    ("B", 24_500, 940, 900),
    ("G", 16_000, 900, 850),
    ("C", 14_000, 600, 580),
    ("D", 12_124, 463, 426),
    ("E", 8_900, 180, 180),
]


def _table(rows=ROWS) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["authority", "received", "not_matched", "potential_cme"])


def test_exactly_one_subset_meets_every_figure_and_it_is_chosen():
    fit = subset_fit(_table())
    assert fit.loc[0, "score"] == 0
    assert fit.loc[0, "violations"] == 0
    assert (fit.loc[1:, "score"] > 0).all()
    choice = best_subset(_table())
    assert choice.chosen == ("A", "B", "C", "D", "E")
    assert set(choice.chosen) == set(RIGHT)
    assert choice.chosen_fit["total_received"] == 93_024
    assert choice.runner_up_fit["score"] > 0
    assert choice.runner_up == fit.loc[1, "included"]


def test_all_21_subsets_of_five_are_scored_once_with_their_complement():
    fit = subset_fit(_table())
    assert len(fit) == 21
    names = {r[0] for r in ROWS}
    assert {frozenset(s) for s in fit["included"]} == {
        frozenset(c) for c in combinations(names, 5)}
    for inc, exc in zip(fit["included"], fit["excluded"], strict=True):
        assert len(inc) == 5 and set(inc) | set(exc) == names and not set(inc) & set(exc)
    assert list(fit["rank"]) == list(range(1, 22))
    assert fit["score"].is_monotonic_increasing


def test_relative_error_is_zero_inside_and_relative_to_the_nearer_bound_outside():
    c = Constraint("x", "received", "max", 100, 200, 1.0, "q", "s")
    assert c.relative_error([150, 100, 200]).tolist() == [0, 0, 0]
    assert float(c.relative_error(220)) == pytest.approx(0.1)
    assert float(c.relative_error(90)) == pytest.approx(-0.1)


def test_a_range_violation_is_penalised_by_its_squared_relative_distance():
    rows = [r if r[0] != "A" else ("A", 36_000, 3_517, 3_300) for r in ROWS]
    fit = subset_fit(_table(rows), weights={"received_max": 1.0})
    high = 33_000 * (1 + JUST_MARGIN)
    with_a = fit[fit["included"].map(lambda s: "A" in s and "F" not in s)]
    assert (with_a["received_max"] == 36_000).all()
    assert with_a["score"].to_numpy() == pytest.approx([((36_000 - high) / high) ** 2] * 5)
    assert (with_a["violations"] == 1).all()
    # a subset whose largest LA is within "just over 33,000" is not penalised: none here, so
    # the best is the smallest overshoot (A at 36,000 rather than F at 55,000)
    assert "F" in fit.loc[20, "included"]
    assert fit.loc[0, "received_max"] == 36_000


def test_a_subset_missing_the_one_la_figure_is_penalised():
    fit = subset_fit(_table(), weights={"undivided_la_received": 1.0}).set_index("excluded")
    assert fit.loc[[("F", "G")], "score"].item() == 0
    without_b = fit.loc[[("B", "F")]]
    assert without_b["undivided_la_received"].item() == 16_000  # G, the LA nearest 24,500
    assert without_b["undivided_la_received_err"].item() == pytest.approx(16_000 / 24_500 - 1)


def test_ties_are_broken_by_the_excluded_names_whatever_the_row_order():
    rows = [(n, 10_000, 100, 100) for n in ["Gamma", "Alpha", "Delta", "Beta", "Eta", "Zeta",
                                            "Epsilon"]]
    fit = subset_fit(_table(rows))
    assert fit["score"].nunique() == 1
    assert fit.loc[0, "excluded"] == ("Alpha", "Beta")
    assert list(fit["excluded"]) == sorted(fit["excluded"])
    shuffled = subset_fit(_table(rows[::-1]))
    assert list(shuffled["excluded"]) == list(fit["excluded"])


def test_a_fitted_scale_judges_the_shape_of_the_sizes_not_their_level():
    bigger = _table()
    bigger[["received", "not_matched", "potential_cme"]] = (
        bigger[["received", "not_matched", "potential_cme"]] * 1.1)
    at_one = subset_fit(bigger, weights=SIZES)
    fitted = subset_fit(bigger, weights=SIZES, scale=None)
    assert at_one.loc[0, "score"] > 0
    assert set(fitted.loc[0, "included"]) == set(RIGHT)
    assert fitted.loc[0, "scale"] == pytest.approx(1 / 1.1, abs=0.002)
    assert fitted.loc[0, "score"] < 1e-5
    assert subset_fit(_table(), scale=2.0).loc[0, "scale"] == 2.0


def test_only_columns_of_weighted_figures_are_required():
    sizes_only = _table()[["authority", "received"]]
    fit = subset_fit(sizes_only, weights=SIZES)
    assert set(fit.loc[0, "included"]) == set(RIGHT)
    assert "not_matched_err" not in fit.columns and "total_not_matched" not in fit.columns


@pytest.mark.parametrize("drop", ["authority", "received", "not_matched", "potential_cme"])
def test_a_missing_column_is_named(drop):
    with pytest.raises(ValueError, match=f"lacks column '{drop}'"):
        subset_fit(_table().drop(columns=drop))


def test_fewer_than_five_las_is_refused_naming_the_column():
    with pytest.raises(ValueError, match="column 'authority' has 4 LAs; need at least 5"):
        subset_fit(_table(ROWS[:4]))
    with pytest.raises(ValueError, match="no runner-up"):
        best_subset(_table(ROWS[:5]))


@pytest.mark.parametrize("rows, message", [
    ([*ROWS[:6], ("All", 1, 1, 1)], "pooled row 'All'"),
    ([*ROWS[:6], ("A", 1, 1, 1)], r"column 'authority' repeats \['A'\]"),
    ([*ROWS[:6], ("H", -1, 1, 1)], "column 'received' must hold counts >= 0"),
    ([*ROWS[:6], ("H", 1, None, 1)], "column 'not_matched' must hold counts >= 0"),
])
def test_bad_rows_are_refused(rows, message):
    with pytest.raises(ValueError, match=message):
        subset_fit(_table(rows))


def test_bad_weights_and_scale_are_refused():
    with pytest.raises(ValueError, match="unknown constraint.*'recieved_max'"):
        subset_fit(_table(), weights={"recieved_max": 1.0})
    with pytest.raises(ValueError, match="weights: every weight must be >= 0"):
        subset_fit(_table(), weights={"received_max": -1.0})
    with pytest.raises(ValueError, match="scale must be > 0"):
        subset_fit(_table(), scale=0)


def test_per_la_table_comes_from_a_runs_total_rows_without_the_pooled_row():
    t51 = pd.DataFrame({
        "authority": ["A", "A", "A", "B", "B", "B", "All"],
        "source": ["NWSSP", "Independent schools", "Total"] * 2 + ["Total"],
        "received": [90, 10, 100, 45, 5, 50, 150],
        "not_matched": [8, 1, 9, 4, 0, 4, 13],
    })
    t61 = pd.DataFrame({"authority": ["B", "A", "All"], "cme_known_before": [1, 2, 3],
                        "cme_known_after": [3, 6, 9], "potential_cme_identified": [4, 8, 12]})
    out = per_la_from_tables(t51, t61)
    expected = pd.DataFrame({"authority": ["A", "B"], "received": [100, 50],
                             "not_matched": [9, 4], "potential_cme": [8, 4],
                             "cme_known_before": [2, 1], "cme_known_after": [6, 3]})
    pd.testing.assert_frame_equal(out, expected)


def test_sizes_from_pupils_split_a_total_by_pupil_share():
    out = sizes_from_pupils({"A": 30, "B": 10}, 1_000)
    assert out.set_index("authority")["received"].to_dict() == {"A": 750, "B": 250}
    with pytest.raises(ValueError, match="every count > 0"):
        sizes_from_pupils({"A": 0}, 1_000)


def test_facts_agree_with_the_shipped_published_figures():
    pub = published_figures()
    received = pub["table_5_1"]["rows"]["received"]
    not_matched = pub["table_5_1"]["rows"]["not_matched"]
    t61 = pub["table_6_1"]["rows"]
    assert FACTS.n_las == pub["pilot"]["las_supplying_figures"] == 5
    assert FACTS.total_received.low == FACTS.total_received.high == received[2]
    assert FACTS.undivided_la_received.low == received[2] - received[0] - received[1]
    assert FACTS.total_not_matched.low == not_matched[2]
    assert [FACTS.not_matched_min.low, FACTS.not_matched_max.high] == (
        pub["table_5_1_text"]["not_matched_per_la_range"])
    assert FACTS.potential_cme.low == t61["potential_cme_identified"]
    assert FACTS.cme_known_before.low == t61["cme_known_before_pilot"]
    assert FACTS.cme_known_after.low == t61["cme_known_after_pilot"]
    assert FACTS.received_min.high == 9_000 > FACTS.received_min.low
    assert FACTS.received_max.low == 33_000 < FACTS.received_max.high
    names = [c.name for c in FACTS.constraints()]
    assert len(names) == len(set(names)) == 10
    for c in FACTS.constraints():
        assert c.quote and c.source and 0 < c.low <= c.high and c.weight >= 0
