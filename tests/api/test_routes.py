"""Every /api/v1 URL declares its protection, and every protected one refuses strangers."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from careweave.core.routes import ACCESS_ATTR, GATED, PUBLIC, STAFF
from tests.support import ApiClient, assert_problem


def api_routes() -> list[tuple[str, URLPattern]]:
    for resolver in get_resolver().url_patterns:
        if isinstance(resolver, URLResolver) and str(resolver.pattern) == "api/v1/":
            return [("/api/v1/" + str(p.pattern), p) for p in resolver.url_patterns]
    raise AssertionError("/api/v1/ is not in the URL conf")


def fill(route: str, person_id: uuid.UUID) -> str:
    route = route.replace("<person_id>", str(person_id))
    return re.sub(r"<\w+>", lambda _m: str(uuid.uuid4()), route)


def test_every_api_route_is_marked() -> None:
    kinds = {str(p.pattern): getattr(p.callback, ACCESS_ATTR, None) for _r, p in api_routes()}
    assert kinds["openapi.json"] == kinds["docs"] == PUBLIC
    assert kinds["people"] == kinds["audit"] == kinds["me"] == STAFF
    for pattern, kind in kinds.items():
        assert kind in (PUBLIC, STAFF, GATED), pattern
        if "<person_id>" in pattern:
            assert kind == GATED, pattern
    assert len(kinds) >= 14


@pytest.mark.django_db
@pytest.mark.parametrize("token", [None, "cwt_wrong"])
def test_every_protected_api_route_refuses_strangers(demo, person_named, token) -> None:  # noqa: ANN001, E501
    arthur = person_named("Arthur", "Penrose")
    api = ApiClient(token)
    refused = 0
    for route, pattern in api_routes():
        if getattr(pattern.callback, ACCESS_ATTR) == PUBLIC:
            continue
        path = fill(route, arthur.pk)
        for method in ("get", "post", "patch"):
            response = getattr(api, method)(path, **({} if method == "get" else {"data": {}}))
            if response.status_code == 405:
                continue
            assert_problem(response, 401)
            assert "Penrose" not in response.content.decode()
            refused += 1
    assert refused >= 15


@pytest.mark.django_db
def test_every_person_route_is_404_for_another_organisation(api_as, person_named) -> None:  # noqa: ANN001, E501
    arthur = person_named("Arthur", "Penrose")
    api = api_as("outsider.uk")
    checked = 0
    for route, pattern in api_routes():
        if "<person_id>" not in str(pattern.pattern):
            continue
        for method in ("get", "post", "patch"):
            path = fill(route, arthur.pk)
            response = getattr(api, method)(path, **({} if method == "get" else {"data": {}}))
            if response.status_code == 405:
                continue
            assert_problem(response, 404)
            assert "Penrose" not in response.content.decode()
            checked += 1
    assert checked >= 9


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1/nothing-here", "/api/v1/people/x/y/z",
                                  "/api/v1/people/"])
def test_unknown_api_paths_are_problem_404(client, path: str) -> None:  # noqa: ANN001
    assert_problem(client.get(path), 404)


@pytest.mark.django_db
def test_wrong_method_is_problem_405(api_as) -> None:  # noqa: ANN001
    api = api_as("gp.uk")
    response = api.client.delete("/api/v1/people", **api.headers)
    assert_problem(response, 405)
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}


def test_a_request_refused_before_any_view_is_problem_json_on_the_api(client) -> None:  # noqa: ANN001
    # A Host header outside ALLOWED_HOSTS is refused by Django itself, before the API runs.
    response = client.get("/api/v1/people", HTTP_HOST="evil.example")
    assert_problem(response, 400)
    page = client.get("/login/", HTTP_HOST="evil.example")
    assert page.status_code == 400
    assert page["Content-Type"].startswith("text/html")
    assert "could not be read" in page.content.decode()


def test_an_error_outside_the_apis_handlers_is_problem_json(rf) -> None:  # noqa: ANN001
    from careweave.api.problems import server_error

    api = server_error(rf.get("/api/v1/people"))
    assert api.status_code == 500 and api["Content-Type"] == "application/problem+json"
    assert json.loads(api.content)["status"] == 500
    page = server_error(rf.get("/caseload/"))
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")
