"""The shared medicines list through the service, the pages and the API: who may change it
and who may confirm it, bad input (a medicine stopped before it started, bad codes, a stale
If-Match), reconciliation (the list as each organisation knows it), the printable list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from careweave.access import services as access
from careweave.access.gate import AccessDenied
from careweave.audit.models import AuditEvent
from careweave.core.errors import StaleVersion, ValidationFailed
from careweave.medicines import selectors, services
from careweave.medicines.models import Medicine, MedicineChange, Reconciliation
from careweave.people.models import TimelineEntry
from tests.support import assert_problem, date_parts, sign_in

pytestmark = pytest.mark.django_db


def med(**extra: Any) -> dict[str, Any]:
    return {"name": "Furosemide 40 mg tablets", "dose": "One tablet", "frequency": "Morning",
            "route": "oral", "administered_by": "care_home",
            "started": timezone.localdate() - dt.timedelta(days=10), **extra}


def clozapine(maya: Any) -> Medicine:
    return Medicine.objects.get(person=maya, name__startswith="Clozapine")


def test_the_demo_story_clozapine_changed_by_the_cmht_confirmed_by_the_gp(maya) -> None:  # noqa: ANN001
    cloz = clozapine(maya)
    assert cloz.dose == "250 mg" and cloz.version == 2
    assert cloz.updated_by.user.username == "mh.uk"
    last = selectors.last_review(maya)
    assert last.confirmed_by.user.username == "gp.uk" and last.snapshot[str(cloz.pk)] == 2
    view = selectors.reconciliation_view(maya)
    assert view["unreviewed"] == 0
    kinds = list(TimelineEntry.objects.filter(person=maya, kind__startswith="medicines.")
                 .values_list("kind", flat=True))
    assert "medicines.changed" in kinds and kinds.count("medicines.reconciled") == 2


def test_who_may_change_the_list(actor_for, arthur, api_as) -> None:  # noqa: ANN001
    access.break_glass_start(actor=actor_for("outsider.uk"), person_id=arthur.pk,
                             reason="Admitted unconscious, need the list")
    # break-glass reads the list, changes nothing; a care worker or a social worker on the
    # team changes nothing; analysts never see it
    for username in ("outsider.uk", "home.uk", "sw.uk", "analyst.uk"):
        with pytest.raises(AccessDenied):
            services.medicine_add(actor=actor_for(username), person_id=arthur.pk, data=med())
        assert api_as(username).post(f"/people/{arthur.pk}/medicines", {
            **med(), "started": "2026-01-01"}).status_code == 404
        assert sign_in(Client(), username).get(
            f"/people/{arthur.pk}/medicines/add/").status_code == 404
    for username in ("outsider.uk", "home.uk", "sw.uk"):
        assert api_as(username).get(f"/people/{arthur.pk}/medicines").status_code == 200
    assert api_as("analyst.uk").get(f"/people/{arthur.pk}/medicines").status_code == 404
    added = services.medicine_add(actor=actor_for("gp.uk"), person_id=arthur.pk, data=med())
    assert added.version == 1 and added.organisation.name == "Riverside Surgery"
    change = MedicineChange.objects.get(medicine=added)
    assert change.kind == "started" and change.after["dose"] == "One tablet"
    assert AuditEvent.objects.filter(object_type="Medicine", object_id=str(added.pk),
                                     action="create").count() == 1


BAD = [
    ({"name": ""}, "name"), ({"dose": " "}, "dose"), ({"frequency": ""}, "frequency"),
    ({"route": "by owl"}, "route"), ({"administered_by": "robot"}, "administered_by"),
    ({"name": "n" * 201}, "name"), ({"instructions": "i" * 501}, "instructions"),
    ({"started": "1899-12-31"}, "started"), ({"started": "next year-ish"}, "started"),
    ({"started": (timezone.localdate() + dt.timedelta(days=400)).isoformat()}, "started"),
    ({"code_system": "dmd", "code": "322236008"}, "code"),
    ({"code_system": "", "code": "322236009"}, "code_system"),
    ({"code_system": "npl", "code": ""}, "code"),
    ({"prescriber_id": "not-a-uuid"}, "prescriber_id"),
    ({"stopped": "2026-01-01"}, "stopped"),
    ({"name": "bad \x00 byte"}, "name"),
]


@pytest.mark.parametrize("change,field", BAD, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD)])
def test_bad_medicines_are_refused(change: dict[str, Any], field: str, actor_for,
                                   arthur) -> None:  # noqa: ANN001
    before = (Medicine.objects.count(), MedicineChange.objects.count())
    with pytest.raises(ValidationFailed) as caught:
        services.medicine_add(actor=actor_for("gp.uk"), person_id=arthur.pk, data=med(**change))
    assert field in caught.value.errors
    assert (Medicine.objects.count(), MedicineChange.objects.count()) == before


def test_a_medicine_cannot_stop_before_it_started(actor_for, arthur, api_as) -> None:  # noqa: ANN001
    gp = actor_for("gp.uk")
    m = services.medicine_add(actor=gp, person_id=arthur.pk, data=med())
    with pytest.raises(ValidationFailed) as caught:
        services.medicine_stop(actor=gp, person_id=arthur.pk, medicine_id=m.pk,
                               stopped=m.started - dt.timedelta(days=1), reason="Dizzy",
                               expected_version=1)
    assert caught.value.errors["stopped"] == ["A medicine cannot be stopped before it was "
                                              "started."]
    with pytest.raises(ValidationFailed):
        services.medicine_stop(actor=gp, person_id=arthur.pk, medicine_id=m.pk,
                               stopped=timezone.localdate() + dt.timedelta(days=2),
                               reason="Planned", expected_version=1)
    with pytest.raises(ValidationFailed):
        services.medicine_stop(actor=gp, person_id=arthur.pk, medicine_id=m.pk,
                               stopped=timezone.localdate(), reason="", expected_version=1)
    m.refresh_from_db()
    assert (m.status, m.version) == ("active", 1)
    api = api_as("gp.uk")
    url = f"/people/{arthur.pk}/medicines/{m.pk}/stop"
    early = (m.started - dt.timedelta(days=3)).isoformat()
    body = assert_problem(api.post(url, {"stopped": early, "reason": "Dizzy"},
                                   HTTP_IF_MATCH='W/"1"'), 422)
    assert "stopped" in body["errors"]
    assert_problem(api.post(url, {"stopped": timezone.localdate().isoformat(),
                                  "reason": "Dizzy"}), 428)
    done = api.post(url, {"stopped": timezone.localdate().isoformat(), "reason": "Dizzy spells"},
                    HTTP_IF_MATCH='W/"1"')
    assert done.status_code == 200 and done.json()["status"] == "stopped"
    with pytest.raises(ValidationFailed):  # stopped is final: add it again to restart it
        services.medicine_change(actor=gp, person_id=arthur.pk, medicine_id=m.pk,
                                 changes={"dose": "Two"}, expected_version=2)
    page = sign_in(Client(), "gp.uk").post(f"/people/{arthur.pk}/medicines/{m.pk}/stop/", {
        **date_parts("stopped", timezone.localdate()), "reason": "Again", "version": "2"})
    assert page.status_code == 400


def test_changes_need_the_version_read(actor_for, maya, api_as) -> None:  # noqa: ANN001
    cloz = clozapine(maya)
    api = api_as("mh.uk")
    url = f"/people/{maya.pk}/medicines/{cloz.pk}"
    got = api.get(url)
    assert got["ETag"] == 'W/"2"' and len(got.json()["history"]) == 2
    assert_problem(api.patch(url, {"dose": "300 mg"}), 428)
    assert_problem(api.patch(url, {"dose": "300 mg"}, HTTP_IF_MATCH='W/"1"'), 412)
    assert_problem(api.patch(url, {"status": "stopped"}, HTTP_IF_MATCH='W/"2"'), 422)
    done = api.patch(url, {"dose": "300 mg", "reason": "Clinic review"}, HTTP_IF_MATCH='W/"2"')
    assert done.status_code == 200 and done["ETag"] == 'W/"3"'
    assert done.json()["dose"] == "300 mg"
    with pytest.raises(StaleVersion):
        services.medicine_change(actor=actor_for("mh.uk"), person_id=maya.pk,
                                 medicine_id=cloz.pk, changes={"dose": "350 mg"},
                                 expected_version=2)
    page = sign_in(Client(), "mh.uk").post(f"/people/{maya.pk}/medicines/{cloz.pk}/change/", {
        "name": cloz.name, "dose": "325 mg", "frequency": cloz.frequency, "route": "oral",
        "administered_by": "self", **date_parts("started", cloz.started), "version": "2"})
    assert page.status_code == 412 and "Someone else changed" in page.content.decode()
    assert Medicine.objects.get(pk=cloz.pk).dose == "300 mg"


def test_reconciliation_shows_each_organisations_view_and_a_clinician_confirms(
        actor_for, maya, api_as) -> None:  # noqa: ANN001
    mh, gp = actor_for("mh.uk"), actor_for("gp.uk")
    cloz = clozapine(maya)
    services.medicine_change(actor=mh, person_id=maya.pk, medicine_id=cloz.pk,
                             changes={"dose": "300 mg"}, expected_version=cloz.version)
    view = selectors.reconciliation_view(maya)
    columns = [c["organisation"].name for c in view["columns"]]
    row = next(r for r in view["rows"] if r["medicine"].pk == cloz.pk)
    cells = dict(zip(columns, row["cells"], strict=True))
    assert cells["Northshire Community Mental Health Team"]["standing"] == "up_to_date"
    assert cells["Riverside Surgery"]["standing"] == "out_of_date"
    assert cells["Riverside Surgery"]["knows"]["dose"] == "250 mg"
    assert row["unreviewed"] and view["unreviewed"] == 1
    # the page shows it, and only a clinician may confirm it
    html = sign_in(Client(), "gp.uk").get(f"/people/{maya.pk}/medicines/reconcile/").content.decode()
    assert "Differs" in html and "250 mg" in html and "Confirm the list as reviewed" in html
    api = api_as("gp.uk")
    listed = api.get(f"/people/{maya.pk}/medicines")
    etag = listed["ETag"]
    assert etag == f'W/"{listed.json()["list_version"]}"'
    url = f"/people/{maya.pk}/medicines/reconciliation"
    assert_problem(api.post(url, {"note": "x"}), 428)
    assert_problem(api.post(url, {"note": "x"}, HTTP_IF_MATCH='W/"00000000000000000000"'), 412)
    assert_problem(api.post(url, {"note": "x"}, HTTP_IF_MATCH="W/\"junk\""), 412)
    done = api.post(url, {"note": "Checked with Maya: 300 mg at night."}, HTTP_IF_MATCH=etag)
    assert done.status_code == 201 and done.json()["unreviewed"] == 0
    assert Reconciliation.objects.filter(person=maya).latest("at").confirmed_by == gp.membership
    entry = TimelineEntry.objects.filter(person=maya, kind="medicines.reconciled").latest("at")
    assert entry.data["organisation"] == "Riverside Surgery"


def test_only_clinicians_of_the_team_confirm_the_list(actor_for, arthur, maya, api_as) -> None:  # noqa: ANN001
    for username, person in (("home.uk", arthur), ("sw.uk", arthur)):
        with pytest.raises(AccessDenied):
            services.medicines_reconcile(actor=actor_for(username), person_id=person.pk,
                                         expected_list_version=None)
        page = sign_in(Client(), username)
        assert "Confirm the list as reviewed" not in page.get(
            f"/people/{person.pk}/medicines/reconcile/").content.decode()
        assert page.post(f"/people/{person.pk}/medicines/reconcile/",
                         {"note": ""}).status_code == 404
    assert api_as("sw.uk").post(f"/people/{maya.pk}/medicines/reconciliation", {},
                                HTTP_IF_MATCH='W/"00000000000000000000"').status_code == 404


def test_a_stale_confirmation_on_the_page(actor_for, maya) -> None:  # noqa: ANN001
    client = sign_in(Client(), "gp.uk")
    html = client.get(f"/people/{maya.pk}/medicines/reconcile/").content.decode()
    version = html.split('name="list_version" value="')[1].split('"')[0]
    cloz = clozapine(maya)
    services.medicine_change(actor=actor_for("mh.uk"), person_id=maya.pk, medicine_id=cloz.pk,
                             changes={"frequency": "At night, with food"},
                             expected_version=cloz.version)
    before = Reconciliation.objects.count()
    stale = client.post(f"/people/{maya.pk}/medicines/reconcile/", {"list_version": version})
    assert stale.status_code == 412 and "The list changed while you were reviewing" in \
        stale.content.decode()
    assert Reconciliation.objects.count() == before


def test_the_pages_and_the_printable_list(arthur, maya) -> None:  # noqa: ANN001
    client = sign_in(Client(), "home.uk")
    html = client.get(f"/people/{arthur.pk}/").content.decode()
    panel = html[html.index('id="medicines-panel"'):]
    panel = panel[:panel.index("</section>")]
    assert "Amlodipine 5 mg tablets" in panel and "Last reviewed on" in panel
    assert "When needed" in panel  # paracetamol is as needed
    printed = client.get(f"/people/{arthur.pk}/medicines/print/")
    assert printed.status_code == 200
    text = printed.content.decode()
    assert "medicines/print.css" in text and "Donepezil" in text and "Printed on" in text
    assert AuditEvent.objects.filter(object_type="MedicineList", action="export",
                                     person_id=arthur.pk).count() == 1
    assert client.get(f"/people/{maya.pk}/medicines/print/").status_code == 404


def test_adding_through_the_page(arthur, org) -> None:  # noqa: ANN001
    client = sign_in(Client(), "gp.uk")
    started = timezone.localdate() - dt.timedelta(days=5)
    form = {"name": "Bisoprolol 2.5 mg tablets", "dose": "One tablet", "frequency": "Morning",
            "route": "oral", "administered_by": "care_home", "code_system": "", "code": "",
            "prescriber_id": str(org("Riverside Surgery").pk), **date_parts("started", started)}
    bad = client.post(f"/people/{arthur.pk}/medicines/add/", {**form, "code_system": "dmd",
                                                              "code": "12345"})
    assert bad.status_code == 400 and "This is not the length of a code" in bad.content.decode()
    assert client.post(f"/people/{arthur.pk}/medicines/add/", form).status_code == 302
    added = Medicine.objects.get(name="Bisoprolol 2.5 mg tablets")
    assert added.prescriber.name == "Riverside Surgery" and added.started == started
    html = client.get(f"/people/{arthur.pk}/medicines/{added.pk}/").content.decode()
    assert "Added" in html and "Helen Carter" in html


def test_a_swedish_medicine(person_named, actor_for) -> None:  # noqa: ANN001
    karim = person_named("Karim", "Haddad")
    m = services.medicine_add(actor=actor_for("gp.se"), person_id=karim.pk, data={
        "name": "Alvedon 500 mg filmdragerad tablett", "code_system": "npl",
        "code": "19750101000016", "dose": "1–2 tabletter", "frequency": "Vid behov, högst 4 "
        "gånger per dygn", "as_needed": True, "route": "oral", "administered_by": "self",
        "started": timezone.localdate()})
    assert m.code == "19750101000016" and m.frequency.startswith("Vid behov")
