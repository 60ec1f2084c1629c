"""The person's access log, the privacy lead's audit viewer and CSV export, and the
break-glass report, in the browser (the Django test client)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from careweave.access.models import BreakGlass, CareTeamMember, Consent
from careweave.audit.models import AuditEvent
from careweave.audit.views import _csv_cell
from careweave.orgs.models import Membership, Organisation
from careweave.people.models import Person
from tests.support import date_parts, sign_in, text

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


def test_access_log_in_plain_language_and_printable(client: Client, arthur: Person,
                                                    settings) -> None:  # noqa: ANN001
    settings.CAREWEAVE = {**settings.CAREWEAVE, "PAGE_SIZE": 2}
    sign_in(client, "home.uk")
    for _ in range(3):
        client.get(reverse("people:person_detail", kwargs={"person_id": arthur.pk}))
    sign_in(client, "gp.uk")
    url = reverse("audit:access_log", kwargs={"person_id": arthur.pk})
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
    url = reverse("audit:access_log", kwargs={"person_id": arthur.pk})
    for _ in range(30):
        client.get(url)
    with django_assert_max_num_queries(20):
        response = client.get(url)
    assert response.status_code == 200
    assert text(response).count('<tr class="govuk-table__row">') == 26  # header + 25


def test_audit_log_is_only_for_privacy_leads(demo, client: Client) -> None:  # noqa: ANN001
    for username in ["gp.uk", "sw.uk", "analyst.uk", "outsider.uk"]:
        sign_in(client, username)
        assert client.get(reverse("audit:audit_log")).status_code == 404
        assert client.get(reverse("audit:audit_export")).status_code == 404
        assert client.get(reverse("audit:break_glass_report")).status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()


def test_audit_log_lists_and_filters_the_organisations_events(client: Client,
                                                              arthur: Person,
                                                              maya: Person) -> None:
    sign_in(client, "gp.uk")
    client.get(reverse("audit:access_log", kwargs={"person_id": arthur.pk}))
    client.get(reverse("audit:access_log", kwargs={"person_id": maya.pk}))
    sign_in(client, "sw.uk")
    client.get(reverse("audit:access_log", kwargs={"person_id": arthur.pk}))  # another org
    sign_in(client, "privacy.uk", org="Riverside Surgery")
    page = text(client.get(reverse("audit:audit_log")))
    assert "<caption" in page and "Audit events, newest first" in page
    assert "gp.uk" in page and "sw.uk" not in page
    page = text(client.get(reverse("audit:audit_log"), {"person": ARTHUR_NHS}))
    assert str(arthur.pk)[:8] in page and str(maya.pk)[:8] not in page
    page = text(client.get(reverse("audit:audit_log"), {"person": str(maya.pk)}))
    assert str(maya.pk)[:8] in page and str(arthur.pk)[:8] not in page
    page = text(client.get(reverse("audit:audit_log"), {"username": "nobody"}))
    assert "No events match these filters." in page
    today = timezone.localdate()
    page = text(client.get(reverse("audit:audit_log"), {
        **date_parts("date_from", today), **date_parts("date_to", today)}))
    assert "gp.uk" in page
    # viewing the log is itself audited
    assert AuditEvent.objects.filter(username="privacy.uk", object_type="AuditEvent",
                                     action="search").count() == 5


def test_audit_log_bad_filters(demo, client: Client) -> None:  # noqa: ANN001
    sign_in(client, "privacy.uk", org="Riverside Surgery")
    today = timezone.localdate()
    response = client.get(reverse("audit:audit_log"), {
        **date_parts("date_from", today), **date_parts("date_to", today - dt.timedelta(1))})
    assert response.status_code == 400
    assert "The end date must be the same as or after the start." in text(response)
    response = client.get(reverse("audit:audit_log"), {"person": "not-a-person"})
    assert response.status_code == 400
    assert "Enter a record id, NHS number, personnummer or samordningsnummer." in text(response)
    response = client.get(reverse("audit:audit_log"), {"action": "delete"})
    assert response.status_code == 400
    # an export with bad filters goes back to the viewer, exporting nothing
    response = client.get(reverse("audit:audit_export"), {"action": "delete"})
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="export").exists()


def test_audit_log_pages_and_query_count(client: Client, arthur: Person, settings,
                                         django_assert_max_num_queries) -> None:  # noqa: ANN001
    sign_in(client, "gp.uk")
    for _ in range(30):
        client.get(reverse("audit:access_log", kwargs={"person_id": arthur.pk}))
    sign_in(client, "privacy.uk", org="Riverside Surgery")
    settings.CAREWEAVE = {**settings.CAREWEAVE, "PAGE_SIZE": 5}
    with django_assert_max_num_queries(20):
        response = client.get(reverse("audit:audit_log"), {"username": "gp.uk"})
    page = text(response)
    assert page.count("<td class=\"govuk-table__cell\">gp.uk</td>") == 5
    link = page.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert "username=gp.uk" in link and "cursor=" in link
    settings.CAREWEAVE = {**settings.CAREWEAVE, "PAGE_SIZE": 25}
    with django_assert_max_num_queries(20):
        response = client.get(reverse("audit:audit_log"))
    assert text(response).count('<tr class="govuk-table__row">') == 26


def test_audit_export_streams_csv_and_is_audited(client: Client, arthur: Person,
                                                 maya: Person) -> None:
    sign_in(client, "gp.uk")
    client.get(reverse("audit:access_log", kwargs={"person_id": arthur.pk}))
    client.get(reverse("audit:access_log", kwargs={"person_id": maya.pk}))
    sign_in(client, "privacy.uk", org="Riverside Surgery")
    response = client.get(reverse("audit:audit_export"), {"person": str(arthur.pk)})
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


def test_break_glass_report_for_the_organisations_privacy_lead(demo, client: Client) -> None:  # noqa: ANN001
    episode = BreakGlass.objects.get()  # the demo's: Hillside's GP, three days ago
    sign_in(client, "privacy.uk", org="Hillside Medical Practice")
    page = text(client.get(reverse("audit:break_glass_report")))
    assert "temporary resident after a fall" in page
    assert "Oliver Hughes" in page and "Not reviewed" in page
    assert '<th scope="col"' in page and "<caption" in page
    review = reverse("audit:break_glass_review", kwargs={"break_glass_id": episode.pk})
    assert review in page
    # the privacy lead of the organisation that registered the person sees it too
    assert episode.person.registered_by.name == "Riverside Surgery"
    sign_in(client, "privacy.uk", org="Riverside Surgery")
    page = text(client.get(reverse("audit:break_glass_report")))
    assert "temporary resident after a fall" in page
    assert "Another organisation, on a person you registered" in page
    # an unrelated organisation's privacy lead sees none of it
    sign_in(client, "privacy.se")
    page = text(client.get(reverse("audit:break_glass_report")))
    assert "temporary resident" not in page
    assert "Nobody in your organisation has used emergency access." in page
    assert client.get(review).status_code == 404
    assert client.post(review, {"note": "Fine"}).status_code == 404
    episode.refresh_from_db()
    assert episode.reviewed_at is None


def test_review_a_break_glass_episode(demo, client: Client) -> None:  # noqa: ANN001
    episode = BreakGlass.objects.get()
    review = reverse("audit:break_glass_review", kwargs={"break_glass_id": episode.pk})
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
    assert response["Location"] == reverse("audit:break_glass_report")
    episode.refresh_from_db()
    assert episode.reviewed_at is not None
    assert episode.review_note == "Checked with the GP: appropriate."
    assert episode.reviewed_by.username == "privacy.uk"  # type: ignore[union-attr]
    page = text(client.get(reverse("audit:break_glass_report")))
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
        response = client.get(reverse("audit:break_glass_report"))
    page = text(response)
    assert page.count("Out-of-hours visit number") == 25
    assert 'rel="next"' in page and "Active" in page


def test_privacy_lead_of_two_organisations_chooses_whose_log(demo, client: Client) -> None:  # noqa: ANN001
    hillside = Organisation.objects.get(name="Hillside Medical Practice")
    sign_in(client, "privacy.uk", org="Riverside Surgery")
    page = text(client.get(reverse("audit:audit_log")))
    assert "You are privacy lead for more than one organisation." in page
    assert "outsider.uk" not in page.split('id="main-content"')[1]
    page = text(client.get(reverse("audit:audit_log"), {"organisation": str(hillside.pk)}))
    assert "<td class=\"govuk-table__cell\">outsider.uk</td>" in page  # the demo break-glass
    viewed = AuditEvent.objects.filter(username="privacy.uk", action="search",
                                       object_type="AuditEvent").order_by("-id").first()
    assert viewed is not None and viewed.organisation_id == hillside.pk
    response = client.get(reverse("audit:audit_export"), {"organisation": str(hillside.pk)})
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert "outsider.uk" in body
    # an organisation they are not privacy lead for is refused as a bad filter
    oakwood = Organisation.objects.get(name="Oakwood Care Home")
    response = client.get(reverse("audit:audit_log"), {"organisation": str(oakwood.pk)})
    assert response.status_code == 400
    assert "Choose one of your organisations." in text(response)
    # and a privacy lead of one organisation has no choice to make
    sign_in(client, "privacy.se")
    assert "more than one organisation" not in text(client.get(reverse("audit:audit_log")))


def test_audit_viewer_in_plain_swedish_with_names(demo, client: Client, person_named) -> None:  # noqa: ANN001, E501
    astrid = person_named("Astrid", "Lindqvist")
    sign_in(client, "gp.se")
    client.get(reverse("people:person_detail", kwargs={"person_id": astrid.pk}))
    sign_in(client, "privacy.se")
    client.post(reverse("web:set_language"), {"language": "sv", "next": "/"})
    page = text(client.get(reverse("audit:audit_log"), {"person": str(astrid.pk)}))
    main = page.split('id="main-content"')[1]
    assert "Astrid Lindqvist" in main
    assert "Läkare" in main or "Kliniker" in main or "Behandlare" in main
    assert "clinician" not in main and "own-organisation" not in main
    assert "Person (web)" not in main


def test_a_platform_reviewer_sees_emergency_access_nobody_else_reviews(demo, client: Client,  # noqa: ANN001
                                                                        person_named) -> None:
    from careweave.orgs.models import Membership, Organisation, Role

    hillside = Organisation.objects.get(name="Hillside Medical Practice")
    riverside = Organisation.objects.get(name="Riverside Surgery")
    reviewer_user = get_user_model().objects.get(username="admin")
    reviewer = Membership.objects.create(user=reviewer_user, organisation=riverside,
                                         role=Role.PLATFORM_REVIEWER)
    sign_in(client, "admin")
    session = client.session
    session["careweave_membership"] = str(reviewer.pk)
    session.save()
    # both organisations have a privacy lead: nothing for the platform reviewer
    page = text(client.get(reverse("audit:break_glass_report")))
    assert "temporary resident" not in page
    Membership.objects.filter(role="privacy_lead", organisation__in=[hillside, riverside]) \
        .update(is_active=False)
    page = text(client.get(reverse("audit:break_glass_report")))
    assert "temporary resident after a fall" in page
    episode = BreakGlass.objects.get()
    response = client.post(reverse("audit:break_glass_review",
                                   kwargs={"break_glass_id": episode.pk}), {"note": "Seen"})
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.reviewed_at is not None
