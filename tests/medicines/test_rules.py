"""The medicines list's pure rules: codes, dates, the state table and reconciliation."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careweave.medicines import codes, rules
from careweave.medicines.codes import InvalidCode

TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize("system,value,stored", [
    ("dmd", "322236009", "322236009"),  # paracetamol 500 mg tablets (VMP)
    ("dmd", "319 283 006", "319283006"),  # amlodipine 5 mg tablets
    ("dmd", "39720311000001101", "39720311000001101"),  # an extension (AMP) id
    ("npl", "20090116000013", "20090116000013"),
    ("npl", "2009-0116-0000-13", "20090116000013"),
])
def test_valid_codes(system: str, value: str, stored: str) -> None:
    assert codes.normalise(system, value, today=TODAY) == stored


@pytest.mark.parametrize("system,value,problem", [
    ("atc", "N02BE01", "system"),
    ("dmd", "32223600x", "digits"), ("dmd", "３２２２３６００９", "digits"),
    ("dmd", "12345", "length"), ("dmd", "0322236009", "length"), ("dmd", "1" * 19, "length"),
    ("dmd", "322236008", "check"), ("dmd", "322236029", "partition"),
    ("npl", "2009011600001", "length"), ("npl", "20091316000013", "date"),
    ("npl", "19490101000013", "date"), ("npl", "20300101000013", "date"),
])
def test_invalid_codes(system: str, value: str, problem: str) -> None:
    with pytest.raises(InvalidCode) as caught:
        codes.normalise(system, value, today=TODAY)
    assert caught.value.code == problem


@given(st.text(alphabet="0123456789", min_size=5, max_size=16).filter(lambda s: s[0] != "0"))
def test_the_verhoeff_check_digit_makes_a_valid_number(partial: str) -> None:
    number = partial + str(codes.verhoeff_check_digit(partial))
    assert codes.verhoeff_valid(number)
    # and any single changed digit is caught
    for i in range(len(number)):
        for d in "0123456789":
            if d != number[i]:
                assert not codes.verhoeff_valid(number[:i] + d + number[i + 1:])
                break


DATES = [
    (None, None, {"started": "started_missing"}),
    (dt.date(1899, 12, 31), None, {"started": "started_too_early"}),
    (TODAY + dt.timedelta(days=367), None, {"started": "started_too_late"}),
    (TODAY + dt.timedelta(days=30), None, {}),
    (TODAY, TODAY, {}),
    (TODAY, TODAY - dt.timedelta(days=1), {"stopped": "stopped_before_started"}),
    (TODAY - dt.timedelta(days=9), TODAY + dt.timedelta(days=1), {"stopped": "stopped_in_future"}),
]


@pytest.mark.parametrize("started,stopped,problems", DATES)
def test_dates(started: dt.date | None, stopped: dt.date | None,
               problems: dict[str, str]) -> None:
    assert rules.date_problems(started, stopped, today=TODAY) == problems


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY),
       st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY))
def test_a_medicine_never_stops_before_it_started(started: dt.date, stopped: dt.date) -> None:
    assert ("stopped" in rules.date_problems(started, stopped, today=TODAY)) == (stopped < started)


@pytest.mark.parametrize("state", [rules.ACTIVE, rules.STOPPED])
@pytest.mark.parametrize("event", ["change", "stop", "start", "restart"])
def test_state_table(state: str, event: str) -> None:
    expected = {(rules.ACTIVE, "change"): rules.ACTIVE, (rules.ACTIVE, "stop"): rules.STOPPED}
    assert rules.next_state(state, event) == expected.get((state, event))


@given(st.lists(st.tuples(st.uuids().map(str), st.integers(1, 50)), max_size=8, unique_by=lambda r: r[0]))
def test_the_list_version_changes_with_any_medicine(rows: list[tuple[str, int]]) -> None:
    version = rules.list_version(rows)
    assert rules.list_version(list(reversed(rows))) == version  # order does not matter
    if rows:
        bumped = [(rows[0][0], rows[0][1] + 1), *rows[1:]]
        assert rules.list_version(bumped) != version
        assert rules.list_version(rows[1:]) != version


AT = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def test_the_list_as_each_organisation_knows_it() -> None:
    """The GP started clozapine (v1) and confirmed the list; the CMHT raised the dose (v2):
    the GP knows v1 until it confirms again; the CMHT knows v2; the council nothing."""
    changes = [("cloz", "gp", 1), ("sert", "gp", 1), ("cloz", "cmht", 2)]
    confirmations = [("gp", AT, {"cloz": 1, "sert": 1})]
    known = rules.known_by_organisation(changes, confirmations)
    assert known["gp"].versions == {"cloz": 1, "sert": 1} and known["gp"].confirmed_at == AT
    assert known["cmht"].versions == {"cloz": 2} and known["cmht"].confirmed_at is None
    assert "council" not in known
    assert rules.standing(2, known["gp"].versions.get("cloz")) == rules.OUT_OF_DATE
    assert rules.standing(2, known["cmht"].versions.get("cloz")) == rules.UP_TO_DATE
    assert rules.standing(1, known["cmht"].versions.get("sert")) == rules.NOT_KNOWN
    assert rules.unreviewed({"cloz": 2, "sert": 1}, {"cloz": 1, "sert": 1}) == {"cloz"}
    assert rules.unreviewed({"cloz": 2}, None) == {"cloz"}
    later = AT + dt.timedelta(days=1)
    known = rules.known_by_organisation(changes, [*confirmations,
                                                  ("gp", later, {"cloz": 2, "sert": 1})])
    assert known["gp"].versions["cloz"] == 2 and known["gp"].confirmed_at == later


@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from(["o1", "o2"]),
                          st.integers(1, 9)), max_size=20))
def test_an_organisation_knows_the_latest_version_it_wrote(changes: list[tuple[str, str, int]]
                                                          ) -> None:
    known = rules.known_by_organisation(changes, [])
    for medicine, org, version in changes:
        assert known[org].versions[medicine] >= version
