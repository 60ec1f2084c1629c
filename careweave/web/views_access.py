"""Pages for the care team, consent, social network, break-glass, the person's access log,
the privacy lead's audit viewer (with CSV export) and the break-glass report.

Thin views: parse with the forms in ``forms_access``, ask the gate or call a service,
render. Services decide; their errors are put back on the form and the page is shown
again with status 400. A refusal anywhere is the gate's AccessDenied: a plain 404.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.forms import Form
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    QueryDict,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from careweave.access import policy
from careweave.access import services as access_services
from careweave.access.gate import AccessDenied, Basis, decide, deny
from careweave.access.models import BreakGlass, CareTeamMember, Consent
from careweave.audit import selectors as audit_selectors
from careweave.audit.models import AuditEvent
from careweave.audit.services import audit_record
from careweave.core.context import Actor
from careweave.core.db import atomic
from careweave.core.errors import ServiceError
from careweave.core.pagination import keyset_page
from careweave.core.routes import gated, staff_required
from careweave.orgs.models import Membership
from careweave.people import services as people_services
from careweave.people.models import Person
from careweave.web import forms_access as forms
from careweave.web.common import actor_of as _actor
from careweave.web.common import apply_service_error
from careweave.web.common import check_change as _check_change
from careweave.web.common import read_person as _read_person

PRIVACY_LEAD = "privacy_lead"
PRINT_SIZE = 500  # access-log entries on one page when preparing a printout


def page_size() -> int:
    return int(settings.CAREWEAVE.get("PAGE_SIZE", 25))






def _cursor(request: HttpRequest) -> str | None:
    return request.GET.get("cursor") or None


def _page_links(request: HttpRequest, next_cursor: str | None) -> dict[str, str]:
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


# -- the person ----------------------------------------------------------------------------


def _person_url(person_id: uuid.UUID) -> str:
    return reverse("web:person_detail", kwargs={"person_id": person_id})


def _after_change(request: HttpRequest, actor: Actor, person: Person) -> HttpResponseRedirect:
    """Back to the person page, or to the caseload if the change took away our access
    (for example after withdrawing the consent that covered our own organisation)."""
    if decide(actor, person).allowed:
        return redirect(_person_url(person.pk))
    messages.info(request, _("You can no longer see this person's record."))
    return redirect("web:caseload")


def _team(person: Person) -> list[CareTeamMember]:
    return list(CareTeamMember.objects.filter(person=person).select_related("organisation"))


# -- care team -----------------------------------------------------------------------------


@gated
@require_http_methods(["GET", "POST"])
def care_team_add(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    actor = _actor(request)
    if request.method == "POST":
        person = _check_change(actor, person_id, "CareTeamMember")
        form = forms.CareTeamAddForm(request.POST, country=person.country)
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
        person = _read_person(actor, person_id)
        return render(request, "web/access/care_team_add.html",
                      {"person": person, "form": form}, status=400)
    person = _read_person(actor, person_id)
    form = forms.CareTeamAddForm(country=person.country)
    return render(request, "web/access/care_team_add.html", {"person": person, "form": form})


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
        person = _check_change(actor, person_id, "CareTeamMember")
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
        return render(request, "web/access/care_team_end.html",
                      _end_context(person, member, form), status=400)
    person = _read_person(actor, person_id, object_type="CareTeamMember")
    member = _member_of(actor, person, member_id)
    return render(request, "web/access/care_team_end.html",
                  _end_context(person, member, forms.CareTeamEndForm()))


def _end_context(person: Person, member: CareTeamMember, form: Form) -> dict[str, Any]:
    today = timezone.localdate()
    ended = member.end_date is not None and member.end_date <= today
    return {"person": person, "member": member, "form": form, "ended": ended}


# -- consent -------------------------------------------------------------------------------


@gated
@require_http_methods(["GET", "POST"])
def consent_add(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    actor = _actor(request)
    if request.method == "POST":
        person = _check_change(actor, person_id, "Consent")
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
        person = _read_person(actor, person_id, object_type="Consent")
        return render(request, "web/access/consent_add.html",
                      {"person": person, "form": form}, status=400)
    person = _read_person(actor, person_id, object_type="Consent")
    form = forms.ConsentForm(team=_team(person))
    return render(request, "web/access/consent_add.html", {"person": person, "form": form})


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
        person = _check_change(actor, person_id, "Consent")
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
        person = _read_person(actor, person_id, object_type="Consent")
        return render(request, "web/access/consent_withdraw.html",
                      {"person": person, "consent": consent, "form": form}, status=400)
    person = _read_person(actor, person_id, object_type="Consent")
    consent = _consent_of(actor, person, consent_id)
    return render(request, "web/access/consent_withdraw.html",
                  {"person": person, "consent": consent, "form": forms.ConsentWithdrawForm()})


# -- social network ------------------------------------------------------------------------


@gated
@require_http_methods(["GET", "POST"])
def network_add(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    actor = _actor(request)
    if request.method == "POST":
        person = _check_change(actor, person_id, "RelatedPerson")
        form = forms.NetworkAddForm(request.POST)
        if form.is_valid():
            try:
                related = people_services.network_add(actor=actor, person_id=person.pk,
                                                      data=form.cleaned_data)
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("%(name)s has been added to the social network.")
                                 % {"name": related.name})
                return _after_change(request, actor, person)
        person = _read_person(actor, person_id, object_type="RelatedPerson")
        return render(request, "web/access/network_add.html",
                      {"person": person, "form": form}, status=400)
    person = _read_person(actor, person_id, object_type="RelatedPerson")
    return render(request, "web/access/network_add.html",
                  {"person": person, "form": forms.NetworkAddForm()})


# -- the person's access log ---------------------------------------------------------------


@gated
@require_http_methods(["GET"])
def access_log(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    actor = _actor(request)
    person = _read_person(actor, person_id, object_type="AccessLog")
    for_print = request.GET.get("print") == "1"
    page = audit_selectors.person_access_log(person_id=person.pk, cursor=_cursor(request),
                                             size=PRINT_SIZE if for_print else page_size())
    return render(request, "web/access/access_log.html", {
        "person": person,
        "for_print": for_print,
        "print_size": PRINT_SIZE,
        "entries": page.items,
        "links": _page_links(request, page.next_cursor),
        "printed_at": timezone.now(),
    })


# -- break-glass ---------------------------------------------------------------------------


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
        return render(request, "web/access/break_glass.html",
                      {"form": form, "may_break_glass": may}, status=400)
    return render(request, "web/access/break_glass.html",
                  {"form": forms.BreakGlassForm(), "may_break_glass": may})


# -- the privacy lead's pages --------------------------------------------------------------


def _privacy_lead_only(actor: Actor, object_type: str) -> None:
    """Anyone but a privacy lead gets the same 404 as for a page that does not exist."""
    if actor.role != PRIVACY_LEAD:
        deny(actor, None, "read", Basis.ROLE_HAS_NO_RECORD_ACCESS, object_type, "")


def _lead_organisations(actor: Actor) -> list[Membership]:
    """The user's privacy-lead memberships: the organisations whose log they may read."""
    return list(
        Membership.objects.filter(user_id=actor.user.pk, role=PRIVACY_LEAD, is_active=True,
                                  organisation__is_active=True)
        .select_related("organisation")
        .order_by("organisation__name")
    )


def _audit_query(
    request: HttpRequest, actor: Actor
) -> tuple[forms.AuditFilterForm, dict[str, Any] | None, Actor]:
    """The filter form; the filters for audit_events when it is valid (or empty), else
    None; and the actor to read as: the user's privacy-lead membership of the organisation
    chosen, or the one they act for."""
    leads = _lead_organisations(actor)
    choices = [(str(m.organisation_id), m.organisation.name) for m in leads]
    params = request.GET.copy()
    params.pop("cursor", None)
    if not any(params.values()):
        return forms.AuditFilterForm(organisations=choices), {}, actor
    form = forms.AuditFilterForm(params, organisations=choices)
    if not form.is_valid():
        return form, None, actor
    reader = actor
    chosen = form.organisation_id()
    if chosen and chosen != str(actor.organisation_id):
        membership = next(m for m in leads if str(m.organisation_id) == chosen)
        reader = Actor(user=actor.user, membership=membership)
    return form, form.filters(), reader


def _described(form: forms.AuditFilterForm) -> dict[str, str]:
    return form.described() if form.is_bound else {}


@staff_required
@require_http_methods(["GET"])
def audit_log(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    _privacy_lead_only(actor, "AuditEvent")
    form, filters, reader = _audit_query(request, actor)
    assert reader.membership is not None
    context: dict[str, Any] = {"form": form, "events": [], "links": {}, "export_query": "",
                               "organisation": reader.membership.organisation}
    if filters is None:
        return render(request, "web/access/audit_log.html", context, status=400)
    with atomic():
        qs = audit_selectors.audit_events(actor=reader, **filters)
        page = keyset_page(qs, fields=("at", "id"), cursor=_cursor(request), size=page_size(),
                           descending=True)
        audit_record(actor=reader, action=AuditEvent.Action.SEARCH, object_type="AuditEvent",
                     purpose="audit", legal_basis="privacy-review",
                     detail={"filters": _described(form), "results": len(page.items)})
    export_params = request.GET.copy()
    export_params.pop("cursor", None)
    context.update(events=page.items, links=_page_links(request, page.next_cursor),
                   export_query=export_params.urlencode())
    return render(request, "web/access/audit_log.html", context)


CSV_COLUMNS = ("at", "username", "organisation_name", "role", "action", "outcome", "person_id",
               "object_type", "object_id", "purpose", "legal_basis", "channel", "request_id",
               "detail", "chain", "seq", "hash")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="seconds")
    if isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    # Spreadsheet formula injection: a cell must never start a formula.
    if text.startswith(_FORMULA_START):
        text = "'" + text
    return text


def _csv_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    rows: Iterable[AuditEvent] = events.order_by("-at", "-id").iterator(chunk_size=1000)
    for event in rows:
        yield writer.writerow([_csv_cell(getattr(event, column)) for column in CSV_COLUMNS])


@staff_required
@require_http_methods(["GET"])
def audit_export(request: HttpRequest) -> HttpResponseBase:
    actor = _actor(request)
    _privacy_lead_only(actor, "AuditEvent")
    form, filters, reader = _audit_query(request, actor)
    if filters is None:  # show the viewer with the errors
        return redirect(reverse("web:audit_log") + "?" + request.GET.urlencode())
    with atomic():
        qs = audit_selectors.audit_events(actor=reader, **filters)
        rows = qs.count()
        event = audit_record(actor=reader, action=AuditEvent.Action.EXPORT,
                             object_type="AuditEvent", purpose="audit",
                             legal_basis="privacy-review",
                             detail={"filters": _described(form), "rows": rows,
                                     "format": "csv"})
    if event is not None:  # exactly the rows counted above, not the export's own event
        qs = qs.filter(pk__lt=event.pk)
    response = StreamingHttpResponse(_csv_lines(qs), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="careweave-audit-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@staff_required
@require_http_methods(["GET"])
def break_glass_report(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    _privacy_lead_only(actor, "BreakGlass")
    with atomic():
        qs = audit_selectors.break_glass_report(actor=actor).prefetch_related(
            "person__identifiers")
        page = keyset_page(qs, fields=("started_at", "id"), cursor=_cursor(request),
                           size=page_size(), descending=True)
        audit_record(actor=actor, action=AuditEvent.Action.SEARCH, object_type="BreakGlass",
                     purpose="audit", legal_basis="privacy-review",
                     detail={"report": "break_glass", "results": len(page.items)})
    return render(request, "web/access/break_glass_report.html", {
        "episodes": page.items,
        "links": _page_links(request, page.next_cursor),
        "now": timezone.now(),
    })


def _episode(actor: Actor, break_glass_id: uuid.UUID) -> BreakGlass:
    org_id = actor.organisation_id
    assert org_id is not None
    episode = (
        BreakGlass.objects.filter(pk=break_glass_id, membership__organisation_id=org_id)
        .select_related("person", "user", "membership__organisation", "reviewed_by")
        .prefetch_related("person__identifiers")
        .first()
    )
    if episode is None:
        deny(actor, None, "read", Basis.NOT_FOUND, "BreakGlass", str(break_glass_id))
    assert episode is not None
    return episode


@staff_required
@require_http_methods(["GET", "POST"])
def break_glass_review(request: HttpRequest, break_glass_id: uuid.UUID) -> HttpResponse:
    actor = _actor(request)
    _privacy_lead_only(actor, "BreakGlass")
    episode = _episode(actor, break_glass_id)
    if request.method == "POST":
        form = forms.BreakGlassReviewForm(request.POST)
        if form.is_valid():
            try:
                access_services.break_glass_review(actor=actor, break_glass_id=episode.pk,
                                                   note=form.cleaned_data["note"])
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("The emergency access has been marked as "
                                            "reviewed."))
                return redirect("web:break_glass_report")
        return render(request, "web/access/break_glass_review.html",
                      {"episode": episode, "form": form, "now": timezone.now()}, status=400)
    form = forms.BreakGlassReviewForm(initial={"note": episode.review_note})
    return render(request, "web/access/break_glass_review.html",
                  {"episode": episode, "form": form, "now": timezone.now()})
