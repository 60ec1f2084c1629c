"""Pages of organisation administration (an organisation's staff and invitations) and
platform administration (organisations and areas), and the page where an invitee accepts
an invitation. Views are thin: they parse forms, call selectors and services (which
decide who may, check the values and write the audit) and render.

Every view carries one route marker from careweave.core.routes.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from careweave.core.auditing import refuse
from careweave.core.context import Actor
from careweave.core.errors import ServiceError
from careweave.core.forms import apply_service_error
from careweave.core.pages import actor_of, cursor_of, page_links, page_size
from careweave.core.routes import needs_second_factor, public, staff_required
from careweave.orgs import selectors, services
from careweave.orgs.forms import (
    AcceptForm,
    AreaForm,
    ConfirmForm,
    InviteForm,
    OrganisationForm,
    RolesForm,
    role_choices,
)
from careweave.orgs.models import Organisation


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _error_status(exc: ServiceError) -> int:
    return exc.status if exc.status in (403, 409, 503) else 400


# -- staff (organisation administrators) -----------------------------------------------------


def _staff_rows(users: list[Any]) -> list[dict[str, Any]]:
    rows = []
    for user in users:
        active = [m for m in user.org_memberships if m.is_active]
        rows.append({"user": user, "roles": [m.get_role_display() for m in active],
                     "active": bool(active)})
    return rows


@staff_required
@require_http_methods(["GET"])
def staff_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    page = selectors.staff_page(actor=actor, cursor=cursor_of(request), size=page_size())
    return render(request, "orgs/staff_list.html", {
        "organisation": actor.membership.organisation if actor.membership else None,
        "staff": _staff_rows(page.items),
        "links": page_links(request, page.next_cursor),
        "invitations": selectors.pending_invitations(actor=actor),
    })


def _accept_link(request: HttpRequest, raw: str) -> str:
    return request.build_absolute_uri(reverse("orgs:invitation_accept", args=[raw]))


def _invite_page(request: HttpRequest, actor: Actor, organisation: Organisation,
                 back_url: str) -> HttpResponse:
    form = InviteForm(_posted(request), roles=services.grantable_roles(actor),
                      days=services.invitation_days())
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                invitation = services.invitation_create(
                    actor=actor, organisation_id=organisation.pk,
                    email=form.cleaned_data["email"], roles=form.cleaned_data["roles"],
                    link_for=lambda raw: _accept_link(request, raw),
                )
            except ServiceError as exc:
                status = _error_status(exc)
                apply_service_error(form, exc)
            else:
                messages.success(request, _("We have sent an invitation to %(email)s.")
                                 % {"email": invitation.email})
                return redirect(back_url)
    return render(request, "orgs/invite.html",
                  {"form": form, "organisation": organisation, "back_url": back_url},
                  status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def staff_invite(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    org = services.staff_organisation(actor, action="create", object_type="Invitation")
    return _invite_page(request, actor, org, reverse("orgs:staff_list"))


@staff_required
@require_http_methods(["GET", "POST"])
def staff_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = actor_of(request)
    member = selectors.staff_member(actor=actor, user_id=user_id)
    grantable = services.grantable_roles(actor)
    active = [m.role for m in member.org_memberships if m.is_active]
    # Roles the actor may not change (a platform administrator's) are kept as they are.
    fixed = [r for r in active if r not in grantable]
    form = RolesForm(_posted(request), initial={"roles": active}, roles=grantable)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.staff_set_roles(actor=actor, user_id=member.pk,
                                         roles=[*form.cleaned_data["roles"], *fixed])
            except ServiceError as exc:
                status = _error_status(exc)
                apply_service_error(form, exc)
            else:
                messages.success(request, _("Roles saved."))
                if member.pk == actor.user.pk:
                    return redirect("web:home")
                return redirect("orgs:staff_detail", user_id=member.pk)
    return render(request, "orgs/staff_detail.html", {
        "member": member, "form": form, "active": bool(active),
        "fixed": [label for _v, label in role_choices(fixed)],
        "memberships": member.org_memberships,
        "organisation": actor.membership.organisation if actor.membership else None,
    }, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def staff_deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = actor_of(request)
    member = selectors.staff_member(actor=actor, user_id=user_id)
    form = ConfirmForm(_posted(request))
    status = 200
    if request.method == "POST":
        status = 400
        try:
            services.staff_deactivate(actor=actor, user_id=member.pk)
        except ServiceError as exc:
            status = _error_status(exc)
            apply_service_error(form, exc)
        else:
            messages.success(request, _("%(name)s has been deactivated in %(organisation)s.") % {
                "name": member.get_full_name() or member.get_username(),
                "organisation": actor.membership.organisation.name if actor.membership else ""})
            if member.pk == actor.user.pk:
                return redirect("web:home")
            return redirect("orgs:staff_list")
    return render(request, "orgs/staff_deactivate.html", {
        "member": member, "form": form,
        "organisation": actor.membership.organisation if actor.membership else None,
    }, status=status)


@staff_required
@require_POST
def invitation_revoke(request: HttpRequest, invitation_id: uuid.UUID) -> HttpResponse:
    actor = actor_of(request)
    try:
        invitation = services.invitation_revoke(actor=actor, invitation_id=invitation_id)
    except ServiceError as exc:
        messages.info(request, exc.message)
    else:
        messages.success(request, _("The invitation to %(email)s has been cancelled.")
                         % {"email": invitation.email})
    return redirect("orgs:staff_list")


# -- accepting an invitation (the invitee, before they have an account) ----------------------


def _private(response: HttpResponse) -> HttpResponse:
    """The link's token is in the address: never cached. (The site's Referrer-Policy,
    same-origin, already keeps it from other sites; "no-referrer" would make browsers send
    "Origin: null" with the form, which the CSRF check rightly refuses.)"""
    response["Cache-Control"] = "no-store"
    return response


@public
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_by_token(token)
    problem = services.invitation_problem(invitation)
    if problem is not None or invitation is None:
        return _unusable(request, problem)
    context: dict[str, Any] = {
        "invitation": invitation,
        "roles": [label for _v, label in role_choices(invitation.roles)],
    }
    existing = services.existing_account(invitation)
    if existing is not None:
        return _accept_existing(request, token, existing, context)
    form = AcceptForm(_posted(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.invitation_accept(
                    token=token, username=data["username"], password=data["password"],
                    first_name=data["first_name"], last_name=data["last_name"])
            except services.InvitationUnusable as exc:
                return _unusable(request, exc)
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("Your account is ready. Sign in with your new "
                                            "username and password."))
                return redirect("web:login")
    context["form"] = form
    return _private(render(request, "orgs/invitation_accept.html", context, status=status))


def _accept_existing(request: HttpRequest, token: str, existing: Any,
                     context: dict[str, Any]) -> HttpResponse:
    """The invited address already has an account: its owner signs in (password, lockout
    and two-factor as always) and then accepts with one button."""
    user = request.user
    signed_in = user.is_authenticated and not needs_second_factor(request)
    is_owner = signed_in and user.pk == existing.pk
    form = ConfirmForm(_posted(request))
    status = 200
    if request.method == "POST":
        status = 400
        if is_owner:
            try:
                services.invitation_accept(token=token, user=user)
            except services.InvitationUnusable as exc:
                return _unusable(request, exc)
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("You have joined %(organisation)s.")
                                 % {"organisation": context["invitation"].organisation.name})
                return redirect("web:choose_membership")
        else:
            form.add_error(None, _("Sign in with the account for this email address first."))
    context.update(form=form, signed_in=signed_in, is_owner=is_owner,
                   login_url=reverse("web:login") + "?" + urlencode({"next": request.path}))
    return _private(render(request, "orgs/invitation_existing.html", context, status=status))


def _unusable(request: HttpRequest, problem: services.InvitationUnusable | None) -> HttpResponse:
    status = problem.status if problem is not None else 404
    message = problem.message if problem is not None else ""
    return _private(render(request, "orgs/invitation_unusable.html", {"message": message},
                           status=status))


# -- organisations and areas (platform administrators) ---------------------------------------


@staff_required
@require_http_methods(["GET"])
def organisation_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    page = selectors.organisations_page(actor=actor, cursor=cursor_of(request),
                                        size=page_size())
    return render(request, "orgs/organisation_list.html", {
        "organisations": page.items, "links": page_links(request, page.next_cursor)})


@staff_required
@require_http_methods(["GET", "POST"])
def organisation_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    services.require_platform_admin(actor, action="create", object_type="Organisation")
    form = OrganisationForm(_posted(request), areas=selectors.area_choices(),
                            initial={"country": actor.membership.organisation.country
                                     if actor.membership else ""})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                org = services.organisation_create(
                    actor=actor, name=data["name"], kind=data["kind"], country=data["country"],
                    area_code=data["area"], code=data["code"])
            except ServiceError as exc:
                status = _error_status(exc)
                apply_service_error(form, exc)
            else:
                messages.success(request, _("%(name)s has been added.") % {"name": org.name})
                return redirect("orgs:organisation_detail", organisation_id=org.pk)
    return render(request, "orgs/organisation_form.html", {"form": form}, status=status)


@staff_required
@require_http_methods(["GET"])
def organisation_detail(request: HttpRequest, organisation_id: uuid.UUID) -> HttpResponse:
    actor = actor_of(request)
    org = selectors.organisation_detail(actor=actor, organisation_id=organisation_id)
    return render(request, "orgs/organisation_detail.html", {
        "organisation": org, "acting_here": org.pk == actor.organisation_id})


@staff_required
@require_http_methods(["GET", "POST"])
def organisation_deactivate(request: HttpRequest, organisation_id: uuid.UUID) -> HttpResponse:
    actor = actor_of(request)
    org = selectors.organisation_detail(actor=actor, organisation_id=organisation_id)
    form = ConfirmForm(_posted(request))
    status = 200
    if request.method == "POST":
        status = 400
        try:
            services.organisation_set_active(actor=actor, organisation_id=org.pk, active=False)
        except ServiceError as exc:
            status = _error_status(exc)
            apply_service_error(form, exc)
        else:
            messages.success(request, _("%(name)s has been deactivated.") % {"name": org.name})
            return redirect("orgs:organisation_detail", organisation_id=org.pk)
    return render(request, "orgs/organisation_deactivate.html",
                  {"organisation": org, "form": form}, status=status)


@staff_required
@require_POST
def organisation_reactivate(request: HttpRequest, organisation_id: uuid.UUID) -> HttpResponse:
    actor = actor_of(request)
    org = services.organisation_set_active(actor=actor, organisation_id=organisation_id,
                                           active=True)
    messages.success(request, _("%(name)s has been reactivated.") % {"name": org.name})
    return redirect("orgs:organisation_detail", organisation_id=org.pk)


@staff_required
@require_http_methods(["GET", "POST"])
def organisation_invite(request: HttpRequest, organisation_id: uuid.UUID) -> HttpResponse:
    actor = actor_of(request)
    org = selectors.organisation_detail(actor=actor, organisation_id=organisation_id)
    if not org.is_active:
        refuse(actor, action="create", object_type="Invitation",
               basis=services.NO_SUCH_ORGANISATION, object_id=str(org.pk))
    return _invite_page(request, actor, org,
                        reverse("orgs:organisation_detail", args=[org.pk]))


@staff_required
@require_http_methods(["GET"])
def area_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    page = selectors.areas_page(actor=actor, cursor=cursor_of(request), size=page_size())
    return render(request, "orgs/area_list.html", {
        "areas": page.items, "links": page_links(request, page.next_cursor)})


@staff_required
@require_http_methods(["GET", "POST"])
def area_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    services.require_platform_admin(actor, action="create", object_type="Area")
    form = AreaForm(_posted(request), areas=selectors.area_choices())
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                area = services.area_create(
                    actor=actor, code=data["code"], name=data["name"], kind=data["kind"],
                    country=data["country"], parent_code=data["parent"])
            except ServiceError as exc:
                status = _error_status(exc)
                apply_service_error(form, exc)
            else:
                messages.success(request, _("%(name)s has been added.") % {"name": area.name})
                return redirect("orgs:area_list")
    return render(request, "orgs/area_form.html", {"form": form}, status=status)


def _area_set_active(request: HttpRequest, area_id: uuid.UUID, active: bool) -> HttpResponse:
    actor = actor_of(request)
    try:
        area = services.area_set_active(actor=actor, area_id=area_id, active=active)
    except ServiceError as exc:
        messages.info(request, exc.message)
    else:
        text = _("%(name)s has been reactivated.") if active else \
            _("%(name)s has been deactivated.")
        messages.success(request, text % {"name": area.name})
    return redirect("orgs:area_list")


@staff_required
@require_POST
def area_deactivate(request: HttpRequest, area_id: uuid.UUID) -> HttpResponse:
    return _area_set_active(request, area_id, False)


@staff_required
@require_POST
def area_reactivate(request: HttpRequest, area_id: uuid.UUID) -> HttpResponse:
    return _area_set_active(request, area_id, True)
