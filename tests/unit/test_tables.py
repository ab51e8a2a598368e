"""cme_eval.evaluate.tables: Table 5.1 and Table 6.1 on hand-made outcomes."""

from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from cme_eval.evaluate.tables import (
    TABLE_5_1_COLUMNS,
    TABLE_6_1_COLUMNS,
    ReconciliationError,
    check_adds_up,
    table_5_1,
    table_5_1_for,
    table_6_1,
    table_6_1_for,
    with_pooled_rows,
)


def _outcomes(pairs):
    return pd.DataFrame({
        "record_id": [f"r{i}" for i in range(len(pairs))],
        "source": [s for s, _ in pairs],
        "outcome": [o for _, o in pairs],
    })


POWYS = _outcomes([
    ("nwssp", "perfect"), ("nwssp", "perfect"), ("nwssp", "partial"), ("nwssp", "not_matched"),
    ("nwssp", "not_matched"), ("nwssp", "out_of_scope"),
    ("independent", "perfect"), ("independent", "not_matched"), ("independent", "out_of_scope"),
])
GWYNEDD = _outcomes([("nwssp", "perfect"), ("nwssp", "not_matched"), ("independent", "partial")])


def _t51(rows):
    return pd.DataFrame(rows, columns=TABLE_5_1_COLUMNS).astype(
        {c: "int64" for c in TABLE_5_1_COLUMNS[2:]})


def test_table_5_1_for_counts_by_hand():
    expected = _t51([
        ("Powys", "NWSSP", 6, 2, 1, 2, 1),
        ("Powys", "Independent schools", 3, 1, 0, 1, 1),
        ("Powys", "Total", 9, 3, 1, 3, 2),
    ])
    assert_frame_equal(table_5_1_for("Powys", POWYS), expected)


def test_table_5_1_for_with_no_independent_records():
    outcomes = _outcomes([("nwssp", "perfect")])
    expected = _t51([
        ("Conwy", "NWSSP", 1, 1, 0, 0, 0),
        ("Conwy", "Independent schools", 0, 0, 0, 0, 0),
        ("Conwy", "Total", 1, 1, 0, 0, 0),
    ])
    assert_frame_equal(table_5_1_for("Conwy", outcomes), expected)


def test_unknown_outcome_is_refused():
    with pytest.raises(ReconciliationError, match=r"Powys: unknown outcome\(s\) \['maybe'\]"):
        table_5_1_for("Powys", _outcomes([("nwssp", "perfect"), ("nwssp", "maybe")]))


def test_check_adds_up_accepts_a_consistent_table():
    check_adds_up(_t51([("Powys", "NWSSP", 6, 2, 1, 2, 1)]))


def test_check_adds_up_names_the_first_row_that_does_not_add_up():
    table = _t51([
        ("Powys", "NWSSP", 6, 2, 1, 2, 1),
        ("Powys", "Independent schools", 4, 1, 0, 1, 1),  # 4 != 3
        ("Gwynedd", "NWSSP", 9, 1, 0, 1, 1),              # 9 != 3
    ])
    with pytest.raises(ReconciliationError,
                       match=r"Powys / Independent schools: received 4 != 3"):
        check_adds_up(table)


def test_with_pooled_rows_sums_each_source_over_authorities():
    per_la = pd.concat([table_5_1_for("Powys", POWYS), table_5_1_for("Gwynedd", GWYNEDD)],
                       ignore_index=True)
    pooled = with_pooled_rows(per_la, ["source"])
    expected_pooled = _t51([
        ("All", "NWSSP", 8, 3, 1, 3, 1),
        ("All", "Independent schools", 4, 1, 1, 1, 1),
        ("All", "Total", 12, 4, 2, 4, 2),
    ])
    assert len(pooled) == 9
    assert_frame_equal(pooled.iloc[:6], per_la)
    assert_frame_equal(pooled.iloc[6:].reset_index(drop=True), expected_pooled)


def test_table_5_1_pools_and_checks():
    table = table_5_1([table_5_1_for("Powys", POWYS), table_5_1_for("Gwynedd", GWYNEDD)])
    total = table[(table.authority == "All") & (table.source == "Total")].iloc[0]
    assert (total.received, total.perfect_match, total.partial_match, total.not_matched,
            total.out_of_scope) == (12, 4, 2, 4, 2)


def test_with_pooled_rows_without_keys_gives_one_total_row():
    per_la = pd.DataFrame({"authority": ["A", "B"], "x": [1, 2], "y": [10, 20]})
    expected = pd.DataFrame({"authority": ["A", "B", "All"], "x": [1, 2, 3], "y": [10, 20, 30]})
    assert_frame_equal(with_pooled_rows(per_la, []), expected)


def test_table_6_1_for_definitions():
    outcomes = _outcomes([
        ("nwssp", "not_matched"), ("nwssp", "not_matched"), ("nwssp", "not_matched"),
        ("nwssp", "perfect"), ("nwssp", "out_of_scope"), ("nwssp", "partial"),
        ("independent", "not_matched"),  # a school's pupil is never a potential CME
    ])
    register = pd.DataFrame({"record_id": ["C1", "C2"]})
    expected = pd.DataFrame(
        [{"authority": "Powys", "cme_known_before": 2, "cme_known_after": 2 + 1,
          "potential_cme_identified": 3}],
        columns=TABLE_6_1_COLUMNS,
    )
    assert_frame_equal(table_6_1_for("Powys", outcomes, register, unresolved=1), expected)


def test_table_6_1_pools_authorities():
    a = table_6_1_for("Powys", _outcomes([("nwssp", "not_matched")]),
                      pd.DataFrame({"record_id": ["C1", "C2"]}), unresolved=1)
    b = table_6_1_for("Gwynedd", _outcomes([("nwssp", "not_matched"), ("nwssp", "not_matched")]),
                      pd.DataFrame({"record_id": []}), unresolved=0)
    expected = pd.DataFrame({
        "authority": ["Powys", "Gwynedd", "All"],
        "cme_known_before": [2, 0, 2],
        "cme_known_after": [3, 0, 3],
        "potential_cme_identified": [1, 2, 3],
    })
    assert_frame_equal(table_6_1([a, b]), expected)
