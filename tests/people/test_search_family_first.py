"""A name search lists first the people whose family name starts with its first word, then
every other match, each part in the reader's alphabetical order; pages follow on across the
two parts without gaps or repeats; every match is in exactly one part. Through the selector,
the page and the API, in English and Swedish, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from careweave.people.models import Person
from careweave.people.selectors import (
    _prefix_upper,
    _search_filter,
    caseload,
    family_first_word,
    people_visible_to,
)
from careweave.people.services import person_create
from tests.support import sign_in, text

pytestmark = pytest.mark.django_db

# (given, family): "Thorn" as a family name, inside one, as a given name, and nowhere.
UK = [("Sam", "Thorn"), ("Ann", "Thorn"), ("Joe", "Thornton"), ("Eve", "Hawthorn"),
      ("Thorn", "Adams"), ("Zoë", "Thorn-Jones"), ("Ann", "Jonesy"), ("Ida", "Blackthorn")]
# Ö is its own letter in Swedish: "Öst" lists Öst and Östberg first; "ost" the Ost family.
SE = [("Sök", "Öst"), ("Sök", "Östberg"), ("Sök", "Ost"), ("Sök", "Kallöst"),
      ("Sök", "Osterman"), ("Sök", "Åkesson")]


def _create(actor: Any, people: list[tuple[str, str]], month: int) -> Any:
    for i, (given_name, family) in enumerate(people):
        person_create(actor=actor, data={"given_name": given_name, "family_name": family,
                                         "birth_date": f"19{50 + i}-0{month}-1{i % 9}"},
                      confirm_similar=True)
    return actor


@pytest.fixture
def uk(demo, actor_for) -> Any:  # noqa: ANN001
    return _create(actor_for("gp.uk"), UK, 2)


@pytest.fixture
def se(demo, actor_for) -> Any:  # noqa: ANN001
    return _create(actor_for("gp.se"), SE, 4)


def names(people: list[Person]) -> list[str]:
    return [f"{p.family_name}, {p.given_name}" for p in people]


def search(actor: Any, q: str, language: str = "en", size: int = 100) -> list[str]:
    return names(caseload(actor=actor, q=q, size=size, language=language, audit=False).items)


def paged(actor: Any, q: str, language: str, size: int) -> list[str]:
    seen: list[str] = []
    cursor = None
    for _ in range(100):
        page = caseload(actor=actor, q=q, size=size, cursor=cursor, language=language,
                        audit=False)
        seen += names(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return seen
    raise AssertionError("the pages never ended")


def test_family_names_starting_with_the_word_come_first(uk: Any) -> None:
    assert search(uk, "thorn") == [
        "Thorn, Ann", "Thorn, Sam", "Thorn-Jones, Zoë", "Thornton, Joe",   # family first
        "Adams, Thorn", "Blackthorn, Ida", "Hawthorn, Eve",               # then the rest
    ]


def test_the_other_words_still_have_to_match(uk: Any) -> None:
    assert search(uk, "thorn ann") == ["Thorn, Ann"]
    assert search(uk, "ann thorn") == ["Thorn, Ann"]   # "ann…" as a family name: none
    assert search(uk, "jonesy") == ["Jonesy, Ann"]
    jones = search(uk, "jones")  # the demo has Joneses of its own
    assert jones[-1] == "Thorn-Jones, Zoë" and "Jonesy, Ann" in jones
    assert all(name.startswith("Jones") for name in jones[:-1])
    assert search(uk, "THORNTON") == ["Thornton, Joe"]


def test_a_comma_separates_words_as_lists_show_names(uk: Any) -> None:
    assert search(uk, "Thorn, Ann") == ["Thorn, Ann"]
    assert search(uk, "thorn,sam") == ["Thorn, Sam"]


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7])
def test_pages_follow_on_across_both_parts(uk: Any, se: Any, size: int) -> None:
    for actor, q, language in ((uk, "thorn", "en"), (uk, "ann", "en"), (se, "öst", "sv"),
                               (se, "ost", "sv"), (se, "ost", "en"), (se, "sök", "sv")):
        assert paged(actor, q, language, size) == search(actor, q, language), (q, size)


@pytest.mark.parametrize("q", ["thorn", "ann", "t", "th", "jones thorn", "o", "ost", "öst",
                               "sök ö", "zz", "thorn,", "e", "ith"])
def test_every_match_is_found_once(uk: Any, se: Any, q: str) -> None:
    for actor in (uk, se):
        for language in ("en", "sv"):
            found = [p.pk for p in caseload(actor=actor, q=q, size=100, language=language,
                                            audit=False).items]
            rule = {p.pk for p in _search_filter(people_visible_to(actor), q)}
            assert len(found) == len(set(found)), (q, language)
            assert set(found) == rule, (q, language)


def test_swedish_keeps_its_own_letters_first(se: Any) -> None:
    # Typed Ö: the Ö names first; then the accent-blind matches, in Swedish order.
    assert search(se, "öst", "sv") == [
        "Öst, Sök", "Östberg, Sök", "Kallöst, Sök", "Ost, Sök", "Osterman, Sök"]
    # Typed O: the O names first; Öst and Östberg are still found, after Z as in Swedish.
    assert search(se, "ost", "sv") == [
        "Ost, Sök", "Osterman, Sök", "Kallöst, Sök", "Öst, Sök", "Östberg, Sök"]
    # English folds the accent: Ost, Öst, Östberg and Osterman all start with "ost" (Ost
    # and Öst have the same key, so either may come first).
    english = search(se, "ost", "en")
    assert set(english[:2]) == {"Ost, Sök", "Öst, Sök"}
    assert english[2:] == ["Östberg, Sök", "Osterman, Sök", "Kallöst, Sök"]


def test_the_api_lists_family_names_first(uk: Any, api_as: Any) -> None:
    api = api_as("gp.uk")
    body = api.get("/people?q=thorn&size=3").json()
    got = [f"{p['family_name']}, {p['given_name']}" for p in body["items"]]
    assert got == ["Thorn, Ann", "Thorn, Sam", "Thorn-Jones, Zoë"]
    rest = api.get(f"/people?q=thorn&size=100&cursor={body['next_cursor']}").json()
    assert [f"{p['family_name']}, {p['given_name']}" for p in rest["items"]] == [
        "Thornton, Joe", "Adams, Thorn", "Blackthorn, Ida", "Hawthorn, Eve"]
    assert rest["next_cursor"] is None
    assert api.get("/people?q=Thorn,%20Ann").json()["items"][0]["family_name"] == "Thorn"


def test_the_api_refuses_nobody_a_garbled_cursor(uk: Any, api_as: Any) -> None:
    # An old two-part cursor, a forged part or person: the first page again, never a 500.
    from careweave.core.pagination import encode_cursor

    api = api_as("gp.uk")
    first = api.get("/people?q=thorn&size=2").json()["items"]
    for values in (["thorn", "x"], ["2", "thorn", "00000000-0000-0000-0000-000000000000"],
                   ["1", "thorn", "not-a-uuid"], ["0", "å" * 30, "also-not"]):
        response = api.get(f"/people?q=thorn&size=2&cursor={encode_cursor(values)}")
        assert response.status_code == 200, values
        assert response.json()["items"] == first, values


def test_the_page_says_why_the_order_is_not_a_to_z(uk: Any) -> None:
    client = sign_in(Client(), "gp.uk")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = text(client.get("/caseload/", {"q": "thorn"}))
    assert "family name starts with “thorn” come first" in page
    assert page.index("Thornton, Joe") < page.index("Adams, Thorn") < page.index(
        "Hawthorn, Eve")
    assert "come first" not in text(client.get("/caseload/", {"q": "943 476 5919"}))
    assert "come first" not in text(client.get("/caseload/"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    assert "efternamn börjar på ”thorn” visas först" in text(
        client.get("/caseload/", {"q": "thorn"}))


def test_the_word_the_page_names() -> None:
    assert family_first_word("Thorn, John") == "Thorn"
    assert family_first_word("  öst  berg") == "öst"
    assert family_first_word("943 476 5919") == ""
    assert family_first_word("") == ""


@given(st.text(min_size=1, max_size=6), st.text(max_size=8))
def test_the_range_holds_every_key_that_starts_with_the_prefix(prefix: str, rest: str) -> None:
    upper = _prefix_upper(prefix)
    key = prefix + rest
    assert key >= prefix
    if upper is not None:
        assert key < upper
        assert upper > prefix


@given(st.text(alphabet="abcz", min_size=1, max_size=5), st.text(alphabet="abcz", max_size=5))
def test_the_bound_of_a_letter_prefix_is_letters_and_tight(prefix: str, other: str) -> None:
    upper = _prefix_upper(prefix)
    if upper is None:
        assert set(prefix) == {"z"}
        return
    assert upper.isalpha() and upper.islower()
    # Nothing in the range [prefix, upper) fails to start with the prefix.
    if prefix <= other < upper:
        assert other.startswith(prefix)


SORT_KEYS = [("access_sharing", "sort_name"), ("access_sharing", "sort_name_sv"),
             ("people_person", "sort_name"), ("people_person", "sort_name_sv")]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL column collation")
def test_the_sort_keys_compare_by_code_point_whatever_the_server_locale() -> None:
    """The keys are built to be compared by code point; the range of the family part and the
    keyset comparisons rely on it, so the columns say so, not the server's locale."""
    with connection.cursor() as c:
        c.execute("SELECT table_name, column_name, collation_name FROM "
                  "information_schema.columns WHERE table_schema = current_schema()")
        found = {(table, column): collation for table, column, collation in c.fetchall()
                 if (table, column) in SORT_KEYS}
    assert found == {key: "C" for key in SORT_KEYS}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's ICU collations")
def test_a_linguistic_collation_would_put_other_names_in_the_range() -> None:
    """Why the columns are "C": under a linguistic collation that weighs spaces and hyphens
    nothing at first (glibc's en_US.UTF-8 does; ICU's English with alternate=shifted here,
    made for the test's transaction), "hal lewis" (Lewis Hal) falls between "hall" and
    "halm", and would be listed as a family name that starts with "hall"."""
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM pg_collation WHERE collprovider = 'i'")
        if not c.fetchone()[0]:
            pytest.skip("this PostgreSQL has no ICU collations")
        c.execute("CREATE COLLATION pg_temp.shifted (provider = icu, locale = 'en-u-ka-shifted')")
        c.execute("""SELECT 'hal lewis' COLLATE pg_temp.shifted >= 'hall'
                            AND 'hal lewis' COLLATE pg_temp.shifted < 'halm',
                            'hal lewis' COLLATE "C" >= 'hall'
                            AND 'hal lewis' COLLATE "C" < 'halm'""")
        assert c.fetchone() == (True, False)


def test_a_name_that_sorts_near_the_word_is_not_in_the_family_part(demo, actor_for) -> None:  # noqa: ANN001
    actor = _create(actor_for("gp.uk"), [("Lewis", "Hal"), ("Ann", "Hall"), ("Bo", "Halm")], 3)
    assert search(actor, "hall") == ["Hall, Ann"]
    assert search(actor, "hall", "sv") == ["Hall, Ann"]
