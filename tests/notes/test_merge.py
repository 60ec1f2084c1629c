"""Warnings, case notes, attachments, contacts and medicines follow a merge of two records of
one person, and go back on an unmerge (the merge handlers the two apps register). Notes
are append-only: the merge moves them, and changes nothing else (on PostgreSQL the trigger
lets exactly that through)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from careweave.access import sharing
from careweave.access.models import CareTeamMember
from careweave.medicines import services as medicines
from careweave.medicines.models import Medicine, MedicineChange, Reconciliation
from careweave.notes import services
from careweave.notes.models import Attachment, CaseNote, PersonWarning, TeamContact
from careweave.orgs.models import Organisation
from careweave.people.services import person_merge, person_unmerge
from tests.notes.test_files import PDF_BYTES
from tests.people.conftest import arthur_again, coordinator, staff  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def rows(person) -> dict[str, set]:  # noqa: ANN001
    return {model.__name__: set(model.objects.filter(person=person).values_list("pk", flat=True))
            for model in (PersonWarning, CaseNote, Attachment, TeamContact, Medicine,
                          MedicineChange, Reconciliation)}


def test_the_records_rows_follow_a_merge_and_come_back(arthur, arthur_again, coordinator,  # noqa: ANN001, F811
                                                      actor_for) -> None:
    gp = actor_for("gp.uk")
    b = arthur_again
    services.warning_raise(actor=gp, person_id=b.pk, data={"kind": "allergy",
                                                           "title": "Latex allergy"})
    note, _c = services.note_create(actor=gp, person_id=b.pk, data={
        "kind": "phone", "occurred_at": timezone.now() - dt.timedelta(days=1),
        "summary": "Call on the second record", "body": "Spoke to Arthur."},
        attachments=[services.Upload("letter.pdf", PDF_BYTES)])
    services.note_amend(actor=gp, person_id=b.pk, note_id=note.pk, changes={"body": "Spoke."},
                        reason="Shorter", expected_version=1)
    medicines.medicine_add(actor=gp, person_id=b.pk, data={
        "name": "Aspirin 75 mg tablets", "dose": "One", "frequency": "Daily", "route": "oral",
        "administered_by": "self", "started": timezone.localdate()})
    medicines.medicines_reconcile(actor=gp, person_id=b.pk, expected_list_version=None)
    # B's own place for Riverside is the lead coordinator, as the council's is on A
    place = CareTeamMember.objects.get(person=b, organisation__name="Riverside Surgery")
    services.team_contact_update(actor=gp, person_id=b.pk, member_id=place.pk,
                                 data={"phone": "01632 960 555", "lead_coordinator": True,
                                       "key_worker": True}, expected_version=None)
    before_a, before_b = rows(arthur), rows(b)
    assert all(before_b.values())
    bodies = dict(CaseNote.objects.filter(person=b).values_list("pk", "body"))

    merge = person_merge(actor=coordinator, survivor_id=arthur.pk, merged_id=b.pk)
    after = rows(arthur)
    for kind in before_a:
        assert after[kind] == before_a[kind] | before_b[kind], kind
    assert not any(rows(b).values())
    # moved, not changed
    assert dict(CaseNote.objects.filter(pk__in=bodies).values_list("pk", "body")) == bodies
    # one lead coordinator on A still (the council's); B's contact gave it up for now
    assert TeamContact.objects.filter(person=arthur, lead_coordinator=True).count() == 1
    moved = TeamContact.objects.get(member=place)
    assert not moved.lead_coordinator and moved.phone == "01632 960 555"
    assert "notes.case_notes" in merge.moved and "medicines.medicines" in merge.moved

    person_unmerge(actor=coordinator, merge_id=merge.pk)
    sharing.recompute([arthur.pk, b.pk])
    assert rows(arthur) == before_a and rows(b) == before_b
    assert TeamContact.objects.get(member=place).lead_coordinator


def test_a_merge_keeps_one_key_worker_per_organisation(arthur, arthur_again, coordinator,  # noqa: ANN001, F811
                                                     actor_for) -> None:
    gp = actor_for("gp.uk")
    riverside = Organisation.objects.get(name="Riverside Surgery")
    for person, phone in ((arthur, "01632 960 100"), (arthur_again, "01632 960 666")):
        place = CareTeamMember.objects.get(person=person, organisation=riverside)
        services.team_contact_update(actor=gp, person_id=person.pk, member_id=place.pk,
                                     data={"phone": phone, "key_worker": True},
                                     expected_version=None)
    person_merge(actor=coordinator, survivor_id=arthur.pk, merged_id=arthur_again.pk)
    keys = TeamContact.objects.filter(person=arthur, organisation=riverside, key_worker=True)
    assert [c.phone for c in keys] == ["01632 960 100"]
