"""A query budget per hot request (issue 11): the person read through the API and the page,
search, the caseload and create each run a fixed, small number of SQL statements, and the
number does not grow with the care team, consents, identifiers or the timeline.

An audited request's event costs one statement on both databases (the insert; it is sealed
into its chain after commit, docs/adr/0012), two with CAREWEAVE_AUDIT_SEAL=request (the
chain's head, then the insert). Timings are never asserted (bench/ measures speed)."""

from __future__ import annotations

import datetime as dt

import pytest

from careweave.access.models import CareTeamMember, Consent
from careweave.orgs.models import Organisation
from careweave.people.timeline import timeline_add

pytestmark = pytest.mark.django_db

BUDGET = {
    "person API": 10,
    "search API": 8,
    "caseload API": 8,
    "create API": 14,
    # + notes (warnings banner 1, contacts 1, case notes 2) and medicines (list, last review)
    # + plans (the plans panel 1, the crisis banner 1)
    # + assessments (safety-flag banner 1, latest scores 1, drafts 1)
    "person page": 30,
    # + the warnings flag (notes), the review-overdue flag (plans), the safety flag (assessments)
    "caseload page": 15,
}


def grow_the_record(person, actor) -> None:  # noqa: ANN001
    """More of everything the person page and the reads could load per row."""
    orgs = list(Organisation.objects.filter(country=person.country))
    for org in orgs[:5]:
        CareTeamMember.objects.get_or_create(person=person, organisation=org, defaults={
            "role": "Extra", "start_date": dt.date(2025, 1, 1)})
    for _ in range(5):
        consent = Consent.objects.create(person=person, purpose="coordination",
                                         decision="permit", given_by="person", method="verbal",
                                         valid_from=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
                                         covers_all_organisations=False)
        consent.organisations.set(orgs[:3])
    for i in range(30):
        timeline_add(actor=actor, person_id=person.pk, kind="people.address_changed",
                     data={"before": [], "after": [f"{i} Budget Road"]})
    person.network.create(name="Extra Friend", relationship="friend")


@pytest.fixture
def requests(api_as, login_as, arthur):  # noqa: ANN001, ANN201
    api = api_as("sw.uk")  # a care-team organisation: the gate reads consents too
    page = login_as("sw.uk")
    page.get("/caseload/")  # warm the session
    return {
        "person API": lambda: api.get(f"/people/{arthur.pk}"),
        "search API": lambda: api.get("/people?q=penrose"),
        "caseload API": lambda: api.get("/people"),
        "person page": lambda: page.get(f"/people/{arthur.pk}/"),
        "caseload page": lambda: page.get("/caseload/"),
    }


@pytest.mark.parametrize("name", ["person API", "search API", "caseload API", "person page",
                                  "caseload page"])
def test_hot_reads_stay_within_budget_as_the_record_grows(
        name: str, requests, arthur, actor_for, django_assert_max_num_queries) -> None:  # noqa: ANN001, E501
    with django_assert_max_num_queries(BUDGET[name]):
        assert requests[name]().status_code == 200
    grow_the_record(arthur, actor_for("gp.uk"))
    with django_assert_max_num_queries(BUDGET[name]):
        assert requests[name]().status_code == 200


def test_create_stays_within_budget(api_as, django_assert_max_num_queries) -> None:  # noqa: ANN001
    api = api_as("gp.uk")
    body = {"given_name": "Budget", "family_name": "Åström", "birth_date": "1950-01-01",
            "identifiers": [{"system": "nhs", "value": "401 023 2137"}]}
    with django_assert_max_num_queries(BUDGET["create API"]):
        assert api.post("/people", body).status_code == 201
