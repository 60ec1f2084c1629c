"""Who is calling the API: a personal access token, or our own front end's session.

- ``Authorization: Bearer <token>``: the token acts as one membership. A token that is
  sent but wrong, expired or revoked is a 401 at once (no falling back to a session).
- A logged-in session (CSRF-protected), only when the user has passed 2FA (or is
  exempt) and acts through a chosen membership.

Either way ``request.actor`` is the :class:`~careweave.core.context.Actor` the services get.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from careweave.api.problems import InvalidToken
from careweave.core.api import Restriction
from careweave.core.auditing import refuse
from careweave.core.context import Actor
from careweave.core.routes import needs_second_factor


def _check_restriction(request: HttpRequest, restriction: Restriction | None,
                       actor: Actor) -> None:
    """An operation for some actors only (core.api.only_for): anyone else is refused with
    a 404 here, before their input is parsed."""
    if restriction is not None and not restriction.allows(actor):
        refuse(actor, action="read" if request.method in ("GET", "HEAD") else "update",
               object_type=restriction.object_type, basis=restriction.basis)


class TokenAuth(HttpBearer):
    """Personal access tokens (``careweave token create USERNAME``)."""

    def __init__(self, restriction: Restriction | None = None) -> None:
        super().__init__()
        self.restriction = restriction

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get(self.header)
        if not header:
            return None
        scheme, _sep, raw = header.strip().partition(" ")
        if scheme.lower() != "bearer":
            raise InvalidToken()
        return self.authenticate(request, raw.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Actor:
        from careweave.access.services import token_authenticate

        api_token = token_authenticate(token)
        if api_token is None:
            raise InvalidToken()
        membership = api_token.membership
        actor = Actor(user=membership.user, membership=membership)
        request.actor = actor  # type: ignore[attr-defined]
        request.api_token = api_token  # type: ignore[attr-defined]
        _check_restriction(request, self.restriction, actor)
        return actor


class SessionActorAuth(APIKeyCookie):
    """The web session, for our own pages' scripts. Unsafe methods need the CSRF token."""

    param_name = "sessionid"

    def __init__(self, restriction: Restriction | None = None) -> None:
        from django.conf import settings

        self.param_name = settings.SESSION_COOKIE_NAME
        self.restriction = restriction
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            # Nobody logged in: not this scheme's business (no CSRF noise for token clients).
            return None
        if check_csrf(request):
            raise HttpError(403, _("CSRF check failed: send the X-CSRFToken header."))
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        if key is None:
            return None
        actor = getattr(request, "actor", None)
        if actor is None or actor.membership is None:
            return None
        if needs_second_factor(request):
            return None
        _check_restriction(request, self.restriction, actor)
        return actor


def restricted_auth(restriction: Restriction) -> list[Any]:
    """The same authentication as everywhere, for an operation only some actors may call."""
    return [TokenAuth(restriction), SessionActorAuth(restriction)]


token_auth = TokenAuth()
session_auth = SessionActorAuth()
AUTH = [token_auth, session_auth]

