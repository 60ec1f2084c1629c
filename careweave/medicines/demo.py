"""The medicines part of the demo (through the services) and of the seeded population."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

from django.contrib.auth import get_user_model

from careweave.medicines import rules, services
from careweave.medicines.models import Medicine, MedicineChange


def run(cast: Any) -> None:
    gp, mh, gp_se = cast.actor("gp.uk"), cast.actor("mh.uk"), cast.actor("gp.se")
    riverside, cmht = cast.orgs["riverside"], cast.orgs["cmht"]
    arthur = cast.person("Arthur", "Penrose")
    maya = cast.person("Maya", "Okafor")
    karim = cast.person("Karim", "Haddad")
    today = cast.today

    for data in (
        {"name": "Amlodipine 5 mg tablets", "code_system": "dmd", "code": "319283006",
         "dose": "One tablet (5 mg)", "frequency": "Once a day, in the morning",
         "route": "oral", "administered_by": "care_home", "started": today.replace(
             year=today.year - 3)},
        {"name": "Paracetamol 500 mg tablets", "code_system": "dmd", "code": "322236009",
         "dose": "Two tablets (1 g)", "frequency": "Up to four times a day, at least four "
         "hours apart", "as_needed": True, "route": "oral", "administered_by": "care_home",
         "instructions": "For pain. No more than 8 tablets in 24 hours.",
         "started": today - dt.timedelta(days=200)},
        {"name": "Donepezil 10 mg tablets", "dose": "One tablet (10 mg)",
         "frequency": "Once a day, at night", "route": "oral", "administered_by": "care_home",
         "started": today - dt.timedelta(days=500)},
    ):
        services.medicine_add(actor=gp, person_id=arthur.pk,
                              data={**data, "prescriber_id": str(riverside.pk)})
    services.medicines_reconcile(actor=gp, person_id=arthur.pk, expected_list_version=None,
                                 note="Reviewed with Oakwood's senior carer.")

    clozapine = services.medicine_add(actor=mh, person_id=maya.pk, data={
        "name": "Clozapine 100 mg tablets", "dose": "200 mg", "frequency": "At night",
        "route": "oral", "administered_by": "self", "prescriber_id": str(cmht.pk),
        "instructions": "Full blood count every 4 weeks (clozapine monitoring service).",
        "started": today - dt.timedelta(days=400)})
    services.medicine_add(actor=gp, person_id=maya.pk, data={
        "name": "Sertraline 50 mg tablets", "dose": "One tablet (50 mg)",
        "frequency": "Once a day", "route": "oral", "administered_by": "self",
        "prescriber_id": str(riverside.pk), "started": today - dt.timedelta(days=300)})
    services.medicines_reconcile(actor=gp, person_id=maya.pk, expected_list_version=None)
    services.medicine_change(actor=mh, person_id=maya.pk, medicine_id=clozapine.pk,
                             changes={"dose": "250 mg"}, expected_version=clozapine.version,
                             reason="Increased at the clinic review: voices more troubling.")
    services.medicines_reconcile(actor=gp, person_id=maya.pk, expected_list_version=None,
                                 note="Clozapine increase by the CMHT psychiatrist confirmed.")

    services.medicine_add(actor=gp_se, person_id=karim.pk, data={
        "name": "Metformin 500 mg tabletter", "dose": "En tablett (500 mg)",
        "frequency": "Två gånger om dagen, till måltid", "route": "oral",
        "administered_by": "self", "prescriber_id": str(cast.orgs["nordstan"].pk),
        "instructions": "Under ramadan: tas vid iftar och suhur.",
        "started": today - dt.timedelta(days=700)})


SEED_MEDICINES = [
    ("Amlodipine 5 mg tablets", "5 mg", "Once a day"),
    ("Metformin 500 mg tablets", "500 mg", "Twice a day"),
    ("Atorvastatin 20 mg tablets", "20 mg", "At night"),
    ("Omeprazole 20 mg capsules", "20 mg", "Once a day"),
    ("Paracetamol 500 mg tablets", "1 g", "Up to four times a day"),
    ("Sertraline 50 mg tablets", "50 mg", "Once a day"),
    ("Levothyroxine 50 microgram tablets", "50 micrograms", "Once a day, before breakfast"),
    ("Ramipril 5 mg capsules", "5 mg", "Once a day"),
]


def seed(batch: Any) -> dict[str, int]:
    """A few medicines (and their first history row) for most of the batch's people,
    recorded by a clinician of the registering organisation."""
    if not batch.people:
        return {}
    rng = random.Random(f"careweave-medicines:{batch.people[0].pk}")
    users = {u.pk: (u.get_full_name() or u.get_username()) for u in
             get_user_model().objects.filter(pk__in={s.user_id for s in batch.ctx.staff.values()})}

    def uid() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    meds: list[Medicine] = []
    changes: list[MedicineChange] = []
    for person in batch.people:
        staff = batch.ctx.staff.get(person.registered_by_id)
        if staff is None or staff.role not in ("clinician", "nurse"):
            continue
        for name, dose, frequency in rng.sample(SEED_MEDICINES, rng.choice((0, 1, 2, 3, 4))):
            at = person.created_at + (batch.now - person.created_at) * rng.random()
            m = batch.row(Medicine,
                id=uid(), person_id=person.pk, name=name, code_system="", code="", dose=dose,
                route="oral", frequency=frequency, as_needed=name.startswith("Paracetamol"),
                administered_by=rng.choice(("self", "self", "carer", "care_home")),
                instructions="", prescriber_id=person.registered_by_id, prescriber_other="",
                started=at.date(), stopped=None, stop_reason="", status=rules.ACTIVE,
                organisation_id=person.registered_by_id, recorded_by_id=staff.membership_id,
                updated_by_id=staff.membership_id, created_at=at, updated_at=at, version=1)
            meds.append(m)
            changes.append(batch.row(MedicineChange,
                id=uid(), medicine_id=m.pk, person_id=person.pk, kind="started", version=1,
                at=at, organisation_id=person.registered_by_id,
                membership_id=staff.membership_id, by_name=users.get(staff.user_id, ""),
                before={}, reason="", after={
                    "name": name, "code_system": "", "code": "", "dose": dose, "route": "oral",
                    "frequency": frequency, "as_needed": m.as_needed,
                    "administered_by": m.administered_by, "instructions": "", "prescriber": "",
                    "started": m.started.isoformat(), "stopped": "", "status": rules.ACTIVE}))
    batch.insert(Medicine, meds)
    batch.insert(MedicineChange, changes)
    return {"medicines": len(meds), "medicine_changes": len(changes)}
