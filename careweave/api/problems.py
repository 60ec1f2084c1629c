"""Every API error as ``application/problem+json`` (RFC 9457).

``{"type", "title", "status", "detail", "instance", "request_id"}``, plus ``errors``
(field path -> messages) for invalid input, and a few whitelisted extension members.
Nothing in a problem ever describes another person's record.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any, cast

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from careweave.core.errors import ServiceError

logger = logging.getLogger("careweave.api")

PROBLEM_BASE = "https://careweave.example/problems/"
CONTENT_TYPE = "application/problem+json"

# Extension members a ServiceError may carry through to the client. Anything else in
# ``extra`` stays on the server: it may describe somebody the caller may not see.
SAFE_EXTRA = frozenset({"confirmable", "current_version"})

_SLUGS = {
    400: "bad-request",
    401: "unauthenticated",
    403: "not-permitted",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "precondition-failed",
    413: "content-too-large",
    415: "unsupported-media-type",
    422: "validation-failed",
    428: "precondition-required",
    429: "too-many-requests",
    500: "server-error",
}


def _titles() -> dict[int, str]:
    return {
        400: _("Bad request"),
        401: _("Authentication required"),
        403: _("Not permitted"),
        404: _("Not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        412: _("Precondition failed"),
        413: _("Content too large"),
        415: _("Unsupported media type"),
        422: _("Invalid input"),
        428: _("Precondition required"),
        429: _("Too many requests"),
        500: _("Server error"),
    }


def slug_for(cls: type) -> str:
    """ValidationFailed -> validation-failed."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", cls.__name__).lower()


class ProblemResponse(HttpResponse):
    def __init__(self, body: dict[str, Any], status: int) -> None:
        super().__init__(
            json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False),
            status=status,
            content_type=CONTENT_TYPE,
        )
        self.problem = body


def problem(
    request: HttpRequest,
    status: int,
    *,
    title: str = "",
    detail: str = "",
    slug: str = "",
    errors: dict[str, list[str]] | None = None,
    extra: dict[str, Any] | None = None,
) -> ProblemResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (slug or _SLUGS.get(status, "error")),
        "title": title or _titles().get(status, _("Error")),
        "status": status,
        "detail": detail or title or _titles().get(status, _("Error")),
        "instance": request.path,
        "request_id": getattr(request, "request_id", ""),
    }
    if errors is not None:
        body["errors"] = errors
    for key, value in (extra or {}).items():
        body.setdefault(key, value)
    return ProblemResponse(body, status)


def not_found(request: HttpRequest) -> ProblemResponse:
    return problem(request, 404, detail=_("There is nothing here, or you may not see it."))


def unauthenticated(request: HttpRequest, *, invalid_token: bool = False) -> ProblemResponse:
    if invalid_token:
        detail = _("The access token is wrong, expired or revoked.")
    else:
        detail = _("Send a personal access token: 'Authorization: Bearer <token>'.")
    response = problem(request, 401, detail=detail)
    response["WWW-Authenticate"] = (
        'Bearer realm="careweave", error="invalid_token"' if invalid_token
        else 'Bearer realm="careweave"'
    )
    return response


class InvalidToken(AuthenticationError):
    """A bearer token was sent and is not valid (distinct from sending none)."""


# -- ninja validation errors ---------------------------------------------------------------

_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}
BODY_PARAM = "payload"


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """("body", "payload", "identifiers", 0, "value") -> "identifiers.0.value"."""
    parts = list(loc)
    if parts and parts[0] in _SOURCES:
        source = parts.pop(0)
        if source == "body" and parts and parts[0] == BODY_PARAM:
            parts.pop(0)
    return ".".join(str(p) for p in parts) or "body"


def _message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind == "missing":
        return _("This is required.")
    if kind == "string_too_long":
        limit = (error.get("ctx") or {}).get("max_length")
        if limit is not None:
            return _("Must be %(limit)d characters or fewer.") % {"limit": int(limit)}
    msg = str(error.get("msg", "")) or _("Invalid value.")
    return msg.removeprefix("Value error, ")


def validation_errors(exc: ValidationError) -> tuple[dict[str, list[str]], bool]:
    """Field path -> messages, and whether every error was in the URL path."""
    errors: dict[str, list[str]] = {}
    only_path = bool(exc.errors)
    for error in exc.errors:
        loc = tuple(error.get("loc", ()))
        if not loc or loc[0] != "path":
            only_path = False
        errors.setdefault(field_path(loc)[:200], []).append(_message(error))
    return errors, only_path


# -- handlers ------------------------------------------------------------------------------


def person_hidden(request: HttpRequest) -> bool:
    """On a route about one person, is that person hidden from the caller?

    Bad input (an unparsable body, an unknown field, a missing If-Match) is found before
    the view asks the gate. Answering 422 there would tell a caller that the person they
    may not see... well, nothing, but it would answer differently for a record they may
    not see; so every refusal on a person's route asks the gate first, and a "no" becomes
    the same audited 404 as any other refusal.
    """
    from careweave.access.gate import AccessDenied, Action, require
    from careweave.core.context import Actor

    match = getattr(request, "resolver_match", None)
    person_id = match.kwargs.get("person_id") if match is not None else None
    actor = getattr(request, "auth", None)
    if person_id is None or not isinstance(actor, Actor):
        return False
    reading = request.method in ("GET", "HEAD", "OPTIONS")
    try:
        require(actor, person_id, Action.READ if reading else Action.CHANGE,
                audit_action="read" if reading else "update")
    except AccessDenied as exc:
        exc.record()
        return True
    return False



def handle_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors, only_path = validation_errors(exc)
    if only_path:
        # A malformed id in the URL names nothing: the same 404 as any unknown record.
        return not_found(request)
    if person_hidden(request):
        return not_found(request)
    return problem(request, 422, detail=_("Check the highlighted fields."), errors=errors)


def handle_service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    if person_hidden(request):
        return not_found(request)
    extra = {k: v for k, v in exc.extra.items() if k in SAFE_EXTRA}
    extra.update(getattr(exc, "api_extra", {}))
    return problem(
        request,
        exc.status,
        title=_(exc.title),
        detail=exc.message,
        slug=slug_for(type(exc)),
        errors=exc.errors if (exc.errors or exc.status == 422) else None,
        extra=extra,
    )


def handle_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    # A gate refusal (AccessDenied) or any other audited refusal (core.auditing.Refused):
    # the service's transaction has rolled back by now, so record the refusal on its own
    # (exactly once: record() is idempotent).
    record = getattr(exc, "record", None)
    if callable(record):
        record()
    return not_found(request)


def handle_auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return unauthenticated(request, invalid_token=isinstance(exc, InvalidToken))


def handle_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    from careweave.api.parser import BodyRejected

    # ninja wraps whatever its body parser raised in "400 Cannot parse request body": our
    # parser's own answer (415, a 422 on a field...) is behind it.
    cause = exc.__cause__
    if isinstance(cause, ServiceError):
        return handle_service_error(request, cause)
    if isinstance(cause, BodyRejected):
        exc = cause
    status = exc.status_code
    if 400 <= status < 500 and person_hidden(request):
        return not_found(request)
    detail = str(exc) if status < 500 else ""
    if status == 400 and detail.startswith("Cannot parse request body"):
        detail = _("The request body must be JSON.")
    response = problem(request, status, detail=detail)
    for name, value in getattr(exc, "headers", {}).items():
        response[name] = value
    return response


def handle_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    """Django's own limit (DATA_UPLOAD_MAX_MEMORY_SIZE), should anything read a body the
    middleware let through: the same 413."""
    from django.conf import settings
    from django.template.defaultfilters import filesizeformat

    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    return problem(request, 413, detail=_(
        "The request body is larger than %(limit)s. Nothing was read or saved."
    ) % {"limit": filesizeformat(limit)})


def handle_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    """Django refusing a request it cannot trust (too many fields, a bad header...): 400."""
    logger.warning("Suspicious API request on %s %s: %s", request.method, request.path,
                   type(exc).__name__)
    return problem(request, 400, detail=_("The request could not be read."))


def handle_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
    return problem(request, 500, detail=_("Something went wrong. It has been logged."))


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's handler400, for what is refused before any view runs (a Host header not
    in ALLOWED_HOSTS, a broken cookie, too many fields): problem+json under /api/, the
    page otherwise."""
    if _is_api(request):
        return handle_suspicious(request, cast(SuspiciousOperation, exception))
    from django.views.defaults import bad_request as page

    return page(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's handler500, for an error outside the API's own handlers (a middleware):
    problem+json under /api/, the page otherwise."""
    if _is_api(request):
        return problem(request, 500, detail=_("Something went wrong. It has been logged."))
    from django.views.defaults import server_error as page

    return page(request)


Handler = Callable[[HttpRequest, Any], HttpResponse]


def _add(api: NinjaAPI, exc_class: type[Exception], handler: Handler) -> None:
    # ninja types the handler as taking "exception or exception class"; ours take instances.
    api.add_exception_handler(exc_class, cast(Any, handler))


def install(api: NinjaAPI) -> None:
    _add(api, ValidationError, handle_validation)
    _add(api, ServiceError, handle_service_error)
    _add(api, Http404, handle_404)
    _add(api, AuthenticationError, handle_auth)
    _add(api, HttpError, handle_http_error)
    _add(api, RequestDataTooBig, handle_too_big)
    _add(api, SuspiciousOperation, handle_suspicious)
    _add(api, Exception, handle_unexpected)
