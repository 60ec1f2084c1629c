"""Organisations, areas, staff and memberships as plain dicts for the JSON API."""

from __future__ import annotations

from typing import Any

from careweave.orgs.models import Area, Membership, Organisation, Role


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
