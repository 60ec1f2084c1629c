"""Name search, word by word: a word of three letters or more is found anywhere in a name,
a shorter one at the start of a name's word ("ek" finds Ek and Ekström, not Hedeke). The same
rule in the caseload's statement, the gate's search for other roles, the API and the page,
on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from careweave.people.models import Person
from careweave.people.selectors import _search_filter, caseload
from careweave.people.services import person_create
from tests.support import sign_in, text

pytestmark = pytest.mark.django_db

FAMILIES = ["Ek", "Ekström", "Hedeke", "Lindberg", "Åberg", "Bergek", "Li", "Lindqvist",
            "Öst", "Östberg"]


@pytest.fixture
def gp_se(demo, actor_for) -> Any:  # noqa: ANN001
    gp = actor_for("gp.se")
    for i, family in enumerate(FAMILIES):
        person_create(actor=gp, data={"given_name": "Söka", "family_name": family,
                                      "birth_date": f"19{40 + i}-05-1{i % 9}"},
                      confirm_similar=True)
    return gp


def found(actor: Any, q: str) -> list[str]:
    page = caseload(actor=actor, q=f"söka {q}", size=100, language="sv", audit=False)
    return [p.family_name for p in page.items]


@pytest.mark.parametrize(("q", "expected"), [
    ("ek", ["Ek", "Ekström"]),                        # word starts only: not Hedeke, Bergek
    ("EK", ["Ek", "Ekström"]),
    ("li", ["Li", "Lindberg", "Lindqvist"]),
    ("ö", ["Öst", "Östberg"]),                          # accent-blind: o
    ("o", ["Öst", "Östberg"]),
    ("berg", ["Bergek", "Lindberg", "Åberg", "Östberg"]),  # three letters: anywhere
    ("eke", ["Hedeke"]),
    ("dek", ["Hedeke"]),
    ("zz", []),
])
def test_short_words_match_the_start_of_a_word_longer_ones_anywhere(
        gp_se: Any, q: str, expected: list[str]) -> None:
    assert found(gp_se, q) == expected


def test_the_gates_search_for_other_roles_follows_the_same_rule(gp_se: Any) -> None:
    everyone = Person.objects.filter(given_name="Söka")
    for q, expected in (("ek", {"Ek", "Ekström"}), ("berg", {"Lindberg", "Åberg", "Bergek",
                                                             "Östberg"})):
        got = {p.family_name for p in _search_filter(everyone, f"söka {q}")}
        assert got == expected, q


def test_the_api_and_the_page_search_by_word_start(gp_se: Any, api_as: Any) -> None:
    body = api_as("gp.se").get("/people?q=s%C3%B6ka%20ek&size=100").json()
    assert sorted(p["family_name"] for p in body["items"]) == ["Ek", "Ekström"]
    page = text(sign_in(Client(), "gp.se").get("/caseload/", {"q": "söka ek"}))
    assert "Ekström, Söka" in page and "Hedeke" not in page and "Bergek" not in page


def test_pages_of_a_name_search_follow_on_without_gaps(gp_se: Any) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        page = caseload(actor=gp_se, q="söka", size=3, cursor=cursor, language="sv",
                        audit=False)
        seen += [p.family_name for p in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == found(gp_se, "") and len(seen) == len(FAMILIES)
    assert seen.index("Öst") > seen.index("Åberg")  # Swedish order: Å before Ö, after Z
