"""URLs of the JSON API under ``/api/v1/`` (see :mod:`careweave.api.api`).

ninja builds one Django URL pattern per operation; each callback is a plain function
that ninja creates for the path. The route sweep (``careweave.core.routes``) expects every
callback to say how it is protected, so we mark them here, after ninja built them:

- ``public``: ``openapi.json``, ``docs`` and the API root (no personal data).
- ``gated``: any route with ``{person_id}``; the gate decides inside (404 when it says no).
- ``staff``: every other operation: a valid bearer token or a logged-in session acting
  through a membership (ninja's ``auth=`` on the API refuses anything else with 401).

A callback that matches none of these is a programming error and fails at import.
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from careweave.api.api import api
from careweave.core.routes import ACCESS_ATTR, GATED, PUBLIC, STAFF

PUBLIC_NAMES = frozenset({"openapi-json", "openapi-view", "api-root"})

app_name = "api"


def _mark(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    for pattern in patterns:
        if not isinstance(pattern, URLPattern):
            raise TypeError(f"unexpected nested resolver in the API: {pattern!r}")
        if pattern.name in PUBLIC_NAMES:
            kind = PUBLIC
        elif "<person_id>" in str(pattern.pattern) or "<uuid:person_id>" in str(pattern.pattern):
            kind = GATED
        else:
            kind = STAFF
        setattr(pattern.callback, ACCESS_ATTR, kind)
    return patterns


urlpatterns = _mark(api.urls[0])
