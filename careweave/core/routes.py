"""Every route declares how it is protected; a test walks the URL patterns and fails
on any view that declares nothing.

- ``@public``: anyone may call it (login page, health check, static docs).
- ``@staff_required``: a logged-in staff member acting through a membership. Person data
  reached from such a view still passes the gate (``careweave.access.gate``).
- ``@login_only``: logged in, before 2FA and choosing a membership (2FA pages, chooser).
- ``@gated``: the view is about one person (``person_id`` in the URL) and the gate decides.
- ``@superuser_required``: Django's admin (``/admin/``): a superuser who passed 2FA (or is
  exempt); anyone else signed in gets a 404, and :func:`guard_patterns` puts it on every
  pattern of an included URL list that we do not write ourselves.

Views that combine a check also call the gate inside; these markers say what the route
sweep should expect, and enforce the login part.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, URLResolver

F = TypeVar("F", bound=Callable[..., Any])

ACCESS_ATTR = "careweave_access"
PUBLIC = "public"
STAFF = "staff"
GATED = "gated"
LOGIN = "login"
SUPERUSER = "superuser"


def public(view: F) -> F:
    setattr(view, ACCESS_ATTR, PUBLIC)
    return view


def _login_check(request: HttpRequest) -> HttpResponse | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
    if needs_second_factor(request):
        return redirect("web:otp_verify")
    actor = getattr(request, "actor", None)
    if actor is None or actor.membership is None:
        return redirect("web:choose_membership")
    return None


def needs_second_factor(request: HttpRequest) -> bool:
    """Staff must have passed TOTP this session, unless their account is exempt (demo only)."""
    user = request.user
    profile = getattr(user, "staff_profile", None)
    if profile is not None and profile.two_factor_exempt:
        return False
    is_verified = getattr(user, "is_verified", None)
    return not (callable(is_verified) and is_verified())


def _protect(kind: str) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            refusal = _login_check(request)
            if refusal is not None:
                return refusal
            return view(request, *args, **kwargs)

        setattr(wrapper, ACCESS_ATTR, kind)
        return wrapper  # type: ignore[return-value]

    return decorator


def login_only(view: F) -> F:
    """Logged in, before 2FA or choosing a membership (the 2FA and chooser pages, logout)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return view(request, *args, **kwargs)

    setattr(wrapper, ACCESS_ATTR, LOGIN)
    return wrapper  # type: ignore[return-value]


FILES_ATTR = "careweave_accepts_files"


def accepts_files(view: F) -> F:
    """The view takes file uploads (a case note's attachment): a multipart body to it may be
    as large as the largest attachment allows (``careweave.core.middleware.body_limit``);
    every other body keeps ``CAREWEAVE_MAX_BODY_BYTES``. Put it outermost, or on the API
    operation's function."""
    setattr(view, FILES_ATTR, True)
    return view


staff_required = _protect(STAFF)
gated = _protect(GATED)


def superuser_required(view: F) -> F:
    """Superusers only, after 2FA; a membership is not needed. Anyone else signed in gets
    the same (audited) 404 as for a page that does not exist."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if not user.is_superuser:
            from careweave.core.auditing import refuse
            from careweave.core.context import Actor

            actor = getattr(request, "actor", None) or Actor(user=user, membership=None)
            refuse(actor, action="read", object_type="Admin", basis="not-a-superuser",
                   object_id=request.path[:64])
        if needs_second_factor(request):
            return redirect("web:otp_verify")
        return view(request, *args, **kwargs)

    setattr(wrapper, ACCESS_ATTR, SUPERUSER)
    return wrapper  # type: ignore[return-value]


def guard_patterns(patterns: list[URLPattern | URLResolver],
                   decorator: Callable[[Any], Any]) -> list[URLPattern | URLResolver]:
    """Put ``decorator`` on every view of ``patterns``, nested includes too (for URL lists
    we do not write ourselves, such as Django admin's). Returns the same list."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            guard_patterns(pattern.url_patterns, decorator)
        elif getattr(pattern.callback, ACCESS_ATTR, None) is None:
            pattern.callback = decorator(pattern.callback)
    return patterns
