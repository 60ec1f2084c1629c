"""The organisations (for care teams and consent) and "who am I"; and administration:
an organisation's staff and invitations (organisation administrators), organisations and
areas (platform administrators).

Administration operations are ``only_for`` their administrators: anyone else gets the
same 404 as for a path that does not exist, before their input is even read.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from careweave.core.api import ERRORS, ProblemOut, QueryIn, actor_of, only_for
from careweave.orgs import selectors, services
from careweave.orgs.middleware import memberships_for
from careweave.orgs.models import Area, Organisation
from careweave.orgs.schemas import (
    AreaDetailOut,
    AreaIn,
    AreaQuery,
    InvitationIn,
    InvitationOut,
    MeOut,
    OrganisationDetailOut,
    OrganisationIn,
    OrganisationOut,
    RolesIn,
    StaffOut,
    StaffPage,
    StaffQuery,
)
from careweave.orgs.serializers import (
    area_detail_out,
    invitation_out,
    membership_out,
    organisation_detail_out,
    organisation_out,
    staff_out,
    user_name,
)

router = Router()


# -- organisations -------------------------------------------------------------------------


class OrganisationQuery(QueryIn):
    country: str = Field("", max_length=2)


@router.get("/organisations", response={200: list[OrganisationOut], **ERRORS},
            url_name="organisation_list", tags=["organisations"],
            summary="Active organisations (for care teams and consent)")
def organisations(request: HttpRequest,
                  filters: Query[OrganisationQuery]) -> list[dict[str, Any]]:
    actor_of(request)
    qs = Organisation.objects.filter(is_active=True).select_related("area").order_by("name", "id")
    if filters.country:
        qs = qs.filter(country=filters.country.upper())
    return [organisation_out(o) for o in qs]


# -- me ------------------------------------------------------------------------------------


@router.get("/me", response={200: MeOut, 401: ProblemOut}, url_name="me", tags=["organisations"],
            summary="Who you are and which membership you act through")
def me(request: HttpRequest) -> dict[str, Any]:
    actor = actor_of(request)
    assert actor.membership is not None
    user = actor.user
    return {
        "user": {"id": user.pk, "username": user.get_username(), "name": user_name(user)},
        "acting_membership": membership_out(actor.membership),
        "memberships": [membership_out(m) for m in memberships_for(user)],
        "authenticated_by": "token" if getattr(request, "api_token", None) else "session",
    }


# -- staff (organisation administrators) -----------------------------------------------------

ADMIN_ERRORS: dict[int, Any] = {**ERRORS, 403: ProblemOut}


def _staff(memberships: list[Any]) -> dict[str, Any]:
    user = memberships[0].user
    user.org_memberships = memberships
    return staff_out(user)


@router.get("/staff", response={200: StaffPage, **ERRORS}, url_name="staff_list",
            tags=["administration"], summary="Your organisation's staff (organisation "
            "administrators)")
@only_for(services.administers_staff, object_type="Membership", basis=services.NOT_ORG_ADMIN)
def staff_list(request: HttpRequest, filters: Query[StaffQuery]) -> dict[str, Any]:
    page = selectors.staff_page(actor=actor_of(request), cursor=filters.cursor,
                                size=filters.size)
    return {"items": [staff_out(u) for u in page.items], "next_cursor": page.next_cursor}


@router.get("/staff/invitations", response={200: list[InvitationOut], **ERRORS},
            url_name="invitation_list", tags=["administration"],
            summary="Invitations waiting to be accepted")
@only_for(services.administers_staff, object_type="Invitation", basis=services.NOT_ORG_ADMIN)
def invitation_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [invitation_out(i) for i in selectors.pending_invitations(actor=actor_of(request))]


@router.post("/staff/invitations",
             response={201: InvitationOut, 409: ProblemOut, 503: ProblemOut, **ADMIN_ERRORS},
             url_name="invitation_create", tags=["administration"],
             summary="Invite someone by email (a one-time link that expires)")
@only_for(services.may_invite, object_type="Invitation", basis=services.NOT_ORG_ADMIN)
def invitation_create(request: HttpRequest, payload: InvitationIn) -> Status:
    invitation = services.invitation_create(
        actor=actor_of(request), email=payload.email, roles=payload.roles,
        organisation_id=payload.organisation_id, days=payload.days,
        link_for=lambda raw: request.build_absolute_uri(
            reverse("orgs:invitation_accept", args=[raw])),
    )
    return Status(201, invitation_out(invitation))


@router.post("/staff/invitations/{invitation_id}/revoke",
             response={200: InvitationOut, **ERRORS}, url_name="invitation_revoke",
             tags=["administration"], summary="Cancel an invitation")
@only_for(services.may_invite, object_type="Invitation", basis=services.NOT_ORG_ADMIN)
def invitation_revoke(request: HttpRequest, invitation_id: uuid.UUID) -> dict[str, Any]:
    invitation = services.invitation_revoke(actor=actor_of(request),
                                            invitation_id=invitation_id)
    return invitation_out(invitation)


@router.get("/staff/{user_id}", response={200: StaffOut, **ERRORS}, url_name="staff_detail",
            tags=["administration"], summary="One staff member of your organisation")
@only_for(services.administers_staff, object_type="Membership", basis=services.NOT_ORG_ADMIN)
def staff_detail(request: HttpRequest, user_id: int) -> dict[str, Any]:
    return staff_out(selectors.staff_member(actor=actor_of(request), user_id=user_id))


@router.put("/staff/{user_id}/roles", response={200: StaffOut, **ADMIN_ERRORS},
            url_name="staff_roles", tags=["administration"],
            summary="Set a staff member's roles in your organisation")
@only_for(services.administers_staff, object_type="Membership", basis=services.NOT_ORG_ADMIN)
def staff_roles(request: HttpRequest, user_id: int, payload: RolesIn) -> dict[str, Any]:
    return _staff(services.staff_set_roles(actor=actor_of(request), user_id=user_id,
                                           roles=payload.roles))


@router.post("/staff/{user_id}/deactivate", response={200: StaffOut, **ADMIN_ERRORS},
             url_name="staff_deactivate", tags=["administration"],
             summary="Deactivate a staff member in your organisation (every role)")
@only_for(services.administers_staff, object_type="Membership", basis=services.NOT_ORG_ADMIN)
def staff_deactivate(request: HttpRequest, user_id: int) -> dict[str, Any]:
    return _staff(services.staff_deactivate(actor=actor_of(request), user_id=user_id))


# -- organisations and areas (platform administrators) ---------------------------------------


@router.post("/organisations", response={201: OrganisationDetailOut, 409: ProblemOut,
                                         **ERRORS},
             url_name="organisation_create", tags=["administration"],
             summary="Create an organisation (platform administrators)")
@only_for(services.is_platform_admin, object_type="Organisation",
          basis=services.NOT_PLATFORM_ADMIN)
def organisation_create(request: HttpRequest, payload: OrganisationIn) -> Status:
    org = services.organisation_create(
        actor=actor_of(request), name=payload.name, kind=payload.kind, country=payload.country,
        area_code=payload.area, code=payload.code)
    return Status(201, organisation_detail_out(org))


def _set_organisation_active(request: HttpRequest, organisation_id: uuid.UUID,
                             active: bool) -> dict[str, Any]:
    org: Organisation = services.organisation_set_active(
        actor=actor_of(request), organisation_id=organisation_id, active=active)
    return organisation_detail_out(org)


@router.post("/organisations/{organisation_id}/deactivate",
             response={200: OrganisationDetailOut, **ERRORS},
             url_name="organisation_deactivate", tags=["administration"],
             summary="Deactivate an organisation: its staff's sessions and tokens stop")
@only_for(services.is_platform_admin, object_type="Organisation",
          basis=services.NOT_PLATFORM_ADMIN)
def organisation_deactivate(request: HttpRequest, organisation_id: uuid.UUID) -> dict[str, Any]:
    return _set_organisation_active(request, organisation_id, False)


@router.post("/organisations/{organisation_id}/reactivate",
             response={200: OrganisationDetailOut, **ERRORS},
             url_name="organisation_reactivate", tags=["administration"],
             summary="Reactivate an organisation")
@only_for(services.is_platform_admin, object_type="Organisation",
          basis=services.NOT_PLATFORM_ADMIN)
def organisation_reactivate(request: HttpRequest, organisation_id: uuid.UUID) -> dict[str, Any]:
    return _set_organisation_active(request, organisation_id, True)


class AreaPage(Schema):
    items: list[AreaDetailOut]
    next_cursor: str | None


@router.get("/areas", response={200: AreaPage, **ERRORS}, url_name="area_list",
            tags=["administration"], summary="Areas (platform administrators)")
@only_for(services.is_platform_admin, object_type="Area", basis=services.NOT_PLATFORM_ADMIN)
def area_list(request: HttpRequest, filters: Query[AreaQuery]) -> dict[str, Any]:
    page = selectors.areas_page(actor=actor_of(request), cursor=filters.cursor,
                                size=filters.size)
    return {"items": [area_detail_out(a) for a in page.items], "next_cursor": page.next_cursor}


@router.post("/areas", response={201: AreaDetailOut, 409: ProblemOut, **ERRORS},
             url_name="area_create", tags=["administration"],
             summary="Create an area (platform administrators)")
@only_for(services.is_platform_admin, object_type="Area", basis=services.NOT_PLATFORM_ADMIN)
def area_create(request: HttpRequest, payload: AreaIn) -> Status:
    area: Area = services.area_create(
        actor=actor_of(request), code=payload.code, name=payload.name, kind=payload.kind,
        country=payload.country, parent_code=payload.parent)
    return Status(201, area_detail_out(area))


@router.post("/areas/{area_id}/deactivate", response={200: AreaDetailOut, **ERRORS},
             url_name="area_deactivate", tags=["administration"], summary="Deactivate an area")
@only_for(services.is_platform_admin, object_type="Area", basis=services.NOT_PLATFORM_ADMIN)
def area_deactivate(request: HttpRequest, area_id: uuid.UUID) -> dict[str, Any]:
    return area_detail_out(services.area_set_active(actor=actor_of(request), area_id=area_id,
                                                    active=False))


@router.post("/areas/{area_id}/reactivate", response={200: AreaDetailOut, **ERRORS},
             url_name="area_reactivate", tags=["administration"], summary="Reactivate an area")
@only_for(services.is_platform_admin, object_type="Area", basis=services.NOT_PLATFORM_ADMIN)
def area_reactivate(request: HttpRequest, area_id: uuid.UUID) -> dict[str, Any]:
    return area_detail_out(services.area_set_active(actor=actor_of(request), area_id=area_id,
                                                    active=True))
