"""The seeder adds warnings, case notes and medicines for the seeded people (fast COPY rows,
as the services would have written them), and their pages read them through the gate."""

from __future__ import annotations

import pytest
from django.test import Client

from careweave.access.gate import open_person, people_visible_to
from careweave.medicines.models import Medicine, MedicineChange
from careweave.notes import rules, selectors
from careweave.notes.models import CaseNote, PersonWarning
from careweave.people.models import TimelineEntry
from careweave.seed.generator import seed_people
from tests.support import sign_in

pytestmark = pytest.mark.django_db


def test_seeded_people_have_warnings_notes_and_medicines(demo, actor_for) -> None:  # noqa: ANN001
    before = (PersonWarning.objects.count(), CaseNote.objects.count(),
              Medicine.objects.count())
    result = seed_people(people=200, seed=7, batch=100, log=lambda _m: None)
    assert result.rows["warnings"] > 20 and result.rows["case_notes"] > 100
    assert result.rows["medicines"] > 100
    assert (PersonWarning.objects.count(), CaseNote.objects.count(),
            Medicine.objects.count()) == (before[0] + result.rows["warnings"],
                                          before[1] + result.rows["case_notes"],
                                          before[2] + result.rows["medicines"])
    assert MedicineChange.objects.count() >= result.rows["medicines"]
    # a timeline entry for each care-team note, as note_create writes
    assert TimelineEntry.objects.filter(kind="notes.note_recorded").count() == \
        CaseNote.objects.filter(sensitivity=rules.CARE_TEAM, amends__isnull=True).count()
    # every seeded row is readable exactly as the rule says, for a reader of the record
    gp = actor_for("gp.uk")
    person = (people_visible_to(gp).filter(pk__in=PersonWarning.objects.values("person_id"))
              .exclude(given_name__in=["Arthur", "Maya"]).first())
    assert person is not None
    _p, decision = open_person(gp, person.pk)
    viewer = selectors.viewer_of(gp, decision)
    shown = {w.pk for w in selectors.warnings_for(actor=gp, person=person, decision=decision)}
    assert shown == {w.pk for w in PersonWarning.objects.filter(person=person)
                     if rules.may_see(viewer, w.as_item())}
    page = sign_in(Client(), "gp.uk").get(f"/people/{person.pk}/")
    assert page.status_code == 200
