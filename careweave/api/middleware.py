"""Bounds on what an API request may send, checked before authentication or anything reads
the body: more than ``CAREWEAVE_MAX_BODY_BYTES`` is a 413 problem, a Content-Length that is
not a number a 400 problem. The answer does not depend on the caller or the record named,
so it tells nobody anything. (Pages get the same from ``careweave.web.middleware``.)"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from careweave.api.problems import problem
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
        if not is_api_request(request):
            return self.get_response(request)
        try:
            size = declared_body_size(request)
        except MalformedContentLength:
            return problem(request, 400, detail=_("Content-Length must be a number of bytes."))
        limit = body_limit(request)
        if size > limit:
            return too_large(request, limit)
        return self.get_response(request)


def too_large(request: HttpRequest, limit: int) -> HttpResponse:
    return problem(request, 413, detail=_(
        "The request body is larger than %(limit)s. Nothing was read or saved."
    ) % {"limit": filesizeformat(limit)})
