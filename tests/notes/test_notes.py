"""Case notes: recorded, never edited in place (an amendment keeps the original, and the
database refuses UPDATE and DELETE on PostgreSQL), bad input refused with nothing written,
replays answered with the first note, everything audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from careweave.access.gate import AccessDenied
from careweave.audit.models import AuditEvent
from careweave.core.errors import DuplicateRecord, NotPermitted, StaleVersion, ValidationFailed
from careweave.notes import selectors, services
from careweave.notes.models import CaseNote
from careweave.people.models import TimelineEntry
from tests.support import assert_problem, date_parts, sign_in

pytestmark = pytest.mark.django_db
PG = connection.vendor == "postgresql"


def data(**extra: Any) -> dict[str, Any]:
    return {"kind": "visit", "occurred_at": timezone.now() - dt.timedelta(hours=2),
            "with_whom": ["person"], "summary": "Morning visit", "body": "Arthur was well.",
            **extra}


def counts() -> tuple[int, int, int]:
    return (CaseNote.objects.count(), TimelineEntry.objects.filter(
        kind__startswith="notes.note").count(), AuditEvent.objects.filter(
        object_type="CaseNote", outcome="allowed").exclude(action="read").count())


def test_a_note_is_recorded_audited_and_on_the_timeline(actor_for, arthur) -> None:  # noqa: ANN001
    home = actor_for("home.uk")
    before = counts()
    made, created = services.note_create(actor=home, person_id=arthur.pk, data=data(
        with_whom_detail="Jean (daughter)", follow_up="Tell the GP about the cough."))
    assert created and made.author == home.membership and made.author_role == "care_worker"
    assert made.organisation.name == "Oakwood Care Home"
    assert counts() == (before[0] + 1, before[1] + 1, before[2] + 1)
    event = AuditEvent.objects.filter(object_type="CaseNote", object_id=str(made.pk)).get()
    assert (event.action, event.person_id, event.detail["kind"]) == ("create", arthur.pk,
                                                                     "visit")
    entry = TimelineEntry.objects.get(object_id=str(made.pk))
    assert entry.at == made.occurred_at and entry.data["summary"] == "Morning visit"


def test_an_amendment_keeps_the_original_and_both_are_seen(actor_for, arthur, api_as) -> None:  # noqa: ANN001
    home = actor_for("home.uk")
    original, _c = services.note_create(actor=home, person_id=arthur.pk, data=data())
    amendment = services.note_amend(actor=home, person_id=arthur.pk, note_id=original.pk,
                                    changes={"body": "Arthur was well. Ate all his lunch."},
                                    reason="Forgot lunch", expected_version=1)
    original.refresh_from_db()
    assert original.body == "Arthur was well." and original.amends is None
    assert amendment.amends == original and amendment.amendment_reason == "Forgot lunch"
    assert amendment.summary == original.summary  # the whole note, corrected
    # readers on another organisation see both, and who changed what and why
    page = sign_in(Client(), "gp.uk").get(f"/people/{arthur.pk}/notes/{original.pk}/")
    html = page.content.decode()
    assert "Ate all his lunch." in html and "Arthur was well." in html
    assert "Forgot lunch" in html and "Amended by" in html and "Original" in html
    body = api_as("sw.uk").get(f"/people/{arthur.pk}/notes/{original.pk}").json()
    assert body["version"] == 2 and body["amended"]
    assert body["original"]["body"] == "Arthur was well."
    assert body["current"]["body"].endswith("Ate all his lunch.")
    assert body["amendments"][0]["reason"] == "Forgot lunch"
    # the list shows the note once, as it reads now
    listing = api_as("gp.uk").get(f"/people/{arthur.pk}/notes?size=100").json()["items"]
    assert [n["current"]["body"] for n in listing if n["id"] == str(original.pk)] == [
        "Arthur was well. Ate all his lunch."]
    assert not any(n["id"] == str(amendment.pk) for n in listing)


def test_amendments_guard_versions_and_authorship(actor_for, arthur, api_as) -> None:  # noqa: ANN001
    home, gp = actor_for("home.uk"), actor_for("gp.uk")
    original, _c = services.note_create(actor=home, person_id=arthur.pk, data=data())
    services.note_amend(actor=home, person_id=arthur.pk, note_id=original.pk,
                        changes={"summary": "Morning visit (corrected)"}, reason="Typo here",
                        expected_version=1)
    with pytest.raises(StaleVersion):
        services.note_amend(actor=home, person_id=arthur.pk, note_id=original.pk,
                            changes={"summary": "Again"}, reason="Stale one", expected_version=1)
    with pytest.raises(NotPermitted):  # another organisation adds its own note instead
        services.note_amend(actor=gp, person_id=arthur.pk, note_id=original.pk,
                            changes={"summary": "GP's view"}, reason="I disagree",
                            expected_version=2)
    with pytest.raises(ValidationFailed) as caught:
        services.note_amend(actor=home, person_id=arthur.pk, note_id=original.pk,
                            changes={"summary": "Morning visit (corrected)"}, reason="Nothing",
                            expected_version=2)
    assert "Nothing was changed" in caught.value.message
    with pytest.raises(ValidationFailed) as caught:
        services.note_amend(actor=home, person_id=arthur.pk, note_id=original.pk,
                            changes={"occurred_at": "2020-01-01", "sensitivity": "organisation"},
                            reason="   ", expected_version=2)
    assert set(caught.value.errors) == {"occurred_at", "sensitivity", "reason"}
    assert CaseNote.objects.filter(amends=original).count() == 1
    api = api_as("home.uk")
    url = f"/people/{arthur.pk}/notes/{original.pk}/amendments"
    assert_problem(api.post(url, {"reason": "No If-Match", "body": "x"}), 428)
    assert_problem(api.post(url, {"reason": "Stale If-Match", "body": "x"},
                            HTTP_IF_MATCH='W/"1"'), 412)
    done = api.post(url, {"reason": "Current If-Match", "body": "Fresh body"},
                    HTTP_IF_MATCH='W/"2"')
    assert done.status_code == 201 and done["ETag"] == 'W/"3"'
    assert api_as("gp.uk").post(url, {"reason": "Not mine", "body": "x"},
                                HTTP_IF_MATCH='W/"3"').status_code == 403


def test_the_model_never_updates_or_deletes_a_note(actor_for, arthur) -> None:  # noqa: ANN001
    made, _c = services.note_create(actor=actor_for("home.uk"), person_id=arthur.pk,
                                    data=data())
    made.body = "Rewritten"
    with pytest.raises(TypeError):
        made.save()
    with pytest.raises(TypeError):
        made.delete()
    with pytest.raises(TypeError):
        CaseNote.objects.filter(pk=made.pk).update(body="Rewritten")
    with pytest.raises(TypeError):
        CaseNote.objects.filter(pk=made.pk).delete()
    assert CaseNote.objects.get(pk=made.pk).body == "Arthur was well."


@pytest.mark.skipif(not PG, reason="the append-only trigger exists on PostgreSQL only")
def test_the_database_refuses_to_update_a_note(actor_for, arthur) -> None:  # noqa: ANN001
    made, _c = services.note_create(actor=actor_for("home.uk"), person_id=arthur.pk,
                                    data=data())
    for sql in ("UPDATE notes_casenote SET body = 'Rewritten' WHERE id = %s",
                "UPDATE notes_casenote SET sensitivity = 'care_team', summary = 'x' "
                "WHERE id = %s"):
        with pytest.raises(DatabaseError, match="never changed in place"), \
                transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [made.pk])
    assert CaseNote.objects.get(pk=made.pk).body == "Arthur was well."


@pytest.mark.skipif(not PG, reason="the append-only trigger exists on PostgreSQL only")
def test_the_database_lets_a_merge_move_a_note_to_the_record_that_stays(
        actor_for, arthur, maya) -> None:  # noqa: ANN001
    made, _c = services.note_create(actor=actor_for("home.uk"), person_id=arthur.pk,
                                    data=data())
    with connection.cursor() as cursor:
        cursor.execute("UPDATE notes_casenote SET person_id = %s WHERE id = %s",
                       [maya.pk, made.pk])
    assert CaseNote.objects.get(pk=made.pk).person_id == maya.pk


@pytest.mark.skipif(not PG, reason="the append-only trigger exists on PostgreSQL only")
def test_the_database_refuses_to_delete_a_note_unless_the_whole_record_goes(
        actor_for, arthur, maya) -> None:  # noqa: ANN001
    made, _c = services.note_create(actor=actor_for("home.uk"), person_id=arthur.pk,
                                    data=data())
    with pytest.raises(DatabaseError, match="never deleted"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute("DELETE FROM notes_casenote WHERE id = %s", [made.pk])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what COMMIT would do
    assert CaseNote.objects.filter(pk=made.pk).exists()
    # erasing a whole record (or `careweave demo --reset`) takes its notes with it
    with transaction.atomic(), connection.cursor() as cursor:
        maya.delete()
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert not CaseNote.objects.filter(person_id=maya.pk).exists()


BAD = [
    ({"kind": ""}, "kind"),
    ({"kind": "séance"}, "kind"),
    ({"occurred_at": timezone.now() + dt.timedelta(days=1)}, "occurred_at"),
    ({"occurred_at": "yesterday"}, "occurred_at"),
    ({"occurred_at": dt.datetime(1899, 12, 31, tzinfo=dt.UTC)}, "occurred_at"),
    ({"summary": ""}, "summary"),
    ({"summary": "\u200b\u200b"}, "summary"),
    ({"summary": "x" * 201}, "summary"),
    ({"body": "y" * 20001}, "body"),
    ({"body": "a\x00b"}, "body"),
    ({"body": "mojibake \ufffd"}, "body"),
    ({"with_whom": ["the cat"]}, "with_whom"),
    ({"sensitivity": "top_secret"}, "sensitivity"),
    ({"sensitivity": "restricted"}, "sensitivity"),
    ({"sensitivity": "restricted", "roles": ["pilot"]}, "roles"),
    ({"roles": ["clinician"]}, "sensitivity"),
    ({"colour": "red"}, "colour"),
]


@pytest.mark.parametrize("change,field", BAD, ids=[b[1] + str(i) for i, b in enumerate(BAD)])
def test_bad_input_is_refused_and_nothing_is_written(change: dict[str, Any], field: str,
                                                     actor_for, arthur) -> None:  # noqa: ANN001
    before = counts()
    with pytest.raises(ValidationFailed) as caught:
        services.note_create(actor=actor_for("home.uk"), person_id=arthur.pk,
                             data=data(**change))
    assert field in caught.value.errors and all(caught.value.errors.values())
    assert counts() == before


def test_swedish_text_and_html_are_kept_as_written_and_escaped(actor_for, arthur) -> None:  # noqa: ANN001
    body = "Åsa och Örjan hälsade på. <script>alert('x')</script> <b>fet</b>"
    made, _c = services.note_create(actor=actor_for("home.uk"), person_id=arthur.pk,
                                    data=data(summary="Besök – ÅÄÖ åäö", body=body))
    assert made.body == body and made.summary == "Besök – ÅÄÖ åäö"
    html = sign_in(Client(), "gp.uk").get(f"/people/{arthur.pk}/notes/{made.pk}/").content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<b>fet</b>" not in html and "Besök – ÅÄÖ åäö" in html


def test_nfd_text_is_stored_as_nfc(actor_for, arthur) -> None:  # noqa: ANN001
    made, _c = services.note_create(actor=actor_for("home.uk"), person_id=arthur.pk,
                                    data=data(summary="A\u030asa"))
    assert made.summary == "\u00c5sa"


def test_a_replay_returns_the_first_note(actor_for, arthur, api_as) -> None:  # noqa: ANN001
    home = actor_for("home.uk")
    first, created = services.note_create(actor=home, person_id=arthur.pk, data=data(),
                                          idempotency_key="visit-2026-11-23")
    again, created_again = services.note_create(actor=home, person_id=arthur.pk, data=data(
        occurred_at=first.occurred_at), idempotency_key="visit-2026-11-23")
    assert created and not created_again and again == first
    with pytest.raises(DuplicateRecord):
        services.note_create(actor=home, person_id=arthur.pk,
                             data=data(occurred_at=first.occurred_at, body="Different"),
                             idempotency_key="visit-2026-11-23")
    assert CaseNote.objects.filter(idempotency_key="visit-2026-11-23").count() == 1
    api = api_as("home.uk")
    body = {"kind": "phone", "occurred_at": "2026-01-05T10:00:00+00:00", "summary": "Call",
            "body": "Spoke to Jean."}
    one = api.post(f"/people/{arthur.pk}/notes", body, HTTP_IDEMPOTENCY_KEY="k-1")
    two = api.post(f"/people/{arthur.pk}/notes", body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert (one.status_code, two.status_code) == (201, 200)
    assert one.json()["id"] == two.json()["id"]
    assert_problem(api.post(f"/people/{arthur.pk}/notes", {**body, "body": "Other"},
                            HTTP_IDEMPOTENCY_KEY="k-1"), 409)
    assert_problem(api.post(f"/people/{arthur.pk}/notes", body,
                            HTTP_IDEMPOTENCY_KEY="k" * 101), 422)


def test_the_note_form_is_keyboard_ready_and_safe_to_submit_twice(arthur) -> None:  # noqa: ANN001
    client = sign_in(Client(), "home.uk")
    form = client.get(f"/people/{arthur.pk}/notes/add/").content.decode()
    assert 'name="idempotency_key"' in form and 'enctype="multipart/form-data"' in form
    key = form.split('name="idempotency_key"')[1].split('value="')[1].split('"')[0]
    today = timezone.localdate()
    post = {"kind": "visit", **date_parts("date", today), "time": "00:01",
            "summary": "Evening visit", "body": "Settled for the night.",
            "sensitivity": "care_team", "idempotency_key": key}
    first = client.post(f"/people/{arthur.pk}/notes/add/", post)
    second = client.post(f"/people/{arthur.pk}/notes/add/", post)  # a double click
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert CaseNote.objects.filter(person=arthur, summary="Evening visit").count() == 1


def test_the_note_form_shows_errors_with_status_400(arthur) -> None:  # noqa: ANN001
    client = sign_in(Client(), "home.uk")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    bad = client.post(f"/people/{arthur.pk}/notes/add/", {
        "kind": "visit", **date_parts("date", tomorrow), "time": "25:99", "summary": "",
        "body": "", "sensitivity": "care_team"})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "There is a problem" in html and "Enter a time like 14:30." in html
    future = client.post(f"/people/{arthur.pk}/notes/add/", {
        "kind": "visit", **date_parts("date", tomorrow), "time": "10:00", "summary": "Later",
        "body": "Not yet", "sensitivity": "care_team"})
    assert future.status_code == 400
    assert "cannot be in the future" in future.content.decode()
    assert not CaseNote.objects.filter(summary="Later").exists()


def test_who_may_write_notes(arthur, actor_for, api_as) -> None:  # noqa: ANN001
    from careweave.access import services as access

    access.break_glass_start(actor=actor_for("outsider.uk"), person_id=arthur.pk,
                             reason="Emergency in A&E tonight")
    for username in ("outsider.uk", "analyst.uk", "privacy.uk"):
        with pytest.raises(AccessDenied):
            services.note_create(actor=actor_for(username), person_id=arthur.pk, data=data())
        assert api_as(username).post(f"/people/{arthur.pk}/notes", {
            "kind": "visit", "occurred_at": "2026-01-05T10:00:00Z", "summary": "x",
            "body": "y"}).status_code == 404
    assert sign_in(Client(), "outsider.uk").get(
        f"/people/{arthur.pk}/notes/add/").status_code == 404
    # a care worker on the team may (home.uk), so may a social worker (sw.uk)
    for username in ("home.uk", "sw.uk"):
        assert services.note_create(actor=actor_for(username), person_id=arthur.pk,
                                    data=data())[1]


def test_filters_by_kind_organisation_and_author(arthur, actor_for) -> None:  # noqa: ANN001
    from careweave.access.gate import open_person

    gp, home = actor_for("gp.uk"), actor_for("home.uk")
    services.note_create(actor=gp, person_id=arthur.pk, data=data(kind="phone",
                                                                  summary="GP phoned"))
    _p, decision = open_person(gp, arthur.pk)
    everything = selectors.notes_page(actor=gp, person=arthur, decision=decision, size=100)
    assert len(everything.items) == 8  # a week of visits from the demo, and this call
    phones = selectors.notes_page(actor=gp, person=arthur, decision=decision, kind="phone")
    assert [n.summary for n in phones.items] == ["GP phoned"]
    by_org = selectors.notes_page(actor=gp, person=arthur, decision=decision,
                                  organisation_id=home.organisation_id, size=100)
    assert len(by_org.items) == 7
    by_author = selectors.notes_page(actor=gp, person=arthur, decision=decision,
                                     author_id=gp.membership.pk)
    assert [n.summary for n in by_author.items] == ["GP phoned"]
    first = selectors.notes_page(actor=gp, person=arthur, decision=decision, size=3)
    second = selectors.notes_page(actor=gp, person=arthur, decision=decision, size=3,
                                  cursor=first.next_cursor)
    assert len(first.items) == len(second.items) == 3
    assert not {n.pk for n in first.items} & {n.pk for n in second.items}
    assert first.items[0].occurred_at >= second.items[0].occurred_at
    client = sign_in(Client(), "gp.uk")
    page = client.get(f"/people/{arthur.pk}/notes/?kind=phone").content.decode()
    assert "GP phoned" in page and "Morning visit: settled night" not in page
    assert client.get(f"/people/{arthur.pk}/notes/?kind=bogus").status_code == 400
    assert client.get(f"/people/{arthur.pk}/notes/?cursor=garbage").status_code == 200
