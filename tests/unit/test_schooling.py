"""cme_eval.schooling: compulsory school age in Wales, checked against hand-worked dates."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from pandas.testing import assert_series_equal

from cme_eval.schooling import (
    compulsory_dob_range,
    compulsory_end,
    compulsory_start,
    in_scope_mask,
    is_compulsory_school_age,
    last_friday_of_june,
)

D = dt.date
EXTRACT = D(2025, 4, 30)


@pytest.mark.parametrize(
    "dob, expected",
    [
        (D(2020, 3, 31), True),   # 5 on 31 Mar 2025, a prescribed day: in from that day
        (D(2020, 4, 1), False),   # 5 on 1 Apr 2025: not until 31 Aug 2025
        (D(2008, 9, 1), True),    # 16 on 1 Sep 2024: school year 2024/25, ends 27 Jun 2025
        (D(2008, 8, 31), False),  # 16 on 31 Aug 2024: ended 28 Jun 2024
        (D(2014, 6, 15), True),
        (D(2021, 1, 1), False),
    ],
)
def test_compulsory_school_age_on_the_extract_date(dob, expected):
    assert is_compulsory_school_age(dob, EXTRACT) is expected


@pytest.mark.parametrize(
    "year, expected",
    [
        (2023, D(2023, 6, 30)),  # 30 June 2023 was a Friday
        (2024, D(2024, 6, 28)),  # 30 June 2024 was a Sunday
        (2025, D(2025, 6, 27)),  # 30 June 2025 is a Monday
        (2026, D(2026, 6, 26)),  # Tuesday
        (2028, D(2028, 6, 30)),  # Friday
        (2032, D(2032, 6, 25)),  # Wednesday
    ],
)
def test_last_friday_of_june(year, expected):
    assert last_friday_of_june(year) == expected


@pytest.mark.parametrize(
    "dob, start",
    [
        (D(2020, 3, 31), D(2025, 3, 31)),
        (D(2020, 4, 1), D(2025, 8, 31)),
        (D(2020, 8, 31), D(2025, 8, 31)),
        (D(2020, 9, 1), D(2025, 12, 31)),
        (D(2019, 12, 31), D(2024, 12, 31)),
        (D(2020, 1, 1), D(2025, 3, 31)),
    ],
)
def test_compulsory_start_is_the_prescribed_day_on_or_after_the_fifth_birthday(dob, start):
    assert compulsory_start(dob) == start


@pytest.mark.parametrize(
    "dob, end",
    [
        (D(2009, 8, 31), D(2025, 6, 27)),  # 16 on 31 Aug 2025: school year 2024/25
        (D(2009, 9, 1), D(2026, 6, 26)),   # 16 on 1 Sep 2025: school year 2025/26
        (D(2008, 9, 1), D(2025, 6, 27)),
        (D(2008, 8, 31), D(2024, 6, 28)),
    ],
)
def test_compulsory_end_is_last_friday_in_june_of_the_year_they_turn_16(dob, end):
    assert compulsory_end(dob) == end


def test_last_day_of_compulsory_school_age_is_inclusive():
    dob = D(2009, 8, 31)
    assert is_compulsory_school_age(dob, D(2025, 6, 27)) is True
    assert is_compulsory_school_age(dob, D(2025, 6, 28)) is False


def test_29_february_birthday():
    # Fifth birthday in 2025 (not a leap year) counts as 1 March; start is 31 March 2025.
    dob = D(2020, 2, 29)
    assert compulsory_start(dob) == D(2025, 3, 31)
    assert is_compulsory_school_age(dob, D(2025, 3, 30)) is False
    assert is_compulsory_school_age(dob, D(2025, 3, 31)) is True
    # 16th birthday on 29 Feb 2036 (a leap year): school year 2035/36, last Friday June 2036.
    # 30 June 2036 is a Monday, so the last Friday is 27 June.
    assert compulsory_end(dob) == D(2036, 6, 27)


def test_29_february_birthday_born_2016():
    dob = D(2016, 2, 29)
    assert compulsory_start(dob) == D(2021, 3, 31)
    assert compulsory_end(dob) == D(2032, 6, 25)


def test_dob_range_on_the_extract_date():
    # Oldest: 16 on 1 Sep 2024; youngest: 5 on 31 Mar 2025 (worked out by hand above).
    assert compulsory_dob_range(EXTRACT) == (D(2008, 9, 1), D(2020, 3, 31))


def test_dob_range_in_september():
    # On 1 Sep 2025: the 2024/25 leavers have left; children 5 by 31 Aug 2025 are in.
    assert compulsory_dob_range(D(2025, 9, 1)) == (D(2009, 9, 1), D(2020, 8, 31))


def test_in_scope_mask_with_missing_dates():
    dob = pd.Series(pd.to_datetime(
        ["2008-08-31", "2008-09-01", "2020-03-31", "2020-04-01", None, "2014-01-01"]))
    expected = pd.Series([False, True, True, False, False, True])
    assert_series_equal(in_scope_mask(dob, EXTRACT), expected)
