"""Care-team members, consents and break-glass episodes as plain dicts for the API."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from careweave.access.models import BreakGlass, CareTeamMember, Consent, JoinRequest
from careweave.orgs.serializers import organisation_ref, user_name
from careweave.people.serializers import person_url


def care_team_member_out(member: CareTeamMember, *, registering: bool = False,
                         sharing: Any = None) -> dict[str, Any]:
    """``organisation`` and ``staff__user`` should be selected with the member; ``sharing``
    the policy's read decision for its organisation (active members)."""
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
        "registering": registering,
        "sharing": ({"can_see": sharing.allowed, "basis": str(sharing.basis),
                     "purpose": str(sharing.purpose)} if sharing is not None else None),
    }


def join_request_out(request: JoinRequest) -> dict[str, Any]:
    return {"id": request.pk, "person_id": request.person_id,
            "person_name": request.person.display_name,
            "organisation": organisation_ref(request.organisation), "role": request.role,
            "reason": request.reason, "status": request.status,
            "created_at": request.created_at, "decided_at": request.decided_at}


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
