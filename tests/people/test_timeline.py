"""The person's timeline: domain events written by the services (not the audit log), shown
on the person page, on its own page with filters and keyset pages, and through the API,
to who may see the person only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from careweave.access import services as access
from careweave.people import services as people
from careweave.people.models import TimelineEntry
from careweave.people.timeline import timeline_add, timeline_page
from tests.support import assert_problem

pytestmark = pytest.mark.django_db


def kinds_of(person) -> list[str]:  # noqa: ANN001
    return list(TimelineEntry.objects.filter(person=person).order_by("-at", "-id")
                .values_list("kind", flat=True))


def test_the_demo_has_a_timeline_from_its_records(arthur) -> None:  # noqa: ANN001
    kinds = set(kinds_of(arthur))
    assert {"people.registered", "access.care_team_joined", "access.consent_recorded",
            "people.network_added"} <= kinds


def test_services_write_the_events_in_their_transaction(actor_for, arthur, org) -> None:  # noqa: ANN001, E501
    gp = actor_for("gp.uk")
    before = TimelineEntry.objects.filter(person=arthur).count()
    member = access.care_team_add(actor=gp, person_id=arthur.pk,
                                  organisation_id=org("Northshire Home Care").pk,
                                  role="Home care")
    access.care_team_end(actor=gp, member_id=member.pk, reason="Moved to the care home")
    consent = access.consent_record(actor=gp, person_id=arthur.pk, purpose="coordination",
                                    decision="permit")
    access.consent_withdraw(actor=gp, consent_id=consent.pk, reason="Changed his mind")
    person = people.person_update(actor=gp, person_id=arthur.pk,
                                  changes={"address_line": "3 Mill Lane", "postcode": "NS1 4AB"},
                                  identifiers=[("nhs", "401 023 2137")])
    entries = list(TimelineEntry.objects.filter(person=arthur).order_by("-at", "-id")
                   [:TimelineEntry.objects.filter(person=arthur).count() - before])
    assert [e.kind for e in entries] == [
        "people.identifier_changed", "people.address_changed", "access.consent_withdrawn",
        "access.consent_recorded", "access.care_team_left", "access.care_team_joined"]
    assert all(e.organisation.name == "Riverside Surgery" for e in entries)
    assert entries[0].data == {"system": "nhs", "before": "9434765919", "after": "4010232137"}
    assert person.version == 2


def test_a_refused_change_writes_no_entry(actor_for, maya) -> None:  # noqa: ANN001
    from careweave.access.gate import AccessDenied

    before = TimelineEntry.objects.count()
    with pytest.raises(AccessDenied):
        people.person_update(actor=actor_for("sw.uk"), person_id=maya.pk,
                             changes={"address_line": "Nowhere"})
    assert TimelineEntry.objects.count() == before


def test_entries_read_in_english_and_swedish(actor_for, arthur, settings) -> None:  # noqa: ANN001
    from django.utils import translation

    from careweave.access.gate import decide

    gp = actor_for("gp.uk")
    access.consent_record(actor=gp, person_id=arthur.pk, purpose="coordination",
                          decision="deny", organisation_ids=[])
    page = timeline_page(actor=gp, person_id=arthur.pk, decision=decide(gp, arthur), size=1)
    assert page.items[0].text.startswith("Objection recorded to ")
    assert page.items[0].text.endswith(", covering the whole care team.")
    with translation.override("sv"):
        page = timeline_page(actor=gp, person_id=arthur.pk, decision=decide(gp, arthur), size=1)
        assert page.items[0].text.startswith("Invändning dokumenterad mot ")
        assert page.items[0].text.endswith(", som gäller hela vårdteamet.")


def test_unknown_kinds_are_refused_when_written() -> None:
    with pytest.raises(ValueError, match="not registered"):
        timeline_add(actor=None, person_id=None, kind="nobody.knows")  # type: ignore[arg-type]


def test_the_person_page_shows_the_newest_entries(login_as, arthur) -> None:  # noqa: ANN001
    page = login_as("gp.uk").get(f"/people/{arthur.pk}/").content.decode()
    assert 'id="timeline"' in page
    # the newest entry (the demo's domain apps write theirs after the registration)
    from django.utils.html import escape

    from careweave.people.timeline import describe

    newest = TimelineEntry.objects.filter(person=arthur).order_by("-at", "-id").first()
    assert escape(describe(newest)) in page
    assert reverse("people:timeline", kwargs={"person_id": arthur.pk}) in page


def test_the_timeline_page_filters_by_kind_and_organisation(login_as, arthur, org, actor_for) -> None:  # noqa: ANN001, E501
    access.care_team_add(actor=actor_for("sw.uk"), person_id=arthur.pk,
                         organisation_id=org("Riverside Befriending Trust").pk,
                         role="Befriender")
    client = login_as("gp.uk")
    url = reverse("people:timeline", kwargs={"person_id": arthur.pk})
    page = client.get(url).content.decode()
    assert "Riverside Befriending Trust joined the care team as Befriender" in page
    assert "registered the record" in page
    page = client.get(url, {"kind": "access.care_team_joined"}).content.decode()
    assert "joined the care team" in page and "registered the record" not in page
    council = org("Northshire Council Adult Social Care")
    page = client.get(url, {"organisation": str(council.pk)}).content.decode()
    assert "Befriending Trust joined" in page and "registered the record" not in page
    bad = client.get(url, {"kind": "nonsense", "organisation": "not-an-id"})
    assert bad.status_code == 400 and "Choose one from the list." in bad.content.decode()


def test_the_timeline_pages_with_a_keyset_cursor(login_as, arthur, actor_for, settings) -> None:  # noqa: ANN001, E501
    settings.CAREWEAVE = {**settings.CAREWEAVE, "PAGE_SIZE": 5}
    gp = actor_for("gp.uk")
    for i in range(12):
        timeline_add(actor=gp, person_id=arthur.pk, kind="people.address_changed",
                     at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=i),
                     data={"before": [], "after": [f"{i} Page Street"]})
    client = login_as("gp.uk")
    url = reverse("people:timeline", kwargs={"person_id": arthur.pk})
    seen: list[str] = []
    params = {"kind": "people.address_changed"}
    for _ in range(5):
        response = client.get(url, params)
        page = response.content.decode()
        seen += [f"{i} Page Street" for i in range(12) if f"to: {i} Page Street." in page]
        if 'rel="next"' not in page:
            break
        params["cursor"] = response.context["links"]["next"].split("cursor=")[1]
    assert sorted(seen) == sorted(f"{i} Page Street" for i in range(12))
    assert len(seen) == 12  # no entry twice


def test_who_may_not_see_the_person_sees_no_timeline(login_as, maya, arthur, api_as) -> None:  # noqa: ANN001, E501
    for username, person in (("sw.uk", maya), ("outsider.uk", arthur)):
        url = reverse("people:timeline", kwargs={"person_id": person.pk})
        assert login_as(username).get(url).status_code == 404
        assert_problem(api_as(username).get(f"/people/{person.pk}/timeline"), 404)


def test_the_timeline_through_the_api(api_as, arthur, org) -> None:  # noqa: ANN001
    api = api_as("gp.uk")
    body = api.get(f"/people/{arthur.pk}/timeline?size=2").json()
    assert len(body["items"]) == 2 and body["next_cursor"]
    first = body["items"][0]
    assert set(first) == {"id", "at", "kind", "kind_label", "text", "organisation", "data"}
    more = api.get(f"/people/{arthur.pk}/timeline?size=2&cursor={body['next_cursor']}").json()
    assert {i["id"] for i in more["items"]}.isdisjoint({i["id"] for i in body["items"]})
    only = api.get(f"/people/{arthur.pk}/timeline?kind=people.registered").json()
    assert [i["kind"] for i in only["items"]] == ["people.registered"]
    riverside = org("Riverside Surgery")
    by_org = api.get(f"/people/{arthur.pk}/timeline?organisation={riverside.pk}").json()
    assert by_org["items"] and all(i["organisation"]["id"] == str(riverside.pk)
                                   for i in by_org["items"])
    sv = api.get(f"/people/{arthur.pk}/timeline?kind=people.registered",
                 HTTP_ACCEPT_LANGUAGE="sv").json()
    assert sv["items"][0]["text"] != only["items"][0]["text"]
    assert_problem(api.get(f"/people/{arthur.pk}/timeline?kind=nobody.knows"), 422)
    assert_problem(api.get(f"/people/{arthur.pk}/timeline?size=1000"), 422)


def test_reading_the_timeline_is_audited_once(api_as, arthur) -> None:  # noqa: ANN001
    from careweave.audit.models import AuditEvent

    before = AuditEvent.objects.count()
    api_as("gp.uk").get(f"/people/{arthur.pk}/timeline")
    events = list(AuditEvent.objects.order_by("id")[before:])
    assert [(e.action, e.object_type) for e in events] == [("read", "Timeline")]


def test_the_seeder_writes_timeline_entries(db) -> None:  # noqa: ANN001
    from careweave.seed.generator import seed_people

    seed_people(people=20, seed=3, batch=1000, log=lambda _m: None)
    assert TimelineEntry.objects.filter(kind="people.registered").count() >= 20
    assert TimelineEntry.objects.filter(kind="access.care_team_joined").exists()


def test_backfill_builds_the_same_entries_as_the_records(arthur) -> None:  # noqa: ANN001
    from careweave.access.backfill import backfill, live_models

    # the kinds of the records the backfill knows (apps added since write their own)
    kinds = sorted(k for k in kinds_of(arthur) if k.split(".")[0] in ("people", "access"))
    TimelineEntry.objects.filter(person=arthur).delete()
    written = backfill(models=live_models(), person_ids=[arthur.pk])
    assert written == len(kinds) and sorted(kinds_of(arthur)) == kinds
