from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from careweave.core.context import (
    Actor,
    RequestContext,
    new_request_id,
    reset_request_context,
    set_request_context,
)

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
SESSION_MEMBERSHIP = "careweave_membership"


class RequestIdMiddleware:
    """Gives every request an id (or keeps a well-formed X-Request-ID) for the audit log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else new_request_id()
        path = request.path
        channel = "fhir" if path.startswith("/fhir") else "api" if path.startswith("/api") else "web"
        request.request_id = request_id  # type: ignore[attr-defined]
        token = set_request_context(RequestContext(request_id=request_id, channel=channel))
        try:
            response = self.get_response(request)
        finally:
            reset_request_context(token)
        response["X-Request-ID"] = request_id
        return response


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


class AccessDeniedMiddleware:
    """Records a gate refusal (after the failed transaction rolled back); Django renders 404."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        from careweave.access.gate import AccessDenied

        if isinstance(exception, AccessDenied):
            exception.record()
        return None


# No inline script anywhere; inline styles only where a vendored page needs them (Swagger UI).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
CSP_API_DOCS = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response; no caching of
    anything answered to a signed-in user or an API token."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            docs = request.path.startswith("/api/v1/docs")
            response["Content-Security-Policy"] = CSP_API_DOCS if docs else CSP
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.headers.get("Authorization"):
            # Pages and answers about people: never kept by browsers or proxies (shared
            # computers on wards and in offices).
            response["Cache-Control"] = "no-store"
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response
