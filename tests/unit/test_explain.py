"""Explanations: per-comparison levels and weights that add up to the pair's match weight."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from cme_eval.api import explain
from cme_eval.linkage.spec import default_spec

REF = dt.date(2025, 4, 30)
COLS = {"forename": "fn", "surname": "sn", "dob": "dob", "address": "addr", "postcode": "pc"}


def _frames():
    left = pd.DataFrame({"fn": ["Tom"], "sn": ["Pritchard"], "dob": ["2014-05-06"],
                         "addr": ["1 Heol y Bryn, Bala"], "pc": ["LL23 7AA"]}, index=["n1"])
    right = pd.DataFrame({"fn": ["Thomas", "Nia"], "sn": ["Pritchard", "Rees"],
                          "dob": ["2014-06-05", "2014-05-06"],
                          "addr": ["9 Stryd Fawr, Bala", "1 Heol y Bryn, Bala"],
                          "pc": ["LL23 7AB", "LL23 7AA"]}, index=["p1", "p2"])
    return left, right


def test_the_waterfall_adds_up_to_the_match_weight_with_declared_weights():
    left, right = _frames()
    table = explain(left, right, COLS, "n1", "p1", reference_date=REF, spec=default_spec())
    assert table["comparison"].tolist() == ["forename", "surname", "dob", "postcode", "address"]
    assert table["level"].tolist() == ["known variant or JW >= 0.92 or swapped with surname",
                                       "exact", "day and month swapped", "same sector",
                                       "different"]
    expected = (math.log2(0.10 / 0.01) + math.log2(0.90 / 0.02) + math.log2(0.02 / 0.00003)
                + math.log2(0.05 / 0.01) + math.log2(0.20 / 0.94))
    assert table["cumulative"].iloc[-1] == pytest.approx(expected, abs=0.01)
    assert table["weight"].sum() == pytest.approx(table["cumulative"].iloc[-1], abs=0.01)


def test_no_record_values_appear_in_an_explanation():
    left, right = _frames()
    table, fig = explain(left, right, COLS, "n1", "p1", reference_date=REF,
                         spec=default_spec(), figure=True)
    text = table.to_csv()
    for value in ("Tom", "Thomas", "Pritchard", "2014", "LL23", "Bala"):
        assert value not in text
    assert fig.axes[0].get_title()
