"""The organisations and "who am I" through the API."""

from __future__ import annotations

import pytest

from careweave.audit.models import AuditEvent
from tests.support import ApiClient, assert_problem

pytestmark = pytest.mark.django_db


# -- audit ---------------------------------------------------------------------------------


def test_organisations(api_as) -> None:  # noqa: ANN001
    response = api_as("gp.uk").get("/organisations")
    assert response.status_code == 200
    names = [o["name"] for o in response.json()]
    assert "Riverside Surgery" in names and "Vårdcentralen Nordstan" in names
    assert names == sorted(names)
    swedish = api_as("gp.uk").get("/organisations?country=se").json()
    assert swedish and {o["country"] for o in swedish} == {"SE"}


def test_organisations_refuse_anonymous_and_bad_filters(anonymous: ApiClient, api_as) -> None:  # noqa: ANN001, E501
    assert_problem(anonymous.get("/organisations"), 401)
    assert_problem(api_as("gp.uk").get("/organisations?country=GBR"), 422)


def test_me_with_a_token(api_as) -> None:  # noqa: ANN001
    body = api_as("gp.uk").get("/me").json()
    assert body["user"]["username"] == "gp.uk"
    assert body["user"]["name"] == "Helen Carter"
    assert body["acting_membership"]["role"] == "clinician"
    assert body["acting_membership"]["organisation"]["name"] == "Riverside Surgery"
    assert body["authenticated_by"] == "token"


def test_me_acts_through_the_tokens_membership(api_as) -> None:  # noqa: ANN001
    body = api_as("privacy.uk", org="Hillside Medical Practice").get("/me").json()
    assert body["acting_membership"]["organisation"]["name"] == "Hillside Medical Practice"
    assert {m["organisation"]["name"] for m in body["memberships"]} == {
        "Riverside Surgery", "Hillside Medical Practice"}


def test_me_refuses_anonymous(anonymous: ApiClient) -> None:
    assert_problem(anonymous.get("/me"), 401)


def test_me_with_an_inactive_membership_token_is_401(api_as, actor_for) -> None:  # noqa: ANN001
    api = api_as("gp.uk")
    membership = actor_for("gp.uk").membership
    membership.is_active = False
    membership.save()
    assert_problem(api.get("/me"), 401)
    assert not AuditEvent.objects.filter(username="gp.uk", channel="api").exists()
