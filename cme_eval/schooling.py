"""Compulsory school age in Wales, which decides whether a received record is in scope.

Education Act 1996 s.8 and the prescribed days order for Wales: a child becomes of compulsory
school age on the first prescribed day (31 December, 31 March, 31 August) on or after their
fifth birthday, and stops being of compulsory school age after the last Friday in June of the
school year (1 September - 31 August) in which they turn 16.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import pandas as pd

PRESCRIBED_DAYS = ((3, 31), (8, 31), (12, 31))


def _birthday(dob: dt.date, years: int) -> dt.date:
    """The date a child born on ``dob`` turns ``years`` (29 February -> 1 March)."""
    try:
        return dob.replace(year=dob.year + years)
    except ValueError:
        return dt.date(dob.year + years, 3, 1)


def compulsory_start(dob: dt.date) -> dt.date:
    """First day of compulsory school age: the prescribed day on or after the 5th birthday."""
    fifth = _birthday(dob, 5)
    for month, day in PRESCRIBED_DAYS:
        candidate = dt.date(fifth.year, month, day)
        if candidate >= fifth:
            return candidate
    raise AssertionError("31 December is always on or after any day of the year")


def last_friday_of_june(year: int) -> dt.date:
    day = dt.date(year, 6, 30)
    return day - dt.timedelta(days=(day.weekday() - 4) % 7)


def compulsory_end(dob: dt.date) -> dt.date:
    """Last day of compulsory school age: last Friday in June of the school year they turn 16."""
    sixteenth = _birthday(dob, 16)
    school_year_end = sixteenth.year + (1 if sixteenth.month >= 9 else 0)
    return last_friday_of_june(school_year_end)


def is_compulsory_school_age(dob: dt.date, on: dt.date) -> bool:
    return compulsory_start(dob) <= on <= compulsory_end(dob)


@lru_cache(maxsize=64)
def compulsory_dob_range(on: dt.date) -> tuple[dt.date, dt.date]:
    """Earliest and latest date of birth of a child of compulsory school age on ``on``.

    Both conditions are monotone in the date of birth, so the in-scope births form one
    contiguous range; scanning the ~13 candidate years is cheap and needs no special cases.
    """
    first = dt.date(on.year - 18, 1, 1)
    days = (dt.date(on.year - 4, 1, 1) - first).days
    in_scope = [
        first + dt.timedelta(days=i)
        for i in range(days)
        if is_compulsory_school_age(first + dt.timedelta(days=i), on)
    ]
    return in_scope[0], in_scope[-1]


def in_scope_mask(dob: pd.Series, on: dt.date) -> pd.Series:
    """True where a parsed date of birth (datetime64) is of compulsory school age on ``on``.

    Missing dates of birth give False here; callers decide how to treat an unknown age.
    """
    earliest, latest = compulsory_dob_range(on)
    return (dob >= pd.Timestamp(earliest)) & (dob <= pd.Timestamp(latest))
