"""Who is acting: the logged-in user and the membership (organisation and role) chosen for
the session. Every page and API request gets ``request.actor``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from careweave.core.context import Actor

SESSION_MEMBERSHIP = "careweave_membership"


def memberships_for(user: Any) -> list:
    from careweave.orgs.models import Membership

    return list(
        Membership.objects.filter(user=user, is_active=True, organisation__is_active=True)
        .select_related("organisation")
        .order_by("organisation__name", "role")
    )


class ActorMiddleware:
    """request.actor: the logged-in user acting through the membership chosen for the session."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.actor = None  # type: ignore[attr-defined]
        request.memberships = []  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            chosen = request.session.get(SESSION_MEMBERSHIP)
            # One query for all the user's memberships (a handful): the chosen one, and
            # the "Change" link in the page header, come from the same rows.
            options = memberships_for(user)
            request.memberships = options  # type: ignore[attr-defined]
            membership = next((m for m in options if str(m.pk) == str(chosen)), None)
            if membership is None and len(options) == 1:
                membership = options[0]
                request.session[SESSION_MEMBERSHIP] = str(membership.pk)
            request.actor = Actor(user=user, membership=membership)  # type: ignore[attr-defined]
        return self.get_response(request)
