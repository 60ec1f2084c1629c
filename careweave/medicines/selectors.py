"""Reads of the medicines list, through the gate (the list is shared with everyone who may
read the record)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.utils import timezone

from careweave.access.gate import Basis, active_team_q, deny, require
from careweave.access.models import CareTeamMember
from careweave.audit.models import AuditEvent
from careweave.audit.services import audit_record
from careweave.core.context import Actor
from careweave.core.db import atomic
from careweave.medicines import rules
from careweave.medicines.models import Medicine, MedicineChange, Reconciliation
from careweave.people.models import Person

T = TypeVar("T")


def open_item(actor: Actor, person_id: Any, object_type: str, object_id: Any,
              find: Callable[[Person], T | None]) -> tuple[Person, Any, T]:
    """The person and one item of their list, audited as one read; 404 (audited) if the
    gate says no or the item is not theirs."""
    with atomic():
        person, decision = require(actor, person_id, audit_action="read",
                                   object_type=object_type, object_id=str(object_id))
        item = find(person)
        if item is None:
            deny(actor, person.pk, "read", Basis.NOT_FOUND, object_type, str(object_id))
        assert item is not None
        audit_record(actor=actor, action=AuditEvent.Action.READ, person_id=person.pk,
                     object_type=object_type, object_id=str(object_id),
                     purpose=decision.purpose or "direct_care",
                     legal_basis=str(decision.basis))
    return person, decision, item


def medicines_for(person: Person) -> list[Medicine]:
    """The whole list, medicines being taken first, by name (one query)."""
    rows = list(Medicine.objects.filter(person_id=person.pk)
                .select_related("prescriber", "organisation")
                .order_by("status", "name", "id"))
    return rows


def list_version_of(medicines: list[Medicine]) -> str:
    return rules.list_version((str(m.pk), m.version) for m in medicines)


def last_review(person: Person) -> Reconciliation | None:
    return (Reconciliation.objects.filter(person_id=person.pk)
            .select_related("organisation").order_by("-at", "-id").first())


def find_medicine(medicine_id: Any) -> Callable[[Person], Medicine | None]:
    def find(person: Person) -> Medicine | None:
        try:
            mid = uuid.UUID(str(medicine_id))
        except ValueError:
            return None
        return (Medicine.objects.filter(pk=mid, person_id=person.pk)
                .select_related("prescriber", "organisation").first())
    return find


def medicine_detail(*, actor: Actor, person_id: Any,
                    medicine_id: Any) -> tuple[Person, Any, Medicine]:
    return open_item(actor, person_id, "Medicine", medicine_id, find_medicine(medicine_id))


def history(medicine: Medicine) -> list[MedicineChange]:
    return list(MedicineChange.objects.filter(medicine=medicine)
                .select_related("organisation").order_by("-version"))


def reconciliation_view(person: Person) -> dict[str, Any]:
    """The list as each organisation knows it (four queries whatever the list's length):
    for each medicine, per organisation on the care team (and any other that changed it),
    whether it knows the current version, an older one, or none; what has changed since
    the last confirmation; and that confirmation."""
    medicines = medicines_for(person)
    changes = list(MedicineChange.objects.filter(person_id=person.pk)
                   .select_related("organisation").order_by("at", "id"))
    confirmations = list(Reconciliation.objects.filter(person_id=person.pk)
                         .select_related("organisation").order_by("at", "id"))
    team = list(CareTeamMember.objects.filter(active_team_q(timezone.now()), person=person)
                .select_related("organisation").order_by("organisation__name"))
    known = rules.known_by_organisation(
        ((str(c.medicine_id), str(c.organisation_id), c.version) for c in changes),
        ((str(r.organisation_id), r.at, {k: int(v) for k, v in r.snapshot.items()})
         for r in confirmations))
    organisations: dict[str, Any] = {}
    for member in team:
        organisations.setdefault(str(member.organisation_id), member.organisation)
    for change in changes:
        organisations.setdefault(str(change.organisation_id), change.organisation)
    after = {(str(c.medicine_id), c.version): c.after for c in changes}
    last = confirmations[-1] if confirmations else None
    current = {str(m.pk): m.version for m in medicines}
    unreviewed = rules.unreviewed(current, {k: int(v) for k, v in last.snapshot.items()}
                                  if last else None)
    columns = sorted(organisations.items(), key=lambda kv: kv[1].name)
    rows = []
    for medicine in medicines:
        mid = str(medicine.pk)
        cells = []
        for org_id, _org in columns:
            version = known.get(org_id, rules.Known({}, None)).versions.get(mid)
            standing = rules.standing(medicine.version, version)
            cells.append({"standing": standing,
                          "knows": after.get((mid, version)) if version else None})
        rows.append({"medicine": medicine, "cells": cells, "unreviewed": mid in unreviewed})
    return {
        "medicines": medicines, "rows": rows,
        "columns": [{"organisation": org,
                     "confirmed_at": known.get(org_id, rules.Known({}, None)).confirmed_at}
                    for org_id, org in columns],
        "last": last, "list_version": list_version_of(medicines),
        "unreviewed": len(unreviewed),
    }
