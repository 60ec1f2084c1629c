"""The route sweep: every URL pattern declares how it is protected (careweave.core.routes),
and every protected route refuses an anonymous user; every person-scoped route answers 404
to a user whose organisation is not allowed to see the person."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from careweave.core.routes import ACCESS_ATTR, GATED, LOGIN, PUBLIC, STAFF, SUPERUSER

KINDS = {PUBLIC, STAFF, GATED, LOGIN, SUPERUSER}


def walk(patterns: list, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def all_routes() -> list[tuple[str, URLPattern]]:
    return list(walk(get_resolver().url_patterns))


def fill(route: str, person_id: uuid.UUID) -> str:
    """A concrete path for a route: person_id is the given person, other ids are random."""
    def sub(match: re.Match[str]) -> str:
        name = match.group(2)
        if name == "person_id":
            return str(person_id)
        if match.group(1) == "int":
            return "1"
        if match.group(1) in ("uuid", None) or name.endswith("_id"):
            return str(uuid.uuid4())
        return "x"

    path = re.sub(r"<(?:(\w+):)?(\w+)>", sub, route)
    path = path.replace("^", "").replace("$", "")
    return "/" + path


def kind_of(pattern: URLPattern) -> str | None:
    callback = pattern.callback
    return getattr(callback, ACCESS_ATTR, None) or getattr(
        getattr(callback, "view_class", None), ACCESS_ATTR, None)


def test_every_route_declares_its_protection() -> None:
    undeclared = [route for route, p in all_routes() if kind_of(p) not in KINDS]
    assert undeclared == [], f"routes without a careweave_access marker: {undeclared}"


def test_there_are_gated_and_public_routes() -> None:
    kinds = {kind_of(p) for _r, p in all_routes()}
    assert {PUBLIC, STAFF, GATED, SUPERUSER} <= kinds


def test_every_admin_route_is_for_superusers_only() -> None:
    admin = [(route, kind_of(p)) for route, p in all_routes() if route.startswith("admin/")]
    assert len(admin) > 20  # the index, login, and each registered model's pages
    assert {kind for _route, kind in admin} == {SUPERUSER}, admin


@pytest.mark.django_db
def test_protected_routes_refuse_anonymous_users(demo, person_named) -> None:  # noqa: ANN001
    arthur = person_named("Arthur", "Penrose")
    client = Client()
    checked = 0
    for route, pattern in all_routes():
        if kind_of(pattern) == PUBLIC:
            continue
        path = fill(route, arthur.pk)
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert response.status_code in (301, 302, 401, 404, 405), (method, path,
                                                                           response.status_code)
            if response.status_code in (301, 302):
                assert "/login/" in response["Location"], (path, response["Location"])
            body = response.content.decode(errors="replace")
            assert arthur.family_name not in body
            checked += 1
    assert checked > 10


@pytest.mark.django_db
def test_gated_routes_answer_404_to_another_organisation(demo, person_named, login_as) -> None:  # noqa: ANN001, E501
    arthur = person_named("Arthur", "Penrose")
    client = login_as("outsider.uk")
    checked = 0
    for route, pattern in all_routes():
        if kind_of(pattern) != GATED or "<" not in route:
            continue
        if "person_id" not in route:
            continue
        path = fill(route, arthur.pk)
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            if response.status_code in (400, 422):
                # The API checks the shape of a request body before anything else: the
                # answer must then be the same as for a person who does not exist.
                nobody = getattr(client, method)(fill(route, uuid.uuid4()))
                assert nobody.status_code == response.status_code, (method, path)
            else:
                assert response.status_code in (404, 405), (method, path, response.status_code)
            assert arthur.family_name not in response.content.decode(errors="replace")
            checked += 1
    assert checked >= 6


@pytest.mark.django_db
def test_gated_routes_with_unknown_person_answer_404(demo, login_as) -> None:  # noqa: ANN001
    client = login_as("gp.uk")
    for route, pattern in all_routes():
        if kind_of(pattern) != GATED or "person_id" not in route:
            continue
        response = client.get(fill(route, uuid.uuid4()))
        assert response.status_code in (404, 405), (route, response.status_code)
