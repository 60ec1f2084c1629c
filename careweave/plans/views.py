"""Pages of the co-produced plan and the crisis plan.

Thin views: parse with :mod:`careweave.plans.forms`, ask the gate (through the selectors
or ``access.pages``), call a service, render. A refusal anywhere is the gate's 404. A
stale version (someone else saved the plan after this page was opened) is a 412 with a
clear message on the form, and nothing is saved. Every form works without JavaScript.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from careweave.access.gate import Action
from careweave.access.pages import check_change
from careweave.core.errors import ServiceError, StaleVersion
from careweave.core.forms import apply_service_error
from careweave.core.pages import actor_of as _actor
from careweave.core.routes import gated
from careweave.people.models import Person
from careweave.plans import comparisons, exports, forms, rules, selectors, services, states
from careweave.plans.models import Goal, Participant, Plan, PlanAction, PlanSection, PlanType

# -- helpers -----------------------------------------------------------------------------------


def plan_url(plan: Plan) -> str:
    return reverse("plans:plan_detail", kwargs={"person_id": plan.person_id, "plan_id": plan.pk})


def _posted_version(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return -1  # never a plan's version: a form without one is refused as stale


def _key(request: HttpRequest) -> str:
    return str(request.POST.get("idempotency_key", ""))[:100]


Save = Callable[[Any, Person, Plan, Any, int, str], Any]


def _form_page(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID, *,
               action: Action, object_type: str, make_form: Callable[..., Form],
               save: Save, template: str, success: Callable[[Any], str],
               extra: Callable[[Person, Plan], dict[str, Any]] | None = None,
               after: Callable[[Plan, Any], str] | None = None) -> HttpResponse:
    """GET shows the form; POST checks access first (404), then the form, then the
    service; errors show the form again (400, 403, 409 or 412)."""
    actor = _actor(request)
    status = 200
    form: Form | None = None
    if request.method == "POST":
        person = check_change(actor, person_id, object_type, action)
        plan = selectors.plan_of(actor, person, plan_id)
        form = make_form(person, plan, request.POST)
        status = 400
        if form.is_valid():
            try:
                result = save(actor, person, plan, form, _posted_version(request),
                              _key(request))
            except StaleVersion as exc:
                status = 412
                form.add_error(None, exc.message)
            except ServiceError as exc:
                apply_service_error(form, exc)
                status = exc.status if exc.status in (403, 409) else 400
            else:
                messages.success(request, success(result))
                return redirect(after(plan, result) if after else plan_url(plan))
    person, decision, plan = selectors.open_plan(actor=actor, person_id=person_id,
                                                 plan_id=plan_id, action=action,
                                                 object_type=object_type)
    if form is None:
        form = make_form(person, plan, None)
    context = {"person": person, "plan": plan, "form": form, "decision": decision,
               "version": request.POST.get("version", plan.version),
               "idempotency_key": request.POST.get("idempotency_key") or forms.new_key()}
    if extra is not None:
        context.update(extra(person, plan))
    return render(request, template, context, status=status)


def _orgs_and_staff(person: Person, *, professionals: bool = False) -> tuple[list[Any], list[Any]]:
    orgs = list(selectors.organisations_that_may_see(person).values())
    staff = list(selectors.staff_of([o.pk for o in orgs], professionals=professionals))
    return orgs, staff


def _live_goals(plan: Plan) -> list[Goal]:
    return list(Goal.objects.filter(plan=plan, removed_at__isnull=True)
                .order_by("kind", "position", "created_at"))


# -- the list and the plan ----------------------------------------------------------------------


@gated
@require_http_methods(["GET"])
def plan_list(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    actor = _actor(request)
    person, decision, plans = selectors.plans_of(actor=actor, person_id=person_id)
    today = timezone.localdate()
    for plan in plans:
        plan.overdue = rules.review_overdue(plan.follow_up_date, today,  # type: ignore[attr-defined]
                                            closed=plan.closed_at is not None)
    return render(request, "plans/plan_list.html", {
        "person": person, "decision": decision, "plans": plans})


@gated
@require_http_methods(["GET", "POST"])
def plan_create(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    from careweave.access.pages import read_person

    actor = _actor(request)
    status = 200
    if request.method == "POST":
        person = check_change(actor, person_id, "Plan", Action.CHANGE_PLAN)
        orgs, staff = _orgs_and_staff(person, professionals=True)
        form = forms.PlanForm(request.POST, organisations=orgs, coordinators=staff,
                              creating=True)
        status = 400
        if form.is_valid():
            try:
                plan = services.plan_create(
                    actor=actor, person_id=person.pk,
                    data={**form.service_data(), "plan_type": form.cleaned_data["plan_type"]},
                    idempotency_key=_key(request))
            except ServiceError as exc:
                apply_service_error(form, exc)
                status = exc.status if exc.status == 409 else 400
            else:
                messages.success(request, _("The plan has been started. Add the person's goals "
                                            "next."))
                return redirect(plan_url(plan))
        person = read_person(actor, person_id, object_type="Plan", action=Action.CHANGE_PLAN)
    else:
        person = read_person(actor, person_id, object_type="Plan", action=Action.CHANGE_PLAN)
        orgs, staff = _orgs_and_staff(person, professionals=True)
        default_type = PlanType.SIP if person.country == "SE" else ""
        form = forms.PlanForm(initial={
            "language": "sv" if person.country == "SE" else "en", "plan_type": default_type,
            "coordinating_organisation_id": str(actor.organisation_id),
            "what_matters": person.what_matters}, organisations=orgs, coordinators=staff,
            creating=True)
    return render(request, "plans/plan_form.html", {
        "person": person, "form": form, "creating": True,
        "idempotency_key": request.POST.get("idempotency_key") or forms.new_key()},
        status=status)


def _chart(series: list[dict[str, Any]], language: str) -> dict[str, Any] | None:
    """A Vega-Lite spec of each goal's attainment over the follow-ups (None if no ratings)."""
    values = []
    for row in series:
        label = f"{row['number']}. {row['goal'].own_words[:40]}"
        for item in row["ratings"]:
            day = item["review"].held_on.isoformat()
            values.append({"goal": label, "date": day, "score": item["rating"].professional_score,
                           "rater": _("Professional")})
            if item["rating"].person_score is not None:
                values.append({"goal": label, "date": day, "score": item["rating"].person_score,
                               "rater": _("The person")})
    if not values:
        return None
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": _("Goal attainment at each follow-up, from −2 to +2"),
        "width": "container", "height": 240,
        "data": {"values": values},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "date", "type": "ordinal", "title": _("Follow-up")},
            "y": {"field": "score", "type": "quantitative", "title": _("Attainment"),
                  "scale": {"domain": [-2, 2]}, "axis": {"values": [-2, -1, 0, 1, 2]}},
            "color": {"field": "goal", "type": "nominal", "title": _("Goal")},
            "strokeDash": {"field": "rater", "type": "nominal", "title": _("Rated by")},
        },
    }


@gated
@require_http_methods(["GET"])
def plan_detail(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID) -> HttpResponse:
    actor = _actor(request)
    view = selectors.plan_view(actor=actor, person_id=person_id, plan_id=plan_id)
    plan, decision = view.plan, view.decision
    may_see = selectors.organisations_that_may_see(view.person)
    actions = []
    for action in view.live.actions:
        who = services.parties_of(actor, plan, action)
        actions.append({"action": action, "can_see": action.organisation_id in may_see,
                        "may_move": bool(states.next_statuses(action.status, who))
                        and decision.may(Action.UPDATE_ACTION_STATUS) and plan.is_open})
    own_org = str(actor.organisation_id)
    own = view.agreements.get(own_org)
    series = selectors.goal_series([g for g in view.live.goals], view.reviews)
    chart = _chart(series, translation.get_language() or "en")
    return render(request, "plans/plan_detail.html", {
        "person": view.person, "decision": decision, "plan": plan, "view": view,
        "goals": view.live.goals, "actions": actions, "sections": view.live.sections,
        "participants": view.live.participants, "withheld": view.withheld,
        "versions": view.versions, "reviews": view.reviews, "series": series,
        "chart": chart, "agreements": view.agreements,
        "own_agreement_due": own is not None and own["agreed"] is None,
        "open": plan.is_open, "today": timezone.localdate(),
        "overdue": rules.review_overdue(plan.follow_up_date, timezone.localdate(),
                                        closed=not plan.is_open),
        "version_numbers": [v.number for v in view.versions][::-1],
    })


@gated
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID) -> HttpResponse:
    def make(person: Person, plan: Plan, data: Any) -> Form:
        orgs, staff = _orgs_and_staff(person, professionals=True)
        initial = {"language": plan.language, "situation": plan.situation,
                   "what_matters": plan.what_matters, "follow_up_date": plan.follow_up_date,
                   "contingency": plan.contingency,
                   "coordinating_organisation_id": str(plan.coordinating_organisation_id),
                   "coordinator_id": str(plan.coordinator_id or "")}
        return forms.PlanForm(data, initial=initial, organisations=orgs, coordinators=staff,
                              creating=False)

    def save(actor: Any, person: Person, plan: Plan, form: Any, version: int, key: str) -> Any:
        return services.plan_update(actor=actor, person_id=person.pk, plan_id=plan.pk,
                                    expected_version=version, changes=form.service_data(),
                                    reason=form.cleaned_data.get("reason", ""))

    return _form_page(request, person_id, plan_id, action=Action.CHANGE_PLAN,
                      object_type="Plan", make_form=make, save=save,
                      template="plans/plan_form.html",
                      success=lambda _r: _("The plan has been changed."))


@gated
@require_http_methods(["GET", "POST"])
def plan_close(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID) -> HttpResponse:
    def save(actor: Any, person: Person, plan: Plan, form: Any, version: int, key: str) -> Any:
        return services.plan_close(actor=actor, person_id=person.pk, plan_id=plan.pk,
                                   expected_version=version, reason=form.cleaned_data["reason"])

    return _form_page(request, person_id, plan_id, action=Action.CHANGE_PLAN,
                      object_type="Plan", make_form=lambda p, pl, d: forms.ReasonForm(d),
                      save=save, template="plans/confirm.html",
                      success=lambda _r: _("The plan has been closed."),
                      extra=lambda p, pl: {"what": "close"})


# -- goals ---------------------------------------------------------------------------------------


def _goal_of(request: HttpRequest, person: Person, plan: Plan, goal_id: uuid.UUID) -> Goal:
    from careweave.access.gate import Basis, deny

    goal = Goal.objects.filter(pk=goal_id, plan=plan, removed_at__isnull=True).first()
    if goal is None:
        deny(_actor(request), person.pk, "read", Basis.NOT_FOUND, "Goal", str(goal_id))
    assert goal is not None
    return goal


@gated
@require_http_methods(["GET", "POST"])
def goal_add(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID) -> HttpResponse:
    def save(actor: Any, person: Person, plan: Plan, form: Any, version: int, key: str) -> Any:
        return services.goal_add(actor=actor, person_id=person.pk, plan_id=plan.pk,
                                 expected_version=version, data=form.service_data(),
                                 reason=form.cleaned_data.get("reason", ""), idempotency_key=key)

    return _form_page(request, person_id, plan_id, action=Action.CHANGE_PLAN,
                      object_type="Goal", make_form=lambda p, pl, d: forms.GoalForm(d),
                      save=save, template="plans/goal_form.html",
                      success=lambda _r: _("The goal has been added."))


@gated
@require_http_methods(["GET", "POST"])
def goal_edit(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
              goal_id: uuid.UUID) -> HttpResponse:
    def make(person: Person, plan: Plan, data: Any) -> Form:
        goal = _goal_of(request, person, plan, goal_id)
        initial = {n: getattr(goal, n) for n in ("kind", "own_words", "measurable",
                                                  "target_date", *rules.GAS_LEVELS)}
        return forms.GoalForm(data, initial=initial)

    def save(actor: Any, person: Person, plan: Plan, form: Any, version: int, key: str) -> Any:
        return services.goal_update(actor=actor, person_id=person.pk, plan_id=plan.pk,
                                    goal_id=goal_id, expected_version=version,
                                    changes=form.service_data(),
                                    reason=form.cleaned_data.get("reason", ""))

    return _form_page(request, person_id, plan_id, action=Action.CHANGE_PLAN,
                      object_type="Goal", make_form=make, save=save,
                      template="plans/goal_form.html",
                      success=lambda _r: _("The goal has been changed."),
                      extra=lambda p, pl: {"editing": True})


@gated
@require_http_methods(["GET", "POST"])
def goal_remove(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
                goal_id: uuid.UUID) -> HttpResponse:
    def make(person: Person, plan: Plan, data: Any) -> Form:
        _goal_of(request, person, plan, goal_id)
        return forms.ReasonForm(data)

    def save(actor: Any, person: Person, plan: Plan, form: Any, version: int, key: str) -> Any:
        return services.goal_remove(actor=actor, person_id=person.pk, plan_id=plan.pk,
                                    goal_id=goal_id, expected_version=version,
                                    reason=form.cleaned_data["reason"])

    return _form_page(request, person_id, plan_id, action=Action.CHANGE_PLAN,
                      object_type="Goal", make_form=make, save=save,
                      template="plans/confirm.html",
                      success=lambda _r: _("The goal has been removed."),
                      extra=lambda p, pl: {"what": "goal",
                                           "item": _goal_of(request, p, pl, goal_id)})


# -- actions -------------------------------------------------------------------------------------


def _action_of(request: HttpRequest, person: Person, plan: Plan,
               action_id: uuid.UUID) -> PlanAction:
    from careweave.access.gate import Basis, deny

    action = (PlanAction.objects.select_related("organisation")
              .filter(pk=action_id, plan=plan, removed_at__isnull=True).first())
    if action is None:
        deny(_actor(request), person.pk, "read", Basis.NOT_FOUND, "PlanAction", str(action_id))
    assert action is not None
    return action


def _action_form(person: Person, plan: Plan, data: Any, initial: dict[str, Any] | None = None
                 ) -> Form:
    orgs, staff = _orgs_and_staff(person)
    return forms.ActionForm(data, initial=initial or {}, organisations=orgs, staff=staff,
                            goals=_live_goals(plan))


@gated
@require_http_methods(["GET", "POST"])
def action_add(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID) -> HttpResponse:
    def save(actor: Any, person: Person, plan: Plan, form: Any, version: int, key: str) -> Any:
        return services.action_add(actor=actor, person_id=person.pk, plan_id=plan.pk,
                                   expected_version=version, data=form.service_data(),
                                   reason=form.cleaned_data.get("reason", ""),
                                   idempotency_key=key)

    return _form_page(request, person_id, plan_id, action=Action.CHANGE_PLAN,
                      object_type="PlanAction", make_form=_action_form, save=save,
                      template="plans/action_form.html",
                      success=lambda a: _("The action for %(org)s has been added.")
                      % {"org": a.organisation.name})


@gated
@require_http_methods(["GET", "POST"])
def action_edit(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
                action_id: uuid.UUID) -> HttpResponse:
    def make(person: Person, plan: Plan, data: Any) -> Form:
        a = _action_of(request, person, plan, action_id)
        return _action_form(person, plan, data, {
            "description": a.description, "goal_id": str(a.goal_id or ""),
            "organisation_id": str(a.organisation_id), "staff_id": str(a.staff_id or ""),
            "start_date": a.start_date, "due_date": a.due_date})

    def save(actor: Any, person: Person, plan: Plan, form: Any, version: int, key: str) -> Any:
        return services.action_update(actor=actor, person_id=person.pk, plan_id=plan.pk,
                                      action_id=action_id, expected_version=version,
                                      changes=form.service_data(),
                                      reason=form.cleaned_data.get("reason", ""))

    return _form_page(request, person_id, plan_id, action=Action.CHANGE_PLAN,
                      object_type="PlanAction", make_form=make, save=save,
                      template="plans/action_form.html",
                      success=lambda _r: _("The action has been changed."),
                      extra=lambda p, pl: {"editing": True})


@gated
@require_http_methods(["GET", "POST"])
def action_status(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
                  action_id: uuid.UUID) -> HttpResponse:
    def make(person: Person, plan: Plan, data: Any) -> Form:
        a = _action_of(request, person, plan, action_id)
        return forms.StatusForm(data, current=a.status,
                                who=services.parties_of(_actor(request), plan, a))

    def save(actor: Any, person: Person, plan: Plan, form: Any, version: int, key: str) -> Any:
        return services.action_transition(actor=actor, person_id=person.pk, plan_id=plan.pk,
                                          action_id=action_id, expected_version=version,
                                          status=form.cleaned_data["status"],
                                          note=form.cleaned_data.get("note", ""))

    return _form_page(request, person_id, plan_id, action=Action.UPDATE_ACTION_STATUS,
                      object_type="PlanAction", make_form=make, save=save,
                      template="plans/action_status.html",
                      success=lambda _r: _("The action's status has been changed."),
                      extra=lambda p, pl: {"action": _action_of(request, p, pl, action_id)})


@gated
@require_http_methods(["GET", "POST"])
def action_remove(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
                  action_id: uuid.UUID) -> HttpResponse:
    def make(person: Person, plan: Plan, data: Any) -> Form:
        _action_of(request, person, plan, action_id)
        return forms.ReasonForm(data)

    def save(actor: Any, person: Person, plan: Plan, form: Any, version: int, key: str) -> Any:
        return services.action_remove(actor=actor, person_id=person.pk, plan_id=plan.pk,
                                      action_id=action_id, expected_version=version,
                                      reason=form.cleaned_data["reason"])

    return _form_page(request, person_id, plan_id, action=Action.CHANGE_PLAN,
                      object_type="PlanAction", make_form=make, save=save,
                      template="plans/confirm.html",
                      success=lambda _r: _("The action has been removed."),
                      extra=lambda p, pl: {"what": "action",
                                           "item": _action_of(request, p, pl, action_id)})


# -- sections and participants ------------------------------------------------------------------


def _section_of(request: HttpRequest, person: Person, plan: Plan,
                section_id: uuid.UUID) -> PlanSection:
    """A section the reader may see (a withheld one is as if it did not exist)."""
    from careweave.access.gate import Basis, decide, deny

    actor = _actor(request)
    viewer = selectors.viewer_for(actor, person, decide(actor, person), plan)
    sees = rules.sees_sensitive(viewer, timezone.now())
    section = selectors.visible_sections(plan, viewer, sees).filter(pk=section_id).first()
    if section is None:
        deny(actor, person.pk, "read", Basis.NOT_FOUND, "PlanSection", str(section_id))
    assert section is not None
    return section


@gated
@require_http_methods(["GET", "POST"])
def section_add(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID) -> HttpResponse:
    def save(actor: Any, person: Person, plan: Plan, form: Any, version: int, key: str) -> Any:
        return services.section_add(actor=actor, person_id=person.pk, plan_id=plan.pk,
                                    expected_version=version, data=form.service_data(),
                                    reason=form.cleaned_data.get("reason", ""))

    return _form_page(request, person_id, plan_id, action=Action.CHANGE_PLAN,
                      object_type="PlanSection", make_form=lambda p, pl, d: forms.SectionForm(d),
                      save=save, template="plans/section_form.html",
                      success=lambda _r: _("The section has been added."))


@gated
@require_http_methods(["GET", "POST"])
def section_edit(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
                 section_id: uuid.UUID) -> HttpResponse:
    def make(person: Person, plan: Plan, data: Any) -> Form:
        s = _section_of(request, person, plan, section_id)
        return forms.SectionForm(data, initial={"heading": s.heading, "body": s.body,
                                                "sensitive": s.sensitive})

    def save(actor: Any, person: Person, plan: Plan, form: Any, version: int, key: str) -> Any:
        return services.section_update(actor=actor, person_id=person.pk, plan_id=plan.pk,
                                       section_id=section_id, expected_version=version,
                                       changes=form.service_data(),
                                       reason=form.cleaned_data.get("reason", ""))

    return _form_page(request, person_id, plan_id, action=Action.CHANGE_PLAN,
                      object_type="PlanSection", make_form=make, save=save,
                      template="plans/section_form.html",
                      success=lambda _r: _("The section has been changed."),
                      extra=lambda p, pl: {"editing": True})


@gated
@require_http_methods(["GET", "POST"])
def section_remove(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
                   section_id: uuid.UUID) -> HttpResponse:
    def make(person: Person, plan: Plan, data: Any) -> Form:
        _section_of(request, person, plan, section_id)
        return forms.ReasonForm(data)

    def save(actor: Any, person: Person, plan: Plan, form: Any, version: int, key: str) -> Any:
        return services.section_remove(actor=actor, person_id=person.pk, plan_id=plan.pk,
                                       section_id=section_id, expected_version=version,
                                       reason=form.cleaned_data["reason"])

    return _form_page(request, person_id, plan_id, action=Action.CHANGE_PLAN,
                      object_type="PlanSection", make_form=make, save=save,
                      template="plans/confirm.html",
                      success=lambda _r: _("The section has been removed."),
                      extra=lambda p, pl: {"what": "section",
                                           "item": _section_of(request, p, pl, section_id)})


@gated
@require_http_methods(["GET", "POST"])
def participant_add(request: HttpRequest, person_id: uuid.UUID,
                    plan_id: uuid.UUID) -> HttpResponse:
    def make(person: Person, plan: Plan, data: Any) -> Form:
        orgs, _staff = _orgs_and_staff(person)
        return forms.ParticipantForm(data, organisations=orgs)

    def save(actor: Any, person: Person, plan: Plan, form: Any, version: int, key: str) -> Any:
        return services.participant_add(actor=actor, person_id=person.pk, plan_id=plan.pk,
                                        expected_version=version, data=form.service_data())

    return _form_page(request, person_id, plan_id, action=Action.CHANGE_PLAN,
                      object_type="Participant", make_form=make, save=save,
                      template="plans/participant_form.html",
                      success=lambda p: _("%(name)s has been added to who took part.")
                      % {"name": p.name})


@gated
@require_http_methods(["GET", "POST"])
def participant_remove(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
                       participant_id: uuid.UUID) -> HttpResponse:
    from careweave.access.gate import Basis, deny

    def item(person: Person, plan: Plan) -> Participant:
        found = Participant.objects.filter(pk=participant_id, plan=plan,
                                           removed_at__isnull=True).first()
        if found is None:
            deny(_actor(request), person.pk, "read", Basis.NOT_FOUND, "Participant",
                 str(participant_id))
        assert found is not None
        return found

    def make(person: Person, plan: Plan, data: Any) -> Form:
        item(person, plan)
        return Form(data)

    def save(actor: Any, person: Person, plan: Plan, form: Any, version: int, key: str) -> Any:
        return services.participant_remove(actor=actor, person_id=person.pk, plan_id=plan.pk,
                                           participant_id=participant_id,
                                           expected_version=version)

    return _form_page(request, person_id, plan_id, action=Action.CHANGE_PLAN,
                      object_type="Participant", make_form=make, save=save,
                      template="plans/confirm.html",
                      success=lambda _r: _("They have been removed from who took part."),
                      extra=lambda p, pl: {"what": "participant", "item": item(p, pl)})


# -- agreement ----------------------------------------------------------------------------------


@gated
@require_http_methods(["GET", "POST"])
def plan_agree(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID) -> HttpResponse:
    def make(person: Person, plan: Plan, data: Any) -> Form:
        return forms.AgreeForm(data, initial={"agreed_on": timezone.localdate(),
                                              "given_by": "person", "method": "meeting"})

    def save(actor: Any, person: Person, plan: Plan, form: Any, version: int, key: str) -> Any:
        return services.plan_agree(actor=actor, person_id=person.pk, plan_id=plan.pk,
                                   expected_version=version, idempotency_key=key,
                                   **form.cleaned_data)

    def extra(person: Person, plan: Plan) -> dict[str, Any]:
        live = selectors.content(plan)
        return {"goals": live.goals, "action_count": len(live.actions)}

    return _form_page(request, person_id, plan_id, action=Action.AGREE_PLAN,
                      object_type="PlanVersion", make_form=make, save=save,
                      template="plans/agree.html",
                      success=lambda v: _("The person's agreement has been recorded: this is "
                                          "version %(n)d of the plan.") % {"n": v.number},
                      extra=extra)


@gated
@require_http_methods(["GET", "POST"])
def actions_agree(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID) -> HttpResponse:
    def save(actor: Any, person: Person, plan: Plan, form: Any, version: int, key: str) -> Any:
        return services.actions_agree(actor=actor, person_id=person.pk, plan_id=plan.pk,
                                      expected_version=version)

    def extra(person: Person, plan: Plan) -> dict[str, Any]:
        own = PlanAction.objects.filter(plan=plan, removed_at__isnull=True,
                                        organisation_id=_actor(request).organisation_id or
                                        uuid.UUID(int=0))
        return {"what": "actions", "own_actions": list(own.order_by("position"))}

    return _form_page(request, person_id, plan_id, action=Action.AGREE_PLAN,
                      object_type="OrganisationAgreement", make_form=lambda p, pl, d: Form(d),
                      save=save, template="plans/confirm.html",
                      success=lambda _r: _("Your organisation's agreement to its actions has "
                                           "been recorded."), extra=extra)


# -- versions -----------------------------------------------------------------------------------


def _version_number(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 7 else None


@gated
@require_http_methods(["GET"])
def version_detail(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID,
                   number: str) -> HttpResponse:
    actor = _actor(request)
    person, decision, plan = selectors.open_plan(actor=actor, person_id=person_id,
                                                 plan_id=plan_id, object_type="PlanVersion")
    n = _version_number(number)
    version = selectors.version_of(plan, n) if n is not None else None
    if version is None:
        return render(request, "plans/version_missing.html",
                      {"person": person, "plan": plan, "number": number[:12]}, status=404)
    viewer = selectors.viewer_for(actor, person, decision, plan)
    snap, withheld = selectors.filtered(version.snapshot, viewer,
                                        rules.sees_sensitive(viewer, timezone.now()))
    doc = exports.document(snap, person=person, version=version, withheld=withheld,
                           agreements=selectors.agreed_organisations(plan, version.snapshot))
    return render(request, "plans/version_detail.html", {
        "person": person, "plan": plan, "version": version, "doc": doc, "easy_read": False})


@gated
@require_http_methods(["GET"])
def compare(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID) -> HttpResponse:
    actor = _actor(request)
    person, decision, plan = selectors.open_plan(actor=actor, person_id=person_id,
                                                 plan_id=plan_id, object_type="PlanVersion")
    numbers = list(plan.versions.order_by("number").values_list("number", flat=True))
    form = forms.CompareForm(request.GET or None, numbers=numbers)
    context: dict[str, Any] = {"person": person, "plan": plan, "form": form}
    status = 200
    if form.is_bound and form.is_valid():
        a = int(form.cleaned_data["from"])
        b = None if form.cleaned_data["to"] == "draft" else int(form.cleaned_data["to"])
        found = comparisons.comparison_context(actor, person, decision, plan, a, b)
        context.update(found)
        context.update(comparisons.comparison_display(found))
    elif form.is_bound:
        status = 400
    return render(request, "plans/compare.html", context, status=status)


# -- reviews ------------------------------------------------------------------------------------


@gated
@require_http_methods(["GET", "POST"])
def review_add(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID) -> HttpResponse:
    def make(person: Person, plan: Plan, data: Any) -> Form:
        return forms.ReviewForm(data, goals=_live_goals(plan),
                                initial={"held_on": timezone.localdate()})

    def save(actor: Any, person: Person, plan: Plan, form: Any, version: int, key: str) -> Any:
        return services.review_record(
            actor=actor, person_id=person.pk, plan_id=plan.pk, expected_version=version,
            held_on=form.cleaned_data["held_on"], ratings=form.ratings(),
            account=form.cleaned_data.get("account", ""),
            next_follow_up=form.cleaned_data.get("next_follow_up"), idempotency_key=key)

    return _form_page(request, person_id, plan_id, action=Action.REVIEW_PLAN,
                      object_type="Review", make_form=make, save=save,
                      template="plans/review_form.html",
                      success=lambda _r: _("The follow-up has been recorded."))


# -- print and PDF ------------------------------------------------------------------------------


def _export(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID, fmt: str
            ) -> tuple[Any, Any, bool, str, Any] | HttpResponse:
    """The document to print or download, and its options (an HttpResponse on bad ones)."""
    actor = _actor(request)
    person, decision, plan = selectors.open_plan(actor=actor, person_id=person_id,
                                                 plan_id=plan_id, action=Action.EXPORT_PLAN)
    options = forms.ExportForm(request.GET)
    options.is_valid()
    language = options.cleaned_data.get("language") or plan.language
    easy_read = bool(options.cleaned_data.get("easy_read"))
    wanted = options.cleaned_data.get("version") or ""
    version = None
    if wanted != "draft":
        n = _version_number(wanted) if wanted else plan.agreed_version or None
        version = selectors.version_of(plan, n) if n else None
        if version is None and (wanted or not plan.agreed_version):
            if not wanted:
                wanted = "draft"  # never agreed: the draft, marked as such
            else:
                return render(request, "plans/version_missing.html",
                              {"person": person, "plan": plan, "number": wanted[:12]},
                              status=404)
    viewer = selectors.viewer_for(actor, person, decision, plan)
    sees = rules.sees_sensitive(viewer, timezone.now())
    raw = version.snapshot if version else selectors.snapshot(plan, selectors.content(plan))
    snap, withheld = selectors.filtered(raw, viewer, sees)
    services.export_audited(actor=actor, person_id=person.pk, plan_id=plan.pk,
                            version=version.number if version else None, fmt=fmt,
                            language=language)
    with translation.override(language):
        doc = exports.document(snap, person=person, version=version, withheld=withheld,
                               agreements=selectors.agreed_organisations(plan, raw))
    return doc, version, easy_read, language, plan


@gated
@require_http_methods(["GET"])
def plan_print(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID) -> HttpResponse:
    found = _export(request, person_id, plan_id, "print")
    if isinstance(found, HttpResponse):
        return found
    doc, version, easy_read, language, plan = found
    with translation.override(language):
        return render(request, "plans/print.html", {
            "doc": doc, "easy_read": easy_read, "plan": plan, "person": plan.person,
            "version": version, "language": language})


@gated
@require_http_methods(["GET"])
def plan_pdf(request: HttpRequest, person_id: uuid.UUID, plan_id: uuid.UUID) -> HttpResponse:
    found = _export(request, person_id, plan_id, "pdf")
    if isinstance(found, HttpResponse):
        return found
    doc, version, easy_read, language, _plan = found
    pdf = exports.pdf_of(doc, version=version, language=language, easy_read=easy_read)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{exports.pdf_filename(doc, version, language)}"')
    return response


# -- the crisis plan ----------------------------------------------------------------------------


def crisis_url(person_id: Any) -> str:
    return reverse("plans:crisis_detail", kwargs={"person_id": person_id})


@gated
@require_http_methods(["GET"])
def crisis_detail(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    actor = _actor(request)
    person, decision, crisis = selectors.open_crisis_plan(actor=actor, person_id=person_id)
    return render(request, "plans/crisis_detail.html", {
        "person": person, "decision": decision, "crisis": crisis,
        "contacts": list(crisis.contacts.all()) if crisis else [],
        "print": request.GET.get("print") == "1"})


@gated
@require_http_methods(["GET", "POST"])
def crisis_edit(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    actor = _actor(request)
    status = 200
    form: forms.CrisisPlanForm | None = None
    if request.method == "POST":
        check_change(actor, person_id, "CrisisPlan", Action.CHANGE_CRISIS_PLAN)
        form = forms.CrisisPlanForm(request.POST)
        status = 400
        if form.is_valid():
            data, contacts = form.service_data()
            try:
                if request.POST.get("version"):
                    services.crisis_plan_update(actor=actor, person_id=person_id,
                                                expected_version=_posted_version(request),
                                                data=data, contacts=contacts)
                else:
                    services.crisis_plan_create(actor=actor, person_id=person_id, data=data,
                                                contacts=contacts)
            except StaleVersion as exc:
                status = 412
                form.add_error(None, exc.message)
            except ServiceError as exc:
                _contact_errors(form, exc)
                status = exc.status if exc.status == 409 else 400
            else:
                messages.success(request, _("The crisis plan has been saved."))
                return redirect(crisis_url(person_id))
    person, decision, crisis = selectors.open_crisis_plan(actor=actor, person_id=person_id,
                                                          action=Action.CHANGE_CRISIS_PLAN)
    if form is None:
        initial: dict[str, Any] = {}
        if crisis is not None:
            initial = {n: getattr(crisis, n) for n in services.CRISIS_FIELDS}
            initial.update(forms.CrisisPlanForm.initial_contacts(crisis.contacts.all()))
        form = forms.CrisisPlanForm(initial=initial)
    version = request.POST.get("version", crisis.version if crisis else "")
    return render(request, "plans/crisis_form.html", {
        "person": person, "form": form, "crisis": crisis, "version": version}, status=status)


def _contact_errors(form: forms.CrisisPlanForm, exc: ServiceError) -> None:
    """contacts.0.phone -> contact_1_phone."""
    mapped: dict[str, list[str]] = {}
    for name, msgs in exc.errors.items():
        parts = name.split(".")
        if parts[0] == "contacts" and len(parts) == 3 and parts[1].isdigit():
            name = f"contact_{int(parts[1]) + 1}_{parts[2]}"
        mapped[name] = msgs
    exc.errors = mapped
    apply_service_error(form, exc)


@gated
@require_http_methods(["GET", "POST"])
def crisis_record(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """Record that a crisis is happening (the banner shows), or that it is over."""
    actor = _actor(request)
    status = 200
    form: forms.CrisisNoteForm | None = None
    if request.method == "POST":
        check_change(actor, person_id, "CrisisPlan", Action.RECORD_CRISIS)
        ending = request.POST.get("end") == "1"
        form = forms.CrisisNoteForm(request.POST)
        if ending:
            form.fields["note"].required = False
        status = 400
        if form.is_valid():
            try:
                if ending:
                    services.crisis_end(actor=actor, person_id=person_id,
                                        note=form.cleaned_data.get("note", ""))
                else:
                    services.crisis_start(actor=actor, person_id=person_id,
                                          note=form.cleaned_data["note"])
            except ServiceError as exc:
                apply_service_error(form, exc)
                status = exc.status if exc.status == 409 else 400
            else:
                messages.success(request, _("The crisis is recorded as over.") if ending else
                                 _("The crisis has been recorded. Its plan now shows first on "
                                   "the person's pages."))
                return redirect(crisis_url(person_id))
    person, decision, crisis = selectors.open_crisis_plan(actor=actor, person_id=person_id,
                                                          action=Action.RECORD_CRISIS)
    return render(request, "plans/crisis_record.html", {
        "person": person, "crisis": crisis, "form": form or forms.CrisisNoteForm()},
        status=status)
