"""Possible duplicates by demographics (careweave.people.matching): a table of the cases a
registration clerk meets, and properties that must hold for any two people."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from careweave.people import matching
from careweave.people.matching import (
    LIKELY,
    POSSIBLE,
    Demographics,
    Reason,
    birth_date_relation,
    birth_date_variants,
    compare,
    compare_name,
    normalise_postcode,
)

ARTHUR = Demographics("Arthur", "Penrose", dt.date(1934, 5, 2), "RV1 4AB")


def person(given: str = "Arthur", family: str = "Penrose", born: dt.date | None = None,
           postcode: str = "", identifiers: frozenset[tuple[str, str]] = frozenset(),
           ) -> Demographics:
    return Demographics(given, family, born or dt.date(1934, 5, 2), postcode, identifiers)


# -- names: transliteration, accents, variants -------------------------------------------------


@pytest.mark.parametrize(("a", "b", "reason"), [
    ("Åsa", "Asa", Reason.SAME_NAME),
    ("Öberg", "Oberg", Reason.SAME_NAME),
    ("Øberg", "Oberg", Reason.SAME_NAME),
    ("Øberg", "Öberg", Reason.SAME_NAME),
    ("ÅSA", "åsa", Reason.SAME_NAME),
    ("Penrose-Hill", "Penrose Hill", Reason.SAME_NAME),
    ("O'Brien", "OBrien", Reason.SAME_NAME),
    ("van der Berg", "Berg", Reason.SAME_NAME),
    ("Müller", "Mueller", Reason.SPELLING_VARIANT),
    ("Bäckström", "Baeckstroem", Reason.SPELLING_VARIANT),
    ("Mohammed", "Mohamed", Reason.SPELLING_VARIANT),
    ("Mohammed", "Muhammad", Reason.SPELLING_VARIANT),
    ("Muhammad", "Mohamed", Reason.SPELLING_VARIANT),
    ("Jon", "John", Reason.SPELLING_VARIANT),
    ("Eric", "Erik", Reason.SPELLING_VARIANT),
    ("Michael", "Mikael", Reason.SPELLING_VARIANT),
    ("Christian", "Kristian", Reason.SPELLING_VARIANT),
    ("Philip", "Filip", Reason.SPELLING_VARIANT),
    ("Aleksander", "Alexander", Reason.SPELLING_VARIANT),
    ("Sarah", "Sara", Reason.SPELLING_VARIANT),
    ("Aisha", "Ayesha", Reason.SPELLING_VARIANT),
    ("Bill", "William", Reason.SHORT_FORM),
    ("Peggy", "Margaret", Reason.SHORT_FORM),
    ("Penrose-Hill", "Penrose", Reason.NAME_PART),
    ("García López", "García", Reason.NAME_PART),
    ("Anna Maria", "Maria", Reason.NAME_PART),
    ("Penrose", "Penrsoe", Reason.SIMILAR_NAME),
    ("A", "Arthur", Reason.INITIAL),
])
def test_names_that_may_be_the_same(a: str, b: str, reason: Reason) -> None:
    similarity, why = compare_name(a, b)
    assert why == reason, (a, b, similarity, why)
    assert 0 < similarity <= 1
    assert compare_name(b, a) == (similarity, why)


@pytest.mark.parametrize(("a", "b"), [
    ("Arthur", "Jean"), ("Mahmoud", "Mohammed"), ("Jane", "John"), ("Penrose", "Okafor"),
    ("Lindqvist", "Haddad"), ("", "Arthur"), ("---", "Arthur"),
])
def test_names_that_are_not_the_same(a: str, b: str) -> None:
    assert compare_name(a, b) == (0.0, None)


def test_each_short_form_belongs_to_one_name() -> None:
    seen: dict[str, int] = {}
    for index, group in enumerate(matching._SHORT_FORMS):
        for name in group:
            key = matching._canonical(name)
            assert seen.setdefault(key, index) == index, (name, key)


# -- whole records: the table --------------------------------------------------------------------


@pytest.mark.parametrize(("other", "at_least", "at_most", "reasons"), [
    # Arthur registered again without his NHS number (issue 7): must warn.
    (person(), 90, 90, {Reason.SAME_NAME, Reason.SAME_BIRTH_DATE}),
    (person(postcode="rv14ab"), 100, 100,
     {Reason.SAME_NAME, Reason.SAME_BIRTH_DATE, Reason.SAME_POSTCODE}),
    (person("Penrose", "Arthur"), 90, 90,
     {Reason.SAME_NAME, Reason.NAME_SWAPPED, Reason.SAME_BIRTH_DATE}),
    (person(born=dt.date(1934, 2, 5)), 80, 80,
     {Reason.SAME_NAME, Reason.BIRTH_DAY_MONTH_SWAPPED}),
    (person(born=dt.date(1935, 5, 2)), 75, 75, {Reason.SAME_NAME, Reason.BIRTH_DATE_ONE_DIGIT}),
    (person("Artur"), 85, 89, {Reason.SAME_FAMILY_NAME, Reason.SPELLING_VARIANT,
                               Reason.SAME_BIRTH_DATE}),
    (person("A"), POSSIBLE, 80, {Reason.SAME_FAMILY_NAME, Reason.INITIAL,
                                 Reason.SAME_BIRTH_DATE}),
    (person(family="Penrose-Hill", born=dt.date(1935, 5, 2), postcode="RV1 4AB"), 80, 80,
     {Reason.SAME_GIVEN_NAME, Reason.NAME_PART, Reason.BIRTH_DATE_ONE_DIGIT,
      Reason.SAME_POSTCODE}),
    # a new family name (marriage) at the same address
    (person(family="Smith", postcode="RV1 4AB"), 75, 75,
     {Reason.SAME_GIVEN_NAME, Reason.SAME_BIRTH_DATE, Reason.SAME_POSTCODE}),
    # not enough: a twin, a namesake born another day, someone else born the same day
    (person("Jean"), 0, POSSIBLE - 1, {Reason.SAME_FAMILY_NAME, Reason.SAME_BIRTH_DATE}),
    (person(born=dt.date(1950, 1, 1)), 0, POSSIBLE - 1, {Reason.SAME_NAME}),
    (person("Maya", "Okafor"), 0, POSSIBLE - 1, {Reason.SAME_BIRTH_DATE}),
])
def test_records_compared_with_arthur(other: Demographics, at_least: int, at_most: int,
                                      reasons: set[Reason]) -> None:
    match = compare(ARTHUR, other)
    assert at_least <= match.score <= at_most, match
    assert set(match.reasons) == reasons
    assert match.possible == (match.score >= POSSIBLE)


@pytest.mark.parametrize(("a", "b"), [
    (person("Mohammed", "Hassan", dt.date(1980, 3, 4)),
     person("Muhammad", "Hasan", dt.date(1980, 4, 3))),
    (person("Åsa", "Öberg", dt.date(1941, 8, 19)), person("Asa", "Oberg", dt.date(1941, 8, 19))),
    (person("Jon", "Müller", dt.date(1950, 1, 1)), person("John", "Mueller", dt.date(1950, 1, 1))),
    (person("Karim", "Haddad", dt.date(1972, 6, 3)),
     person("Haddad", "Karim", dt.date(1972, 6, 3))),
])
def test_possible_duplicates_across_spellings(a: Demographics, b: Demographics) -> None:
    assert compare(a, b).possible


def test_identifiers_settle_it() -> None:
    nhs = frozenset({("nhs", "9434765919")})
    other_nhs = frozenset({("nhs", "9434765900")})
    assert compare(person(identifiers=nhs), person(identifiers=other_nhs)) == matching.Match(
        0, (Reason.DIFFERENT_IDENTIFIER,))
    same = compare(person(identifiers=nhs), person("Someone", "Else", identifiers=nhs))
    assert same.score == 100 and Reason.SAME_IDENTIFIER in same.reasons
    # a number in a system only one of them has says nothing
    pnr = frozenset({("se-pnr", "194108191234")})
    assert compare(person(identifiers=nhs), person(identifiers=pnr)).score == 90


# -- dates of birth and postcodes -------------------------------------------------------------


def test_birth_date_variants() -> None:
    day = dt.date(1934, 5, 2)
    variants = birth_date_variants(day)
    assert day in variants
    assert dt.date(1934, 2, 5) in variants  # day and month swapped
    assert {dt.date(1935, 5, 2), dt.date(1984, 5, 2), dt.date(1934, 5, 12),
            dt.date(1934, 3, 2)} <= variants  # one digit
    assert dt.date(1943, 5, 2) not in variants  # two digits
    assert all(birth_date_relation(day, other) is not None for other in variants)
    assert len(variants) < 80  # small enough for one indexed IN (...)
    # 30 February does not exist; 13 as a month neither
    assert all(isinstance(v, dt.date) for v in birth_date_variants(dt.date(2000, 1, 30)))
    assert dt.date(2000, 12, 13) not in birth_date_variants(dt.date(2000, 12, 13)) - {
        dt.date(2000, 12, 13)}


@pytest.mark.parametrize(("a", "b"), [("RV1 4AB", "rv14ab"), ("411 19", "41119"),
                                      (" NS2  7QT ", "ns2-7qt")])
def test_postcodes_are_compared_without_spaces_or_case(a: str, b: str) -> None:
    assert normalise_postcode(a) == normalise_postcode(b) != ""


# -- properties ----------------------------------------------------------------------------------

NAMES = st.sampled_from(["Arthur", "Artur", "Penrose", "Penrose-Hill", "Åsa", "Asa", "Öberg",
                         "Øberg", "Oberg", "Müller", "Mueller", "Mohammed", "Muhammad",
                         "Mohamed", "Jon", "John", "García López", "Bill", "William", "A",
                         "O'Brien", "van der Berg", "Karim", "Haddad", "李", "Ωμέγα", "", "-"])
ANY_NAME = st.one_of(NAMES, st.text(max_size=40))
DATES = st.dates(min_value=dt.date(1880, 1, 1), max_value=dt.date(2030, 12, 31))
POSTCODES = st.sampled_from(["", "RV1 4AB", "rv14ab", "NS2 7QT", "411 19"])
IDENTIFIERS = st.frozensets(st.tuples(st.sampled_from(["nhs", "se-pnr"]),
                                      st.sampled_from(["1", "2"])), max_size=2)
PEOPLE = st.builds(Demographics, ANY_NAME, ANY_NAME, st.one_of(st.none(), DATES), POSTCODES,
                   IDENTIFIERS)


@settings(max_examples=400)
@given(PEOPLE, PEOPLE)
def test_comparing_is_symmetric_and_bounded(a: Demographics, b: Demographics) -> None:
    ab, ba = compare(a, b), compare(b, a)
    assert ab == ba
    assert 0 <= ab.score <= 100
    assert len(set(ab.reasons)) == len(ab.reasons)


def _has_letters(name: str) -> bool:
    return any(ch.isalnum() for ch in name)


@given(PEOPLE)
def test_a_person_always_matches_themself(a: Demographics) -> None:
    assume(_has_letters(a.given_name) and _has_letters(a.family_name) and a.birth_date)
    match = compare(a, a)
    assert match.likely, match
    assert match.score >= LIKELY


@given(ANY_NAME, ANY_NAME)
def test_name_similarity_is_symmetric_and_bounded(a: str, b: str) -> None:
    assert compare_name(a, b) == compare_name(b, a)
    assert 0.0 <= compare_name(a, b)[0] <= 1.0


@given(DATES, DATES)
def test_birth_date_variants_agree_with_the_relation(a: dt.date, b: dt.date) -> None:
    related = birth_date_relation(a, b)
    assert related == birth_date_relation(b, a)
    assert (b in birth_date_variants(a)) == (related is not None) == (a in birth_date_variants(b))
