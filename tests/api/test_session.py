"""Our own pages may call the API with the logged-in session; unsafe methods need CSRF."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from careweave.orgs.middleware import SESSION_MEMBERSHIP
from careweave.orgs.models import Membership, StaffProfile
from careweave.people.models import Person
from tests.support import assert_problem

pytestmark = pytest.mark.django_db

BODY = json.dumps({"given_name": "Edith", "family_name": "Marlow", "birth_date": "1944-04-04"})


def session_client(username: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.get(username=username))
    return client


def csrf_token(client: Client) -> str:
    """The docs page hands out the token the way our pages do."""
    page = client.get("/api/v1/docs").content.decode()
    match = re.search(r'data-csrf-token="([^"]+)"', page)
    assert match, "the docs page should carry a CSRF token"
    return match.group(1)


def test_session_reads_without_csrf(demo, person_named) -> None:  # noqa: ANN001
    client = session_client("gp.uk")
    response = client.get(f"/api/v1/people/{person_named('Arthur', 'Penrose').pk}")
    assert response.status_code == 200
    assert client.get("/api/v1/me").json()["authenticated_by"] == "session"


def test_session_post_without_csrf_is_refused(demo) -> None:  # noqa: ANN001
    client = session_client("gp.uk")
    response = client.post("/api/v1/people", BODY, content_type="application/json")
    problem = assert_problem(response, 403)
    assert "CSRF" in problem["detail"]
    assert not Person.objects.filter(family_name="Marlow").exists()


def test_session_post_with_a_wrong_csrf_token_is_refused(demo) -> None:  # noqa: ANN001
    client = session_client("gp.uk")
    csrf_token(client)
    response = client.post("/api/v1/people", BODY, content_type="application/json",
                           HTTP_X_CSRFTOKEN="x" * 64)
    assert_problem(response, 403)
    assert not Person.objects.filter(family_name="Marlow").exists()


def test_session_post_with_csrf_works(demo) -> None:  # noqa: ANN001
    client = session_client("gp.uk")
    token = csrf_token(client)
    response = client.post("/api/v1/people", BODY, content_type="application/json",
                           HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201, response.content
    assert Person.objects.filter(family_name="Marlow").exists()


def test_session_without_second_factor_is_401(demo, person_named) -> None:  # noqa: ANN001
    user = get_user_model().objects.get(username="gp.uk")
    StaffProfile.objects.filter(user=user).update(two_factor_exempt=False)
    client = session_client("gp.uk")
    response = client.get(f"/api/v1/people/{person_named('Arthur', 'Penrose').pk}")
    assert_problem(response, 401)
    assert "Penrose" not in response.content.decode()


def test_session_must_have_chosen_a_membership(demo) -> None:  # noqa: ANN001
    client = session_client("privacy.uk")  # two memberships, none chosen yet
    assert_problem(client.get("/api/v1/me"), 401)
    user = get_user_model().objects.get(username="privacy.uk")
    chosen = Membership.objects.get(user=user, organisation__name="Hillside Medical Practice")
    session = client.session
    session[SESSION_MEMBERSHIP] = str(chosen.pk)
    session.save()
    me = client.get("/api/v1/me").json()
    assert me["acting_membership"]["organisation"]["name"] == "Hillside Medical Practice"
