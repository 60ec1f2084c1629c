"""The organisations (for care teams and consent) and "who am I"."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from careweave.core.api import ERRORS, ProblemOut, actor_of
from careweave.orgs.middleware import memberships_for
from careweave.orgs.models import Organisation
from careweave.orgs.schemas import MeOut, OrganisationOut
from careweave.orgs.serializers import membership_out, organisation_out, user_name

router = Router()


# -- organisations -------------------------------------------------------------------------


class OrganisationQuery(Schema):
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
