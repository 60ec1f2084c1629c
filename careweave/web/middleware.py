"""Bounds on what a page request may send: a body larger than ``CAREWEAVE_MAX_BODY_BYTES``
is refused with a plain 413 page before anything (the CSRF check, a form) reads it, and a
Content-Length that is not a number with a 400 page. The API (``/api/``) answers the same
with problem+json from its own middleware (``careweave.api.middleware``)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat

from careweave.core.middleware import (
    MalformedContentLength,
    body_limit,
    declared_body_size,
    is_api_request,
)


class BodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_api_request(request):
            return self.get_response(request)
        try:
            size = declared_body_size(request)
        except MalformedContentLength:
            return _refuse(request, 400)
        limit = body_limit(request)
        if size > limit:
            return _refuse(request, 413, limit=limit)
        return self.get_response(request)


def _refuse(request: HttpRequest, status: int, *, limit: int = 0) -> HttpResponse:
    return render(request, f"{status}.html", {"limit": filesizeformat(limit)}, status=status)
