"""The caseload, the person page and creating/changing a person, in the browser (the
Django test client), with people who may and people who may not."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from careweave.audit.models import AuditEvent
from careweave.people.models import Person, PersonIdentifier

PASSWORD = "careweave-demo"
pytestmark = pytest.mark.django_db


def sign_in(client: Client, username: str, password: str = PASSWORD):  # noqa: ANN201
    return client.post("/login/", {"username": username, "password": password})


@pytest.mark.parametrize(("username", "sees", "does_not_see"), [
    ("gp.uk", ["Penrose", "Okafor"], ["Lindqvist"]),
    ("sw.uk", ["Penrose"], ["Okafor", "Lindqvist"]),
    ("outsider.uk", [], ["Penrose", "Okafor"]),
    ("sw.se", ["Lindqvist"], ["Haddad", "Penrose"]),
])
def test_caseload_shows_only_visible_people(demo, login_as, username, sees, does_not_see) -> None:  # noqa: ANN001, E501
    page = login_as(username).get("/caseload/").content.decode()
    for name in sees:
        assert name in page
    for name in does_not_see:
        assert name not in page


@pytest.mark.parametrize("q", ["asa oberg", "ÅSA", "öberg", "Öberg Åsa", "A\u030asa"])
def test_search_ignores_accents_and_case(demo, login_as, q) -> None:  # noqa: ANN001
    page = login_as("gp.se").get("/caseload/", {"q": q}).content.decode()
    assert "Öberg" in page


def test_search_by_identifier(demo, login_as) -> None:  # noqa: ANN001
    page = login_as("gp.uk").get("/caseload/", {"q": "943 476 5919"}).content.decode()
    assert "Penrose" in page and "Okafor" not in page


def test_htmx_search_returns_the_results_fragment(demo, login_as) -> None:  # noqa: ANN001
    response = login_as("gp.uk").get("/caseload/", {"q": "penrose"}, HTTP_HX_REQUEST="true",
                                     HTTP_HX_TARGET="caseload-results")
    body = response.content.decode()
    assert "Penrose" in body and "<html" not in body


def test_caseload_pages_with_keyset_cursor_and_constant_queries(
    demo, login_as, django_assert_max_num_queries, settings,  # noqa: ANN001
) -> None:
    settings.CAREWEAVE = {**settings.CAREWEAVE, "PAGE_SIZE": 4}
    client = login_as("gp.uk")
    seen: list[str] = []
    url = "/caseload/"
    pages = 0
    while url:
        with django_assert_max_num_queries(20):
            response = client.get(url)
        ids = [line.split("/people/")[1][:36] for line in response.content.decode().split('href="')
               if line.startswith("/people/") and not line.startswith("/people/new")]
        seen += ids
        pages += 1
        marker = 'rel="next"'
        body = response.content.decode()
        if marker in body:
            start = body.rfind('href="', 0, body.index(marker))
            url = body[start + 6:body.index('"', start + 6)].replace("&amp;", "&")
        else:
            url = ""
    assert pages >= 2
    assert len(seen) == len(set(seen))
    assert client.get("/caseload/", {"cursor": "garbage"}).status_code == 200


def test_person_page_allowed_and_refused(demo, login_as, person_named) -> None:  # noqa: ANN001
    arthur, maya = person_named("Arthur", "Penrose"), person_named("Maya", "Okafor")
    client = login_as("sw.uk")
    page = client.get(f"/people/{arthur.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "943 476 5919" in body and "Care team" in body
    refused = client.get(f"/people/{maya.pk}/")
    assert refused.status_code == 404
    assert "Okafor" not in refused.content.decode()
    events = AuditEvent.objects.filter(person_id=maya.pk, outcome="denied")
    assert events.count() == 1


def _person_post(**extra: str) -> dict[str, str]:
    data = {
        "given_name": "Ebba", "family_name": "Åkesson",
        "birth_date_day": "3", "birth_date_month": "4", "birth_date_year": "1950",
        "identifier_nhs": "", "living_situation": "", "area_code": "",
    }
    data.update(extra)
    return data


def test_create_person(demo, login_as) -> None:  # noqa: ANN001
    client = login_as("gp.uk")
    assert client.get("/people/new/").status_code == 200
    response = client.post("/people/new/", _person_post(what_matters="Min trädgård"))
    assert response.status_code == 302
    person = Person.objects.get(family_name="Åkesson")
    assert response["Location"] == f"/people/{person.pk}/"
    assert person.birth_date == dt.date(1950, 4, 3)
    assert AuditEvent.objects.filter(person_id=person.pk, action="create").count() == 1
    assert "Åkesson" in client.get("/caseload/", {"q": "akesson"}).content.decode()


@pytest.mark.parametrize(("extra", "message"), [
    ({"identifier_nhs": "943 476 5918"}, "NHS"),
    ({"birth_date_year": str(dt.date.today().year + 1)}, "past"),
    ({"given_name": "x" * 101}, "100 characters or fewer"),
    ({"birth_date_day": "31", "birth_date_month": "2"}, "real date"),
    ({"given_name": ""}, "required"),
    ({"interpreter_needed": "on"}, "interpreter should speak"),
])
def test_create_person_bad_input(demo, login_as, extra, message) -> None:  # noqa: ANN001
    client = login_as("gp.uk")
    before = Person.objects.count()
    response = client.post("/people/new/", _person_post(**extra))
    assert response.status_code in (400, 409)
    body = response.content.decode()
    assert "There is a problem" in body
    assert message in body
    assert Person.objects.count() == before


def test_duplicate_identifier_links_to_the_existing_record(demo, login_as, person_named) -> None:  # noqa: ANN001, E501
    arthur = person_named("Arthur", "Penrose")
    client = login_as("gp.uk")
    response = client.post("/people/new/", _person_post(identifier_nhs="9434765919"))
    assert response.status_code == 409
    assert f"/people/{arthur.pk}/" in response.content.decode()
    # someone who may not see Arthur is told it exists, but not who it is
    response = login_as("outsider.uk").post("/people/new/",
                                            _person_post(identifier_nhs="9434765919"))
    assert response.status_code == 409
    body = response.content.decode()
    assert "already registered by another organisation" in body
    assert "Penrose" not in body and str(arthur.pk) not in body
    assert "ask to join" in body
    assert PersonIdentifier.objects.filter(value="9434765919").count() == 1


def test_same_name_and_birth_date_warns_then_confirms(demo, login_as, person_named) -> None:  # noqa: ANN001, E501
    arthur = person_named("Arthur", "Penrose")
    client = login_as("gp.uk")
    data = _person_post(given_name="Arthur", family_name="Penrose",
                        birth_date_day=str(arthur.birth_date.day),
                        birth_date_month=str(arthur.birth_date.month),
                        birth_date_year=str(arthur.birth_date.year))
    response = client.post("/people/new/", data)
    assert response.status_code == 409
    page = response.content.decode()
    assert "may be the same person" in page
    assert "Same name" in page and "Same date of birth" in page
    assert Person.objects.filter(family_name="Penrose").count() == 1
    response = client.post("/people/new/", {**data, "confirm_similar": "on"})
    assert response.status_code == 302
    assert Person.objects.filter(family_name="Penrose").count() == 2


def test_csrf_less_create_is_refused(demo, person_named) -> None:  # noqa: ANN001
    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.get(username="gp.uk"))
    before = Person.objects.count()
    assert client.post("/people/new/", _person_post()).status_code == 403
    assert Person.objects.count() == before


def test_edit_person_and_stale_version(demo, login_as, person_named) -> None:  # noqa: ANN001
    arthur = person_named("Arthur", "Penrose")
    client = login_as("gp.uk")
    form = client.get(f"/people/{arthur.pk}/edit/")
    assert form.status_code == 200
    assert 'name="version" value="1"' in form.content.decode()
    data = _person_post(given_name="Arthur", family_name="Penrose",
                        birth_date_day=str(arthur.birth_date.day),
                        birth_date_month=str(arthur.birth_date.month),
                        birth_date_year=str(arthur.birth_date.year),
                        identifier_nhs="9434765919", phone="01632 960001",
                        living_situation=arthur.living_situation, version="1")
    assert client.post(f"/people/{arthur.pk}/edit/", data).status_code == 302
    arthur.refresh_from_db()
    assert arthur.phone == "01632 960001" and arthur.version == 2
    stale = client.post(f"/people/{arthur.pk}/edit/", {**data, "phone": "0"})
    assert stale.status_code == 412
    assert "Someone else changed this record" in stale.content.decode()
    arthur.refresh_from_db()
    assert arthur.phone == "01632 960001"


def test_edit_refused_for_other_organisation(demo, login_as, person_named) -> None:  # noqa: ANN001
    maya = person_named("Maya", "Okafor")
    client = login_as("sw.uk")
    assert client.get(f"/people/{maya.pk}/edit/").status_code == 404
    response = client.post(f"/people/{maya.pk}/edit/", _person_post(version="1"))
    assert response.status_code == 404
    maya.refresh_from_db()
    assert maya.given_name == "Maya"


def test_analyst_cannot_create_people(demo, login_as) -> None:  # noqa: ANN001
    client = login_as("analyst.uk")
    before = Person.objects.count()
    response = client.post("/people/new/", _person_post())
    assert response.status_code == 400
    assert "cannot create" in response.content.decode()
    assert Person.objects.count() == before


def test_page_reads_and_writes_reconcile_with_the_audit(demo, login_as, person_named) -> None:  # noqa: ANN001, E501
    """N reads and writes through the pages give exactly N audit rows for the person."""
    arthur = person_named("Arthur", "Penrose")
    maya = person_named("Maya", "Okafor")
    before = AuditEvent.objects.filter(person_id=arthur.pk).count()
    client = login_as("gp.uk")
    for _ in range(3):
        assert client.get(f"/people/{arthur.pk}/").status_code == 200
    assert client.get(f"/people/{arthur.pk}/edit/").status_code == 200
    data = _person_post(given_name="Arthur", family_name="Penrose",
                        birth_date_day=str(arthur.birth_date.day),
                        birth_date_month=str(arthur.birth_date.month),
                        birth_date_year=str(arthur.birth_date.year),
                        identifier_nhs="9434765919", town="Riverside",
                        living_situation=arthur.living_situation, version="1")
    assert client.post(f"/people/{arthur.pk}/edit/", data).status_code == 302
    events = list(AuditEvent.objects.filter(person_id=arthur.pk).order_by("id")[before:])
    assert [(e.action, e.outcome) for e in events] == [("read", "allowed")] * 4 + [
        ("update", "allowed")]
    assert all(e.username == "gp.uk" and e.organisation_name == "Riverside Surgery"
               for e in events)
    # a refused read is one denied row, and nothing about Arthur
    sw = login_as("sw.uk")
    before_maya = AuditEvent.objects.filter(person_id=maya.pk).count()
    assert sw.get(f"/people/{maya.pk}/").status_code == 404
    denied = list(AuditEvent.objects.filter(person_id=maya.pk).order_by("id")[before_maya:])
    assert [(e.action, e.outcome, e.username) for e in denied] == [("read", "denied", "sw.uk")]
    # and Arthur's access log shows who looked, in plain words
    log = client.get(f"/people/{arthur.pk}/access-log/").content.decode()
    assert "Riverside Surgery" in log


def test_personal_pages_are_not_cached(demo, login_as, person_named) -> None:  # noqa: ANN001
    arthur = person_named("Arthur", "Penrose")
    response = login_as("gp.uk").get(f"/people/{arthur.pk}/")
    assert response["Cache-Control"] == "no-store"


def test_person_page_uses_a_bounded_number_of_queries(
    demo, login_as, person_named, django_assert_max_num_queries,  # noqa: ANN001
) -> None:
    from careweave.access.models import CareTeamMember
    from careweave.orgs.models import Organisation

    arthur = person_named("Arthur", "Penrose")
    client = login_as("gp.uk")
    client.get(f"/people/{arthur.pk}/")  # warm the session
    # with the notes, medicines, plans and assessments panels (and the crisis-plan and
    # safety-flag banners)
    with django_assert_max_num_queries(30) as small:
        assert client.get(f"/people/{arthur.pk}/").status_code == 200
    # more care-team members must not mean more queries
    for org in Organisation.objects.filter(country="GB")[:6]:
        CareTeamMember.objects.create(person=arthur, organisation=org, role="Extra",
                                      start_date=dt.date(2025, 1, 1))
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(f"/people/{arthur.pk}/").status_code == 200


def test_dates_are_localised(demo, login_as, person_named) -> None:  # noqa: ANN001
    astrid = person_named("Astrid", "Lindqvist")
    client = login_as("gp.se")
    assert "11 February 1938" in client.get(f"/people/{astrid.pk}/").content.decode()
    client.post("/language/", {"language": "sv", "next": "/caseload/"})
    page = client.get(f"/people/{astrid.pk}/").content.decode()
    assert "11 februari 1938" in page
    assert "Kultur och tro" in page or "Svenska kyrkan" in page
    assert "–; " not in page


@pytest.mark.parametrize("params", [
    {"q": "x" * 10_000}, {"cursor": "A" * 10_000}, {"q": "\x00"}, {"q": "%"},
    {"q": "' OR 1=1 --"}, {"cursor": "eyJhIjoxfQ"},
    {"cursor": "WyJ4Iiwibm90LWEtdXVpZCJd"},  # ["x","not-a-uuid"]: well formed, forged values
])
def test_caseload_survives_odd_queries(demo, login_as, params) -> None:  # noqa: ANN001
    response = login_as("gp.uk").get("/caseload/", params)
    assert response.status_code in (200, 400)
    assert "Traceback" not in response.content.decode()


def test_create_with_nul_or_non_utf8_input_is_refused_cleanly(demo, login_as) -> None:  # noqa: ANN001
    client = login_as("gp.uk")
    before = Person.objects.count()
    response = client.post("/people/new/", _person_post(given_name="Ebba\x00"))
    assert response.status_code == 400
    body = b"given_name=%E5sa&family_name=%F6berg&birth_date_day=1&birth_date_month=2" \
           b"&birth_date_year=1950"  # Latin-1 bytes, not UTF-8
    response = client.post("/people/new/", body,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "could not be read" in response.content.decode()
    assert Person.objects.count() == before
