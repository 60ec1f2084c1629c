"""Warnings on the record: on a banner first on every page of the person, most urgent first;
a type and a wording are required, ending needs a reason, a review date past is on the
raising organisation's list, changes need the version read (If-Match)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from careweave.access.gate import AccessDenied
from careweave.audit.models import AuditEvent
from careweave.core.errors import NotPermitted, StaleVersion, ValidationFailed
from careweave.notes import selectors, services
from careweave.notes.models import PersonWarning
from careweave.people.models import TimelineEntry
from tests.support import assert_problem, date_parts, sign_in

pytestmark = pytest.mark.django_db


def banner_of(html: str) -> str:
    start = html.index('id="warnings-banner"')
    return html[start:html.index("</section>", start)]


def test_arthurs_warnings_come_first_on_every_page_of_his_record(arthur) -> None:  # noqa: ANN001
    client = sign_in(Client(), "home.uk")
    pages = ["", "timeline/", "notes/", "notes/add/", "warnings/add/", "medicines/",
             "medicines/reconcile/", "medicines/print/", "access-log/"]
    for page in pages:
        response = client.get(f"/people/{arthur.pk}/{page}")
        assert response.status_code == 200, page
        html = response.content.decode()
        banner = banner_of(html)
        assert "DNACPR form in place" in banner and "Key safe by the garden door" in banner
        # first: before the page's own heading
        assert html.index('id="warnings-banner"') < html.index("<h1"), page
        # most urgent first: resuscitation, then the allergy, then access
        assert banner.index("DNACPR") < banner.index("Penicillin") < banner.index("Key safe")


def test_no_banner_without_warnings_and_none_for_a_refused_reader(maya, person_named) -> None:  # noqa: ANN001
    astrid = person_named("Astrid", "Lindqvist")
    html = sign_in(Client(), "gp.se").get(f"/people/{astrid.pk}/").content.decode()
    assert 'id="warnings-banner"' not in html
    refused = sign_in(Client(), "sw.uk").get(f"/people/{maya.pk}/")
    assert refused.status_code == 404 and b"warnings-banner" not in refused.content


def test_karims_communication_need_is_on_his_banner(demo, person_named) -> None:  # noqa: ANN001
    karim = person_named("Karim", "Haddad")
    html = sign_in(Client(), "gp.se").get(f"/people/{karim.pk}/").content.decode()
    assert "Behöver tolk på arabiska" in banner_of(html)
    assert sign_in(Client(), "sw.se").get(f"/people/{karim.pk}/").status_code == 404


def ok_data(**extra: Any) -> dict[str, Any]:
    return {"kind": "lone_worker", "title": "Dog in the house", **extra}


BAD = [
    ({"kind": ""}, "kind"), ({"kind": "ghosts"}, "kind"), ({"title": ""}, "title"),
    ({"title": " \u200b "}, "title"), ({"title": "t" * 201}, "title"),
    ({"details": "d" * 2001}, "details"),
    ({"review_date": "2020-01-01"}, "review_date"), ({"review_date": "tomorrow"}, "review_date"),
    ({"review_date": "9999-12-31"}, "review_date"),
    ({"sensitivity": "restricted"}, "sensitivity"),
    ({"sensitivity": "restricted", "organisation_kinds": ["spaceship"]}, "organisation_kinds"),
    ({"status": "ended"}, "status"),
]


@pytest.mark.parametrize("change,field", BAD, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD)])
def test_bad_warnings_are_refused_and_nothing_is_written(change: dict[str, Any], field: str,
                                                        actor_for, arthur) -> None:  # noqa: ANN001
    before = PersonWarning.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        services.warning_raise(actor=actor_for("gp.uk"), person_id=arthur.pk,
                               data=ok_data(**change))
    assert field in caught.value.errors
    assert PersonWarning.objects.count() == before


def test_a_warning_without_a_type_on_the_page_and_the_api(arthur, api_as) -> None:  # noqa: ANN001
    client = sign_in(Client(), "gp.uk")
    page = client.post(f"/people/{arthur.pk}/warnings/add/", {
        "kind": "", "title": "<script>x</script>", "sensitivity": "care_team",
        **date_parts("review_date", None)})
    assert page.status_code == 400
    html = page.content.decode()
    assert "Choose the type of warning." in html and "<script>x</script>" not in html
    api = api_as("gp.uk").post(f"/people/{arthur.pk}/warnings", {"title": "No type",
                                                                  "kind": ""})
    body = assert_problem(api, 422)
    assert "kind" in body["errors"]
    assert not PersonWarning.objects.filter(title__in=["No type", "<script>x</script>"]).exists()


def test_raise_through_the_page(arthur) -> None:  # noqa: ANN001
    client = sign_in(Client(), "home.uk")
    review = timezone.localdate() + dt.timedelta(days=30)
    response = client.post(f"/people/{arthur.pk}/warnings/add/", {
        "kind": "infection", "title": "Norovirus on the unit", "details": "Gloves and aprons.",
        "sensitivity": "care_team", **date_parts("review_date", review)})
    assert response.status_code == 302
    warning = PersonWarning.objects.get(title="Norovirus on the unit")
    assert warning.review_date == review and warning.raised_by.user.username == "home.uk"
    assert "Norovirus on the unit" in banner_of(
        sign_in(Client(), "sw.uk").get(f"/people/{arthur.pk}/").content.decode())


def test_ending_needs_a_reason_and_takes_it_off_the_banner(actor_for, arthur) -> None:  # noqa: ANN001
    allergy = PersonWarning.objects.get(person=arthur, kind="allergy")
    gp = actor_for("gp.uk")
    for reason in ("", "   ", "ok", "\u200b" * 10):
        with pytest.raises(ValidationFailed):
            services.warning_end(actor=gp, person_id=arthur.pk, warning_id=allergy.pk,
                                 reason=reason, expected_version=allergy.version)
    with pytest.raises(StaleVersion):
        services.warning_end(actor=gp, person_id=arthur.pk, warning_id=allergy.pk,
                             reason="Tested negative", expected_version=allergy.version + 1)
    ended = services.warning_end(actor=actor_for("sw.uk"), person_id=arthur.pk,
                                 warning_id=allergy.pk,
                                 reason="Allergy testing at St Mary's was negative",
                                 expected_version=allergy.version)
    assert ended.status == "ended" and ended.ended_by.user.username == "sw.uk"
    html = sign_in(Client(), "gp.uk").get(f"/people/{arthur.pk}/").content.decode()
    assert "Penicillin" not in banner_of(html)
    listing = sign_in(Client(), "gp.uk").get(f"/people/{arthur.pk}/warnings/").content.decode()
    assert "Allergy testing at St Mary&#x27;s was negative" in listing
    with pytest.raises(ValidationFailed):  # the state table: an ended warning stays ended
        services.warning_review(actor=gp, person_id=arthur.pk, warning_id=allergy.pk,
                                review_date=timezone.localdate(), expected_version=None)
    entry = TimelineEntry.objects.get(kind="notes.warning_ended", object_id=str(allergy.pk))
    assert entry.data["reason"].startswith("Allergy testing")


def test_who_may_record_warnings(actor_for, arthur, api_as) -> None:  # noqa: ANN001
    from careweave.access import services as access

    access.break_glass_start(actor=actor_for("outsider.uk"), person_id=arthur.pk,
                             reason="Collapsed at the bus stop")
    for username in ("outsider.uk", "analyst.uk"):
        with pytest.raises(AccessDenied):
            services.warning_raise(actor=actor_for(username), person_id=arthur.pk,
                                   data=ok_data())
        assert api_as(username).post(f"/people/{arthur.pk}/warnings",
                                     ok_data()).status_code == 404
    # emergency access reads the warnings, changes none
    assert "DNACPR" in sign_in(Client(), "outsider.uk").get(
        f"/people/{arthur.pk}/").content.decode()
    dnacpr = PersonWarning.objects.get(person=arthur, kind="dnacpr")
    assert sign_in(Client(), "outsider.uk").get(
        f"/people/{arthur.pk}/warnings/{dnacpr.pk}/end/").status_code == 404
    assert services.warning_raise(actor=actor_for("home.uk"), person_id=arthur.pk,
                                  data=ok_data()).pk


def test_only_the_raising_organisation_changes_the_wording(actor_for, arthur, api_as) -> None:  # noqa: ANN001
    dnacpr = PersonWarning.objects.get(person=arthur, kind="dnacpr")
    with pytest.raises(NotPermitted):
        services.warning_change(actor=actor_for("sw.uk"), person_id=arthur.pk,
                                warning_id=dnacpr.pk, changes={"title": "Changed"},
                                expected_version=dnacpr.version)
    with pytest.raises(ValidationFailed) as caught:
        services.warning_change(actor=actor_for("gp.uk"), person_id=arthur.pk,
                                warning_id=dnacpr.pk, changes={"sensitivity": "organisation"},
                                expected_version=dnacpr.version)
    assert "sensitivity" in caught.value.errors
    api = api_as("gp.uk")
    url = f"/people/{arthur.pk}/warnings/{dnacpr.pk}"
    got = api.get(url)
    assert got["ETag"] == 'W/"1"'
    assert_problem(api.patch(url, {"title": "DNACPR form (ReSPECT)"}), 428)
    assert_problem(api.patch(url, {"title": "DNACPR form (ReSPECT)"}, HTTP_IF_MATCH='W/"7"'),
                   412)
    assert_problem(api.patch(url, {"title": "x"}, HTTP_IF_MATCH="garbage"), 412)
    done = api.patch(url, {"title": "DNACPR form (ReSPECT)"}, HTTP_IF_MATCH='W/"1"')
    assert done.status_code == 200 and done["ETag"] == 'W/"2"'
    assert done.json()["title"] == "DNACPR form (ReSPECT)"
    assert_problem(api_as("sw.uk").patch(url, {"title": "x"}, HTTP_IF_MATCH='W/"2"'), 403)
    assert PersonWarning.objects.get(pk=dnacpr.pk).title == "DNACPR form (ReSPECT)"


def test_review_through_the_api_and_the_page(actor_for, arthur, api_as) -> None:  # noqa: ANN001
    key_safe = PersonWarning.objects.get(person=arthur, kind="access")
    api = api_as("home.uk")
    url = f"/people/{arthur.pk}/warnings/{key_safe.pk}/review"
    later = (timezone.localdate() + dt.timedelta(days=200)).isoformat()
    assert_problem(api.post(url, {"review_date": later}), 428)
    assert_problem(api.post(url, {"review_date": "2001-01-01"}, HTTP_IF_MATCH='W/"1"'), 422)
    done = api.post(url, {"review_date": later}, HTTP_IF_MATCH='W/"1"')
    assert done.status_code == 200 and done.json()["review_date"] == later
    client = sign_in(Client(), "home.uk")
    stale = client.post(f"/people/{arthur.pk}/warnings/{key_safe.pk}/review/", {
        "version": "1", **date_parts("review_date", timezone.localdate())})
    assert stale.status_code == 412 and "Someone else changed" in stale.content.decode()


def test_a_review_past_due_is_on_the_raising_organisations_list(actor_for, arthur,
                                                               api_as) -> None:  # noqa: ANN001
    gp, sw = actor_for("gp.uk"), actor_for("sw.uk")
    due = services.warning_raise(actor=gp, person_id=arthur.pk, data=ok_data(
        title="Review me", review_date=timezone.localdate()))
    PersonWarning.objects.filter(pk=due.pk).update(
        review_date=timezone.localdate() - dt.timedelta(days=3))
    titles = [w.title for w in selectors.reviews_due(actor=gp).items]
    assert "Review me" in titles and "Large dog at the house: ask for it to be shut away" in titles
    assert "Review me" not in [w.title for w in selectors.reviews_due(actor=sw).items]
    page = sign_in(Client(), "gp.uk").get("/warnings/reviews-due/").content.decode()
    assert "Review me" in page and "Penrose, Arthur" in page
    assert "Review me" not in sign_in(Client(), "sw.uk").get(
        "/warnings/reviews-due/").content.decode()
    body = api_as("gp.uk").get("/warnings/reviews-due").json()
    assert "Review me" in [i["warning"]["title"] for i in body["items"]]
    assert AuditEvent.objects.filter(object_type="Warning", action="search").exists()
    # reviewed: off the list
    services.warning_review(actor=gp, person_id=arthur.pk, warning_id=due.pk,
                            review_date=timezone.localdate() + dt.timedelta(days=90),
                            expected_version=None)
    assert "Review me" not in [w.title for w in selectors.reviews_due(actor=gp).items]


def test_the_caseload_flags_warnings(arthur) -> None:  # noqa: ANN001
    page = sign_in(Client(), "home.uk").get("/caseload/").content.decode()
    row = page[page.index("Penrose, Arthur"):]
    row = row[:row.index("</tr>")]
    assert 'data-flag="notes.warnings"' in row
    assert "DNACPR / ReSPECT, Allergy, Key safe / access" in row
