"""Care team, consent and break-glass pages, in the browser (the Django test client),
with people who may and people who may not."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from careweave.access.gate import decide
from careweave.access.models import BreakGlass, CareTeamMember, Consent
from careweave.audit.models import AuditEvent
from careweave.orgs.models import Membership
from careweave.people.models import Person, RelatedPerson
from tests.support import date_parts, messages_of, sign_in, text

pytestmark = pytest.mark.django_db

ARTHUR_NHS = "943 476 5919"


def person_routes(person: Person) -> list[str]:
    """Every person-scoped page of this module, for ``person``."""
    member = CareTeamMember.objects.filter(person=person).first()
    consent = Consent.objects.filter(person=person).first()
    assert member is not None and consent is not None
    kw = {"person_id": person.pk}
    return [
        reverse("access:care_team_add", kwargs=kw),
        reverse("access:care_team_end", kwargs={**kw, "member_id": member.pk}),
        reverse("access:consent_add", kwargs=kw),
        reverse("access:consent_withdraw", kwargs={**kw, "consent_id": consent.pk}),
        reverse("people:network_add", kwargs=kw),
        reverse("audit:access_log", kwargs=kw),
    ]


# -- who may open the person-scoped pages ----------------------------------------------------


def test_care_team_member_may_open_every_person_page(client: Client, arthur: Person) -> None:
    sign_in(client, "gp.uk")
    for url in person_routes(arthur):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Arthur Penrose" in text(response), url


@pytest.mark.parametrize("username", ["outsider.uk", "analyst.uk", "gp.se"])
def test_organisation_outside_the_care_team_gets_404(client: Client, arthur: Person,
                                                     username: str) -> None:
    sign_in(client, username)
    for url in person_routes(arthur):
        assert client.get(url).status_code == 404, url
    for url in person_routes(arthur)[:-1]:  # the access log is GET only
        assert client.post(url, {"reason": "Moved away from the area"}).status_code == 404, url
    assert AuditEvent.objects.filter(username=username, outcome="denied",
                                     person_id=arthur.pk).exists()


def test_person_who_objected_is_hidden_from_that_organisation(client: Client,
                                                              maya: Person) -> None:
    sign_in(client, "sw.uk")  # Maya objected to sharing with the council
    for url in person_routes(maya):
        assert client.get(url).status_code == 404, url
    for url in person_routes(maya)[:-1]:
        assert client.post(url, {"reason": "Moved away from the area"}).status_code == 404, url
    # and the same pages open for her GP
    sign_in(client, "gp.uk")
    assert client.get(person_routes(maya)[0]).status_code == 200


def test_anonymous_user_is_sent_to_sign_in(client: Client, arthur: Person) -> None:
    urls = [*person_routes(arthur), reverse("access:break_glass"), reverse("audit:audit_log"),
            reverse("audit:audit_export"), reverse("audit:break_glass_report"),
            reverse("audit:break_glass_review",
                    kwargs={"break_glass_id": BreakGlass.objects.first().pk})]  # type: ignore[union-attr]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("web:login")), url
    assert client.post(urls[0], {"role": "GP"}).status_code == 302
    assert CareTeamMember.objects.filter(person=arthur).count() == 3


def test_ids_of_another_persons_rows_are_404(client: Client, arthur: Person,
                                            maya: Person) -> None:
    """A care-team member or consent id must belong to the person in the URL."""
    sign_in(client, "gp.uk")
    maya_member = CareTeamMember.objects.filter(person=maya).first()
    maya_consent = Consent.objects.filter(person=maya).first()
    assert maya_member is not None and maya_consent is not None
    end = reverse("access:care_team_end", kwargs={"person_id": arthur.pk,
                                               "member_id": maya_member.pk})
    withdraw = reverse("access:consent_withdraw", kwargs={"person_id": arthur.pk,
                                                       "consent_id": maya_consent.pk})
    assert client.get(end).status_code == 404
    assert client.post(end, {"reason": "Moved"}).status_code == 404
    assert client.get(withdraw).status_code == 404
    assert client.post(withdraw, {"reason": "Changed mind"}).status_code == 404
    maya_member.refresh_from_db()
    maya_consent.refresh_from_db()
    assert maya_member.end_date is None and maya_consent.withdrawn_at is None


def test_posts_without_csrf_token_are_refused(demo, arthur: Person) -> None:
    client = sign_in(Client(enforce_csrf_checks=True), "gp.uk")
    url = reverse("people:network_add", kwargs={"person_id": arthur.pk})
    response = client.post(url, {"name": "Jo Bloggs", "relationship": "friend"})
    assert response.status_code == 403
    assert not RelatedPerson.objects.filter(name="Jo Bloggs").exists()
    response = client.post(reverse("access:break_glass"), {
        "identifier": ARTHUR_NHS, "reason": "Unconscious in A&E, need allergies",
        "understood": "on"})
    assert response.status_code == 403
    sign_in(client, "outsider.uk")
    assert client.post(reverse("access:break_glass"), {
        "identifier": ARTHUR_NHS, "reason": "Unconscious in A&E, need allergies",
        "understood": "on"}).status_code == 403
    assert not BreakGlass.objects.filter(person=arthur).exists()


def test_add_an_organisation_to_the_care_team(client: Client, arthur: Person, org) -> None:  # noqa: ANN001
    sign_in(client, "gp.uk")
    url = reverse("access:care_team_add", kwargs={"person_id": arthur.pk})
    page = text(client.get(url))
    assert "St Mary&#x27;s Hospital" in page or "St Mary's Hospital" in page
    assert 'class="govuk-date-input"' in page and 'id="id_start_date_0"' in page
    hospital = org("St Mary's Hospital")
    response = client.post(url, {"organisation_id": str(hospital.pk), "role": "Ward",
                                 "staff_membership_id": "",
                                 **date_parts("start_date", timezone.localdate())})
    assert response.status_code == 302
    assert response["Location"] == reverse("people:person_detail", kwargs={"person_id": arthur.pk})
    assert "St Mary's Hospital has been added to the care team." in messages_of(response)
    member = CareTeamMember.objects.get(person=arthur, organisation=hospital)
    assert member.role == "Ward" and member.start_date == timezone.localdate()
    assert AuditEvent.objects.filter(action="update", object_type="CareTeamMember",
                                     object_id=str(member.pk), username="gp.uk").exists()


def test_care_team_add_with_bad_input_shows_the_errors(client: Client, arthur: Person,
                                                       org) -> None:  # noqa: ANN001
    sign_in(client, "gp.uk")
    url = reverse("access:care_team_add", kwargs={"person_id": arthur.pk})
    response = client.post(url, {"organisation_id": "", "role": "",
                                 **date_parts("start_date", None)})
    assert response.status_code == 400
    page = text(response)
    assert "There is a problem" in page
    assert "Choose an organisation." in page
    assert "Enter the organisation&#x27;s role in the care team." in page
    # a real date is needed; a staff member must belong to the chosen organisation
    hospital = org("St Mary's Hospital")
    gp = Membership.objects.get(user__username="gp.uk")
    response = client.post(url, {"organisation_id": str(hospital.pk), "role": "Ward",
                                 "staff_membership_id": str(gp.pk),
                                 "start_date_day": "31", "start_date_month": "2",
                                 "start_date_year": "2026"})
    assert response.status_code == 400
    assert "Enter a real date, like 27 3 2026." in text(response)
    response = client.post(url, {"organisation_id": str(hospital.pk), "role": "Ward",
                                 "staff_membership_id": str(gp.pk)})
    assert response.status_code == 400
    assert "Choose a staff member of that organisation." in text(response)
    assert not CareTeamMember.objects.filter(person=arthur, organisation=hospital).exists()


def test_end_a_care_team_membership(client: Client, arthur: Person, org) -> None:  # noqa: ANN001
    member = CareTeamMember.objects.get(person=arthur, organisation=org("Oakwood Care Home"))
    url = reverse("access:care_team_end", kwargs={"person_id": arthur.pk, "member_id": member.pk})
    sign_in(client, "gp.uk")
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    assert "Enter the reason for ending this care-team membership." in text(response)
    response = client.post(url, {"reason": "x" * 201})
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.end_date is None
    response = client.post(url, {"reason": "Moved to a nursing home"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.end_date == timezone.localdate()
    assert member.end_reason == "Moved to a nursing home"
    # the care home's staff have lost access at once
    assert client.get(url).status_code == 200  # the page now says it has ended
    assert "This care-team membership ended on" in text(client.get(url))
    sign_in(client, "home.uk")
    assert client.get(reverse("people:person_detail", kwargs={"person_id": arthur.pk})) \
        .status_code == 404


def test_ending_your_own_organisations_place_returns_to_the_caseload(
        client: Client, arthur: Person, org) -> None:  # noqa: ANN001
    member = CareTeamMember.objects.get(person=arthur, organisation=org("Oakwood Care Home"))
    sign_in(client, "home.uk")
    response = client.post(reverse("access:care_team_end", kwargs={
        "person_id": arthur.pk, "member_id": member.pk}), {"reason": "Moved out"})
    assert response.status_code == 302
    assert response["Location"] == reverse("people:caseload")
    assert "You can no longer see this person's record." in messages_of(response)


def test_record_a_consent_decision(client: Client, arthur: Person, org) -> None:  # noqa: ANN001
    sign_in(client, "gp.uk")
    url = reverse("access:consent_add", kwargs={"person_id": arthur.pk})
    page = text(client.get(url))
    assert "<legend" in page and "What is the consent for?" in page
    assert "Oakwood Care Home" in page  # the care team's organisations are the choices
    council = org("Northshire Council Adult Social Care")
    today = timezone.localdate()
    response = client.post(url, {
        "purpose": "direct_care", "decision": "deny", "organisation_ids": [str(council.pk)],
        "given_by": "person", "method": "written", **date_parts("valid_from", None),
        **date_parts("valid_to", today + dt.timedelta(days=30)),
    })
    assert response.status_code == 302, text(response)
    consent = Consent.objects.get(person=arthur, decision="deny")
    assert list(consent.organisations.all()) == [council]
    assert consent.valid_to is not None and consent.withdrawn_at is None
    assert "The consent decision has been recorded." in messages_of(response)
    # the objection to direct care takes effect at once for the council: it now sees the
    # record only for the coordination (SIP) Arthur consented to, a separate decision
    sw = Membership.objects.get(user__username="sw.uk")
    decision = decide(_actor(sw), arthur)
    assert (decision.basis, decision.purpose) == ("explicit-consent", "coordination")


def _actor(membership: Membership) -> Any:
    from careweave.core.context import Actor

    return Actor(user=membership.user, membership=membership)


def test_consent_with_bad_input_shows_the_errors(client: Client, arthur: Person) -> None:
    sign_in(client, "gp.uk")
    url = reverse("access:consent_add", kwargs={"person_id": arthur.pk})
    today = timezone.localdate()
    before = Consent.objects.count()
    response = client.post(url, {
        "purpose": "direct_care", "decision": "permit", "given_by": "representative",
        "representative_name": "", "method": "verbal",
        **date_parts("valid_from", today + dt.timedelta(days=10)),
        **date_parts("valid_to", today + dt.timedelta(days=5)),
    })
    assert response.status_code == 400
    page = text(response)
    assert "There is a problem" in page
    assert "The end date must be the same as or after the start." in page
    assert "Enter the representative&#x27;s name." in page
    assert 'href="#id_valid_to_0"' in page  # the summary links to the day box
    response = client.post(url, {"purpose": "marketing", "decision": "", "method": "verbal",
                                 "given_by": "person", "valid_to_day": "3"})
    assert response.status_code == 400
    page = text(response)
    assert "Choose whether the person agrees or objects." in page
    assert "The date must include a month." in page
    assert Consent.objects.count() == before


def test_consent_withdrawal_takes_effect_at_once(client: Client, demo, person_named) -> None:  # noqa: ANN001
    """Astrid consented to SIP between the vårdcentral and the socialtjänst: when she
    withdraws it, the socialtjänst loses her record on its next request."""
    astrid = person_named("Astrid", "Lindqvist")
    consent = Consent.objects.get(person=astrid)  # coordination, covering gbgsoc, hemtjänst
    detail = reverse("people:person_detail", kwargs={"person_id": astrid.pk})
    sw = Membership.objects.get(user__username="sw.se")
    assert decide(_actor(sw), astrid).allowed
    url = reverse("access:consent_withdraw", kwargs={"person_id": astrid.pk,
                                                     "consent_id": consent.pk})
    sign_in(client, "gp.se")
    assert "<h1" in text(client.get(url))
    response = client.post(url, {"reason": "Astrid vill inte längre dela"})
    assert response.status_code == 302
    assert response["Location"] == detail
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    assert consent.withdrawn_reason == "Astrid vill inte längre dela"
    # the socialtjänst's staff lose access straight away; the registering vårdcentral keeps it
    assert not decide(_actor(sw), astrid).allowed
    sign_in(client, "sw.se")
    assert client.get(detail).status_code == 404
    assert client.get(reverse("audit:access_log", kwargs={"person_id": astrid.pk})) \
        .status_code == 404
    gp = Membership.objects.get(user__username="gp.se")
    assert decide(_actor(gp), astrid).allowed


def test_withdrawing_coordination_leaves_uk_direct_care_standing(client: Client,
                                                                 arthur: Person) -> None:
    consent = Consent.objects.get(person=arthur)  # coordination, covering Oakwood, council
    home = Membership.objects.get(user__username="home.uk")
    sign_in(client, "gp.uk")
    client.post(reverse("access:consent_withdraw", kwargs={"person_id": arthur.pk,
                                                           "consent_id": consent.pk}),
                {"reason": "No longer wants SIP"})
    decision = decide(_actor(home), arthur)
    assert (decision.allowed, decision.basis) == (True, "implied-consent-direct-care")
    page = text(client.get(reverse("people:person_detail", kwargs={"person_id": arthur.pk})))
    assert "Withdrawn" in page and "No longer wants SIP" in page


def test_consent_withdrawal_needs_a_reason_and_happens_once(client: Client,
                                                            arthur: Person) -> None:
    consent = Consent.objects.get(person=arthur)
    url = reverse("access:consent_withdraw", kwargs={"person_id": arthur.pk,
                                                  "consent_id": consent.pk})
    sign_in(client, "gp.uk")
    response = client.post(url, {"reason": "   "})
    assert response.status_code == 400
    assert "Enter the reason for withdrawing the consent." in text(response)
    consent.refresh_from_db()
    assert consent.withdrawn_at is None
    assert client.post(url, {"reason": "Asked to stop"}).status_code == 302
    response = client.post(url, {"reason": "Asked again"})
    assert response.status_code == 400
    assert "This consent has already been withdrawn." in text(response)
    assert "This consent has already been withdrawn." in text(client.get(url))


def test_break_glass_opens_the_record_for_a_limited_time(client: Client,
                                                         arthur: Person) -> None:
    sign_in(client, "outsider.uk")
    detail = reverse("people:person_detail", kwargs={"person_id": arthur.pk})
    assert client.get(detail).status_code == 404
    page = text(client.get(reverse("access:break_glass")))
    assert "NHS number, personnummer or samordningsnummer" in page
    response = client.post(reverse("access:break_glass"), {
        "identifier": ARTHUR_NHS, "reason": "Collapsed at the surgery, need his medicines",
        "understood": "on"})
    assert response.status_code == 302
    assert response["Location"] == detail
    episode = BreakGlass.objects.get(person=arthur, user__username="outsider.uk")
    assert episode.reason == "Collapsed at the surgery, need his medicines"
    assert episode.expires_at > timezone.now()
    assert any("emergency access to Arthur Penrose's record" in m
               for m in messages_of(response))
    outsider = Membership.objects.get(user__username="outsider.uk")
    assert decide(_actor(outsider), arthur).allowed
    assert AuditEvent.objects.filter(action="break_glass", person_id=arthur.pk,
                                     username="outsider.uk").exists()
    # it shows in Arthur's access log as emergency access
    sign_in(client, "gp.uk")
    log = text(client.get(reverse("audit:access_log", kwargs={"person_id": arthur.pk})))
    assert "Used emergency access to your record" in log
    assert "Hillside Medical Practice" in log


@pytest.mark.parametrize(("data", "message"), [
    ({"identifier": ARTHUR_NHS, "reason": "", "understood": "on"},
     "Enter the reason you need emergency access."),
    ({"identifier": ARTHUR_NHS, "reason": "urgent", "understood": "on"},
     "Give the clinical reason in at least 10 characters."),
    ({"identifier": "943 476 5918", "reason": "Unconscious, need allergies",
      "understood": "on"}, "Enter a valid NHS number, personnummer or samordningsnummer."),
    ({"identifier": "hello", "reason": "Unconscious, need allergies", "understood": "on"},
     "Enter a valid NHS number, personnummer or samordningsnummer."),
    ({"identifier": "", "reason": "Unconscious, need allergies", "understood": "on"},
     "Enter the person&#x27;s NHS number, personnummer or samordningsnummer."),
    ({"identifier": ARTHUR_NHS, "reason": "Unconscious, need allergies"},
     "Confirm that you understand this access is recorded and reviewed."),
])
def test_break_glass_bad_input(client: Client, arthur: Person, data: dict[str, str],
                               message: str) -> None:
    sign_in(client, "outsider.uk")
    response = client.post(reverse("access:break_glass"), data)
    assert response.status_code == 400
    assert "There is a problem" in text(response)
    assert message in text(response)
    assert not BreakGlass.objects.filter(person=arthur).exists()


def test_break_glass_for_an_unknown_identifier(demo, client: Client) -> None:  # noqa: ANN001
    sign_in(client, "outsider.uk")
    response = client.post(reverse("access:break_glass"), {
        "identifier": "401 023 2137", "reason": "Unconscious, need allergies",
        "understood": "on"})
    assert response.status_code == 400
    assert "No record matches this identifier." in text(response)
    assert AuditEvent.objects.filter(action="break_glass", outcome="denied",
                                     username="outsider.uk").count() == 1


@pytest.mark.parametrize("username", ["home.uk", "analyst.uk"])
def test_roles_that_may_not_break_the_glass_get_a_clear_error(client: Client, arthur: Person,
                                                              username: str) -> None:
    sign_in(client, username)
    assert "Only clinicians, nurses and social workers" in text(
        client.get(reverse("access:break_glass")))
    response = client.post(reverse("access:break_glass"), {
        "identifier": ARTHUR_NHS, "reason": "Fell in the lounge, need history",
        "understood": "on"})
    assert response.status_code == 400
    assert "Only clinicians and social workers can use emergency access." in text(response)
    assert not BreakGlass.objects.filter(person=arthur).exists()


def test_pages_are_translated(client: Client, arthur: Person) -> None:
    sign_in(client, "gp.uk")
    url = reverse("access:care_team_add", kwargs={"person_id": arthur.pk})
    client.post(reverse("web:set_language"), {"language": "sv", "next": url})
    page = text(client.get(url))
    assert '<html lang="sv"' in page
