"""The sane range for dates people type (careweave.core.dates): pure, so tested as a table
and with hypothesis."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careweave.core.dates import EARLIEST, LATEST, OutOfRange, in_sane_range, out_of_range

TODAY = dt.date(2026, 12, 1)


@pytest.mark.parametrize(("day", "latest", "expected"), [
    (dt.date(1, 1, 1), LATEST, OutOfRange.TOO_EARLY),
    (dt.date(1879, 12, 31), LATEST, OutOfRange.TOO_EARLY),
    (EARLIEST, LATEST, None),
    (dt.date(1934, 5, 2), TODAY, None),
    (TODAY, TODAY, None),
    (TODAY + dt.timedelta(days=1), TODAY, OutOfRange.TOO_LATE),
    (LATEST, LATEST, None),
    (LATEST + dt.timedelta(days=1), LATEST, OutOfRange.TOO_LATE),
    (dt.date.max, LATEST, OutOfRange.TOO_LATE),
    (dt.datetime(1950, 4, 3, 23, 59), TODAY, None),
    (dt.datetime(1879, 12, 31, 23, 59), TODAY, OutOfRange.TOO_EARLY),
])
def test_the_table(day: dt.date, latest: dt.date, expected: OutOfRange | None) -> None:
    assert out_of_range(day, latest=latest) is expected
    assert in_sane_range(day, latest=latest) is (expected is None)


def test_bounds_can_narrow_the_range_but_never_widen_it() -> None:
    assert not in_sane_range(dt.date(1800, 1, 1), earliest=dt.date(1, 1, 1))
    assert not in_sane_range(dt.date(2500, 1, 1), latest=dt.date.max)
    assert not in_sane_range(dt.date(2020, 1, 1), earliest=dt.date(2021, 1, 1))


@given(st.dates())
def test_every_date_is_in_or_out_and_in_means_between(day: dt.date) -> None:
    assert in_sane_range(day) == (EARLIEST <= day <= LATEST)
    if in_sane_range(day):
        # Arithmetic a record may do on a stored date stays far from date.min and .max.
        assert day + dt.timedelta(days=365 * 150) < dt.date.max
        assert day - dt.timedelta(days=365 * 150) > dt.date.min
