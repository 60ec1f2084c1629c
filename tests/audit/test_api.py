"""The privacy lead's audit log through the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from careweave.audit.models import AuditEvent
from tests.support import ApiClient, assert_problem

pytestmark = pytest.mark.django_db


# -- audit ---------------------------------------------------------------------------------


def test_privacy_lead_reads_their_organisations_audit_log(api_as, person_named) -> None:  # noqa: ANN001, E501
    arthur = person_named("Arthur", "Penrose")
    api_as("gp.uk").get(f"/people/{arthur.pk}")
    api_as("sw.uk").get(f"/people/{arthur.pk}")  # another organisation: not in this log
    lead = api_as("privacy.uk", org="Riverside Surgery")
    response = lead.get(f"/audit?person={arthur.pk}")
    assert response.status_code == 200
    items = response.json()["items"]
    assert items, "the GP's read should be listed"
    assert {i["username"] for i in items} == {"gp.uk"}
    assert items[0]["action"] == "read" and items[0]["outcome"] == "allowed"
    assert items[0]["person_id"] == str(arthur.pk) and items[0]["channel"] == "api"


def test_audit_filters(api_as, person_named) -> None:  # noqa: ANN001
    arthur = person_named("Arthur", "Penrose")
    gp = api_as("gp.uk")
    gp.get(f"/people/{arthur.pk}")
    gp.get("/people?q=penrose")
    lead = api_as("privacy.uk", org="Riverside Surgery")
    searches = lead.get("/audit?user=gp.uk&action=search").json()["items"]
    assert searches and all(i["action"] == "search" for i in searches)
    assert lead.get("/audit?user=nobody").json()["items"] == []
    today = timezone.localdate()
    assert lead.get(f"/audit?from={today}&to={today}&user=gp.uk").json()["items"]
    tomorrow = today + dt.timedelta(days=1)
    assert lead.get(f"/audit?from={tomorrow}").json()["items"] == []
    riverside = gp.get("/me").json()["acting_membership"]["organisation"]["id"]
    assert lead.get(f"/audit?organisation={riverside}&user=gp.uk").json()["items"]
    hillside = api_as("outsider.uk").get("/me").json()["acting_membership"]["organisation"]["id"]
    assert lead.get(f"/audit?organisation={hillside}").json()["items"] == []


def test_audit_pages(api_as, person_named) -> None:  # noqa: ANN001
    arthur = person_named("Arthur", "Penrose")
    gp = api_as("gp.uk")
    for _ in range(5):
        gp.get(f"/people/{arthur.pk}")
    lead = api_as("privacy.uk", org="Riverside Surgery")
    first = lead.get("/audit?size=2").json()
    second = lead.get(f"/audit?size=2&cursor={first['next_cursor']}").json()
    ids = [i["id"] for i in first["items"] + second["items"]]
    assert len(set(ids)) == 4 and ids == sorted(ids, reverse=True)


@pytest.mark.parametrize("query", ["from=yesterday", "person=123", "action=delete",
                                   "size=1000", "user=" + "u" * 151])
def test_audit_rejects_bad_filters(api_as, query: str) -> None:  # noqa: ANN001
    assert_problem(api_as("privacy.uk", org="Riverside Surgery").get(f"/audit?{query}"), 422)


@pytest.mark.parametrize("username", ["gp.uk", "sw.uk", "analyst.uk", "outsider.uk"])
def test_audit_log_is_not_there_for_anyone_else(api_as, username: str) -> None:  # noqa: ANN001
    response = api_as(username).get("/audit")
    assert_problem(response, 404)
    assert "gp.uk" not in response.content.decode()


def test_audit_log_refuses_anonymous(anonymous: ApiClient) -> None:
    assert_problem(anonymous.get("/audit"), 401)


def test_reading_the_audit_log_is_audited(api_as) -> None:  # noqa: ANN001
    api = api_as("privacy.uk", org="Riverside Surgery")
    before = AuditEvent.objects.filter(object_type="AuditEvent", username="privacy.uk").count()
    assert api.get("/audit?size=5").status_code == 200
    events = AuditEvent.objects.filter(object_type="AuditEvent", username="privacy.uk")
    assert events.count() == before + 1
    assert events.order_by("-id").first().action == "search"


def test_a_refused_audit_read_is_audited_as_denied(api_as) -> None:  # noqa: ANN001
    assert_problem(api_as("gp.uk").get("/audit"), 404)
    assert AuditEvent.objects.filter(object_type="AuditEvent", username="gp.uk",
                                     outcome="denied").exists()
