"""/api/v1/people: caseload search, create, read, change; who may and who may not."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from careweave.access.services import token_create
from careweave.audit.models import AuditEvent
from careweave.people.models import Person
from careweave.people.services import person_create
from tests.support import ApiClient, assert_problem

pytestmark = pytest.mark.django_db

ARTHUR_NHS = "9434765919"


def new_person(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "given_name": "Winifred", "family_name": "Ashdown", "birth_date": "1950-06-01",
    }
    body.update(overrides)
    return body


# -- list and search -----------------------------------------------------------------------


def test_caseload_lists_only_people_the_caller_may_see(api_as, person_named) -> None:  # noqa: ANN001
    response = api_as("sw.uk").get("/people?size=100")
    assert response.status_code == 200
    ids = {item["id"] for item in response.json()["items"]}
    assert str(person_named("Arthur", "Penrose").pk) in ids
    # Maya objected to the council seeing her record.
    assert str(person_named("Maya", "Okafor").pk) not in ids


def test_caseload_search_by_name_and_identifier(api_as, person_named) -> None:  # noqa: ANN001
    api = api_as("gp.uk")
    arthur = str(person_named("Arthur", "Penrose").pk)
    by_name = api.get("/people?q=penrose").json()["items"]
    assert [p["id"] for p in by_name] == [arthur]
    assert by_name[0]["url"] == f"/api/v1/people/{arthur}"
    by_nhs = api.get("/people?q=943 476 5919").json()["items"]
    assert [p["id"] for p in by_nhs] == [arthur]
    assert by_nhs[0]["identifiers"] == [
        {"system": "nhs", "value": ARTHUR_NHS, "display": "943 476 5919"}]


def test_caseload_search_never_finds_someone_outside_it(api_as) -> None:  # noqa: ANN001
    api = api_as("outsider.uk")
    assert api.get("/people?q=penrose").json()["items"] == []
    assert api.get(f"/people?q={ARTHUR_NHS}").json()["items"] == []


def test_caseload_pages_with_a_cursor(api_as) -> None:  # noqa: ANN001
    api = api_as("gp.uk")
    everyone = [p["id"] for p in api.get("/people?size=100").json()["items"]]
    assert len(everyone) > 4
    first = api.get("/people?size=3").json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    second = api.get(f"/people?size=3&cursor={first['next_cursor']}").json()
    seen = [p["id"] for p in first["items"] + second["items"]]
    assert seen == everyone[:6]


@pytest.mark.parametrize("query", ["size=0", "size=101", "size=abc", "q=" + "x" * 101])
def test_caseload_rejects_bad_paging(api_as, query: str) -> None:  # noqa: ANN001
    assert_problem(api_as("gp.uk").get(f"/people?{query}"), 422)


def test_caseload_has_no_n_plus_one(api_as, actor_for, django_assert_max_num_queries) -> None:  # noqa: ANN001, E501
    actor = actor_for("gp.uk")
    for i in range(30):
        person_create(actor=actor, data={"given_name": f"Query{i}", "family_name": "Counter",
                                         "birth_date": dt.date(1960, 1, 1 + i % 28)},
                      confirm_similar=True)
    api = api_as("gp.uk")
    api.get("/people?size=2")  # warm up (token last_used_at, caches)
    with django_assert_max_num_queries(8) as small:
        assert len(api.get("/people?size=2").json()["items"]) == 2
    with django_assert_max_num_queries(8) as full:
        body = api.get("/people?size=25").json()
    assert len(body["items"]) == 25
    assert sum(len(p["identifiers"]) for p in body["items"]) > 0
    assert len(full.captured_queries) == len(small.captured_queries), full.captured_queries


# -- authentication ------------------------------------------------------------------------


def test_anonymous_gets_401_with_a_challenge(anonymous: ApiClient) -> None:
    response = anonymous.get("/people")
    assert_problem(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="careweave"'


@pytest.mark.parametrize("header", [
    "Bearer cwt_not-a-real-token",
    "Bearer " + "x" * 300,
    "Basic Z3AudWs6cGFzc3dvcmQ=",
    "Bearer",
])
def test_wrong_token_gets_401_invalid_token(demo, header: str) -> None:  # noqa: ANN001
    api = ApiClient()
    api.headers["HTTP_AUTHORIZATION"] = header
    response = api.get("/people")
    assert_problem(response, 401)
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_expired_and_revoked_tokens_get_401(actor_for) -> None:  # noqa: ANN001
    from django.utils import timezone

    actor = actor_for("gp.uk")
    expired, raw_expired = token_create(membership=actor.membership)
    expired.expires_at = timezone.now() - dt.timedelta(seconds=1)
    expired.save()
    revoked, raw_revoked = token_create(membership=actor.membership)
    revoked.revoked_at = timezone.now()
    revoked.save()
    for raw in (raw_expired, raw_revoked):
        assert_problem(ApiClient(raw).get("/people"), 401)


def test_a_wrong_token_does_not_fall_back_to_the_session(client, login_as) -> None:  # noqa: ANN001
    session = login_as("gp.uk")
    assert session.get("/api/v1/people").status_code == 200
    response = session.get("/api/v1/people", HTTP_AUTHORIZATION="Bearer cwt_wrong")
    assert_problem(response, 401)


# -- create --------------------------------------------------------------------------------


def test_create_a_person(api_as) -> None:  # noqa: ANN001
    api = api_as("gp.uk")
    response = api.post("/people", new_person(
        identifiers=[{"system": "nhs", "value": "401 023 2137"}], interpreter_needed=True,
        interpreter_language="Welsh", what_matters="My garden"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == f"/api/v1/people/{body['id']}"
    assert response["ETag"] == 'W/"1"'
    assert body["identifiers"] == [{"system": "nhs", "value": "4010232137",
                                    "display": "401 023 2137"}]
    assert body["country"] == "GB" and body["access_basis"] == "own-organisation"
    assert body["registered_by"]["name"] == "Riverside Surgery"
    person = Person.objects.get(pk=body["id"])
    assert person.what_matters == "My garden"
    event = AuditEvent.objects.get(person_id=person.pk, action="create")
    assert (event.outcome, event.channel, event.username) == ("allowed", "api", "gp.uk")
    # It is on the creator's caseload at once.
    assert api.get(f"/api/v1/people/{person.pk}").status_code == 200


@pytest.mark.parametrize(("body", "field"), [
    (new_person(identifiers=[{"system": "nhs", "value": "401 023 2138"}]), "identifier_nhs"),
    (new_person(identifiers=[{"system": "passport", "value": "123"}]), "identifiers.0.system"),
    (new_person(birth_date=(dt.date.today() + dt.timedelta(days=2)).isoformat()), "birth_date"),
    (new_person(birth_date="1950-02-30"), "birth_date"),
    (new_person(given_name="W" * 101), "given_name"),
    (new_person(given_name=""), "given_name"),
    (new_person(nickname="Winnie"), "nickname"),
    (new_person(interpreter_needed="maybe"), "interpreter_needed"),
    ({"given_name": "Winifred", "family_name": "Ashdown"}, "birth_date"),
])
def test_create_rejects_bad_input(api_as, body: dict, field: str) -> None:  # noqa: ANN001
    before = Person.objects.count()
    problem = assert_problem(api_as("gp.uk").post("/people", body), 422)
    assert field in problem["errors"], problem
    assert all(problem["errors"][field])
    assert Person.objects.count() == before


def test_unknown_field_is_named_in_plain_words(api_as) -> None:  # noqa: ANN001
    problem = assert_problem(api_as("gp.uk").post("/people", new_person(nickname="W")), 422)
    assert problem["errors"] == {"nickname": ["Unknown field."]}


@pytest.mark.parametrize("raw", ["not json", "{\"given_name\": ", "[1, 2"])
def test_create_rejects_a_body_that_is_not_json(api_as, raw: str) -> None:  # noqa: ANN001
    api = api_as("gp.uk")
    response = api.client.post("/api/v1/people", raw, content_type="application/json",
                               **api.headers)
    problem = assert_problem(response, 400)
    assert "JSON" in problem["detail"]


def test_duplicate_identifier_links_the_record_when_the_caller_may_see_it(
    api_as, person_named,  # noqa: ANN001
) -> None:
    body = new_person(identifiers=[{"system": "nhs", "value": ARTHUR_NHS}])
    problem = assert_problem(api_as("gp.uk").post("/people", body), 409)
    arthur = person_named("Arthur", "Penrose")
    assert problem["existing"].endswith(f"/api/v1/people/{arthur.pk}")
    assert problem["errors"] == {"identifier_nhs": ["Already in use."]}


def test_duplicate_identifier_says_nothing_more_to_someone_who_may_not_see_it(
    api_as, person_named,  # noqa: ANN001
) -> None:
    body = new_person(identifiers=[{"system": "nhs", "value": ARTHUR_NHS}])
    response = api_as("outsider.uk").post("/people", body)
    problem = assert_problem(response, 409)
    arthur = person_named("Arthur", "Penrose")
    text = response.content.decode()
    assert "existing" not in problem and "similar" not in problem
    assert str(arthur.pk) not in text and "Penrose" not in text and ARTHUR_NHS not in text


def test_same_name_and_birth_date_needs_confirmation(api_as, person_named) -> None:  # noqa: ANN001
    api = api_as("gp.uk")
    twin = new_person(given_name="Arthur", family_name="Penrose", birth_date="1934-05-02")
    problem = assert_problem(api.post("/people", twin), 409)
    assert problem["confirmable"] is True
    assert problem["similar"][0].endswith(str(person_named("Arthur", "Penrose").pk))
    response = api.post("/people", {**twin, "confirm_similar": True})
    assert response.status_code == 201
    assert Person.objects.filter(given_name="Arthur", family_name="Penrose").count() == 2


def test_roles_without_record_access_may_not_create(api_as) -> None:  # noqa: ANN001
    assert_problem(api_as("analyst.uk").post("/people", new_person()), 403)
    assert not Person.objects.filter(family_name="Ashdown").exists()


def test_anonymous_may_not_create(anonymous: ApiClient) -> None:
    assert_problem(anonymous.post("/people", new_person()), 401)
    assert not Person.objects.filter(family_name="Ashdown").exists()


# -- read ----------------------------------------------------------------------------------


def test_read_a_person_with_etag(api_as, person_named) -> None:  # noqa: ANN001
    arthur = person_named("Arthur", "Penrose")
    response = api_as("sw.uk").get(f"/people/{arthur.pk}")
    assert response.status_code == 200
    assert response["ETag"] == f'W/"{arthur.version}"'
    body = response.json()
    assert body["family_name"] == "Penrose"
    assert body["access_basis"] == "implied-consent-direct-care"
    assert body["network"][0]["name"] == "Jean Penrose-Hill"
    assert body["area"]["code"] == "E06000991"


@pytest.mark.parametrize("username", ["outsider.uk", "analyst.uk", "privacy.uk", "gp.se"])
def test_others_get_the_same_404_as_for_nobody(api_as, person_named, username: str) -> None:  # noqa: ANN001, E501
    arthur = person_named("Arthur", "Penrose")
    api = api_as(username)
    hidden = api.get(f"/people/{arthur.pk}")
    missing = api.get(f"/people/{uuid.uuid4()}")
    for response in (hidden, missing):
        assert_problem(response, 404)
        assert "Penrose" not in response.content.decode()
    strip = ("instance", "request_id")
    assert ({k: v for k, v in hidden.json().items() if k not in strip}
            == {k: v for k, v in missing.json().items() if k not in strip})


@pytest.mark.parametrize("bad_id", ["123", "not-a-uuid", "%00"])
def test_malformed_person_id_is_404(api_as, bad_id: str) -> None:  # noqa: ANN001
    assert_problem(api_as("gp.uk").get(f"/people/{bad_id}"), 404)


def test_anonymous_read_is_401(anonymous: ApiClient, person_named) -> None:  # noqa: ANN001
    response = anonymous.get(f"/people/{person_named('Arthur', 'Penrose').pk}")
    assert_problem(response, 401)
    assert "Penrose" not in response.content.decode()


# -- change --------------------------------------------------------------------------------


def test_change_with_if_match(api_as, person_named) -> None:  # noqa: ANN001
    arthur = person_named("Arthur", "Penrose")
    api = api_as("gp.uk")
    etag = api.get(f"/people/{arthur.pk}")["ETag"]
    response = api.patch(f"/people/{arthur.pk}", {"phone": "01632 960001"},
                         HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    assert response.json()["phone"] == "01632 960001"
    assert response.json()["version"] == arthur.version + 1
    assert response["ETag"] == f'W/"{arthur.version + 1}"'
    arthur.refresh_from_db()
    assert arthur.phone == "01632 960001"


def test_change_identifiers(api_as, person_named) -> None:  # noqa: ANN001
    maya = person_named("Maya", "Okafor")
    response = api_as("gp.uk").patch(
        f"/people/{maya.pk}", {"identifiers": [{"system": "nhs", "value": "4010232137"}]},
        HTTP_IF_MATCH=f'W/"{maya.version}"')
    assert response.status_code == 200, response.content
    assert [i["value"] for i in response.json()["identifiers"]] == ["4010232137"]


def test_change_without_if_match_is_428(api_as, person_named) -> None:  # noqa: ANN001
    arthur = person_named("Arthur", "Penrose")
    for extra in ({}, {"HTTP_IF_MATCH": ""}):
        assert_problem(api_as("gp.uk").patch(f"/people/{arthur.pk}", {"phone": "1"}, **extra),
                       428)
    arthur.refresh_from_db()
    assert arthur.phone != "1"


def test_change_with_stale_version_is_412(api_as, person_named) -> None:  # noqa: ANN001
    arthur = person_named("Arthur", "Penrose")
    api = api_as("gp.uk")
    stale = f'W/"{arthur.version}"'
    assert api.patch(f"/people/{arthur.pk}", {"town": "Northshire"},
                     HTTP_IF_MATCH=stale).status_code == 200
    problem = assert_problem(api.patch(f"/people/{arthur.pk}", {"town": "Elsewhere"},
                                       HTTP_IF_MATCH=stale), 412)
    assert problem["current_version"] == arthur.version + 1
    arthur.refresh_from_db()
    assert arthur.town == "Northshire"


def test_change_with_a_malformed_if_match_is_412(api_as, person_named) -> None:  # noqa: ANN001
    arthur = person_named("Arthur", "Penrose")
    assert_problem(api_as("gp.uk").patch(f"/people/{arthur.pk}", {"town": "X"},
                                         HTTP_IF_MATCH="yesterday"), 412)


@pytest.mark.parametrize(("body", "field"), [
    ({"nickname": "Art"}, "nickname"),
    ({"family_name": ""}, "family_name"),
    ({"postcode": "X" * 21}, "postcode"),
    ({"birth_date": "2999-01-01"}, "birth_date"),
    ({"living_situation": "castle"}, "living_situation"),
])
def test_change_rejects_bad_input(api_as, person_named, body: dict, field: str) -> None:  # noqa: ANN001, E501
    arthur = person_named("Arthur", "Penrose")
    problem = assert_problem(api_as("gp.uk").patch(
        f"/people/{arthur.pk}", body, HTTP_IF_MATCH=f'W/"{arthur.version}"'), 422)
    assert field in problem["errors"]
    arthur.refresh_from_db()
    assert arthur.version == 1


def test_change_by_another_organisation_is_404_even_with_bad_input(api_as, person_named) -> None:  # noqa: ANN001, E501
    arthur = person_named("Arthur", "Penrose")
    api = api_as("outsider.uk")
    denied_before = AuditEvent.objects.filter(person_id=arthur.pk, outcome="denied").count()
    good = api.patch(f"/people/{arthur.pk}", {"town": "X"}, HTTP_IF_MATCH='W/"1"')
    no_if_match = api.patch(f"/people/{arthur.pk}", {"town": "X"})
    unknown_field = api.patch(f"/people/{arthur.pk}", {"nick": "X"}, HTTP_IF_MATCH='W/"1"')
    for response in (good, no_if_match, unknown_field):
        assert_problem(response, 404)
    assert AuditEvent.objects.filter(person_id=arthur.pk, outcome="denied").count() == (
        denied_before + 3)
    arthur.refresh_from_db()
    assert arthur.town == "Riverside"


def test_anonymous_change_is_401(anonymous: ApiClient, person_named) -> None:  # noqa: ANN001
    arthur = person_named("Arthur", "Penrose")
    assert_problem(anonymous.patch(f"/people/{arthur.pk}", {"town": "X"},
                                   HTTP_IF_MATCH='W/"1"'), 401)
