"""Pages for the care team, consent and break-glass.

Thin views: parse with the forms in ``access.forms``, ask the gate or call a service,
render. Services decide; their errors are put back on the form and the page is shown
again with status 400. A refusal anywhere is the gate's AccessDenied: a plain 404.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from careweave.access import forms, policy
from careweave.access import services as access_services
from careweave.access.gate import AccessDenied, Action, Basis, deny
from careweave.access.models import CareTeamMember, Consent, JoinRequest
from careweave.access.pages import after_change as _after_change
from careweave.access.pages import check_change as _check_change
from careweave.access.pages import person_url as _person_url
from careweave.access.pages import read_person as _read_person
from careweave.core.context import Actor
from careweave.core.errors import ServiceError
from careweave.core.forms import apply_service_error
from careweave.core.pages import actor_of as _actor
from careweave.core.pages import cursor_of, page_links, page_size
from careweave.core.pagination import keyset_page
from careweave.core.routes import gated, staff_required
from careweave.people.models import Person


def _team(person: Person) -> list[CareTeamMember]:
    return list(CareTeamMember.objects.filter(person=person).select_related("organisation"))


@gated
@require_http_methods(["GET", "POST"])
def care_team_add(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    actor = _actor(request)
    refresh = reverse("access:care_team_add", kwargs={"person_id": person_id})
    if request.method == "POST":
        person = _check_change(actor, person_id, "CareTeamMember", Action.ADD_TO_CARE_TEAM)
        form = forms.CareTeamAddForm(request.POST, country=person.country, refresh_url=refresh)
        if form.is_valid():
            data = form.cleaned_data
            try:
                member = access_services.care_team_add(
                    actor=actor, person_id=person.pk, organisation_id=data["organisation_id"],
                    role=data["role"], staff_membership_id=data["staff_membership_id"] or None,
                    start_date=data["start_date"],
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("%(org)s has been added to the care team.")
                                 % {"org": member.organisation.name})
                return _after_change(request, actor, person)
        person = _read_person(actor, person_id, action=Action.ADD_TO_CARE_TEAM)
        return render(request, "access/care_team_add.html",
                      {"person": person, "form": form}, status=400)
    person = _read_person(actor, person_id, action=Action.ADD_TO_CARE_TEAM)
    form = forms.CareTeamAddForm(country=person.country, refresh_url=refresh,
                                 chosen_organisation=request.GET.get("organisation_id"))
    return render(request, "access/care_team_add.html", {"person": person, "form": form})


def _member_of(actor: Actor, person: Person, member_id: uuid.UUID) -> CareTeamMember:
    member = (
        CareTeamMember.objects.filter(pk=member_id, person=person)
        .select_related("organisation", "staff__user")
        .first()
    )
    if member is None:
        deny(actor, person.pk, "read", Basis.NOT_FOUND, "CareTeamMember", str(member_id))
    assert member is not None
    return member


@gated
@require_http_methods(["GET", "POST"])
def care_team_end(request: HttpRequest, person_id: uuid.UUID,
                  member_id: uuid.UUID) -> HttpResponse:
    actor = _actor(request)
    if request.method == "POST":
        person = _check_change(actor, person_id, "CareTeamMember", Action.READ)
        member = _member_of(actor, person, member_id)
        form = forms.CareTeamEndForm(request.POST)
        if form.is_valid():
            try:
                access_services.care_team_end(actor=actor, member_id=member.pk,
                                              reason=form.cleaned_data["reason"])
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("%(org)s is no longer on the care team.")
                                 % {"org": member.organisation.name})
                return _after_change(request, actor, person)
        person = _read_person(actor, person_id, object_type="CareTeamMember")
        return render(request, "access/care_team_end.html",
                      _end_context(person, member, form), status=400)
    person = _read_person(actor, person_id, object_type="CareTeamMember")
    member = _member_of(actor, person, member_id)
    return render(request, "access/care_team_end.html",
                  _end_context(person, member, forms.CareTeamEndForm()))


def _end_context(person: Person, member: CareTeamMember, form: Form) -> dict[str, Any]:
    today = timezone.localdate()
    ended = member.end_date is not None and member.end_date <= today
    return {"person": person, "member": member, "form": form, "ended": ended}


@gated
@require_http_methods(["GET", "POST"])
def consent_add(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    actor = _actor(request)
    if request.method == "POST":
        person = _check_change(actor, person_id, "Consent", Action.RECORD_CONSENT)
        form = forms.ConsentForm(request.POST, team=_team(person))
        if form.is_valid():
            try:
                access_services.consent_record(actor=actor, person_id=person.pk,
                                               **form.service_kwargs())
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("The consent decision has been recorded."))
                return _after_change(request, actor, person)
        person = _read_person(actor, person_id, object_type="Consent",
                              action=Action.RECORD_CONSENT)
        return render(request, "access/consent_add.html",
                      {"person": person, "form": form}, status=400)
    person = _read_person(actor, person_id, object_type="Consent", action=Action.RECORD_CONSENT)
    form = forms.ConsentForm(team=_team(person))
    return render(request, "access/consent_add.html", {"person": person, "form": form})


def _consent_of(actor: Actor, person: Person, consent_id: uuid.UUID) -> Consent:
    consent = (
        Consent.objects.filter(pk=consent_id, person=person)
        .prefetch_related("organisations")
        .select_related("recorded_by__organisation")
        .first()
    )
    if consent is None:
        deny(actor, person.pk, "read", Basis.NOT_FOUND, "Consent", str(consent_id))
    assert consent is not None
    return consent


@gated
@require_http_methods(["GET", "POST"])
def consent_withdraw(request: HttpRequest, person_id: uuid.UUID,
                     consent_id: uuid.UUID) -> HttpResponse:
    actor = _actor(request)
    if request.method == "POST":
        person = _check_change(actor, person_id, "Consent", Action.RECORD_CONSENT)
        consent = _consent_of(actor, person, consent_id)
        form = forms.ConsentWithdrawForm(request.POST)
        if form.is_valid():
            try:
                access_services.consent_withdraw(actor=actor, consent_id=consent.pk,
                                                 reason=form.cleaned_data["reason"])
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("The consent has been withdrawn. This took effect "
                                            "straight away."))
                return _after_change(request, actor, person)
        person = _read_person(actor, person_id, object_type="Consent",
                              action=Action.RECORD_CONSENT)
        return render(request, "access/consent_withdraw.html",
                      {"person": person, "consent": consent, "form": form}, status=400)
    person = _read_person(actor, person_id, object_type="Consent", action=Action.RECORD_CONSENT)
    consent = _consent_of(actor, person, consent_id)
    return render(request, "access/consent_withdraw.html",
                  {"person": person, "consent": consent, "form": forms.ConsentWithdrawForm()})


@staff_required
@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    may = policy.may_break_glass(actor.role)
    if request.method == "POST":
        form = forms.BreakGlassForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                episode = access_services.break_glass_start(
                    actor=actor, reason=data["reason"], person_id=data.get("person_id"),
                    identifier=data.get("identifier") or None,
                )
            except AccessDenied as exc:
                exc.record()
                form.add_error("identifier", _("No record matches this identifier. Check the "
                                               "number and try again."))
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                expires = timezone.localtime(episode.expires_at)
                messages.success(request, _(
                    "You have emergency access to %(name)s's record until %(time)s. Your "
                    "organisation's privacy lead will review it."
                ) % {"name": episode.person.display_name,
                     "time": formats.date_format(expires, "DATETIME_FORMAT")})
                return redirect(_person_url(episode.person_id))
        return render(request, "access/break_glass.html",
                      {"form": form, "may_break_glass": may}, status=400)
    return render(request, "access/break_glass.html",
                  {"form": forms.BreakGlassForm(), "may_break_glass": may})


# -- transferring the registration ---------------------------------------------------------


def _transfer_choices(person: Person) -> list[tuple[str, str]]:
    today = timezone.localdate()
    members = (CareTeamMember.objects.filter(person=person, start_date__lte=today)
               .exclude(organisation_id=person.registered_by_id)
               .filter(Q(end_date__isnull=True) | Q(end_date__gt=today))
               .select_related("organisation").order_by("organisation__name"))
    return list({str(m.organisation_id): m.organisation.name for m in members}.items())


@gated
@require_http_methods(["GET", "POST"])
def transfer_registration(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    actor = _actor(request)
    person = _read_person(actor, person_id, action=Action.TRANSFER_REGISTRATION)
    form = forms.TransferRegistrationForm(request.POST or None,
                                          choices=_transfer_choices(person))
    if request.method == "POST":
        if form.is_valid():
            try:
                person = access_services.transfer_registration(
                    actor=actor, person_id=person.pk,
                    organisation_id=form.cleaned_data["organisation_id"],
                    reason=form.cleaned_data["reason"])
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("%(org)s now holds the registration.")
                                 % {"org": person.registered_by.name})
                return _after_change(request, actor, person)
        return render(request, "access/transfer_registration.html",
                      {"person": person, "form": form}, status=400)
    return render(request, "access/transfer_registration.html", {"person": person, "form": form})


# -- requests to join a care team ----------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def join_request_new(request: HttpRequest) -> HttpResponse:
    """Ask to join the care team of a person whose record another organisation holds. The
    answer is the same whether or not the record exists."""
    actor = _actor(request)
    may = actor.role in policy.PROFESSIONAL_ROLES
    initial = {"identifier": request.GET.get("identifier", "")[:40]}
    form = forms.JoinRequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and may:
        if form.is_valid():
            try:
                access_services.join_request_create(actor=actor, **form.cleaned_data)
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _(
                    "Your request has been sent. If an organisation holds a record with this "
                    "identifier, it will decide; the person then appears on your caseload."))
                return redirect("people:caseload")
        return render(request, "access/join_request_new.html", {"form": form, "may": may},
                      status=400)
    return render(request, "access/join_request_new.html", {"form": form, "may": may},
                  status=403 if request.method == "POST" else 200)


@staff_required
@require_http_methods(["GET"])
def join_requests(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    qs = access_services.join_requests_to_decide(actor)
    page = keyset_page(qs, fields=("created_at", "id"), cursor=cursor_of(request),
                       size=page_size())
    return render(request, "access/join_requests.html", {
        "requests": page.items, "links": page_links(request, page.next_cursor),
        "what": _("of requests"), "may": actor.role in policy.PROFESSIONAL_ROLES})


def _join_request_of(actor: Actor, request_id: uuid.UUID) -> JoinRequest:
    found = (access_services.join_requests_to_decide(actor).filter(pk=request_id)
             .select_related("requested_by__organisation").first())
    if found is None:
        deny(actor, None, "read", Basis.NOT_FOUND, "JoinRequest", str(request_id))
    assert found is not None
    return found


@staff_required
@require_http_methods(["GET", "POST"])
def join_request_decide(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    actor = _actor(request)
    join = _join_request_of(actor, request_id)
    person = _read_person(actor, join.person_id, object_type="JoinRequest",
                          action=Action.DECIDE_JOIN_REQUEST)
    form = forms.JoinDecisionForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            accept = form.cleaned_data["decision"] == "accept"
            try:
                access_services.join_request_decide(actor=actor, request_id=join.pk,
                                                    accept=accept,
                                                    note=form.cleaned_data["note"])
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("%(org)s has been added to the care team.")
                                 % {"org": join.organisation.name} if accept else
                                 _("The request has been declined."))
                return redirect(_person_url(person.pk))
        return render(request, "access/join_request_decide.html",
                      {"person": person, "join": join, "form": form}, status=400)
    return render(request, "access/join_request_decide.html",
                  {"person": person, "join": join, "form": form})
