"""Lists of people sort as the reader's language expects, on SQLite and PostgreSQL alike:
in Swedish Å, Ä and Ö come after Z; in English they file with A and O. Keyset pages stay
complete and use an index; search stays accent-blind in both."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from careweave.people.models import Person
from careweave.people.selectors import caseload
from careweave.people.services import person_create
from tests.support import sign_in, text

pytestmark = pytest.mark.django_db

FAMILIES = ["Pettersson", "Öberg", "Zander", "Nilsson", "Åström", "Ärlig", "Andersson",
            "Östlund", "Ek"]
SWEDISH = ["Andersson", "Ek", "Nilsson", "Pettersson", "Zander", "Åström", "Ärlig", "Öberg",
           "Östlund"]
ENGLISH = ["Andersson", "Ärlig", "Åström", "Ek", "Nilsson", "Öberg", "Östlund", "Pettersson",
           "Zander"]


@pytest.fixture
def sorted_people(demo, actor_for):  # noqa: ANN001, ANN201
    gp = actor_for("gp.se")
    for i, family in enumerate(FAMILIES):
        person_create(actor=gp, data={"given_name": "Sortera", "family_name": family,
                                      "birth_date": f"19{40 + i}-03-0{1 + i % 9}"},
                      confirm_similar=True)
    return gp


def families(people) -> list[str]:  # noqa: ANN001
    return [p.family_name for p in people]


def test_swedish_puts_o_umlaut_after_zander(sorted_people) -> None:  # noqa: ANN001
    page = caseload(actor=sorted_people, q="sortera", language="sv", size=100)
    assert families(page.items) == SWEDISH
    order = families(page.items)
    assert order.index("Zander") < order.index("Öberg")


def test_english_puts_o_umlaut_between_nilsson_and_pettersson(sorted_people) -> None:  # noqa: ANN001
    page = caseload(actor=sorted_people, q="sortera", language="en", size=100)
    order = families(page.items)
    assert order.index("Nilsson") < order.index("Öberg") < order.index("Pettersson")
    assert order[0] == "Andersson" and order[-1] == "Zander"


@pytest.mark.parametrize(("language", "expected"), [("sv", SWEDISH), ("en", ENGLISH)])
def test_keyset_pages_follow_the_order_to_the_end(sorted_people, language: str,  # noqa: ANN001
                                                  expected: list[str]) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        page = caseload(actor=sorted_people, q="sortera", language=language, size=2,
                        cursor=cursor)
        seen += families(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [f for f in expected if f in seen] and len(seen) == len(FAMILIES)
    if language == "sv":
        assert seen == SWEDISH


def test_the_whole_caseload_pages_in_swedish_without_gaps(sorted_people) -> None:  # noqa: ANN001
    everyone = [p.pk for p in caseload(actor=sorted_people, language="sv", size=100).items]
    seen: list[object] = []
    cursor = None
    while True:
        page = caseload(actor=sorted_people, language="sv", size=7, cursor=cursor)
        seen += [p.pk for p in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == everyone and len(seen) > 14


def test_the_page_sorts_in_the_language_of_the_reader(sorted_people) -> None:  # noqa: ANN001
    client = sign_in(Client(), "gp.se")
    for language, expected in (("sv", SWEDISH), ("en", ENGLISH)):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        page = text(client.get("/caseload/", {"q": "sortera"}))
        positions = [page.index(f"{family}, Sortera") for family in expected]
        assert positions == sorted(positions), language


def test_the_api_sorts_in_the_language_of_the_request(sorted_people, api_as) -> None:  # noqa: ANN001
    api = api_as("gp.se")
    for language, expected in (("sv-SE,sv;q=0.9", SWEDISH), ("en-GB", ENGLISH)):
        body = api.get("/people?q=sortera&size=100", HTTP_ACCEPT_LANGUAGE=language).json()
        assert [p["family_name"] for p in body["items"]] == expected, language


@pytest.mark.parametrize("query", ["oberg", "ÖBERG", "Öberg Sortera", "astrom", "ÄRLIG"])
def test_search_stays_accent_blind(sorted_people, query: str) -> None:  # noqa: ANN001
    for language in ("sv", "en"):
        assert caseload(actor=sorted_people, q=query, language=language).items, (query, language)


def test_every_record_has_its_swedish_key(sorted_people) -> None:  # noqa: ANN001
    assert not Person.objects.filter(sort_name_sv="").exists()


# -- index-backed ---------------------------------------------------------------------------------


def _plan(sql: str, params: tuple[object, ...]) -> str:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL enable_seqscan = off")
            cur.execute("EXPLAIN " + sql, params)
        else:
            cur.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row) for row in cur.fetchall())


def test_a_swedish_keyset_page_reads_the_swedish_index(sorted_people) -> None:  # noqa: ANN001
    last = Person.objects.order_by("sort_name_sv", "id").values_list("sort_name_sv", "id")[3]
    from django.db.models import Q

    qs = Person.objects.filter(Q(sort_name_sv__gt=last[0]) | Q(sort_name_sv=last[0],
                                                               id__gt=last[1]))
    sql, params = qs.order_by("sort_name_sv", "id")[:26].query.sql_with_params()
    assert "person_sort_sv_idx" in _plan(sql, params)


def test_the_duplicate_candidates_read_the_birth_date_index(demo) -> None:  # noqa: ANN001
    import datetime as dt

    from careweave.people.matching import birth_date_variants

    qs = Person.objects.filter(birth_date__in=sorted(birth_date_variants(dt.date(1934, 5, 2))))
    sql, params = qs.only("id", "given_name").query.sql_with_params()
    assert "person_birth_idx" in _plan(sql, params)
