"""Organisations, areas, staff and memberships as plain dicts for the JSON API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from careweave.orgs.models import Area, Invitation, Membership, Organisation, Role


def area_out(area: Area | None) -> dict[str, Any] | None:
    return {"code": area.code, "name": area.name} if area is not None else None


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


def membership_out(membership: Membership) -> dict[str, Any]:
    roles = dict(Role.choices)
    return {
        "id": membership.pk,
        "role": membership.role,
        "role_display": str(roles.get(membership.role, membership.role)),
        "job_title": membership.job_title,
        "organisation": organisation_ref(membership.organisation),
    }


# -- administration ------------------------------------------------------------------------


def staff_out(user: Any) -> dict[str, Any]:
    """A staff member with ``org_memberships`` (the memberships in the reader's
    organisation, from careweave.orgs.selectors)."""
    roles = dict(Role.choices)
    memberships = list(getattr(user, "org_memberships", []))
    active = sorted(m.role for m in memberships if m.is_active)
    return {
        "id": user.pk,
        "username": user.get_username(),
        "name": user_name(user),
        "email": user.email,
        "active": bool(active),
        "roles": active,
        "memberships": [
            {"id": m.pk, "role": m.role, "role_display": str(roles.get(m.role, m.role)),
             "job_title": m.job_title, "is_active": m.is_active}
            for m in memberships
        ],
    }


def invitation_status(invitation: Invitation, now: dt.datetime | None = None) -> str:
    now = now or timezone.now()
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "cancelled"
    if invitation.expires_at <= now:
        return "expired"
    return "pending"


def invitation_out(invitation: Invitation) -> dict[str, Any]:
    return {
        "id": invitation.pk,
        "email": invitation.email,
        "roles": list(invitation.roles),
        "organisation": organisation_ref(invitation.organisation),
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
        "status": invitation_status(invitation),
    }


def organisation_detail_out(org: Organisation) -> dict[str, Any]:
    return {**organisation_out(org), "is_active": org.is_active}


def area_detail_out(area: Area) -> dict[str, Any]:
    return {
        "id": area.pk,
        "code": area.code,
        "name": area.name,
        "kind": area.kind,
        "country": area.country,
        "parent": area.parent.code if area.parent_id and area.parent else None,
        "is_active": area.is_active,
    }
