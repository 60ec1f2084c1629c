"""Model objects to plain dicts in the shapes of :mod:`careweave.api.schemas`.

These only turn objects the caller already obtained through the gate (or a selector
scoped by it) into JSON; they never look anybody up.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils import timezone

from careweave.access.models import BreakGlass, CareTeamMember, Consent
from careweave.orgs.models import Area, Membership, Organisation, Role
from careweave.people.models import Person, PersonIdentifier, RelatedPerson


def person_url(person_id: uuid.UUID | str) -> str:
    return reverse("api:person_get", kwargs={"person_id": person_id})


def area_out(area: Area | None) -> dict[str, Any] | None:
    return {"code": area.code, "name": area.name} if area is not None else None


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


def organisation_ref(org: Organisation) -> dict[str, Any]:
    return {"id": org.pk, "name": org.name}


def organisation_out(org: Organisation) -> dict[str, Any]:
    return {
        "id": org.pk,
        "name": org.name,
        "kind": org.kind,
        "country": org.country,
        "code": org.code,
        "area": area_out(org.area),
    }


def user_name(user: Any) -> str:
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return str(full or user.get_username())


def care_team_member_out(member: CareTeamMember) -> dict[str, Any]:
    """``organisation`` and ``staff__user`` should be selected with the member."""
    today = timezone.localdate()
    staff = member.staff
    return {
        "id": member.pk,
        "organisation": {"id": member.organisation.pk, "name": member.organisation.name,
                         "kind": member.organisation.kind},
        "staff": (
            {"id": staff.pk, "name": user_name(staff.user), "job_title": staff.job_title}
            if staff is not None else None
        ),
        "role": member.role,
        "start_date": member.start_date,
        "end_date": member.end_date,
        "end_reason": member.end_reason,
        "active": member.start_date <= today and (
            member.end_date is None or member.end_date > today),
    }


def consent_out(consent: Consent) -> dict[str, Any]:
    """``organisations`` prefetched and ``recorded_by__organisation`` selected."""
    now = timezone.now()
    recorded_by = consent.recorded_by
    return {
        "id": consent.pk,
        "purpose": consent.purpose,
        "decision": consent.decision,
        "covers_all_organisations": consent.covers_all_organisations,
        "organisations": [organisation_ref(o) for o in consent.organisations.all()],
        "given_by": consent.given_by,
        "representative_name": consent.representative_name,
        "method": consent.method,
        "valid_from": consent.valid_from,
        "valid_to": consent.valid_to,
        "withdrawn_at": consent.withdrawn_at,
        "withdrawn_reason": consent.withdrawn_reason,
        "recorded_by": organisation_ref(recorded_by.organisation) if recorded_by else None,
        "in_force": consent.withdrawn_at is None and consent.valid_from <= now
        and (consent.valid_to is None or consent.valid_to > now),
    }


def break_glass_out(bg: BreakGlass) -> dict[str, Any]:
    return {
        "id": bg.pk,
        "person_id": bg.person_id,
        "url": person_url(bg.person_id),
        "started_at": bg.started_at,
        "expires_at": bg.expires_at,
    }


def membership_out(membership: Membership) -> dict[str, Any]:
    roles = dict(Role.choices)
    return {
        "id": membership.pk,
        "role": membership.role,
        "role_display": str(roles.get(membership.role, membership.role)),
        "job_title": membership.job_title,
        "organisation": organisation_ref(membership.organisation),
    }
