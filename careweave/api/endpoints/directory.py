"""The audit log (privacy leads only), the organisation directory and "who am I"."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from careweave.api.auth import actor_of
from careweave.api.schemas import AuditPage, MeOut, OrganisationOut, ProblemOut
from careweave.api.serializers import membership_out, organisation_out, user_name
from careweave.audit.models import AuditEvent
from careweave.audit.selectors import audit_events
from careweave.core.errors import NotPermitted
from careweave.core.middleware import memberships_for
from careweave.core.pagination import keyset_page
from careweave.orgs.models import Organisation

router = Router()

ERRORS: dict[int, Any] = {401: ProblemOut, 404: ProblemOut, 422: ProblemOut}


# -- audit ---------------------------------------------------------------------------------


class AuditQuery(Schema):
    person: uuid.UUID | None = None
    user: str = Field("", max_length=150, description="Username")
    organisation: uuid.UUID | None = Field(
        None, description="Only events made through this organisation (yours).")
    date_from: dt.date | None = Field(None, alias="from")
    date_to: dt.date | None = Field(None, alias="to")
    action: AuditEvent.Action | None = None
    outcome: AuditEvent.Outcome | None = None
    cursor: str | None = Field(None, max_length=500)
    size: int = Field(50, ge=1, le=200)


AUDIT_FIELDS = (
    "id", "at", "username", "organisation_name", "role", "action", "outcome", "person_id",
    "object_type", "object_id", "purpose", "legal_basis", "channel", "request_id", "detail",
)


@router.get("/audit", response={200: AuditPage, **ERRORS}, url_name="audit", tags=["audit"],
            summary="The audit log of your organisation's staff (privacy leads only)")
def audit(request: HttpRequest, filters: Query[AuditQuery]) -> dict[str, Any]:
    try:
        qs = audit_events(
            actor=actor_of(request), person_id=filters.person, username=filters.user,
            date_from=filters.date_from, date_to=filters.date_to,
            action=filters.action or "", outcome=filters.outcome or "",
        )
    except NotPermitted:
        # Deny by default: to anyone else the audit log is not there at all.
        raise Http404 from None
    if filters.organisation is not None:
        qs = qs.filter(organisation_id=filters.organisation)
    page = keyset_page(qs.only(*AUDIT_FIELDS), fields=("at", "id"), cursor=filters.cursor,
                       size=filters.size, descending=True)
    return {
        "items": [{name: getattr(e, name) for name in AUDIT_FIELDS} for e in page.items],
        "next_cursor": page.next_cursor,
    }


# -- organisations -------------------------------------------------------------------------


class OrganisationQuery(Schema):
    country: str = Field("", max_length=2)


@router.get("/organisations", response={200: list[OrganisationOut], **ERRORS},
            url_name="organisation_list", tags=["directory"],
            summary="Active organisations (for care teams and consent)")
def organisations(request: HttpRequest,
                  filters: Query[OrganisationQuery]) -> list[dict[str, Any]]:
    actor_of(request)
    qs = Organisation.objects.filter(is_active=True).select_related("area").order_by("name", "id")
    if filters.country:
        qs = qs.filter(country=filters.country.upper())
    return [organisation_out(o) for o in qs]


# -- me ------------------------------------------------------------------------------------


@router.get("/me", response={200: MeOut, 401: ProblemOut}, url_name="me", tags=["directory"],
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
