"""Sane bounds for the dates people type (pure: no Django).

A date of birth, a consent's dates, a care-team start: each is refused outside
``EARLIEST`` to ``LATEST`` (or an earlier ``latest`` the caller gives, such as today for
something that has already happened). The bounds keep typing slips (the year 1, 19500)
out of the record, and keep date arithmetic on stored dates (ages, "valid for 10 years")
far from ``date.min`` and ``date.max``, where it would overflow.

The caller supplies "today" (in the service's time zone), so this module stays pure, and
turns the answer into a message in the reader's language.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

# Nobody alive, and nobody whose record is still kept, was born before this.
EARLIEST = dt.date(1880, 1, 1)
# Far enough ahead for any planned date (a consent's end, a review), far from date.max.
LATEST = dt.date(2200, 12, 31)


class OutOfRange(StrEnum):
    TOO_EARLY = "too_early"
    TOO_LATE = "too_late"


def as_date(day: dt.date) -> dt.date:
    """A datetime is a date, but the two do not compare: keep the date part."""
    return day.date() if isinstance(day, dt.datetime) else day


def out_of_range(day: dt.date, *, earliest: dt.date = EARLIEST,
                 latest: dt.date = LATEST) -> OutOfRange | None:
    """Which bound ``day`` breaks, if any. ``earliest`` and ``latest`` may narrow the sane
    range (never widen it): a date of birth passes ``latest=today``."""
    day = as_date(day)
    if day < max(as_date(earliest), EARLIEST):
        return OutOfRange.TOO_EARLY
    if day > min(as_date(latest), LATEST):
        return OutOfRange.TOO_LATE
    return None


def in_sane_range(day: dt.date, *, earliest: dt.date = EARLIEST,
                  latest: dt.date = LATEST) -> bool:
    """True when ``earliest`` (at most ``EARLIEST``) <= ``day`` <= ``latest`` (at most
    ``LATEST``)."""
    return out_of_range(day, earliest=earliest, latest=latest) is None
