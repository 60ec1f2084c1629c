"""URLs of the JSON API under ``/api/v1/`` (see :mod:`careweave.api.api`).

ninja builds one Django URL pattern per operation; each callback is a plain function
that ninja creates for the path. The route sweep (``careweave.core.routes``) expects every
callback to say how it is protected, so we mark them here, after ninja built them:

- ``public``: ``openapi.json``, ``docs``, and the API root and unknown paths (both a
  problem+json 404; they serve nothing).
- ``gated``: any route with ``{person_id}``; the gate decides inside (404 when it says no).
- ``staff``: every other operation: a valid bearer token or a logged-in session acting
  through a membership (ninja's ``auth=`` on the API refuses anything else with 401).

Operations are also wrapped so that ninja's plain-text "405 Method not allowed" becomes
problem+json like every other API error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext as _

from careweave.api.api import api
from careweave.api.problems import not_found, problem
from careweave.core.routes import ACCESS_ATTR, GATED, PUBLIC, STAFF, public

PUBLIC_NAMES = frozenset({"openapi-json", "openapi-view", "api-root"})

app_name = "api"


@public
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any path under /api/v1/ that is not an operation."""
    return not_found(request)


def problem_for_405(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allow = response["Allow"]
            response = problem(request, 405, detail=_("Use one of: %(methods)s.")
                               % {"methods": allow})
            response["Allow"] = allow
        return response

    return wrapper


def _mark(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    for pattern in patterns:
        if not isinstance(pattern, URLPattern):
            raise TypeError(f"unexpected nested resolver in the API: {pattern!r}")
        if pattern.name == "api-root":
            pattern.callback = api_not_found
        if pattern.name in PUBLIC_NAMES:
            kind = PUBLIC
        else:
            pattern.callback = problem_for_405(pattern.callback)
            kind = GATED if "<person_id>" in str(pattern.pattern) else STAFF
        setattr(pattern.callback, ACCESS_ATTR, kind)
    return patterns


urlpatterns = [
    *_mark(api.urls[0]),
    path("<path:rest>", api_not_found, name="not-found"),
]
