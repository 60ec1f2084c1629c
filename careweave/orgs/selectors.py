"""Reads of organisation and platform administration, scoped to what the actor administers.

An organisation administrator reads the staff of the organisation they act for, and
nothing else; a platform administrator reads every organisation and area. Anyone else gets
the same audited 404 as for a page that does not exist. Lists use keyset pagination, a
fixed number of queries per page however many staff or organisations there are.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from careweave.core import auditing
from careweave.core.context import Actor
from careweave.core.db import atomic
from careweave.core.pagination import Page, keyset_page
from careweave.orgs.models import Area, Invitation, Membership, Organisation
from careweave.orgs.services import (
    NOT_IN_ORGANISATION,
    require_platform_admin,
    staff_organisation,
)


def _memberships_in(org: Organisation) -> Prefetch:
    return Prefetch("memberships", queryset=Membership.objects.filter(organisation=org)
                    .order_by("role"), to_attr="org_memberships")


def staff_page(*, actor: Actor, cursor: str | None = None, size: int = 25) -> Page[Any]:
    """The staff of the actor's organisation (anyone with a membership there, active or
    not), by username; each user carries ``org_memberships`` there. Audited as a search."""
    size = max(1, min(size, 100))
    with atomic():
        org = staff_organisation(actor, action="search", object_type="Membership")
        User = get_user_model()
        qs = User._default_manager.filter(
            Exists(Membership.objects.filter(user=OuterRef("pk"), organisation=org))
        ).prefetch_related(_memberships_in(org))
        page = keyset_page(qs, fields=("username", "id"), cursor=cursor, size=size)
        auditing.record(actor=actor, action="search", object_type="Membership",
                        detail={"organisation": str(org.pk), "results": len(page.items)})
    return page


def staff_member(*, actor: Actor, user_id: Any) -> Any:
    """One staff member of the actor's organisation, with ``org_memberships``; anyone else
    (or nobody) is a 404. Audited as a read."""
    with atomic():
        org = staff_organisation(actor, action="read", object_type="Membership",
                                  object_id=str(user_id)[:64])
        try:
            pk = int(str(user_id))
        except ValueError:
            pk = 0
        User = get_user_model()
        user = None
        if 0 < pk < 2**63:
            user = User._default_manager.filter(
                Exists(Membership.objects.filter(user=OuterRef("pk"), organisation=org)),
                pk=pk,
            ).prefetch_related(_memberships_in(org)).first()
        if user is None:
            auditing.refuse(actor, action="read", object_type="Membership",
                            basis=NOT_IN_ORGANISATION, object_id=str(user_id)[:64])
        auditing.record(actor=actor, action="read", object_type="Membership",
                        object_id=str(user.pk), detail={"organisation": str(org.pk)})
    return user


def pending_invitations(*, actor: Actor, limit: int = 50) -> list[Invitation]:
    """The actor's organisation's invitations still waiting to be accepted, newest first."""
    org = staff_organisation(actor, action="read", object_type="Invitation")
    return list(
        Invitation.objects.filter(organisation=org, accepted_at__isnull=True,
                                  revoked_at__isnull=True, expires_at__gt=timezone.now())
        .select_related("invited_by").order_by("-created_at", "id")[:limit]
    )


def organisations_page(*, actor: Actor, cursor: str | None = None, size: int = 25) -> Page[Any]:
    """Every organisation, active or not, by name (platform administrators)."""
    size = max(1, min(size, 100))
    require_platform_admin(actor, action="search", object_type="Organisation")
    qs = Organisation.objects.select_related("area")
    return keyset_page(qs, fields=("name", "id"), cursor=cursor, size=size)


def organisation_detail(*, actor: Actor, organisation_id: uuid.UUID) -> Organisation:
    require_platform_admin(actor, action="read", object_type="Organisation",
                            object_id=str(organisation_id))
    org = Organisation.objects.select_related("area").filter(pk=organisation_id).first()
    if org is None:
        auditing.refuse(actor, action="read", object_type="Organisation", basis="not-found",
                        object_id=str(organisation_id))
    return org


def areas_page(*, actor: Actor, cursor: str | None = None, size: int = 25) -> Page[Any]:
    size = max(1, min(size, 100))
    require_platform_admin(actor, action="search", object_type="Area")
    qs = Area.objects.select_related("parent")
    return keyset_page(qs, fields=("name", "id"), cursor=cursor, size=size)


def area_choices(*, country: str = "") -> list[Area]:
    """Active areas to put an organisation (or another area) in, by country and name."""
    qs = Area.objects.filter(is_active=True)
    if country:
        qs = qs.filter(country=country)
    return list(qs.order_by("country", "name", "id"))
