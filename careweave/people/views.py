"""Pages of the person: the caseload (with search), the person page (a hub that other
apps extend through :mod:`careweave.core.registry`), creating and changing a person, and
the social network. Views are thin: they parse forms, call selectors and services (which
ask the access gate and write the audit) and render.

Every view carries one route marker from careweave.core.routes.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from careweave.access.gate import Action, Basis, decide, deny, open_person
from careweave.access.pages import after_change as _after_change
from careweave.access.pages import check_change
from careweave.access.pages import read_person as _read_person
from careweave.access.policy import CARE_ROLES
from careweave.core.errors import DuplicateRecord, ServiceError, StaleVersion
from careweave.core.forms import apply_service_error
from careweave.core.pages import actor_of as _actor
from careweave.core.pages import cursor_of, page_links, page_size
from careweave.core.registry import registry
from careweave.core.routes import gated, staff_required
from careweave.people import duplicates as duplicate_rules
from careweave.people import selectors, services
from careweave.people.forms import (
    CountryForm,
    MergeForm,
    NetworkAddForm,
    PersonForm,
    SearchForm,
    TimelineFilterForm,
)
from careweave.people.identifiers import format_identifier
from careweave.people.models import Person
from careweave.people.selectors import MergedRecord
from careweave.people.timeline import timeline_organisations, timeline_page


@staff_required
@require_http_methods(["GET"])
def caseload(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if actor.role not in CARE_ROLES:
        # Privacy leads, analysts and administrators have no caseload (they land on their
        # own pages): the same audited 404 as for any page that is not theirs.
        deny(actor, None, "search", Basis.ROLE_HAS_NO_RECORD_ACCESS, "Person", "")
    form = SearchForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    cursor = request.GET.get("cursor") or None
    # A garbled or forged cursor starts again from the first page (core.pagination).
    page = selectors.caseload(actor=actor, q=q, cursor=cursor,
                              size=settings.CAREWEAVE.get("PAGE_SIZE", 25))
    next_url = ""
    if page.next_cursor:
        next_url = "?" + urlencode({"q": q, "cursor": page.next_cursor} if q
                                   else {"cursor": page.next_cursor})
    context = {"form": form, "q": q, "page": page, "next_url": next_url,
               "first_page": cursor is None, "family_word": selectors.family_first_word(q),
               "may_review_duplicates": selectors.may_review_duplicates(actor)}
    add_caseload_flags(actor, page.items)
    template = "people/_caseload_results.html" if request.headers.get("HX-Request") and \
        request.headers.get("HX-Target") == "caseload-results" else "people/caseload.html"
    return render(request, template, context)


def add_caseload_flags(actor: Any, people: list[Person]) -> None:
    """``person.flags``: the registered caseload flags of the people on one page, one
    loader call per flag for the whole page."""
    by_pk: dict[Any, list[dict[str, str]]] = {p.pk: [] for p in people}
    if people:
        for flag in registry.caseload_flags():
            for pk, text in flag.load(actor, people).items():
                if pk in by_pk:
                    by_pk[pk].append({"key": flag.key, "text": str(text),
                                      "colour": flag.colour})
    for person in people:
        person.flags = by_pk[person.pk]  # type: ignore[attr-defined]


@gated
@require_http_methods(["GET"])
def person_detail(request: HttpRequest, person_id: Any) -> HttpResponse:
    """The hub: the person's own details, then every registered panel in order."""
    actor = _actor(request)
    try:
        detail = selectors.person_detail(actor=actor, person_id=person_id)
    except MergedRecord as merged:
        return _to_kept_record(request, merged)
    detail["panels"] = render_panels(request, actor, detail["person"], detail["decision"])
    return render(request, "people/person_detail.html", detail)


def _to_kept_record(request: HttpRequest, merged: MergedRecord) -> HttpResponse:
    messages.info(request, _("That record was merged into this one."))
    return redirect("people:person_detail", person_id=merged.into)


def render_panels(request: HttpRequest, actor: Any, person: Person,
                  decision: Any) -> list[dict[str, Any]]:
    """Each registered panel's loader, then its template, in the panels' order. A loader
    that returns None shows nothing."""
    shown = []
    for panel in registry.panels():
        context = panel.load(actor, person, decision)
        if context is None:
            continue
        html = render_to_string(panel.template, {**context, "person": person,
                                                 "decision": decision, "panel": panel},
                                request=request)
        shown.append({"key": panel.key, "title": panel.title, "html": html})
    return shown


@gated
@require_http_methods(["GET"])
def timeline(request: HttpRequest, person_id: Any) -> HttpResponse:
    """The whole timeline, filtered by kind and organisation, newest first."""
    actor = _actor(request)
    person, decision = open_person(actor, person_id, object_type="Timeline")
    form = TimelineFilterForm(
        request.GET or None,
        kinds=[k for k in registry.timeline_kinds() if k.audience(actor, decision)],
        organisations=timeline_organisations(person_id=person.pk),
    )
    kinds: list[str] = []
    organisation_id = None
    status = 200
    if form.is_bound:
        if form.is_valid():
            kinds = [form.cleaned_data["kind"]] if form.cleaned_data["kind"] else []
            organisation_id = form.cleaned_data["organisation"] or None
        else:
            status = 400
    page = timeline_page(actor=actor, person_id=person.pk, decision=decision, kinds=kinds,
                         organisation_id=organisation_id, cursor=cursor_of(request),
                         size=page_size())
    return render(request, "people/timeline.html", {
        "person": person, "form": form, "entries": page.items,
        "links": page_links(request, page.next_cursor), "what": _("of the timeline"),
    }, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def person_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    assert actor.membership is not None
    country = actor.membership.organisation.country
    form = PersonForm(request.POST or None, country=country)
    similar: list[dict[str, Any]] = []
    existing: Person | None = None
    join_identifier = ""
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                person = services.person_create(
                    actor=actor, data=form.service_data(), identifiers=form.identifiers(),
                    confirm_similar=form.cleaned_data.get("confirm_similar", False),
                )
            except DuplicateRecord as exc:
                status = 409
                apply_service_error(form, exc)
                if exc.extra.get("matches"):
                    # similar_people() looked only at people the actor may see.
                    similar = [{"person": p, "score": m.score, "likely": m.likely,
                                "reasons": duplicate_rules.reason_texts(m.reasons)}
                               for p, m in exc.extra["matches"]]
                elif exc.extra.get("join_request"):
                    join_identifier = format_identifier(exc.extra["system"], exc.extra["value"])
                elif exc.extra.get("system"):
                    existing = selectors.visible_by_identifier(
                        actor=actor, system=exc.extra["system"], value=exc.extra["value"])
            except ServiceError as exc:
                status = exc.status if exc.status == 429 else status
                apply_service_error(form, exc)
            else:
                messages.success(request, _("%(name)s has been added.")
                                 % {"name": person.display_name})
                return redirect("people:person_detail", person_id=person.pk)
    return render(request, "people/person_form.html", {
        "form": form, "similar": similar, "existing": existing, "creating": True,
        "join_identifier": join_identifier,
        "show_confirm": bool(similar) or bool(request.POST.get("confirm_similar")),
    }, status=status)


@gated
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, person_id: Any) -> HttpResponse:
    actor = _actor(request)
    if request.method == "GET":
        person = _read_person(actor, person_id, action=Action.CHANGE_DEMOGRAPHICS)
        identity = decide(actor, person, Action.CHANGE_IDENTITY).allowed
        form = PersonForm(initial=PersonForm.initial_for(person), country=person.country,
                          identity=identity)
        del form.fields["confirm_similar"]
        return render(request, "people/person_form.html",
                      {"form": form, "person": person, "version": person.version,
                       "identity_locked": not identity})
    # POST: the service checks access (404 on refusal) and the version (lost updates).
    person = check_change(actor, person_id, "Person", Action.CHANGE_DEMOGRAPHICS)
    identity = decide(actor, person, Action.CHANGE_IDENTITY).allowed
    form = PersonForm(request.POST, country=person.country, identity=identity)
    del form.fields["confirm_similar"]
    status = 400
    if form.is_valid():
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = -1
        try:
            services.person_update(actor=actor, person_id=person.pk,
                                   changes=form.service_data(), expected_version=version,
                                   identifiers=form.identifiers())
        except StaleVersion as exc:
            status = 412
            form.add_error(None, exc.message)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("people:person_detail", person_id=person.pk)
    return render(request, "people/person_form.html",
                  {"form": form, "person": person, "version": request.POST.get("version", ""),
                   "identity_locked": not identity}, status=status)



@gated
@require_http_methods(["GET", "POST"])
def network_add(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    actor = _actor(request)
    if request.method == "POST":
        person = check_change(actor, person_id, "RelatedPerson", Action.CHANGE_DEMOGRAPHICS)
        form = NetworkAddForm(request.POST)
        if form.is_valid():
            try:
                related = services.network_add(actor=actor, person_id=person.pk,
                                                      data=form.cleaned_data)
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("%(name)s has been added to the social network.")
                                 % {"name": related.name})
                return _after_change(request, actor, person)
        person = _read_person(actor, person_id, object_type="RelatedPerson",
                              action=Action.CHANGE_DEMOGRAPHICS)
        return render(request, "people/network_add.html",
                      {"person": person, "form": form}, status=400)
    person = _read_person(actor, person_id, object_type="RelatedPerson",
                          action=Action.CHANGE_DEMOGRAPHICS)
    return render(request, "people/network_add.html",
                  {"person": person, "form": NetworkAddForm()})


# -- possible duplicates (data-quality roles) ---------------------------------------------------


@staff_required
@require_http_methods(["GET"])
def duplicates(request: HttpRequest) -> HttpResponse:
    """Likely duplicate pairs among the people the actor may see, most likely first."""
    actor = _actor(request)
    page = selectors.duplicate_pairs(actor=actor, cursor=cursor_of(request), size=page_size())
    return render(request, "people/duplicates.html", {
        "pairs": page.items, "links": page_links(request, page.next_cursor),
        "what": _("of possible duplicates"), "first_page": cursor_of(request) is None,
        "merges": selectors.recent_merges(actor=actor) if cursor_of(request) is None else [],
    })


def _pair_page(request: HttpRequest, pair_id: uuid.UUID, *, form: MergeForm | None = None,
               status: int = 200) -> HttpResponse:
    actor = _actor(request)
    detail = selectors.duplicate_pair(actor=actor, pair_id=pair_id)
    people = [detail["a"], detail["b"]]
    detail["form"] = form or MergeForm(people=people)
    return render(request, "people/duplicate_detail.html", detail, status=status)


@staff_required
@require_http_methods(["GET"])
def duplicate_detail(request: HttpRequest, pair_id: uuid.UUID) -> HttpResponse:
    """The two records side by side, why they may be one person, and what to do."""
    return _pair_page(request, pair_id)


@staff_required
@require_http_methods(["POST"])
def duplicate_merge(request: HttpRequest, pair_id: uuid.UUID) -> HttpResponse:
    actor = _actor(request)
    detail = selectors.duplicate_pair(actor=actor, pair_id=pair_id)
    a, b = detail["a"], detail["b"]
    form = MergeForm(request.POST, people=[a, b])
    if form.is_valid():
        keep, other = (a, b) if form.cleaned_data["keep"] == str(a.pk) else (b, a)
        try:
            merge = services.person_merge(actor=actor, survivor_id=keep.pk, merged_id=other.pk)
        except ServiceError as exc:
            form.add_error(None, exc.message)
            return _pair_page(request, pair_id, form=form, status=409)
        messages.success(request, _("The records have been merged into the record of "
                                    "%(name)s.") % {"name": keep.display_name})
        return redirect("people:merge_detail", merge_id=merge.pk)
    return _pair_page(request, pair_id, form=form, status=400)


@staff_required
@require_http_methods(["POST"])
def duplicate_dismiss(request: HttpRequest, pair_id: uuid.UUID) -> HttpResponse:
    actor = _actor(request)
    services.duplicate_dismiss(actor=actor, pair_id=pair_id)
    messages.success(request, _("Marked as two different people. The pair is no longer "
                                "listed."))
    return redirect("people:duplicates")


@staff_required
@require_http_methods(["GET"])
def merge_detail(request: HttpRequest, merge_id: uuid.UUID) -> HttpResponse:
    """A merge: which records, what moved, and undoing it."""
    detail = selectors.merge_detail(actor=_actor(request), merge_id=merge_id)
    return render(request, "people/merge_detail.html", detail)


@staff_required
@require_http_methods(["POST"])
def merge_undo(request: HttpRequest, merge_id: uuid.UUID) -> HttpResponse:
    actor = _actor(request)
    try:
        merge = services.person_unmerge(actor=actor, merge_id=merge_id)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("people:merge_detail", merge_id=merge_id)
    messages.success(request, _("The merge has been undone: %(name)s has a record of their "
                                "own again.") % {"name": merge.merged.display_name})
    return redirect("people:merge_detail", merge_id=merge.pk)


@gated
@require_http_methods(["GET", "POST"])
def change_country(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """The registering organisation moves the record to another country's consent rules,
    with a reason."""
    actor = _actor(request)
    person = _read_person(actor, person_id, action=Action.CHANGE_IDENTITY)
    form = CountryForm(request.POST or None, initial={"country": person.country})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                version = int(request.POST.get("version", ""))
            except ValueError:
                version = -1
            try:
                services.person_change_country(actor=actor, person_id=person.pk,
                                               expected_version=version, **form.cleaned_data)
            except StaleVersion as exc:
                status = 412
                form.add_error(None, exc.message)
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("The country has been changed."))
                return _after_change(request, actor, person)
    return render(request, "people/change_country.html",
                  {"person": person, "form": form, "version": person.version}, status=status)
