"""Every row of the policy table through the real doors: the service (the gate), the page and
the API, each with an actor who may and actors who may not.

The cast (the demo): Arthur Penrose was registered by Riverside Surgery (gp.uk, a
clinician); Northshire Council (sw.uk, a social worker) and Oakwood Care Home (home.uk, a
care worker) are on his care team; Hillside (outsider.uk) is not, and breaks the glass.
Karim Haddad was registered by Vårdcentralen Nordstan (gp.se); Göteborgs Stad (sw.se) is on
his care team without his consent. Maya Okafor objected to sharing with the council.

A refusal is a 404 everywhere (nothing leaks); a rule about a field of a form the actor may
otherwise send (identity details) is a form error / 422 naming the field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from careweave.access import services as access
from careweave.access.gate import AccessDenied
from careweave.access.models import CareTeamMember, Consent, JoinRequest
from careweave.audit.models import AuditEvent
from careweave.core.errors import ServiceError, ValidationFailed
from careweave.people import services as people
from careweave.people.models import Person
from tests.support import date_parts, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def glass(actor_for, arthur):  # noqa: ANN001, ANN201
    """outsider.uk (Hillside) breaks the glass on Arthur: it may read, nothing more."""
    access.break_glass_start(actor=actor_for("outsider.uk"), person_id=arthur.pk,
                             reason="Unconscious in A&E, need the medicines list")
    return actor_for("outsider.uk")


def member(person: Person, org_name: str) -> CareTeamMember:
    return CareTeamMember.objects.get(person=person, organisation__name=org_name,
                                      end_date__isnull=True)


def api_status(api_as: Callable[..., Any], username: str, method: str, path: str,
               body: dict[str, Any], **headers: str) -> int:
    client = api_as(username)
    return getattr(client, method)(path, body, **headers).status_code


# -- change demographics -------------------------------------------------------------------


def test_demographics_care_team_may_change(actor_for, arthur, api_as) -> None:  # noqa: ANN001
    for username in ("gp.uk", "home.uk"):  # registering; care team (a care worker)
        person = people.person_update(actor=actor_for(username), person_id=arthur.pk,
                                      changes={"phone": f"0161 {username[:2]}"})
        assert person.phone == f"0161 {username[:2]}"
    arthur.refresh_from_db()
    status = api_status(api_as, "sw.uk", "patch", f"/people/{arthur.pk}", {"phone": "1"},
                        HTTP_IF_MATCH=arthur.etag)
    assert status == 200


def test_demographics_break_glass_and_strangers_may_not(glass, actor_for, arthur, api_as,  # noqa: ANN001
                                                        client: Client) -> None:
    for actor in (glass, actor_for("analyst.uk")):
        with pytest.raises(AccessDenied):
            people.person_update(actor=actor, person_id=arthur.pk, changes={"phone": "999"})
    assert api_status(api_as, "outsider.uk", "patch", f"/people/{arthur.pk}",
                      {"phone": "999"}, HTTP_IF_MATCH=arthur.etag) == 404
    sign_in(client, "outsider.uk")
    url = reverse("people:person_edit", kwargs={"person_id": arthur.pk})
    assert client.get(url).status_code == 404
    assert client.post(url, {"given_name": "X", "family_name": "Y", "version": "1"}).status_code \
        == 404
    arthur.refresh_from_db()
    assert arthur.phone != "999" and arthur.given_name == "Arthur"


def test_network_break_glass_may_not_add(glass, arthur, client: Client) -> None:  # noqa: ANN001
    sign_in(client, "outsider.uk")
    url = reverse("people:network_add", kwargs={"person_id": arthur.pk})
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "Eve", "relationship": "friend"}).status_code == 404
    assert not arthur.network.filter(name="Eve").exists()


# -- change identity -------------------------------------------------------------------------


def test_identity_only_the_registering_organisation(actor_for, arthur, api_as,  # noqa: ANN001
                                                    client: Client) -> None:
    born = dt.date(1934, 5, 3)
    # the council may change Arthur's phone but not his date of birth
    with pytest.raises(ValidationFailed) as refused:
        people.person_update(actor=actor_for("sw.uk"), person_id=arthur.pk,
                             changes={"birth_date": born})
    assert "birth_date" in refused.value.errors
    assert AuditEvent.objects.filter(username="sw.uk", outcome="denied", person_id=arthur.pk,
                                     action="update").exists()
    response = api_as("sw.uk").patch(f"/people/{arthur.pk}", {"birth_date": "1934-05-03"},
                                     HTTP_IF_MATCH=arthur.etag)
    assert response.status_code == 422 and "birth_date" in response.json()["errors"]
    # ... and its edit page does not offer it
    sign_in(client, "sw.uk")
    page = client.get(reverse("people:person_edit", kwargs={"person_id": arthur.pk}))
    assert page.status_code == 200 and 'name="birth_date_day"' not in page.content.decode()
    assert "Only Riverside Surgery, which registered this person" in page.content.decode()
    # the registering GP may, and the audit keeps before and after
    person = people.person_update(actor=actor_for("gp.uk"), person_id=arthur.pk,
                                  changes={"birth_date": born})
    assert person.birth_date == born
    event = AuditEvent.objects.filter(person_id=arthur.pk, detail__change="identity").get()
    assert event.detail["before"]["birth_date"] == "1934-05-02"
    assert event.detail["after"]["birth_date"] == "1934-05-03"


def test_country_changes_only_with_a_reason_by_the_registering_organisation(
        actor_for, person_named, api_as, client: Client, demo) -> None:  # noqa: ANN001
    """The finding: a PATCH of country from SE to GB opened Karim's record to the
    socialtjänst. Now no PATCH changes the country; the registering organisation does, with
    a reason, audited."""
    karim = person_named("Karim", "Haddad")
    gp = api_as("gp.se")
    response = gp.patch(f"/people/{karim.pk}", {"country": "GB"}, HTTP_IF_MATCH=karim.etag)
    assert response.status_code == 422 and "country" in response.json()["errors"]
    karim.refresh_from_db()
    assert karim.country == "SE"
    # nobody else may change it, on the page or through the API
    for username in ("sw.se", "outsider.uk"):
        assert api_status(api_as, username, "post", f"/people/{karim.pk}/country",
                          {"country": "GB", "reason": "Moved to England last month"},
                          HTTP_IF_MATCH=karim.etag) == 404
    sign_in(client, "sw.se")
    assert client.get(reverse("people:change_country", kwargs={"person_id": karim.pk})) \
        .status_code == 404
    # a reason is required; then it changes, with before and after in the audit
    assert gp.post(f"/people/{karim.pk}/country", {"country": "GB", "reason": "​​​"},
                   HTTP_IF_MATCH=karim.etag).status_code == 422
    sign_in(client, "gp.se")
    url = reverse("people:change_country", kwargs={"person_id": karim.pk})
    response = client.post(url, {"country": "GB", "reason": "Moved to England last month",
                                 "version": str(karim.version)})
    assert response.status_code == 302
    karim.refresh_from_db()
    assert karim.country == "GB"
    event = AuditEvent.objects.filter(person_id=karim.pk, detail__change="identity").get()
    assert (event.detail["before"]["country"], event.detail["after"]["country"]) == ("SE", "GB")
    assert event.detail["reason"] == "Moved to England last month"


# -- transfer the registration -----------------------------------------------------------------


def test_transfer_registration(actor_for, arthur, org, api_as, glass, client: Client) -> None:  # noqa: ANN001, E501
    council = org("Northshire Council Adult Social Care")
    for actor in (actor_for("sw.uk"), glass):
        with pytest.raises(AccessDenied):
            access.transfer_registration(actor=actor, person_id=arthur.pk,
                                         organisation_id=council.pk, reason="Taking over care")
    assert api_status(api_as, "sw.uk", "post", f"/people/{arthur.pk}/registration",
                      {"organisation_id": str(council.pk), "reason": "Taking over care"}) == 404
    # not to an organisation outside the care team
    with pytest.raises(ValidationFailed):
        access.transfer_registration(actor=actor_for("gp.uk"), person_id=arthur.pk,
                                     organisation_id=org("Hillside Medical Practice").pk,
                                     reason="Registered at Hillside now")
    sign_in(client, "gp.uk")
    url = reverse("access:transfer_registration", kwargs={"person_id": arthur.pk})
    assert "Oakwood Care Home" in client.get(url).content.decode()
    response = client.post(url, {"organisation_id": str(council.pk),
                                 "reason": "The council coordinates his care now"})
    assert response.status_code == 302
    arthur.refresh_from_db()
    assert arthur.registered_by == council
    # Riverside is an ordinary care-team member now: it may leave; the council may not
    access.care_team_end(actor=actor_for("gp.uk"), member_id=member(arthur, "Riverside Surgery").pk,
                         reason="Moved practice")
    with pytest.raises(ValidationFailed, match="registered this person"):
        access.care_team_end(actor=actor_for("sw.uk"),
                             member_id=member(arthur, council.name).pk)


# -- the care team -------------------------------------------------------------------------


def test_add_to_the_care_team(actor_for, arthur, org, api_as, glass, client: Client) -> None:  # noqa: ANN001, E501
    befriend = org("Riverside Befriending Trust")
    homecare = org("Northshire Home Care")
    # may: the registering GP and the council (care team), on every door
    access.care_team_add(actor=actor_for("gp.uk"), person_id=arthur.pk,
                         organisation_id=befriend.pk, role="Befriender")
    assert api_status(api_as, "sw.uk", "post", f"/people/{arthur.pk}/care-team",
                      {"organisation_id": str(homecare.pk), "role": "Home care"}) == 201
    # may not: a care worker, emergency access, a stranger
    hospital = org("St Mary's Hospital")
    for actor in (actor_for("home.uk"), glass):
        with pytest.raises(AccessDenied):
            access.care_team_add(actor=actor, person_id=arthur.pk, organisation_id=hospital.pk,
                                 role="Ward")
    for username in ("home.uk", "outsider.uk"):
        assert api_status(api_as, username, "post", f"/people/{arthur.pk}/care-team",
                          {"organisation_id": str(hospital.pk), "role": "Ward"}) == 404
        sign_in(client, username)
        url = reverse("access:care_team_add", kwargs={"person_id": arthur.pk})
        assert client.get(url).status_code == 404
        assert client.post(url, {"organisation_id": str(hospital.pk), "role": "Ward",
                                 **date_parts("start_date", None)}).status_code == 404
    assert not CareTeamMember.objects.filter(person=arthur, organisation=hospital).exists()
    # the same organisation cannot be added twice
    with pytest.raises(ValidationFailed) as twice:
        access.care_team_add(actor=actor_for("gp.uk"), person_id=arthur.pk,
                             organisation_id=befriend.pk, role="Befriender again")
    assert twice.value.errors["organisation_id"] == [
        "Riverside Befriending Trust is already on the care team."]


def test_break_glass_never_leads_into_the_care_team_or_consent(glass, arthur, org, actor_for,  # noqa: ANN001, E501
                                                               settings) -> None:
    """The finding: after breaking the glass, outsider.uk added Hillside to the care team
    and recorded a consent for itself, and so kept seeing Arthur after the 4 hours."""
    hillside = org("Hillside Medical Practice")
    with pytest.raises(AccessDenied):
        access.care_team_add(actor=glass, person_id=arthur.pk, organisation_id=hillside.pk,
                             role="GP")
    with pytest.raises(AccessDenied):
        access.consent_record(actor=glass, person_id=arthur.pk, purpose="direct_care",
                              decision="permit", organisation_ids=[hillside.pk])
    from careweave.access.models import BreakGlass

    BreakGlass.objects.filter(person=arthur).update(expires_at=timezone.now())
    from careweave.access.gate import decide

    assert not decide(actor_for("outsider.uk"), arthur).allowed


def test_leave_and_end_places_on_the_care_team(actor_for, arthur, api_as, glass,  # noqa: ANN001
                                               client: Client) -> None:
    oakwood = member(arthur, "Oakwood Care Home")
    council = member(arthur, "Northshire Council Adult Social Care")
    riverside = member(arthur, "Riverside Surgery")
    # the council may not end Oakwood's place, nor emergency access anyone's
    with pytest.raises(AccessDenied):
        access.care_team_end(actor=actor_for("sw.uk"), member_id=oakwood.pk)
    with pytest.raises(AccessDenied):
        access.care_team_end(actor=glass, member_id=oakwood.pk)
    assert api_status(api_as, "sw.uk", "post",
                      f"/people/{arthur.pk}/care-team/{oakwood.pk}/end", {"reason": "x"}) == 404
    # nobody ends the registering organisation's place
    with pytest.raises(ValidationFailed, match="Transfer the registration"):
        access.care_team_end(actor=actor_for("gp.uk"), member_id=riverside.pk)
    response = api_as("gp.uk").post(f"/people/{arthur.pk}/care-team/{riverside.pk}/end",
                                    {"reason": "Tidying up"})
    assert response.status_code == 422
    # the council may leave itself (page); the registering GP may end Oakwood's place (API)
    sign_in(client, "sw.uk")
    url = reverse("access:care_team_end", kwargs={"person_id": arthur.pk,
                                                  "member_id": council.pk})
    assert client.post(url, {"reason": "No longer involved"}).status_code == 302
    assert api_status(api_as, "gp.uk", "post", f"/people/{arthur.pk}/care-team/{oakwood.pk}/end",
                      {"reason": "Moved out"}) == 200
    assert CareTeamMember.objects.filter(person=arthur, end_date__isnull=True).count() == 1


# -- consent ---------------------------------------------------------------------------------


def test_record_and_withdraw_consent(actor_for, arthur, maya, person_named, api_as, glass,  # noqa: ANN001
                                     client: Client) -> None:
    # may: the registering GP and the council
    consent = access.consent_record(actor=actor_for("gp.uk"), person_id=arthur.pk,
                                    purpose="direct_care", decision="permit")
    assert api_status(api_as, "sw.uk", "post", f"/people/{arthur.pk}/consents/{consent.pk}"
                      "/withdraw", {"reason": "Changed his mind"}) == 200
    # may not: a care worker, emergency access, an organisation without consent to read
    for actor in (actor_for("home.uk"), glass):
        with pytest.raises(AccessDenied):
            access.consent_record(actor=actor, person_id=arthur.pk, purpose="direct_care",
                                  decision="permit")
    karim = person_named("Karim", "Haddad")
    with pytest.raises(AccessDenied):  # the finding: sw.se recorded a consent for itself
        access.consent_record(actor=actor_for("sw.se"), person_id=karim.pk,
                              purpose="coordination", decision="permit")
    sign_in(client, "home.uk")
    url = reverse("access:consent_add", kwargs={"person_id": arthur.pk})
    assert client.get(url).status_code == 404
    assert client.post(url, {"purpose": "direct_care", "decision": "deny"}).status_code == 404


def test_break_glass_cannot_withdraw_an_objection(actor_for, maya) -> None:  # noqa: ANN001
    """The finding: sw.uk broke the glass on Maya, who objected to sharing with the council,
    and withdrew her objection."""
    sw = actor_for("sw.uk")
    access.break_glass_start(actor=sw, person_id=maya.pk,
                             reason="Safeguarding concern reported tonight")
    objection = Consent.objects.get(person=maya, decision="deny")
    with pytest.raises(AccessDenied):
        access.consent_withdraw(actor=sw, consent_id=objection.pk, reason="Not needed")
    objection.refresh_from_db()
    assert objection.withdrawn_at is None


# -- requests to join a care team ----------------------------------------------------------


def test_a_refused_create_offers_a_request_to_join(actor_for, arthur, api_as,  # noqa: ANN001
                                                   client: Client) -> None:
    outsider = actor_for("outsider.uk")
    with pytest.raises(ServiceError) as refused:
        people.person_create(actor=outsider, data={
            "given_name": "Arthur", "family_name": "Penrose", "birth_date": dt.date(1934, 5, 2)},
            identifiers=[("nhs", "943 476 5919")])
    assert refused.value.status == 409 and refused.value.extra.get("join_request")
    assert "Penrose" not in refused.value.message
    lookup = AuditEvent.objects.filter(action="lookup", outcome="denied",
                                       username="outsider.uk").get()
    assert lookup.person_id == arthur.pk  # the registering organisation's audit can find it
    body = api_as("outsider.uk").post("/people", {
        "given_name": "A", "family_name": "P", "birth_date": "1934-05-02",
        "identifiers": [{"system": "nhs", "value": "9434765919"}]}).json()
    assert body["status"] == 409 and body["join_request"].endswith("/care-team-requests")
    assert "existing" not in body or body["existing"] is None
    # the request: the same neutral answer whether or not there is such a record
    api = api_as("outsider.uk")
    for identifier in ("943 476 5919", "401 023 2137"):
        response = api.post("/care-team-requests", {"identifier": identifier, "role": "GP",
                                                     "reason": "Registered with us as a temporary resident"})
        assert response.status_code == 202
    assert JoinRequest.objects.count() == 1
    # a care worker may not ask; the page says so
    assert api_as("home.uk").post("/care-team-requests", {
        "identifier": "943 476 5919", "role": "x", "reason": "I would like to see"
    }).status_code == 403
    sign_in(client, "home.uk")
    assert "Your role cannot ask" in client.get(reverse("access:join_request_new")).content \
        .decode()


def test_the_registering_organisation_decides_requests(actor_for, arthur, api_as,  # noqa: ANN001
                                                       client: Client) -> None:
    access.join_request_create(actor=actor_for("outsider.uk"), identifier="9434765919",
                               role="Temporary GP", reason="Registered with us for a month")
    request = JoinRequest.objects.get()
    # the council (care team) and the requester cannot decide, or even see it
    assert api_as("sw.uk").get("/care-team-requests").json()["items"] == []
    for username in ("sw.uk", "outsider.uk"):
        assert api_status(api_as, username, "post",
                          f"/care-team-requests/{request.pk}/decision", {"decision": "accept"}) \
            == 404
        sign_in(client, username)
        assert client.get(reverse("access:join_request_decide",
                                  kwargs={"request_id": request.pk})).status_code == 404
    with pytest.raises(AccessDenied):
        access.join_request_decide(actor=actor_for("sw.uk"), request_id=request.pk,
                                   accept=True)
    # the registering GP sees it on the person page and in the list, and accepts
    sign_in(client, "gp.uk")
    page = client.get(reverse("people:person_detail", kwargs={"person_id": arthur.pk}))
    assert "Hillside Medical Practice asked to join as Temporary GP" in page.content.decode()
    listed = api_as("gp.uk").get("/care-team-requests").json()["items"]
    assert [i["id"] for i in listed] == [str(request.pk)]
    response = client.post(reverse("access:join_request_decide",
                                   kwargs={"request_id": request.pk}),
                           {"decision": "accept", "note": "Welcome"})
    assert response.status_code == 302
    from careweave.access.gate import decide

    assert decide(actor_for("outsider.uk"), arthur).basis == "implied-consent-direct-care"
    with pytest.raises(ValidationFailed, match="already been decided"):
        access.join_request_decide(actor=actor_for("gp.uk"), request_id=request.pk,
                                   accept=False)


def test_refused_lookups_are_limited_per_user(actor_for, arthur, settings) -> None:  # noqa: ANN001
    settings.CAREWEAVE = {**settings.CAREWEAVE, "LOOKUP_REFUSALS_PER_HOUR": 3}
    outsider = actor_for("outsider.uk")
    statuses = []
    for _ in range(5):
        try:
            people.person_create(actor=outsider, data={
                "given_name": "A", "family_name": "P", "birth_date": dt.date(1934, 5, 2)},
                identifiers=[("nhs", "9434765919")], confirm_similar=True)
        except ServiceError as exc:
            statuses.append(exc.status)
    assert statuses == [409, 409, 409, 429, 429]
    assert AuditEvent.objects.filter(action="lookup", username="outsider.uk").count() == 5


def test_the_privacy_lead_sees_refused_lookups(actor_for, arthur, client: Client) -> None:  # noqa: ANN001
    with pytest.raises(ServiceError):
        people.person_create(actor=actor_for("outsider.uk"), data={
            "given_name": "A", "family_name": "P", "birth_date": dt.date(1934, 5, 2)},
            identifiers=[("nhs", "9434765919")])
    sign_in(client, "privacy.uk", org="Hillside Medical Practice")
    page = client.get(reverse("audit:break_glass_report")).content.decode()
    assert "Refused identifier lookups" in page and "outsider.uk" in page


# -- bounds on break-glass and consent -------------------------------------------------------


@pytest.mark.parametrize("reason", ["\u200b" * 20, " " * 30, "\u200b\u200c\u200d\ufeff" * 5,
                                    "ok ok ok"])
def test_break_glass_needs_a_reason_one_can_read(actor_for, arthur, reason: str) -> None:  # noqa: ANN001, E501
    with pytest.raises(ValidationFailed) as refused:
        access.break_glass_start(actor=actor_for("outsider.uk"), person_id=arthur.pk,
                                 reason=reason)
    assert "reason" in refused.value.errors


def test_break_glass_renewal_needs_a_new_reason_and_has_a_daily_limit(actor_for, arthur,  # noqa: ANN001
                                                                      settings) -> None:
    settings.CAREWEAVE = {**settings.CAREWEAVE, "BREAK_GLASS_MAX_PER_DAY": 2}
    outsider = actor_for("outsider.uk")
    first = access.break_glass_start(actor=outsider, person_id=arthur.pk,
                                     reason="Unconscious in A&E, need the medicines list")
    with pytest.raises(ValidationFailed) as same:
        access.break_glass_start(actor=outsider, person_id=arthur.pk,
                                 reason="  unconscious in A&E,  need the medicines list ")
    assert "reason" in same.value.errors
    second = access.break_glass_start(actor=outsider, person_id=arthur.pk,
                                      reason="Still in resus; checking allergies now")
    first.refresh_from_db()
    assert first.ended_at is not None and second.ended_at is None
    with pytest.raises(ValidationFailed, match="the most allowed"):
        access.break_glass_start(actor=outsider, person_id=arthur.pk,
                                 reason="Transferred to the ward, need the care plan")


def test_break_glass_is_not_for_records_one_can_see(actor_for, arthur) -> None:  # noqa: ANN001
    with pytest.raises(ValidationFailed, match="already see this record"):
        access.break_glass_start(actor=actor_for("sw.uk"), person_id=arthur.pk,
                                 reason="Checking something out of hours")


@pytest.mark.parametrize("valid_from,valid_to", [
    (dt.datetime(1, 1, 1, tzinfo=dt.UTC), None),
    (dt.datetime(1899, 12, 31, tzinfo=dt.UTC), None),
    (None, dt.datetime(9999, 12, 31, tzinfo=dt.UTC)),
    (timezone.now() + dt.timedelta(days=800), None),
])
def test_consent_dates_must_be_sane(actor_for, arthur, valid_from, valid_to, api_as,  # noqa: ANN001
                                    client: Client) -> None:
    with pytest.raises(ValidationFailed):
        access.consent_record(actor=actor_for("gp.uk"), person_id=arthur.pk,
                              purpose="direct_care", decision="permit",
                              valid_from=valid_from, valid_to=valid_to)
    body = {"purpose": "direct_care", "decision": "permit"}
    if valid_from:
        body["valid_from"] = valid_from.isoformat()
    if valid_to:
        body["valid_to"] = valid_to.isoformat()
    assert api_status(api_as, "gp.uk", "post", f"/people/{arthur.pk}/consents", body) == 422
    # the person's pages still work (the finding: a consent from year 1 made them a 500)
    sign_in(client, "gp.uk")
    assert client.get(reverse("people:person_detail", kwargs={"person_id": arthur.pk})) \
        .status_code == 200


def test_one_viewed_event_per_request(actor_for, arthur, client: Client) -> None:  # noqa: ANN001
    sign_in(client, "gp.uk")
    before = AuditEvent.objects.filter(person_id=arthur.pk, action="read").count()
    client.get(reverse("people:person_detail", kwargs={"person_id": arthur.pk}))
    client.get(reverse("access:care_team_add", kwargs={"person_id": arthur.pk}))
    after = AuditEvent.objects.filter(person_id=arthur.pk, action="read").count()
    assert after - before == 2
