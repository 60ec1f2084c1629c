"""Pages for the medicines list: the list, adding, changing and stopping a medicine, its
history, reconciliation (the list as each organisation knows it, confirmed by a
clinician) and a printable copy. Thin: forms, then selectors or services."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from careweave.access.gate import Action, active_team_q, open_person
from careweave.access.models import CareTeamMember
from careweave.access.pages import check_change, read_person
from careweave.core.errors import ServiceError
from careweave.core.forms import apply_service_error
from careweave.core.pages import actor_of
from careweave.core.routes import gated
from careweave.medicines import forms, selectors, services


def _version(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return -1


def _prescribers(person: Any) -> list[tuple[Any, str]]:
    rows = (CareTeamMember.objects.filter(active_team_q(timezone.now()), person=person)
            .values_list("organisation_id", "organisation__name").distinct())
    return sorted(set(rows), key=lambda r: r[1])


def _status(exc: ServiceError) -> int:
    return exc.status if exc.status in (409, 412) else 400


@gated
@require_http_methods(["GET"])
def medicines(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    actor = actor_of(request)
    person, decision = open_person(actor, person_id, object_type="Medicine")
    rows = selectors.medicines_for(person)
    return render(request, "medicines/medicines.html", {
        "person": person, "decision": decision,
        "taking": [m for m in rows if m.status == "active"],
        "stopped": [m for m in rows if m.status != "active"],
        "last": selectors.last_review(person),
        "may_change": decision.may(Action.CHANGE_MEDICINES),
        "may_reconcile": decision.may(Action.RECONCILE_MEDICINES)})


@gated
@require_http_methods(["GET", "POST"])
def medicine_add(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    actor = actor_of(request)
    if request.method == "POST":
        person = check_change(actor, person_id, "Medicine", Action.CHANGE_MEDICINES)
        form = forms.MedicineForm(request.POST, prescribers=_prescribers(person))
        if form.is_valid():
            try:
                services.medicine_add(actor=actor, person_id=person.pk,
                                      data=form.service_data())
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("The medicine has been added to the list."))
                return redirect("medicines:medicines", person_id=person.pk)
        person = read_person(actor, person_id, object_type="Medicine",
                             action=Action.CHANGE_MEDICINES)
        return render(request, "medicines/medicine_form.html",
                      {"person": person, "form": form, "adding": True}, status=400)
    person = read_person(actor, person_id, object_type="Medicine", action=Action.CHANGE_MEDICINES)
    form = forms.MedicineForm(prescribers=_prescribers(person),
                              initial={"started": timezone.localdate()})
    return render(request, "medicines/medicine_form.html",
                  {"person": person, "form": form, "adding": True})


@gated
@require_http_methods(["GET"])
def medicine(request: HttpRequest, person_id: uuid.UUID, medicine_id: uuid.UUID) -> HttpResponse:
    actor = actor_of(request)
    person, decision, found = selectors.medicine_detail(actor=actor, person_id=person_id,
                                                        medicine_id=medicine_id)
    return render(request, "medicines/medicine_detail.html", {
        "person": person, "decision": decision, "medicine": found,
        "history": selectors.history(found),
        "may_change": decision.may(Action.CHANGE_MEDICINES) and found.status == "active"})


def _initial(m: Any) -> dict[str, Any]:
    fields = ("name", "code_system", "code", "dose", "frequency", "route", "as_needed",
              "administered_by", "instructions", "prescriber_other", "started")
    return {**{f: getattr(m, f) for f in fields},
            "prescriber_id": str(m.prescriber_id) if m.prescriber_id else ""}


@gated
@require_http_methods(["GET", "POST"])
def medicine_change(request: HttpRequest, person_id: uuid.UUID,
                    medicine_id: uuid.UUID) -> HttpResponse:
    actor = actor_of(request)
    person, decision, found = selectors.medicine_detail(actor=actor, person_id=person_id,
                                                        medicine_id=medicine_id)
    if not decision.may(Action.CHANGE_MEDICINES):
        check_change(actor, person_id, "Medicine", Action.CHANGE_MEDICINES)
    status = 200
    if request.method == "POST":
        status = 400
        form = forms.MedicineChangeForm(request.POST, prescribers=_prescribers(person))
        if form.is_valid():
            data = form.service_data()
            reason = data.pop("reason", "")
            try:
                services.medicine_change(actor=actor, person_id=person.pk,
                                         medicine_id=found.pk, changes=data, reason=reason,
                                         expected_version=_version(request))
            except ServiceError as exc:
                status = _status(exc)
                apply_service_error(form, exc)
            else:
                messages.success(request, _("The medicine has been changed."))
                return redirect("medicines:medicines", person_id=person.pk)
    else:
        form = forms.MedicineChangeForm(prescribers=_prescribers(person), initial=_initial(found))
    return render(request, "medicines/medicine_form.html", {
        "person": person, "form": form, "medicine": found, "version": found.version},
        status=status)


@gated
@require_http_methods(["GET", "POST"])
def medicine_stop(request: HttpRequest, person_id: uuid.UUID,
                  medicine_id: uuid.UUID) -> HttpResponse:
    actor = actor_of(request)
    person, decision, found = selectors.medicine_detail(actor=actor, person_id=person_id,
                                                        medicine_id=medicine_id)
    if not decision.may(Action.CHANGE_MEDICINES):
        check_change(actor, person_id, "Medicine", Action.CHANGE_MEDICINES)
    status = 200
    if request.method == "POST":
        status = 400
        form = forms.StopForm(request.POST)
        if form.is_valid():
            try:
                services.medicine_stop(actor=actor, person_id=person.pk, medicine_id=found.pk,
                                       stopped=form.cleaned_data["stopped"],
                                       reason=form.cleaned_data["reason"],
                                       expected_version=_version(request))
            except ServiceError as exc:
                status = _status(exc)
                apply_service_error(form, exc)
            else:
                messages.success(request, _("The medicine has been stopped."))
                return redirect("medicines:medicines", person_id=person.pk)
    else:
        form = forms.StopForm(initial={"stopped": timezone.localdate()})
    return render(request, "medicines/medicine_stop.html", {
        "person": person, "form": form, "medicine": found, "version": found.version},
        status=status)


@gated
@require_http_methods(["GET", "POST"])
def reconcile(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """The list as each organisation knows it; a clinician confirms it."""
    actor = actor_of(request)
    person, decision = open_person(actor, person_id, object_type="Reconciliation")
    may = decision.may(Action.RECONCILE_MEDICINES)
    status = 200
    form = forms.ReconcileForm(request.POST or None)
    if request.method == "POST":
        if not may:
            check_change(actor, person_id, "Reconciliation", Action.RECONCILE_MEDICINES)
        status = 400
        if form.is_valid():
            try:
                services.medicines_reconcile(
                    actor=actor, person_id=person.pk,
                    expected_list_version=request.POST.get("list_version", "")[:40],
                    note=form.cleaned_data["note"])
            except ServiceError as exc:
                status = _status(exc)
                apply_service_error(form, exc)
            else:
                messages.success(request, _("You have confirmed the medicines list."))
                return redirect("medicines:medicines", person_id=person.pk)
    view = selectors.reconciliation_view(person)
    return render(request, "medicines/reconcile.html", {
        "person": person, "decision": decision, "form": form, "may_reconcile": may, **view},
        status=status)


@gated
@require_http_methods(["GET"])
def print_list(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """The medicines being taken, to print for a care home or the person."""
    actor = actor_of(request)
    person, taking, last = services.medicines_print(actor=actor, person_id=person_id)
    return render(request, "medicines/print.html", {
        "person": person, "taking": taking, "last": last, "printed": timezone.now()})
