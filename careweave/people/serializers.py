"""People as plain dicts in the shapes of :mod:`careweave.people.schemas`.

These only turn objects the caller already obtained through the gate (or a selector
scoped by it) into JSON; they never look anybody up.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from typing import Any

from django.urls import reverse

from careweave.core.registry import registry
from careweave.orgs.serializers import area_out
from careweave.people.models import Person, PersonIdentifier, RelatedPerson, TimelineEntry

_SAMPLE = uuid.UUID(int=0)


@functools.cache
def _person_url_template() -> tuple[str, str]:
    """The URL of a person resolved once, split around the id (reverse() costs more than
    the rest of a caseload row)."""
    url = reverse("api:person_get", kwargs={"person_id": _SAMPLE})
    head, _sep, tail = url.partition(str(_SAMPLE))
    return head, tail


def person_url(person_id: uuid.UUID | str) -> str:
    head, tail = _person_url_template()
    return f"{head}{uuid.UUID(str(person_id))}{tail}"


def identifier_out(ident: PersonIdentifier) -> dict[str, Any]:
    return {"system": ident.system, "value": ident.value, "display": ident.display}


def person_summary(person: Person) -> dict[str, Any]:
    """A caseload row; ``person.identifiers`` must be prefetched."""
    return {
        "id": person.pk,
        "version": person.version,
        "country": person.country,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "preferred_name": person.preferred_name,
        "birth_date": person.birth_date,
        "gender": person.gender,
        "identifiers": [identifier_out(i) for i in person.identifiers.all()],
        "url": person_url(person.pk),
    }


def related_out(related: RelatedPerson) -> dict[str, Any]:
    return {
        "id": related.pk,
        "name": related.name,
        "relationship": related.relationship,
        "phone": related.phone,
        "is_next_of_kin": related.is_next_of_kin,
        "is_carer": related.is_carer,
        "may_share": related.may_share,
        "notes": related.notes,
    }


PERSON_TEXT = (
    "country", "given_name", "family_name", "preferred_name", "gender", "address_line", "town",
    "postcode", "phone", "email", "main_language", "other_languages", "interpreter_language",
    "cultural_background", "faith", "cultural_needs", "living_situation", "what_matters",
)


def person_out(
    person: Person,
    *,
    identifiers: Iterable[PersonIdentifier],
    network: Iterable[RelatedPerson],
    basis: str,
) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(person, name) for name in PERSON_TEXT}
    data.update(
        id=person.pk,
        version=person.version,
        birth_date=person.birth_date,
        interpreter_needed=person.interpreter_needed,
        area=area_out(person.area),
        identifiers=[identifier_out(i) for i in identifiers],
        network=[related_out(r) for r in network],
        registered_by={"id": person.registered_by.pk, "name": person.registered_by.name},
        created_at=person.created_at,
        updated_at=person.updated_at,
        access_basis=basis,
    )
    return data


def timeline_entry_out(entry: TimelineEntry) -> dict[str, Any]:
    """An entry read by :func:`careweave.people.timeline.timeline_page` (text set)."""
    kind = registry.timeline_kind_of(entry.kind)
    org = entry.organisation
    return {
        "id": entry.pk, "at": entry.at, "kind": entry.kind,
        "kind_label": str(kind.label) if kind else entry.kind,
        "text": getattr(entry, "text", ""),
        "organisation": {"id": org.pk, "name": org.name} if org is not None else None,
        "data": entry.data,
    }
