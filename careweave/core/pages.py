"""Helpers every app's page views share: the acting user, page size and the links of a
keyset-paginated list. (Form helpers are in :mod:`careweave.core.forms`; the gate's page
helpers in :mod:`careweave.access.pages`.)"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, QueryDict

from careweave.core.context import Actor


def actor_of(request: HttpRequest) -> Actor:
    actor = getattr(request, "actor", None)
    assert actor is not None  # the route decorators guarantee a membership
    return actor


def page_size() -> int:
    return int(settings.CAREWEAVE.get("PAGE_SIZE", 25))


def cursor_of(request: HttpRequest) -> str | None:
    """The keyset cursor asked for (a garbled one starts again from the first page)."""
    return request.GET.get("cursor") or None


def page_links(request: HttpRequest, next_cursor: str | None) -> dict[str, str]:
    """Query strings for the first and the next page, keeping the other parameters."""
    links: dict[str, str] = {}
    params: QueryDict = request.GET.copy()
    if "cursor" in params:
        first = params.copy()
        del first["cursor"]
        links["first"] = "?" + first.urlencode()
    if next_cursor:
        params["cursor"] = next_cursor
        links["next"] = "?" + params.urlencode()
    return links
