"""Care team, consent, social network, break-glass, the person's access log, the audit
viewer (with CSV export) and the break-glass report, through the Django test client:
people who may, people who may not, and bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from careweave.access.gate import decide
from careweave.access.models import BreakGlass, CareTeamMember, Consent
from careweave.audit.models import AuditEvent
from careweave.core.middleware import SESSION_MEMBERSHIP
from careweave.orgs.models import Membership, Organisation
from careweave.people.models import Person, RelatedPerson
from careweave.web.views_access import _csv_cell

pytestmark = pytest.mark.django_db

ARTHUR_NHS = "943 476 5919"


# -- helpers -------------------------------------------------------------------------------


def sign_in(client: Client, username: str, org: str | None = None) -> Client:
    """Log in as a demo user (2FA exempt), acting in ``org`` (needed for privacy.uk)."""
    user = get_user_model().objects.get(username=username)
    client.force_login(user)
    if org:
        membership = Membership.objects.get(user=user, organisation__name=org)
        session = client.session
        session[SESSION_MEMBERSHIP] = str(membership.pk)
        session.save()
    return client


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def text(response: Any) -> str:
    return response.content.decode()


def date_parts(name: str, day: dt.date | None) -> dict[str, str]:
    if day is None:
        return {f"{name}_day": "", f"{name}_month": "", f"{name}_year": ""}
    return {f"{name}_day": str(day.day), f"{name}_month": str(day.month),
            f"{name}_year": str(day.year)}


@pytest.fixture
def arthur(demo, person_named) -> Person:  # noqa: ANN001
    return person_named("Arthur", "Penrose")


@pytest.fixture
def maya(demo, person_named) -> Person:  # noqa: ANN001
    return person_named("Maya", "Okafor")


@pytest.fixture
def org() -> Callable[[str], Organisation]:
    return lambda name: Organisation.objects.get(name=name)


def person_routes(person: Person) -> list[str]:
    """Every person-scoped page of this module, for ``person``."""
    member = CareTeamMember.objects.filter(person=person).first()
    consent = Consent.objects.filter(person=person).first()
    assert member is not None and consent is not None
    kw = {"person_id": person.pk}
    return [
        reverse("web:care_team_add", kwargs=kw),
        reverse("web:care_team_end", kwargs={**kw, "member_id": member.pk}),
        reverse("web:consent_add", kwargs=kw),
        reverse("web:consent_withdraw", kwargs={**kw, "consent_id": consent.pk}),
        reverse("web:network_add", kwargs=kw),
        reverse("web:access_log", kwargs=kw),
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
    urls = [*person_routes(arthur), reverse("web:break_glass"), reverse("web:audit_log"),
            reverse("web:audit_export"), reverse("web:break_glass_report"),
            reverse("web:break_glass_review",
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
    end = reverse("web:care_team_end", kwargs={"person_id": arthur.pk,
                                               "member_id": maya_member.pk})
    withdraw = reverse("web:consent_withdraw", kwargs={"person_id": arthur.pk,
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
    url = reverse("web:network_add", kwargs={"person_id": arthur.pk})
    response = client.post(url, {"name": "Jo Bloggs", "relationship": "friend"})
    assert response.status_code == 403
    assert not RelatedPerson.objects.filter(name="Jo Bloggs").exists()
    response = client.post(reverse("web:break_glass"), {
        "identifier": ARTHUR_NHS, "reason": "Unconscious in A&E, need allergies",
        "understood": "on"})
    assert response.status_code == 403
    sign_in(client, "outsider.uk")
    assert client.post(reverse("web:break_glass"), {
        "identifier": ARTHUR_NHS, "reason": "Unconscious in A&E, need allergies",
        "understood": "on"}).status_code == 403
    assert not BreakGlass.objects.filter(person=arthur).exists()


# -- care team -------------------------------------------------------------------------------


def test_add_an_organisation_to_the_care_team(client: Client, arthur: Person, org) -> None:  # noqa: ANN001
    sign_in(client, "gp.uk")
    url = reverse("web:care_team_add", kwargs={"person_id": arthur.pk})
    page = text(client.get(url))
    assert "St Mary&#x27;s Hospital" in page or "St Mary's Hospital" in page
    assert 'class="govuk-date-input"' in page and 'id="id_start_date_0"' in page
    hospital = org("St Mary's Hospital")
    response = client.post(url, {"organisation_id": str(hospital.pk), "role": "Ward",
                                 "staff_membership_id": "",
                                 **date_parts("start_date", timezone.localdate())})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:person_detail", kwargs={"person_id": arthur.pk})
    assert "St Mary's Hospital has been added to the care team." in messages_of(response)
    member = CareTeamMember.objects.get(person=arthur, organisation=hospital)
    assert member.role == "Ward" and member.start_date == timezone.localdate()
    assert AuditEvent.objects.filter(action="update", object_type="CareTeamMember",
                                     object_id=str(member.pk), username="gp.uk").exists()


def test_care_team_add_with_bad_input_shows_the_errors(client: Client, arthur: Person,
                                                       org) -> None:  # noqa: ANN001
    sign_in(client, "gp.uk")
    url = reverse("web:care_team_add", kwargs={"person_id": arthur.pk})
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
    url = reverse("web:care_team_end", kwargs={"person_id": arthur.pk, "member_id": member.pk})
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
    assert client.get(reverse("web:person_detail", kwargs={"person_id": arthur.pk})) \
        .status_code == 404


def test_ending_your_own_organisations_place_returns_to_the_caseload(
        client: Client, arthur: Person, org) -> None:  # noqa: ANN001
    member = CareTeamMember.objects.get(person=arthur, organisation=org("Oakwood Care Home"))
    sign_in(client, "home.uk")
    response = client.post(reverse("web:care_team_end", kwargs={
        "person_id": arthur.pk, "member_id": member.pk}), {"reason": "Moved out"})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:caseload")
    assert "You can no longer see this person's record." in messages_of(response)


# -- consent ---------------------------------------------------------------------------------


def test_record_a_consent_decision(client: Client, arthur: Person, org) -> None:  # noqa: ANN001
    sign_in(client, "gp.uk")
    url = reverse("web:consent_add", kwargs={"person_id": arthur.pk})
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
    # the objection takes effect at once for the council
    sw = Membership.objects.get(user__username="sw.uk")
    assert not decide(_actor(sw), arthur).allowed


def _actor(membership: Membership) -> Any:
    from careweave.core.context import Actor

    return Actor(user=membership.user, membership=membership)


def test_consent_with_bad_input_shows_the_errors(client: Client, arthur: Person) -> None:
    sign_in(client, "gp.uk")
    url = reverse("web:consent_add", kwargs={"person_id": arthur.pk})
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


def test_consent_withdrawal_takes_effect_at_once(client: Client, arthur: Person) -> None:
    consent = Consent.objects.get(person=arthur)  # permit, covering Oakwood and the council
    detail = reverse("web:person_detail", kwargs={"person_id": arthur.pk})
    home = Membership.objects.get(user__username="home.uk")
    assert decide(_actor(home), arthur).allowed
    url = reverse("web:consent_withdraw", kwargs={"person_id": arthur.pk,
                                                  "consent_id": consent.pk})
    sign_in(client, "gp.uk")
    assert "Withdraw consent" in text(client.get(url))
    response = client.post(url, {"reason": "Arthur asked us to stop sharing"})
    assert response.status_code == 302
    assert response["Location"] == detail
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    assert consent.withdrawn_reason == "Arthur asked us to stop sharing"
    # Oakwood Care Home's staff lose access straight away; the registering GP keeps it
    assert not decide(_actor(home), arthur).allowed
    sign_in(client, "home.uk")
    assert client.get(detail).status_code == 404
    assert client.get(reverse("web:access_log", kwargs={"person_id": arthur.pk})) \
        .status_code == 404
    gp = Membership.objects.get(user__username="gp.uk")
    assert decide(_actor(gp), arthur).allowed


def test_consent_withdrawal_needs_a_reason_and_happens_once(client: Client,
                                                            arthur: Person) -> None:
    consent = Consent.objects.get(person=arthur)
    url = reverse("web:consent_withdraw", kwargs={"person_id": arthur.pk,
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


# -- social network --------------------------------------------------------------------------


def test_add_someone_to_the_social_network(client: Client, arthur: Person) -> None:
    sign_in(client, "gp.uk")
    url = reverse("web:network_add", kwargs={"person_id": arthur.pk})
    assert "Relationship to the person" in text(client.get(url))
    response = client.post(url, {"name": "Åke Öström", "relationship": "friend",
                                 "phone": "07700 900999", "is_carer": "on"})
    assert response.status_code == 302
    related = RelatedPerson.objects.get(person=arthur, name="Åke Öström")
    assert related.is_carer and not related.is_next_of_kin and not related.may_share
    assert "Åke Öström has been added to the social network." in messages_of(response)
    assert AuditEvent.objects.filter(object_type="RelatedPerson",
                                     object_id=str(related.pk)).exists()


def test_social_network_bad_input(client: Client, arthur: Person) -> None:
    sign_in(client, "gp.uk")
    url = reverse("web:network_add", kwargs={"person_id": arthur.pk})
    response = client.post(url, {"name": "", "relationship": "cousin", "phone": "0" * 41})
    assert response.status_code == 400
    page = text(response)
    assert "Enter a name." in page
    assert "Choose a relationship from the list." in page
    assert "Phone must be 40 characters or fewer." in page
    assert RelatedPerson.objects.filter(person=arthur).count() == 1


# -- break-glass -----------------------------------------------------------------------------


def test_break_glass_opens_the_record_for_a_limited_time(client: Client,
                                                         arthur: Person) -> None:
    sign_in(client, "outsider.uk")
    detail = reverse("web:person_detail", kwargs={"person_id": arthur.pk})
    assert client.get(detail).status_code == 404
    page = text(client.get(reverse("web:break_glass")))
    assert "NHS number, personnummer or samordningsnummer" in page
    response = client.post(reverse("web:break_glass"), {
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
    log = text(client.get(reverse("web:access_log", kwargs={"person_id": arthur.pk})))
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
    response = client.post(reverse("web:break_glass"), data)
    assert response.status_code == 400
    assert "There is a problem" in text(response)
    assert message in text(response)
    assert not BreakGlass.objects.filter(person=arthur).exists()


def test_break_glass_for_an_unknown_identifier(demo, client: Client) -> None:  # noqa: ANN001
    sign_in(client, "outsider.uk")
    response = client.post(reverse("web:break_glass"), {
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
        client.get(reverse("web:break_glass")))
    response = client.post(reverse("web:break_glass"), {
        "identifier": ARTHUR_NHS, "reason": "Fell in the lounge, need history",
        "understood": "on"})
    assert response.status_code == 400
    assert "Only clinicians and social workers can use emergency access." in text(response)
    assert not BreakGlass.objects.filter(person=arthur).exists()


# -- the person's access log -----------------------------------------------------------------


def test_access_log_in_plain_language_and_printable(client: Client, arthur: Person,
                                                    settings) -> None:  # noqa: ANN001
    settings.CAREWEAVE = {**settings.CAREWEAVE, "PAGE_SIZE": 2}
    sign_in(client, "home.uk")
    for _ in range(3):
        client.get(reverse("web:care_team_add", kwargs={"person_id": arthur.pk}))
    sign_in(client, "gp.uk")
    url = reverse("web:access_log", kwargs={"person_id": arthur.pk})
    page = text(client.get(url))
    assert "careweave/print.css" in page  # print styles: page content only
    assert '<th scope="col"' in page and "<caption" in page
    assert "Looked at your record" in page
    assert "Riverside Surgery" in page  # this very read is the newest entry
    main = page.split('id="main-content"')[1]
    assert "Helen" not in main and "gp.uk" not in main  # organisation and role, no names
    assert 'rel="next"' in page
    next_url = page.split('href="?cursor=')[1].split('"')[0]
    second = text(client.get(url + "?cursor=" + next_url.replace("&amp;", "&")))
    assert "Oakwood Care Home" in second
    assert "First page" in second
    # everything on one page, for printing
    whole = text(client.get(url + "?print=1"))
    assert "Oakwood Care Home" in whole and 'rel="next"' not in whole
    # a malformed cursor is just the first page
    assert client.get(url + "?cursor=%%%garbage").status_code == 200
    assert AuditEvent.objects.filter(object_type="AccessLog", person_id=arthur.pk,
                                     username="gp.uk").count() == 4


def test_access_log_query_count_is_bounded(client: Client, arthur: Person,
                                           django_assert_max_num_queries) -> None:  # noqa: ANN001
    sign_in(client, "gp.uk")
    url = reverse("web:access_log", kwargs={"person_id": arthur.pk})
    for _ in range(30):
        client.get(url)
    with django_assert_max_num_queries(20):
        response = client.get(url)
    assert response.status_code == 200
    assert text(response).count('<tr class="govuk-table__row">') == 26  # header + 25


# -- the privacy lead's audit viewer ---------------------------------------------------------


def test_audit_log_is_only_for_privacy_leads(demo, client: Client) -> None:  # noqa: ANN001
    for username in ["gp.uk", "sw.uk", "analyst.uk", "outsider.uk"]:
        sign_in(client, username)
        assert client.get(reverse("web:audit_log")).status_code == 404
        assert client.get(reverse("web:audit_export")).status_code == 404
        assert client.get(reverse("web:break_glass_report")).status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()


def test_audit_log_lists_and_filters_the_organisations_events(client: Client,
                                                              arthur: Person,
                                                              maya: Person) -> None:
    sign_in(client, "gp.uk")
    client.get(reverse("web:access_log", kwargs={"person_id": arthur.pk}))
    client.get(reverse("web:access_log", kwargs={"person_id": maya.pk}))
    sign_in(client, "sw.uk")
    client.get(reverse("web:access_log", kwargs={"person_id": arthur.pk}))  # another org
    sign_in(client, "privacy.uk", org="Riverside Surgery")
    page = text(client.get(reverse("web:audit_log")))
    assert "<caption" in page and "Audit events, newest first" in page
    assert "gp.uk" in page and "sw.uk" not in page
    page = text(client.get(reverse("web:audit_log"), {"person": ARTHUR_NHS}))
    assert str(arthur.pk)[:8] in page and str(maya.pk)[:8] not in page
    page = text(client.get(reverse("web:audit_log"), {"person": str(maya.pk)}))
    assert str(maya.pk)[:8] in page and str(arthur.pk)[:8] not in page
    page = text(client.get(reverse("web:audit_log"), {"username": "nobody"}))
    assert "No events match these filters." in page
    today = timezone.localdate()
    page = text(client.get(reverse("web:audit_log"), {
        **date_parts("date_from", today), **date_parts("date_to", today)}))
    assert "gp.uk" in page
    # viewing the log is itself audited
    assert AuditEvent.objects.filter(username="privacy.uk", object_type="AuditEvent",
                                     action="search").count() == 5


def test_audit_log_bad_filters(demo, client: Client) -> None:  # noqa: ANN001
    sign_in(client, "privacy.uk", org="Riverside Surgery")
    today = timezone.localdate()
    response = client.get(reverse("web:audit_log"), {
        **date_parts("date_from", today), **date_parts("date_to", today - dt.timedelta(1))})
    assert response.status_code == 400
    assert "The end date must be the same as or after the start." in text(response)
    response = client.get(reverse("web:audit_log"), {"person": "not-a-person"})
    assert response.status_code == 400
    assert "Enter a record id, NHS number, personnummer or samordningsnummer." in text(response)
    response = client.get(reverse("web:audit_log"), {"action": "delete"})
    assert response.status_code == 400
    # an export with bad filters goes back to the viewer, exporting nothing
    response = client.get(reverse("web:audit_export"), {"action": "delete"})
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="export").exists()


def test_audit_log_pages_and_query_count(client: Client, arthur: Person, settings,
                                         django_assert_max_num_queries) -> None:  # noqa: ANN001
    sign_in(client, "gp.uk")
    for _ in range(30):
        client.get(reverse("web:access_log", kwargs={"person_id": arthur.pk}))
    sign_in(client, "privacy.uk", org="Riverside Surgery")
    settings.CAREWEAVE = {**settings.CAREWEAVE, "PAGE_SIZE": 5}
    with django_assert_max_num_queries(20):
        response = client.get(reverse("web:audit_log"), {"username": "gp.uk"})
    page = text(response)
    assert page.count("<td class=\"govuk-table__cell\">gp.uk</td>") == 5
    link = page.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert "username=gp.uk" in link and "cursor=" in link
    settings.CAREWEAVE = {**settings.CAREWEAVE, "PAGE_SIZE": 25}
    with django_assert_max_num_queries(20):
        response = client.get(reverse("web:audit_log"))
    assert text(response).count('<tr class="govuk-table__row">') == 26


def test_audit_export_streams_csv_and_is_audited(client: Client, arthur: Person,
                                                 maya: Person) -> None:
    sign_in(client, "gp.uk")
    client.get(reverse("web:access_log", kwargs={"person_id": arthur.pk}))
    client.get(reverse("web:access_log", kwargs={"person_id": maya.pk}))
    sign_in(client, "privacy.uk", org="Riverside Surgery")
    response = client.get(reverse("web:audit_export"), {"person": str(arthur.pk)})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(body)))
    assert rows, body
    assert {r["person_id"] for r in rows} == {str(arthur.pk)}
    assert any(r["username"] == "gp.uk" and r["object_type"] == "AccessLog"
               and r["action"] == "read" for r in rows)
    expected = AuditEvent.objects.filter(person_id=arthur.pk,
                                         organisation_id=Organisation.objects.get(
                                             name="Riverside Surgery").pk).count()
    assert len(rows) == expected
    export = AuditEvent.objects.get(action="export", username="privacy.uk")
    assert export.object_type == "AuditEvent"
    assert export.detail["rows"] == expected
    assert export.detail["filters"]["person_id"] == str(arthur.pk)


def test_csv_cells_cannot_start_a_formula() -> None:
    assert _csv_cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert _csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert _csv_cell("Riverside Surgery") == "Riverside Surgery"
    assert _csv_cell(None) == ""
    assert _csv_cell({"b": 1, "a": "å"}) == '{"a": "å", "b": 1}'


# -- the break-glass report ------------------------------------------------------------------


def test_break_glass_report_for_the_organisations_privacy_lead(demo, client: Client) -> None:  # noqa: ANN001
    episode = BreakGlass.objects.get()  # the demo's: Hillside's GP, three days ago
    sign_in(client, "privacy.uk", org="Hillside Medical Practice")
    page = text(client.get(reverse("web:break_glass_report")))
    assert "temporary resident after a fall" in page
    assert "Oliver Hughes" in page and "Not reviewed" in page
    assert '<th scope="col"' in page and "<caption" in page
    review = reverse("web:break_glass_review", kwargs={"break_glass_id": episode.pk})
    assert review in page
    # the other organisation's privacy lead sees none of it
    sign_in(client, "privacy.uk", org="Riverside Surgery")
    page = text(client.get(reverse("web:break_glass_report")))
    assert "temporary resident" not in page
    assert "Nobody in your organisation has used emergency access." in page
    assert client.get(review).status_code == 404
    assert client.post(review, {"note": "Fine"}).status_code == 404
    episode.refresh_from_db()
    assert episode.reviewed_at is None


def test_review_a_break_glass_episode(demo, client: Client) -> None:  # noqa: ANN001
    episode = BreakGlass.objects.get()
    review = reverse("web:break_glass_review", kwargs={"break_glass_id": episode.pk})
    sign_in(client, "outsider.uk")  # the clinician cannot review their own access
    assert client.get(review).status_code == 404
    assert client.post(review, {"note": "All fine"}).status_code == 404
    sign_in(client, "privacy.uk", org="Hillside Medical Practice")
    assert "Mark as reviewed" in text(client.get(review))
    response = client.post(review, {"note": "x" * 501})
    assert response.status_code == 400
    assert "Note must be 500 characters or fewer." in text(response)
    response = client.post(review, {"note": "Checked with the GP: appropriate."})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:break_glass_report")
    episode.refresh_from_db()
    assert episode.reviewed_at is not None
    assert episode.review_note == "Checked with the GP: appropriate."
    assert episode.reviewed_by.username == "privacy.uk"  # type: ignore[union-attr]
    page = text(client.get(reverse("web:break_glass_report")))
    assert "Checked with the GP: appropriate." in page and "Not reviewed" not in page


def test_break_glass_report_query_count_is_bounded(client: Client, arthur: Person,
                                                   django_assert_max_num_queries) -> None:  # noqa: ANN001
    outsider = Membership.objects.get(user__username="outsider.uk")
    now = timezone.now()
    for i in range(30):
        BreakGlass.objects.create(person=arthur, membership=outsider, user=outsider.user,
                                  reason=f"Out-of-hours visit number {i}", started_at=now,
                                  expires_at=now + dt.timedelta(hours=4))
    sign_in(client, "privacy.uk", org="Hillside Medical Practice")
    with django_assert_max_num_queries(20):
        response = client.get(reverse("web:break_glass_report"))
    page = text(response)
    assert page.count("Out-of-hours visit number") == 25
    assert 'rel="next"' in page and "Active" in page


def test_pages_are_translated(client: Client, arthur: Person) -> None:
    sign_in(client, "gp.uk")
    url = reverse("web:care_team_add", kwargs={"person_id": arthur.pk})
    client.post(reverse("web:set_language"), {"language": "sv", "next": url})
    page = text(client.get(url))
    assert '<html lang="sv"' in page


def test_person_page_partials_render(rf, arthur: Person, actor_for) -> None:  # noqa: ANN001
    """The optional sections for the person page: every row has its action link."""
    from django.template.loader import render_to_string

    from careweave.people.selectors import person_detail

    detail = person_detail(actor=actor_for("gp.uk"), person_id=arthur.pk)
    html = "".join(render_to_string(f"web/access/{name}.html", detail)
                   for name in ("_care_team", "_consents", "_network"))
    for member in detail["care_team"]:
        assert reverse("web:care_team_end", kwargs={"person_id": arthur.pk,
                                                    "member_id": member.pk}) in html
    consent = detail["consents"][0]
    assert reverse("web:consent_withdraw", kwargs={"person_id": arthur.pk,
                                                   "consent_id": consent.pk}) in html
    assert reverse("web:access_log", kwargs={"person_id": arthur.pk}) in html
    assert "Jean Penrose-Hill" in html and html.count("<caption") == 3


def test_privacy_lead_of_two_organisations_chooses_whose_log(demo, client: Client) -> None:  # noqa: ANN001
    hillside = Organisation.objects.get(name="Hillside Medical Practice")
    sign_in(client, "privacy.uk", org="Riverside Surgery")
    page = text(client.get(reverse("web:audit_log")))
    assert "You are privacy lead for more than one organisation." in page
    assert "outsider.uk" not in page.split('id="main-content"')[1]
    page = text(client.get(reverse("web:audit_log"), {"organisation": str(hillside.pk)}))
    assert "<td class=\"govuk-table__cell\">outsider.uk</td>" in page  # the demo break-glass
    viewed = AuditEvent.objects.filter(username="privacy.uk", action="search",
                                       object_type="AuditEvent").order_by("-id").first()
    assert viewed is not None and viewed.organisation_id == hillside.pk
    response = client.get(reverse("web:audit_export"), {"organisation": str(hillside.pk)})
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert "outsider.uk" in body
    # an organisation they are not privacy lead for is refused as a bad filter
    oakwood = Organisation.objects.get(name="Oakwood Care Home")
    response = client.get(reverse("web:audit_log"), {"organisation": str(oakwood.pk)})
    assert response.status_code == 400
    assert "Choose one of your organisations." in text(response)
    # and a privacy lead of one organisation has no choice to make
    sign_in(client, "privacy.se")
    assert "more than one organisation" not in text(client.get(reverse("web:audit_log")))
