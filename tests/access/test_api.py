"""Care team, consent, break-glass and the access log through the API."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from careweave.access.gate import decide
from careweave.access.models import BreakGlass, CareTeamMember, Consent
from careweave.audit.models import AuditEvent
from careweave.orgs.models import Organisation
from tests.support import ApiClient, assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def arthur(person_named):  # noqa: ANN001, ANN201
    return person_named("Arthur", "Penrose")


def org(name: str) -> Organisation:
    return Organisation.objects.get(name=name)


def denied(person) -> int:  # noqa: ANN001
    return AuditEvent.objects.filter(person_id=person.pk, outcome="denied").count()


# -- care team -----------------------------------------------------------------------------


def test_list_care_team(api_as, arthur) -> None:  # noqa: ANN001
    response = api_as("sw.uk").get(f"/people/{arthur.pk}/care-team")
    assert response.status_code == 200
    names = {m["organisation"]["name"] for m in response.json()}
    assert "Riverside Surgery" in names and len(names) == 3
    assert all(m["active"] for m in response.json())


@pytest.mark.parametrize("method", ["get", "post"])
def test_care_team_refuses_other_organisations_and_anonymous(
    api_as, anonymous: ApiClient, arthur, method: str,  # noqa: ANN001
) -> None:
    body = {"organisation_id": str(org("Hillside Medical Practice").pk), "role": "GP"}
    outsider = api_as("outsider.uk")
    before = denied(arthur)
    call = getattr(outsider, method)
    response = call(f"/people/{arthur.pk}/care-team", body) if method == "post" else call(
        f"/people/{arthur.pk}/care-team")
    assert_problem(response, 404)
    assert denied(arthur) == before + 1
    call = getattr(anonymous, method)
    assert_problem(call(f"/people/{arthur.pk}/care-team"), 401)
    assert not CareTeamMember.objects.filter(
        person=arthur, organisation__name="Hillside Medical Practice").exists()


def test_add_and_end_a_care_team_member(api_as, actor_for, arthur) -> None:  # noqa: ANN001
    api = api_as("gp.uk")
    hillside = org("Hillside Medical Practice")
    response = api.post(f"/people/{arthur.pk}/care-team",
                        {"organisation_id": str(hillside.pk), "role": "Second opinion"})
    assert response.status_code == 201, response.content
    member = response.json()
    assert member["organisation"]["id"] == str(hillside.pk) and member["active"]
    # The outsider's organisation is now on the team: the gate says yes (implied consent).
    assert decide(actor_for("outsider.uk"), arthur).allowed
    ended = api.post(f"/people/{arthur.pk}/care-team/{member['id']}/end",
                     {"reason": "Opinion given"})
    assert ended.status_code == 200, ended.content
    assert ended.json()["end_reason"] == "Opinion given"
    assert ended.json()["active"] is False
    assert not decide(actor_for("outsider.uk"), arthur).allowed
    # Ending it twice is refused.
    assert_problem(api.post(f"/people/{arthur.pk}/care-team/{member['id']}/end", {}), 422)


@pytest.mark.parametrize(("body", "field"), [
    ({"organisation_id": "not-a-uuid", "role": "GP"}, "organisation_id"),
    ({"organisation_id": str(uuid.uuid4()), "role": "GP"}, "organisation_id"),
    ({"role": "GP"}, "organisation_id"),
    ({"organisation_id": "ORG", "role": "x" * 101}, "role"),
    ({"organisation_id": "ORG", "role": ""}, "role"),
    ({"organisation_id": "ORG", "role": "GP", "colour": "red"}, "colour"),
])
def test_add_care_team_member_rejects_bad_input(api_as, arthur, body: dict, field: str) -> None:  # noqa: ANN001, E501
    if body.get("organisation_id") == "ORG":
        body = {**body, "organisation_id": str(org("Hillside Medical Practice").pk)}
    problem = assert_problem(api_as("gp.uk").post(f"/people/{arthur.pk}/care-team", body), 422)
    assert field in problem["errors"]


def test_ending_another_persons_care_team_member_is_404(api_as, arthur, person_named) -> None:  # noqa: ANN001, E501
    maya = person_named("Maya", "Okafor")
    member = CareTeamMember.objects.filter(person=maya).first()
    assert member is not None
    before = denied(arthur)
    response = api_as("gp.uk").post(f"/people/{arthur.pk}/care-team/{member.pk}/end", {})
    assert_problem(response, 404)
    assert denied(arthur) == before + 1
    member.refresh_from_db()
    assert member.end_date is None


# -- consent -------------------------------------------------------------------------------


def test_list_consents(api_as, arthur) -> None:  # noqa: ANN001
    response = api_as("gp.uk").get(f"/people/{arthur.pk}/consents")
    assert response.status_code == 200
    [consent] = response.json()
    assert consent["decision"] == "permit" and consent["in_force"]
    assert {o["name"] for o in consent["organisations"]} >= {"Oakwood Care Home"}
    assert consent["recorded_by"]["name"] == "Riverside Surgery"


def test_consents_hidden_from_others(api_as, anonymous: ApiClient, arthur) -> None:  # noqa: ANN001
    response = api_as("outsider.uk").get(f"/people/{arthur.pk}/consents")
    assert_problem(response, 404)
    assert "Oakwood" not in response.content.decode()
    assert_problem(anonymous.get(f"/people/{arthur.pk}/consents"), 401)


def test_record_and_withdraw_a_consent(api_as, actor_for, person_named) -> None:  # noqa: ANN001
    karim = person_named("Karim", "Haddad")
    sw = actor_for("sw.se")
    assert not decide(sw, karim).allowed  # Swedish rules: no consent yet
    api = api_as("gp.se")
    response = api.post(f"/people/{karim.pk}/consents",
                        {"purpose": "coordination", "decision": "permit", "method": "written"})
    assert response.status_code == 201, response.content
    consent = response.json()
    assert consent["covers_all_organisations"] and consent["in_force"]
    assert decide(sw, karim).allowed
    withdrawn = api.post(f"/people/{karim.pk}/consents/{consent['id']}/withdraw",
                         {"reason": "Changed their mind"})
    assert withdrawn.status_code == 200, withdrawn.content
    assert withdrawn.json()["in_force"] is False
    assert withdrawn.json()["withdrawn_reason"] == "Changed their mind"
    assert not decide(sw, karim).allowed
    assert_problem(api.post(f"/people/{karim.pk}/consents/{consent['id']}/withdraw", {}), 422)


@pytest.mark.parametrize(("body", "field"), [
    ({"purpose": "marketing", "decision": "permit"}, "purpose"),
    ({"purpose": "coordination", "decision": "maybe"}, "decision"),
    ({"purpose": "coordination", "decision": "permit", "given_by": "representative"},
     "representative_name"),
    ({"purpose": "coordination", "decision": "permit",
      "organisation_ids": [str(uuid.uuid4())]}, "organisation_ids"),
    ({"purpose": "coordination", "decision": "permit", "valid_from": "2030-01-01T00:00:00Z",
      "valid_to": "2029-01-01T00:00:00Z"}, "valid_to"),
    ({"purpose": "coordination", "decision": "permit", "signed": True}, "signed"),
])
def test_record_consent_rejects_bad_input(api_as, arthur, body: dict, field: str) -> None:  # noqa: ANN001, E501
    before = Consent.objects.filter(person=arthur).count()
    problem = assert_problem(api_as("gp.uk").post(f"/people/{arthur.pk}/consents", body), 422)
    assert field in problem["errors"]
    assert Consent.objects.filter(person=arthur).count() == before


def test_record_consent_for_a_hidden_person_is_404_even_with_bad_input(api_as, arthur) -> None:  # noqa: ANN001, E501
    api = api_as("outsider.uk")
    for body in ({"purpose": "coordination", "decision": "deny"}, {"purpose": "nonsense"}):
        assert_problem(api.post(f"/people/{arthur.pk}/consents", body), 404)
    assert Consent.objects.filter(person=arthur).count() == 1


def test_withdrawing_another_persons_consent_is_404(api_as, arthur, person_named) -> None:  # noqa: ANN001, E501
    maya_consent = Consent.objects.get(person=person_named("Maya", "Okafor"))
    response = api_as("gp.uk").post(
        f"/people/{arthur.pk}/consents/{maya_consent.pk}/withdraw", {})
    assert_problem(response, 404)
    maya_consent.refresh_from_db()
    assert maya_consent.withdrawn_at is None


# -- break-glass ---------------------------------------------------------------------------


def test_break_glass_opens_one_record_for_a_time(api_as, arthur) -> None:  # noqa: ANN001
    api = api_as("outsider.uk")
    assert_problem(api.get(f"/people/{arthur.pk}"), 404)
    response = api.post("/break-glass", {"identifier": "943 476 5919",
                                         "reason": "Unconscious in A&E, need medication list"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["person_id"] == str(arthur.pk)
    assert body["url"] == f"/api/v1/people/{arthur.pk}"
    expires = BreakGlass.objects.get(pk=body["id"]).expires_at
    assert expires > timezone.now()
    assert body["expires_at"].startswith(expires.isoformat()[:16])
    opened = api.get(f"/people/{arthur.pk}")
    assert opened.status_code == 200
    assert opened.json()["access_basis"] == "break-glass"
    assert AuditEvent.objects.filter(person_id=arthur.pk, action="break_glass",
                                     username="outsider.uk").exists()


@pytest.mark.parametrize(("body", "field"), [
    ({"identifier": "9434765919"}, "reason"),
    ({"identifier": "9434765919", "reason": ""}, "reason"),
    ({"identifier": "9434765919", "reason": "urgent"}, "reason"),
    ({"identifier": "123", "reason": "Collapsed at home, no records"}, "identifier"),
    ({"reason": "Collapsed at home, no records"}, "identifier"),
    ({"identifier": "9434765919", "reason": "x" * 1001}, "reason"),
])
def test_break_glass_needs_a_reason_and_a_person(api_as, body: dict, field: str) -> None:  # noqa: ANN001, E501
    problem = assert_problem(api_as("outsider.uk").post("/break-glass", body), 422)
    assert field in problem["errors"]
    assert not BreakGlass.objects.filter(reason__contains="Collapsed").exists()


def test_break_glass_for_nobody_is_404(api_as) -> None:  # noqa: ANN001
    for body in ({"identifier": "401 023 2137"}, {"person_id": str(uuid.uuid4())}):
        response = api_as("outsider.uk").post(
            "/break-glass", {**body, "reason": "Collapsed at home, no records"})
        assert_problem(response, 404)


def test_break_glass_is_for_clinicians_only(api_as, anonymous: ApiClient, arthur) -> None:  # noqa: ANN001, E501
    body = {"person_id": str(arthur.pk), "reason": "Just curious about this person"}
    for api in (api_as("analyst.uk"), api_as("home.uk")):
        assert_problem(api.post("/break-glass", body), 403)
    assert_problem(anonymous.post("/break-glass", body), 401)
    assert not BreakGlass.objects.filter(reason__startswith="Just curious").exists()


# -- the person's access log ---------------------------------------------------------------


def test_access_log_in_plain_language(api_as, arthur) -> None:  # noqa: ANN001
    api_as("sw.uk").get(f"/people/{arthur.pk}")
    response = api_as("gp.uk").get(f"/people/{arthur.pk}/access-log?size=5")
    assert response.status_code == 200
    items = response.json()["items"]
    assert items[0]["what"] == "looked at your record"  # this very read
    assert items[1]["organisation"] == "Northshire Council Adult Social Care"
    assert items[1]["role"] == "Social worker"
    assert "username" not in items[0] and "sw.uk" not in response.content.decode()


def test_access_log_hidden_from_others(api_as, anonymous: ApiClient, arthur) -> None:  # noqa: ANN001, E501
    assert_problem(api_as("outsider.uk").get(f"/people/{arthur.pk}/access-log"), 404)
    assert_problem(anonymous.get(f"/people/{arthur.pk}/access-log"), 401)
