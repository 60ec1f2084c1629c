"""Bounds on what a request may send, on the API and on pages: the body's size (413), its
content type, charset and coding (415), its encoding and syntax (400), text that cannot be
stored (422), and If-Match that must name a version (428, 412). Every refusal is
problem+json on the API and a page on the web, and nothing is written."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from careweave.audit.models import AuditEvent
from careweave.people.models import Person
from tests.support import BASE, ApiClient, assert_problem, sign_in

pytestmark = pytest.mark.django_db

LIMIT = settings.CAREWEAVE["MAX_BODY_BYTES"]
NEW_PERSON = {"given_name": "Ebba", "family_name": "Åkesson", "birth_date": "1950-04-03"}


def padded(data: dict[str, Any], size: int) -> bytes:
    """``data`` as JSON, padded with trailing whitespace (valid JSON) to exactly ``size``."""
    body = json.dumps(data, ensure_ascii=False).encode()
    assert len(body) <= size
    return body + b" " * (size - len(body))


def raw(api: ApiClient, method: str, path: str, body: bytes,
        content_type: str = "application/json", **extra: Any) -> Any:
    return api.client.generic(method, BASE + path, body, content_type=content_type,
                              **api.headers, **extra)


def people_named(family: str) -> int:
    return Person.objects.filter(family_name=family).count()


# -- size ----------------------------------------------------------------------------------


def test_the_limit_is_one_mebibyte_by_default() -> None:
    assert LIMIT == 1024 * 1024
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == LIMIT


def test_a_body_of_exactly_the_limit_is_read(api_as) -> None:  # noqa: ANN001
    response = raw(api_as("gp.uk"), "POST", "/people", padded(NEW_PERSON, LIMIT))
    assert response.status_code == 201, response.content[:300]
    assert people_named("Åkesson") == 1


@pytest.mark.parametrize("size", [LIMIT + 1, 3 * 1000 * 1000])
def test_a_body_over_the_limit_is_413_and_nothing_is_written(api_as, size: int) -> None:  # noqa: ANN001
    audit_before = AuditEvent.objects.count()
    response = raw(api_as("gp.uk"), "POST", "/people", padded(NEW_PERSON, size))
    problem = assert_problem(response, 413)
    assert problem["type"].endswith("/content-too-large")
    assert "1.0" in problem["detail"] and "MB" in problem["detail"]
    assert people_named("Åkesson") == 0
    assert AuditEvent.objects.count() == audit_before


def test_413_comes_before_authentication_and_tells_nobody_anything(anonymous, arthur,  # noqa: ANN001
                                                                   api_as) -> None:
    body = padded({"town": "X"}, LIMIT + 1)
    for api in (anonymous, api_as("outsider.uk"), api_as("gp.uk")):
        assert_problem(raw(api, "PATCH", f"/people/{arthur.pk}", body,
                           HTTP_IF_MATCH=arthur.etag), 413)
    arthur.refresh_from_db()
    assert arthur.town != "X"


def test_django_s_own_limit_is_a_413_too(api_as, settings) -> None:  # noqa: ANN001
    """Should the middleware's limit ever be above Django's, Django's refusal is the same
    413 problem, not a 500."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    assert_problem(raw(api_as("gp.uk"), "POST", "/people", padded(NEW_PERSON, 4096)), 413)
    assert people_named("Åkesson") == 0


def test_a_malformed_content_length_is_400(api_as) -> None:  # noqa: ANN001
    for value in ("abc", "-1", "1e3", "²"):
        response = raw(api_as("gp.uk"), "POST", "/people", json.dumps(NEW_PERSON).encode(),
                       CONTENT_LENGTH=value)
        assert_problem(response, 400)
    assert people_named("Åkesson") == 0


def test_pages_refuse_a_large_body_with_a_413_page(demo) -> None:  # noqa: ANN001
    client = sign_in(Client(), "gp.uk")
    form = {"given_name": "Ebba", "family_name": "Åkesson", "birth_date_day": "3",
            "birth_date_month": "4", "birth_date_year": "1950",
            "what_matters": "x" * (3 * 1000 * 1000)}
    response = client.post("/people/new/", form)
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "What you sent is too large" in page and "Nothing was saved" in page
    assert people_named("Åkesson") == 0
    # Just under the limit the form is read (and the service says what is wrong).
    form["what_matters"] = "x" * (LIMIT - 2000)
    response = client.post("/people/new/", form)
    assert response.status_code == 400
    assert "5000 characters or fewer" in response.content.decode()


def test_the_413_page_is_in_swedish_for_swedish_readers(demo) -> None:  # noqa: ANN001
    client = Client()
    response = client.post("/login/", {"username": "gp.se", "password": "x" * (LIMIT + 1)},
                           HTTP_ACCEPT_LANGUAGE="sv")
    assert response.status_code == 413
    assert '<html lang="sv"' in response.content.decode()


def test_a_malformed_content_length_on_a_page_is_400(demo) -> None:  # noqa: ANN001
    response = Client().post("/login/", {"username": "gp.uk", "password": "x"},
                             CONTENT_LENGTH="lots")
    assert response.status_code == 400
    assert "could not be read" in response.content.decode()


# -- content type, charset, coding ---------------------------------------------------------


@pytest.mark.parametrize("content_type", [
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=UTF-8",
    'application/json; charset="utf-8"',
    "application/json;charset=utf8",
    "Application/JSON",
    "application/merge-patch+json",
])
def test_json_content_types_are_read(api_as, content_type: str) -> None:  # noqa: ANN001
    response = raw(api_as("gp.uk"), "POST", "/people",
                   json.dumps(NEW_PERSON, ensure_ascii=False).encode(), content_type)
    assert response.status_code == 201, response.content[:300]


@pytest.mark.parametrize("content_type", [
    "",
    "text/plain",
    "text/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "application/jsonp",
    "application/json-seq",
    "application/json; charset=latin-1",
    "application/json; charset=utf-16",
])
def test_other_content_types_are_415(api_as, content_type: str) -> None:  # noqa: ANN001
    response = raw(api_as("gp.uk"), "POST", "/people", json.dumps(NEW_PERSON).encode(),
                   content_type)
    problem = assert_problem(response, 415)
    assert problem["type"].endswith("/unsupported-media-type")
    assert people_named("Åkesson") == 0


def test_a_compressed_body_is_415_with_accept_encoding(api_as) -> None:  # noqa: ANN001
    body = gzip.compress(json.dumps(NEW_PERSON).encode())
    response = raw(api_as("gp.uk"), "POST", "/people", body, HTTP_CONTENT_ENCODING="gzip")
    assert_problem(response, 415)
    assert response["Accept-Encoding"] == "identity"
    assert people_named("Åkesson") == 0
    # "identity" is no coding at all.
    response = raw(api_as("gp.uk"), "POST", "/people", json.dumps(NEW_PERSON).encode(),
                   HTTP_CONTENT_ENCODING="identity")
    assert response.status_code == 201


def test_a_wrong_content_type_on_a_hidden_record_is_the_same_404(api_as, arthur) -> None:  # noqa: ANN001
    response = raw(api_as("outsider.uk"), "PATCH", f"/people/{arthur.pk}", b"town=X",
                   "text/plain", HTTP_IF_MATCH=arthur.etag)
    assert_problem(response, 404)
    response = raw(api_as("gp.uk"), "PATCH", f"/people/{arthur.pk}", b"town=X",
                   "text/plain", HTTP_IF_MATCH=arthur.etag)
    assert_problem(response, 415)


# -- encoding and syntax -------------------------------------------------------------------


@pytest.mark.parametrize(("body", "words"), [
    (b'{"given_name": "\xff\xfe", "family_name": "X", "birth_date": "1950-01-01"}', "UTF-8"),
    (json.dumps(NEW_PERSON).encode("utf-16"), "UTF-8"),
    (b"\xef\xbb\xbf" + json.dumps(NEW_PERSON).encode(), "JSON"),
    (b'{"given_name": "Ebba",', "line 1"),
    (b'{"given_name": NaN}', "JSON"),
    (b"[" * 100_000, "JSON"),
])
def test_a_body_that_is_not_utf8_json_is_400(api_as, body: bytes, words: str) -> None:  # noqa: ANN001
    problem = assert_problem(raw(api_as("gp.uk"), "POST", "/people", body), 400)
    assert words in problem["detail"]
    assert Person.objects.filter(given_name="Ebba").count() == 0


@pytest.mark.parametrize("value", ["Eb\\u0000ba", "Eb\\ud800ba", "\\udfff"])
def test_text_that_cannot_be_stored_is_422_on_its_field(api_as, value: str) -> None:  # noqa: ANN001
    body = ('{"given_name": "' + value + '", "family_name": "X", "birth_date": "1950-01-01"}'
            ).encode()
    problem = assert_problem(raw(api_as("gp.uk"), "POST", "/people", body), 422)
    assert list(problem["errors"]) == ["given_name"]
    assert people_named("X") == 0


def test_a_nul_in_the_query_string_is_422(api_as) -> None:  # noqa: ANN001
    problem = assert_problem(api_as("gp.uk").get("/people?q=pen%00rose"), 422)
    assert "q" in problem["errors"]


# -- If-Match ------------------------------------------------------------------------------


@pytest.mark.parametrize("if_match", ['W/"{v}"', '"{v}"', ' W/"{v}" '])
def test_if_match_names_the_version_weak_or_strong(api_as, arthur, if_match: str) -> None:  # noqa: ANN001
    response = api_as("gp.uk").patch(f"/people/{arthur.pk}", {"town": "Northshire"},
                                     HTTP_IF_MATCH=if_match.format(v=arthur.version))
    assert response.status_code == 200, response.content[:300]


def test_if_match_star_names_no_version_so_is_428(api_as, arthur) -> None:  # noqa: ANN001
    problem = assert_problem(api_as("gp.uk").patch(f"/people/{arthur.pk}", {"town": "X"},
                                                   HTTP_IF_MATCH="*"), 428)
    assert "If-Match" in problem["detail"]
    arthur.refresh_from_db()
    assert arthur.town != "X" and arthur.version == 1


@pytest.mark.parametrize("if_match", [
    "1", "W/1", 'W/"1', "'1'", 'W/"1", W/"2"', '"1", *', '"abc"', 'W/"01"', '"-1"',
    '"99999999999999999999999999"', 'w/"1"', '"1 "',
])
def test_an_if_match_that_is_not_one_of_our_etags_is_412(api_as, arthur, if_match: str) -> None:  # noqa: ANN001
    response = api_as("gp.uk").patch(f"/people/{arthur.pk}", {"town": "X"},
                                     HTTP_IF_MATCH=if_match)
    assert_problem(response, 412)
    arthur.refresh_from_db()
    assert arthur.town != "X" and arthur.version == 1


def test_a_version_that_is_not_the_current_one_is_412_with_the_current(api_as, arthur) -> None:  # noqa: ANN001
    problem = assert_problem(api_as("gp.uk").patch(f"/people/{arthur.pk}", {"town": "X"},
                                                   HTTP_IF_MATCH='W/"7"'), 412)
    assert problem["current_version"] == arthur.version


def test_if_match_on_a_hidden_record_is_the_same_404(api_as, arthur) -> None:  # noqa: ANN001
    for if_match in ("*", "1", 'W/"1"'):
        assert_problem(api_as("outsider.uk").patch(f"/people/{arthur.pk}", {"town": "X"},
                                                   HTTP_IF_MATCH=if_match), 404)


# -- the description says all this ---------------------------------------------------------


def test_the_openapi_description_documents_problems_and_bounds(anonymous) -> None:  # noqa: ANN001
    schema = anonymous.get("/openapi.json").json()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            for code, response in responses.items():
                if int(code) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], (
                        method, path, code)
            assert {"400", "401"} <= set(responses), (method, path)
            if "requestBody" in operation:
                assert {"403", "413", "415", "422"} <= set(responses), (method, path)
    patch = schema["paths"]["/api/v1/people/{person_id}"]["patch"]["responses"]
    assert {"409", "412", "428"} <= set(patch)


# -- JSON as described: no lax coercion ----------------------------------------------------


@pytest.mark.parametrize(("body", "field"), [
    ({**NEW_PERSON, "birth_date": 0}, "birth_date"),
    ({**NEW_PERSON, "birth_date": "19500403"}, "birth_date"),
    ({**NEW_PERSON, "interpreter_needed": "yes"}, "interpreter_needed"),
    ({**NEW_PERSON, "interpreter_needed": 1}, "interpreter_needed"),
    ({**NEW_PERSON, "given_name": 42}, "given_name"),
    ({**NEW_PERSON, "country": ["GB"]}, "country"),
    ({**NEW_PERSON, "identifiers": {"system": "nhs"}}, "identifiers"),
])
def test_values_must_have_the_described_json_type(api_as, body: dict, field: str) -> None:  # noqa: ANN001
    problem = assert_problem(api_as("gp.uk").post("/people", body), 422)
    assert field in problem["errors"], problem["errors"]
    assert people_named("Åkesson") == 0


def test_a_consent_date_given_as_a_number_is_refused(api_as, arthur) -> None:  # noqa: ANN001
    """0 used to be taken for 1 January 1970."""
    problem = assert_problem(api_as("gp.uk").post(f"/people/{arthur.pk}/consents", {
        "purpose": "direct_care", "decision": "permit", "valid_from": 0}), 422)
    assert problem["errors"]["valid_from"] == [
        "Enter a date and time like 2026-12-01T09:30:00Z."]


@pytest.mark.parametrize("value", ["0", "1700000000", "tomorrow"])
def test_query_dates_must_be_dates(api_as, value: str) -> None:  # noqa: ANN001
    privacy = api_as("privacy.uk", org="Riverside Surgery")
    assert privacy.get("/audit?to=2026-12-01").status_code == 200
    problem = assert_problem(privacy.get(f"/audit?to={value}"), 422)
    assert problem["errors"]["to"] == ["Enter a date like 2026-12-01."]


def test_probing_identifiers_is_a_documented_429(api_as, arthur, anonymous, settings) -> None:  # noqa: ANN001
    settings.CAREWEAVE = {**settings.CAREWEAVE, "LOOKUP_REFUSALS_PER_HOUR": 1}
    nhs = arthur.identifiers.get(system="nhs").value
    body = {**NEW_PERSON, "identifiers": [{"system": "nhs", "value": nhs}]}
    outsider = api_as("outsider.uk")
    assert_problem(outsider.post("/people", body), 409)
    assert_problem(outsider.post("/people", body), 429)
    assert people_named("Åkesson") == 0
    paths = anonymous.get("/openapi.json").json()["paths"]
    assert "429" in paths["/api/v1/people"]["post"]["responses"]
    assert "429" in paths["/api/v1/people/{person_id}"]["patch"]["responses"]
