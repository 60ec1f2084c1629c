"""Pages for the person's access log, the privacy lead's audit viewer (with CSV export)
and the break-glass report and review."""

from __future__ import annotations

import csv
import datetime as dt
import json
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from careweave.access import services as access_services
from careweave.access.gate import Basis, deny
from careweave.access.models import BreakGlass
from careweave.access.pages import read_person as _read_person
from careweave.access.services import REVIEWER_ROLES, reviewable_break_glass
from careweave.audit import forms, labels
from careweave.audit import selectors as audit_selectors
from careweave.audit.models import AuditEvent
from careweave.audit.services import audit_record
from careweave.core.context import Actor
from careweave.core.db import atomic
from careweave.core.errors import ServiceError
from careweave.core.forms import apply_service_error
from careweave.core.pages import actor_of as _actor
from careweave.core.pages import cursor_of as _cursor
from careweave.core.pages import page_links as _page_links
from careweave.core.pages import page_size
from careweave.core.pagination import keyset_page
from careweave.core.routes import gated, staff_required
from careweave.orgs.models import Membership

PRIVACY_LEAD = "privacy_lead"


PRINT_SIZE = 500  # access-log entries on one page when preparing a printout
LOOKUPS_SHOWN = 50  # refused identifier lookups on the report page (the audit log has all)


@gated
@require_http_methods(["GET"])
def access_log(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    actor = _actor(request)
    person = _read_person(actor, person_id, object_type="AccessLog")
    for_print = request.GET.get("print") == "1"
    page = audit_selectors.person_access_log(person_id=person.pk, cursor=_cursor(request),
                                             size=PRINT_SIZE if for_print else page_size())
    return render(request, "audit/access_log.html", {
        "person": person,
        "for_print": for_print,
        "print_size": PRINT_SIZE,
        "entries": page.items,
        "links": _page_links(request, page.next_cursor),
        "printed_at": timezone.now(),
    })


def _privacy_lead_only(actor: Actor, object_type: str, *,
                       platform_reviewer: bool = False) -> None:
    """Anyone but a privacy lead (or, for emergency access, a platform reviewer) gets the
    same 404 as for a page that does not exist."""
    allowed = REVIEWER_ROLES if platform_reviewer else {PRIVACY_LEAD}
    if actor.role not in allowed:
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
        return render(request, "audit/audit_log.html", context, status=400)
    with atomic():
        qs = audit_selectors.audit_events(actor=reader, **filters)
        page = keyset_page(qs, fields=("at", "id"), cursor=_cursor(request), size=page_size(),
                           descending=True)
        audit_record(actor=reader, action=AuditEvent.Action.SEARCH, object_type="AuditEvent",
                     purpose="audit", legal_basis="privacy-review",
                     detail={"filters": _described(form), "results": len(page.items)})
    export_params = request.GET.copy()
    export_params.pop("cursor", None)
    context.update(events=_readable(page.items), links=_page_links(request, page.next_cursor),
                   export_query=export_params.urlencode())
    return render(request, "audit/audit_log.html", context)


def _readable(events: list[AuditEvent]) -> list[dict[str, Any]]:
    """The events in plain words: roles, bases, purposes and record types in the reader's
    language, and the person's name (privacy leads see names; one query a page)."""
    names = audit_selectors.person_names({e.person_id for e in events if e.person_id})
    return [{
        "event": e, "role": labels.role_label(e.role),
        "what": labels.label(labels.OBJECT, e.object_type),
        "channel": labels.label(labels.CHANNEL, e.channel),
        "basis": labels.label(labels.BASIS, e.legal_basis),
        "purpose": labels.label(labels.PURPOSE, e.purpose) if e.purpose else "",
        "person_name": names.get(e.person_id, "") if e.person_id else "",
    } for e in events]


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
        return redirect(reverse("audit:audit_log") + "?" + request.GET.urlencode())
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
    _privacy_lead_only(actor, "BreakGlass", platform_reviewer=True)
    with atomic():
        qs = audit_selectors.break_glass_report(actor=actor).prefetch_related(
            "person__identifiers")
        page = keyset_page(qs, fields=("started_at", "id"), cursor=_cursor(request),
                           size=page_size(), descending=True)
        lookups: list[Any] = []
        if actor.role == PRIVACY_LEAD:
            lookups = list(audit_selectors.refused_lookups(actor=actor)
                           .order_by("-at", "-id")[:LOOKUPS_SHOWN])
        audit_record(actor=actor, action=AuditEvent.Action.SEARCH, object_type="BreakGlass",
                     purpose="audit", legal_basis="privacy-review",
                     detail={"report": "break_glass", "results": len(page.items),
                             "refused_lookups": len(lookups)})
    return render(request, "audit/break_glass_report.html", {
        "episodes": page.items,
        "links": _page_links(request, page.next_cursor),
        "now": timezone.now(),
        "lookups": _readable(lookups),
        "own_org": actor.organisation_id,
    })


def _episode(actor: Actor, break_glass_id: uuid.UUID) -> BreakGlass:
    episode = (
        reviewable_break_glass(actor).filter(pk=break_glass_id)
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
    _privacy_lead_only(actor, "BreakGlass", platform_reviewer=True)
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
                return redirect("audit:break_glass_report")
        return render(request, "audit/break_glass_review.html",
                      {"episode": episode, "form": form, "now": timezone.now()}, status=400)
    form = forms.BreakGlassReviewForm(initial={"note": episode.review_note})
    return render(request, "audit/break_glass_review.html",
                  {"episode": episode, "form": form, "now": timezone.now()})
