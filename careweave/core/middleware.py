from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from careweave.core.context import (
    RequestContext,
    new_request_id,
    reset_request_context,
    set_request_context,
)

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


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


# -- request body size ---------------------------------------------------------------------

API_PREFIX = "/api/"
_DIGITS = re.compile(r"[0-9]{1,20}")


class MalformedContentLength(ValueError):
    pass


def declared_body_size(request: HttpRequest) -> int:
    """The body size the client declared (Content-Length; 0 without one, which is how
    Django reads such a body). A value that is not a whole number is malformed."""
    raw = str(request.META.get("CONTENT_LENGTH") or "").strip()
    if not raw:
        return 0
    if not _DIGITS.fullmatch(raw):
        raise MalformedContentLength(raw)
    return int(raw)


# What a multipart upload carries besides its file (the form's other fields, boundaries).
UPLOAD_OVERHEAD = 256 * 1024


def body_limit(request: HttpRequest | None = None) -> int:
    """The largest body accepted: ``CAREWEAVE["MAX_BODY_BYTES"]``, except a multipart upload
    to a view marked ``@accepts_files`` (careweave.core.routes), which may be as large as the
    largest attachment (``CAREWEAVE["ATTACHMENT_MAX_BYTES"]``) and its form. Django still
    reads at most DATA_UPLOAD_MAX_MEMORY_SIZE of the form's other fields into memory, and
    spools files to disk."""
    from django.conf import settings

    limit = int(settings.CAREWEAVE["MAX_BODY_BYTES"])
    if request is not None and str(request.META.get("CONTENT_TYPE", "")).lower().startswith(
            "multipart/form-data") and takes_files(request):
        limit = max(limit, int(settings.CAREWEAVE.get("ATTACHMENT_MAX_BYTES", 0))
                    + UPLOAD_OVERHEAD)
    return limit


def takes_files(request: HttpRequest) -> bool:
    """Is the view this request goes to marked ``@accepts_files`` (a page, or an API
    operation of the path)?"""
    from django.urls import Resolver404, resolve

    from careweave.core.routes import FILES_ATTR

    try:
        func: Any = resolve(request.path_info).func
    except Resolver404:
        return False
    if getattr(func, FILES_ATTR, False):
        return True
    # An API path: ninja's view (under our 405 wrapper) closes over the path's PathView,
    # whose operations hold the functions the routers decorated.
    view = getattr(func, "__wrapped__", func)
    for cell in getattr(view, "__closure__", None) or ():
        try:
            operations = getattr(cell.cell_contents, "operations", None)
        except ValueError:  # an empty cell
            continue
        if operations and any(getattr(op.view_func, FILES_ATTR, False) for op in operations):
            return True
    return False


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)
