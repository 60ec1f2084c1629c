"""Identifier validation: generated valid numbers pass, any one-digit change fails."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from careweave.people import identifiers as ids

TODAY = dt.date(2026, 11, 23)


@st.composite
def nhs_numbers(draw: st.DrawFn) -> str:
    while True:
        first = "".join(str(draw(st.integers(0, 9))) for _ in range(9))
        check = ids.nhs_check_digit(first)
        if check is not None:
            return first + str(check)


@st.composite
def swedish(draw: st.DrawFn, coordination: bool = False) -> tuple[str, dt.date]:
    born = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY))
    serial = f"{draw(st.integers(0, 999)):03d}"
    day = born.day + (60 if coordination else 0)
    partial = f"{born:%y%m}{day:02d}{serial}"
    return f"{born.year:04d}{born:%m}{day:02d}{serial}{ids.luhn_check_digit(partial)}", born


def one_digit_changes(value: str) -> list[str]:
    out = []
    for i, ch in enumerate(value):
        for d in "0123456789":
            if d != ch:
                out.append(value[:i] + d + value[i + 1 :])
    return out


@given(nhs_numbers())
def test_valid_nhs_numbers_accepted_in_any_spacing(number: str) -> None:
    assert ids.normalise(ids.NHS, number) == number
    spaced = f"{number[:3]} {number[3:6]} {number[6:]}"
    assert ids.normalise(ids.NHS, spaced) == number
    assert ids.normalise(ids.NHS, f" {number[:3]}-{number[3:6]}-{number[6:]} ") == number


@settings(max_examples=30)
@given(nhs_numbers())
def test_any_single_digit_change_to_an_nhs_number_is_rejected(number: str) -> None:
    for changed in one_digit_changes(number):
        with pytest.raises(ids.InvalidIdentifier):
            ids.normalise(ids.NHS, changed)


@given(swedish())
def test_valid_personnummer_accepted_in_all_forms(case: tuple[str, dt.date]) -> None:
    twelve, born = case
    assert ids.normalise(ids.SE_PERSONNUMMER, twelve, today=TODAY) == twelve
    assert ids.normalise(ids.SE_PERSONNUMMER, f"{twelve[:8]}-{twelve[8:]}", today=TODAY) == twelve
    age = TODAY.year - born.year - ((TODAY.month, TODAY.day) < (born.month, born.day))
    sep = "+" if age >= 100 else "-"
    ten = f"{twelve[2:8]}{sep}{twelve[8:]}"
    # The 10-digit form carries the century in its separator (when the year is unambiguous).
    if TODAY.year - born.year < 100 or age >= 100:
        assert ids.normalise(ids.SE_PERSONNUMMER, ten, today=TODAY) == twelve
    assert ids.birth_date_of(ids.SE_PERSONNUMMER, twelve) == born


@given(swedish(coordination=True))
def test_samordningsnummer_accepted_and_not_as_personnummer(case: tuple[str, dt.date]) -> None:
    twelve, born = case
    assert ids.normalise(ids.SE_SAMORDNINGSNUMMER, twelve, today=TODAY) == twelve
    assert ids.birth_date_of(ids.SE_SAMORDNINGSNUMMER, twelve) == born
    with pytest.raises(ids.InvalidIdentifier):
        ids.normalise(ids.SE_PERSONNUMMER, twelve, today=TODAY)


@settings(max_examples=25)
@given(swedish())
def test_single_digit_change_to_a_personnummer_is_rejected(case: tuple[str, dt.date]) -> None:
    twelve, _born = case
    # The Luhn digit covers the last ten digits: change any of them and it must fail.
    for changed in one_digit_changes(twelve[2:]):
        with pytest.raises(ids.InvalidIdentifier):
            ids.normalise(ids.SE_PERSONNUMMER, twelve[:2] + changed, today=TODAY)


def test_century_from_separator() -> None:
    # 121212-1212 is the Skatteverket test number: '-' means under 100, '+' means 100 or older.
    assert ids.normalise(ids.SE_PERSONNUMMER, "121212-1212", today=TODAY) == "201212121212"
    assert ids.normalise(ids.SE_PERSONNUMMER, "121212+1212", today=TODAY) == "191212121212"
    assert ids.normalise(ids.SE_PERSONNUMMER, "19121212-1212", today=TODAY) == "191212121212"


@pytest.mark.parametrize(
    "system,raw",
    [
        (ids.NHS, "943 476 5918"),  # wrong check digit
        (ids.NHS, "12345"),
        (ids.NHS, "943476591９"),  # full-width digit
        (ids.NHS, "x" * 500),
        (ids.NHS, ""),
        (ids.SE_PERSONNUMMER, "19121312-1212"),  # month 13
        (ids.SE_PERSONNUMMER, "20991212-1212"),  # future (and wrong check)
        (ids.SE_PERSONNUMMER, "19121212+1212"),  # '+' with 12 digits
        (ids.SE_PERSONNUMMER, "åäö"),
        ("passport", "123"),
    ],
)
def test_malformed_identifiers_get_a_clear_message(system: str, raw: str) -> None:
    with pytest.raises(ids.InvalidIdentifier) as exc:
        ids.normalise(system, raw, today=TODAY)
    assert str(exc.value)


def test_guess_reads_search_box_text() -> None:
    assert ids.guess("943 476 5919") == ids.Identifier(ids.NHS, "9434765919")
    assert ids.guess("19121212-1212", today=TODAY) == ids.Identifier(
        ids.SE_PERSONNUMMER, "191212121212"
    )
    assert ids.guess("Arthur Penrose") is None
    assert ids.format_identifier(ids.NHS, "9434765919") == "943 476 5919"
