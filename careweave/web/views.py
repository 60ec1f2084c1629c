"""The shell's pages: signing in (password, lockout, TOTP), choosing a membership and the
language. Every domain's pages live in that domain's app.

Every view carries one route marker from careweave.core.routes.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from careweave.audit.models import AuditEvent
from careweave.audit.services import audit_record
from careweave.core.context import Actor
from careweave.core.db import atomic
from careweave.core.lockout import begin_attempt
from careweave.core.models import LoginFailure
from careweave.core.routes import login_only, needs_second_factor, public
from careweave.orgs.middleware import SESSION_MEMBERSHIP, memberships_for
from careweave.web.forms import LoginForm, MembershipForm, TokenForm
from careweave.web.navigation import landing_url


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# -- signing in ------------------------------------------------------------------------------


def _after_login(request: HttpRequest) -> str:
    if needs_second_factor(request):
        return reverse("web:otp_verify")
    if getattr(request, "actor", None) is None or request.actor.membership is None:  # type: ignore[attr-defined]
        options = memberships_for(request.user)
        if len(options) != 1:
            return reverse("web:choose_membership")
    return landing_url(getattr(request, "actor", None))


@public
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(landing_url(getattr(request, "actor", None)))
    return redirect("web:login")


@public
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            username = form.cleaned_data["username"].strip()
            key = username.lower()
            ip = request.META.get("REMOTE_ADDR") or None
            # Reserve this attempt's password check first (atomic per username), so that
            # parallel attempts cannot get more checks than the limit (core.lockout).
            if not begin_attempt(key, ip=ip):
                with atomic():
                    audit_record(actor=None, action=AuditEvent.Action.LOGIN_FAILED,
                                 outcome=AuditEvent.Outcome.DENIED, username=key[:150],
                                 detail={"locked": True})
                form.add_error(None, _(
                    "Too many failed attempts. Wait %(minutes)d minutes and try again, or "
                    "ask your administrator to unlock your account."
                ) % {"minutes": settings.CAREWEAVE["LOGIN_LOCKOUT_MINUTES"]})
                status = 429
            else:
                user = authenticate(request, username=username,
                                    password=form.cleaned_data["password"])
                if user is None:
                    # The reservation stays on record as the failure.
                    with atomic():
                        audit_record(actor=None, action=AuditEvent.Action.LOGIN_FAILED,
                                     outcome=AuditEvent.Outcome.DENIED, username=key[:150])
                    form.add_error(None, _("The username or password is not right."))
                    status = 400
                else:
                    auth_login(request, user)
                    LoginFailure.objects.filter(username=key).delete()
                    with atomic():
                        audit_record(actor=Actor(user=user, membership=None),
                                     action=AuditEvent.Action.LOGIN)
                    options = memberships_for(user)
                    if len(options) == 1:
                        request.session[SESSION_MEMBERSHIP] = str(options[0].pk)
                        request.actor = Actor(user=user, membership=options[0])  # type: ignore[attr-defined]
                    else:
                        request.actor = Actor(user=user, membership=None)  # type: ignore[attr-defined]
                    default = _after_login(request)
                    if default == reverse("people:caseload"):
                        default = _safe_next(request, default)
                    return HttpResponseRedirect(default)
        else:
            status = 400
    return render(request, "web/login.html",
                  {"form": form, "next": _safe_next(request, "")}, status=status)


@public
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    messages.success(request, _("You have signed out."))
    return redirect("web:login")


@public
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    return django_set_language(request)


def _totp_devices(user: Any) -> Any:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user)


@login_only
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    from django_otp import login as otp_login

    if not needs_second_factor(request):
        return redirect(_after_login(request))
    devices = _totp_devices(request.user).filter(confirmed=True)
    if not devices.exists():
        return redirect("web:otp_setup")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for device in devices:
            if device.verify_token(form.cleaned_data["token"]):
                otp_login(request, device)
                return redirect(_after_login(request))
        form.add_error("token", _("The security code is not right. Try the newest code."))
    status = 400 if request.method == "POST" else 200
    return render(request, "web/otp_verify.html", {"form": form}, status=status)


def _qr_svg(uri: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


@login_only
@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the code (or type the key), confirm with a code."""
    from django_otp import login as otp_login

    if _totp_devices(request.user).filter(confirmed=True).exists():
        return redirect("web:otp_verify")
    device = _totp_devices(request.user).filter(confirmed=False).first()
    if device is None:
        device = _totp_devices(request.user).model.objects.create(
            user=request.user, name="Authenticator app", confirmed=False
        )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, _("Two-factor authentication is set up."))
            return redirect(_after_login(request))
        form.add_error("token", _("The security code is not right. Try the newest code."))
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    status = 400 if request.method == "POST" else 200
    return render(request, "web/otp_setup.html", {
        "form": form,
        "qr_svg": _qr_svg(device.config_url),
        "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
    }, status=status)


@login_only
@require_http_methods(["GET", "POST"])
def choose_membership(request: HttpRequest) -> HttpResponse:
    if needs_second_factor(request):
        return redirect("web:otp_verify")
    options = memberships_for(request.user)
    if not options:
        return render(request, "web/no_membership.html", status=403)
    form = MembershipForm(request.POST or None, memberships=options)
    if request.method == "POST" and form.is_valid():
        request.session[SESSION_MEMBERSHIP] = form.cleaned_data["membership"]
        request.session.cycle_key()
        return redirect(_safe_next(request, reverse("web:home")))
    current = request.session.get(SESSION_MEMBERSHIP)
    if current and not form.is_bound:
        form.initial["membership"] = current
    status = 400 if request.method == "POST" else 200
    return render(request, "web/choose_membership.html",
                  {"form": form, "next": _safe_next(request, "")}, status=status)
