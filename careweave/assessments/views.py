"""Pages for assessments: the person's list, recording (a paged form: save as draft,
resume, check answers, submit), one assessment with its versions and corrections, the
trend chart with its table, the self-completion link (and the person's own form behind
it), safety-flag reviews, the team view and the notifications.

Thin: parse with ``assessments.forms``, call ``selectors`` or ``services``, render. A
refusal is the gate's 404; a service's errors go back on the form with status 400 (409 for
a conflict, 412 for a stale version).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from careweave.access.gate import Action
from careweave.access.pages import check_change, read_person
from careweave.assessments import change, forms, rules, scoring, selectors, services
from careweave.assessments.definitions import text_in
from careweave.assessments.panels import band_label, change_label
from careweave.core.errors import ServiceError
from careweave.core.forms import apply_service_error
from careweave.core.pages import actor_of, cursor_of, page_links, page_size
from careweave.core.routes import gated, public, staff_required


def _lang() -> str:
    return (translation.get_language() or "en")[:2]


def _status(exc: ServiceError) -> int:
    return exc.status if exc.status in (409, 412) else 400


def _choices(actor: Any) -> list[tuple[str, str]]:
    lang = _lang()
    return [(i.code, f"{text_in(i.current.definition.get('title'), lang)}")
            for i in selectors.instruments(actor=actor) if i.current is not None]


def _pages(definition: dict[str, Any]) -> list[list[str]]:
    return definition.get("pages") or [[i["code"] for i in definition["items"]]]


# -- the person's assessments ------------------------------------------------------------------


@gated
@require_http_methods(["GET"])
def assessments(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    actor = actor_of(request)
    person, decision = selectors.open_for_assessments(actor, person_id)
    page = selectors.assessments_page(actor=actor, person=person, decision=decision,
                                      cursor=cursor_of(request), size=page_size())
    lang = _lang()
    for row in page.items:
        _decorate(row, lang)
    latest = selectors.latest_for(actor=actor, person=person)
    return render(request, "assessments/assessments.html", {
        "person": person, "decision": decision, "rows": page.items,
        "trends": [(row.instrument.code, text_in(row.assessment.definition.get("name"), lang))
                   for row in latest if row.total is not None],
        "may_record": decision.may(Action.RECORD_ASSESSMENT) and
        bool(rules.visible_audiences(actor.role)),
        "links": page_links(request, page.next_cursor), "what": _("of assessments")})


def _decorate(row: Any, lang: str) -> None:
    definition = row.definition
    row.name = text_in(definition.get("name"), lang)
    row.band_label = band_label(definition, row.band, lang)
    row.summary = summary_of(row, lang)


def summary_of(row: Any, lang: str) -> str:
    """One line: the total and band, the positive domains, the areas of concern, or why it
    was not scored."""
    definition = row.definition
    if row.status == rules.DRAFT:
        return _("Draft")
    if row.total is not None:
        band = band_label(definition, row.band, lang)
        text = f"{row.total} ({band})" if band else str(row.total)
        return text + (" " + _("(prorated)") if row.prorated else "")
    result = row.result or {}
    if result.get("domains"):
        labels = {d["code"]: text_in(d.get("label"), lang)
                  for d in definition.get("scoring", {}).get("domains", [])}
        positive = [labels.get(c, c) for c, s in result["domains"].items() if s == "positive"]
        return _("Needs: %(needs)s") % {"needs": ", ".join(positive)} if positive else \
            _("No needs found")
    if definition.get("scoring", {}).get("method") == "concerns":
        items = scoring.item_map(definition)
        concerns = [text_in(items[c]["text"], lang).split(":")[0]
                    for c in result.get("concerns", []) if c in items]
        return _("Concerns: %(areas)s") % {"areas": ", ".join(concerns)} if concerns else \
            _("No concerns")
    return services.unscored_text(row.unscored_reason)


@gated
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """Choose the instrument, its date and language: a draft, then its first page."""
    actor = actor_of(request)
    choices = _choices(actor)
    if not choices:
        check_change(actor, person_id, "Assessment", Action.RECORD_ASSESSMENT)
        raise Http404
    if request.method == "POST":
        person = check_change(actor, person_id, "Assessment", Action.RECORD_ASSESSMENT)
        form = forms.StartForm(request.POST, instruments=choices)
        if form.is_valid():
            try:
                draft, _created = services.assessment_start(
                    actor=actor, person_id=person.pk,
                    instrument=form.cleaned_data["instrument"],
                    taken_on=form.cleaned_data["taken_on"],
                    language=form.cleaned_data["language"],
                    idempotency_key=form.cleaned_data["idempotency_key"])
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                return redirect("assessments:page", person_id=person.pk,
                                assessment_id=draft.pk, number=1)
        person = read_person(actor, person_id, object_type="Assessment",
                             action=Action.RECORD_ASSESSMENT)
        return render(request, "assessments/start.html", {"person": person, "form": form},
                      status=400)
    person = read_person(actor, person_id, object_type="Assessment",
                         action=Action.RECORD_ASSESSMENT)
    initial = {"language": "sv" if person.country == "SE" else "en",
               "idempotency_key": services.new_idempotency_key(),
               "instrument": request.GET.get("instrument", "")}
    return render(request, "assessments/start.html", {
        "person": person, "form": forms.StartForm(initial=initial, instruments=choices)})


def _draft(actor: Any, person_id: Any, assessment_id: Any) -> tuple[Any, Any, Any]:
    detail = selectors.assessment_detail(actor=actor, person_id=person_id,
                                         assessment_id=assessment_id)
    found = detail.assessment
    if found.status != rules.DRAFT or found.organisation_id != actor.organisation_id:
        raise Http404
    if not detail.decision.may(Action.RECORD_ASSESSMENT):
        check_change(actor, person_id, "Assessment", Action.RECORD_ASSESSMENT)
    return detail.person, detail.decision, found


@gated
@require_http_methods(["GET", "POST"])
def page(request: HttpRequest, person_id: uuid.UUID, assessment_id: uuid.UUID,
         number: int) -> HttpResponse:
    """One page of questions. "Continue" saves and goes on (asking for required answers);
    "Save as draft" saves and leaves it to be resumed."""
    actor = actor_of(request)
    person, decision, draft = _draft(actor, person_id, assessment_id)
    pages = _pages(draft.definition)
    if not 1 <= number <= len(pages):
        raise Http404
    codes = pages[number - 1]
    make: dict[str, Any] = {"definition": draft.definition, "codes": codes,
                            "language": draft.language}
    status = 200
    if request.method == "POST":
        form = forms.QuestionsForm(request.POST, **make)
        status = 400
        if form.is_valid():
            given, empty = form.answers()
            leaving = "save_draft" in request.POST
            missing = [] if leaving else form.missing_required()
            for code in missing:
                form.add_error(code, _("Answer this question."))
            if not missing:
                try:
                    services.assessment_save(
                        actor=actor, person_id=person.pk, assessment_id=draft.pk,
                        answers=given, remove=empty,
                        page=number if leaving else min(number, len(pages)))
                except ServiceError as exc:
                    status = _status(exc)
                    apply_service_error(form, exc)
                else:
                    if leaving:
                        messages.success(request, _("Saved as a draft. You can carry on from "
                                                    "the person's assessments."))
                        return redirect("assessments:assessments", person_id=person.pk)
                    if number < len(pages):
                        return redirect("assessments:page", person_id=person.pk,
                                        assessment_id=draft.pk, number=number + 1)
                    return redirect("assessments:check", person_id=person.pk,
                                    assessment_id=draft.pk)
    else:
        form = forms.QuestionsForm(initial=draft.answers, **make)
    return render(request, "assessments/page.html", {
        "person": person, "decision": decision, "draft": draft, "form": form,
        "number": number, "pages": len(pages), "lang_differs": draft.language != _lang(),
        "qlang": draft.language if draft.language != _lang() else "",
        "name": text_in(draft.definition.get("title"), draft.language),
        "intro": text_in(draft.definition.get("intro"), draft.language) if number == 1
        else "",
        "back": reverse("assessments:page", kwargs={"person_id": person.pk,
                                                    "assessment_id": draft.pk,
                                                    "number": number - 1})
        if number > 1 else reverse("assessments:assessments",
                                   kwargs={"person_id": person.pk})}, status=status)


def answer_rows(definition: dict[str, Any], answers: dict[str, Any], language: str,
                ) -> list[dict[str, Any]]:
    """Each question, its answer in words and the answer's value (for check-answers and
    the assessment page)."""
    rows = []
    pages = _pages(definition)
    page_of = {code: n for n, page in enumerate(pages, start=1) for code in page}
    for item in definition["items"]:
        value = answers.get(item["code"])
        options = {o["code"]: o for o in scoring.options_of(definition, item)}
        if isinstance(value, list):
            words = ", ".join(text_in(options[v]["text"], language) for v in value
                              if v in options)
            number = None
        elif isinstance(value, str) and value in options:
            words = text_in(options[value]["text"], language)
            number = options[value].get("value")
        else:
            words = value if isinstance(value, str) else ""
            number = None
        rows.append({"code": item["code"], "question": text_in(item.get("text"), language),
                     "answer": words, "value": number, "page": page_of.get(item["code"], 1),
                     "required": bool(item.get("required"))})
    return rows


@gated
@require_http_methods(["GET", "POST"])
def check(request: HttpRequest, person_id: uuid.UUID, assessment_id: uuid.UUID) -> HttpResponse:
    """Check the answers, then submit: scored, flags raised, never changed afterwards."""
    actor = actor_of(request)
    person, decision, draft = _draft(actor, person_id, assessment_id)
    errors: dict[str, list[str]] = {}
    error = ""
    status = 200
    if request.method == "POST":
        try:
            submitted, created = services.assessment_submit(
                actor=actor, person_id=person.pk, assessment_id=draft.pk)
        except ServiceError as exc:
            status = _status(exc)
            errors, error = exc.errors, exc.message
        else:
            if created:
                messages.success(request, _("The assessment has been submitted."))
            return redirect("assessments:assessment", person_id=person.pk,
                            assessment_id=submitted.pk)
    return render(request, "assessments/check.html", {
        "person": person, "decision": decision, "draft": draft, "errors": errors,
        "error": error, "rows": answer_rows(draft.definition, draft.answers, draft.language),
        "name": text_in(draft.definition.get("title"), draft.language),
        "licence": text_in(draft.definition.get("licence"), _lang()),
        "pages": len(_pages(draft.definition))}, status=status)


@gated
@require_http_methods(["POST"])
def discard(request: HttpRequest, person_id: uuid.UUID, assessment_id: uuid.UUID) -> HttpResponse:
    actor = actor_of(request)
    person = check_change(actor, person_id, "Assessment", Action.RECORD_ASSESSMENT)
    services.assessment_discard(actor=actor, person_id=person.pk, assessment_id=assessment_id)
    messages.success(request, _("The draft has been discarded."))
    return redirect("assessments:assessments", person_id=person.pk)


@gated
@require_http_methods(["GET"])
def assessment(request: HttpRequest, person_id: uuid.UUID,
               assessment_id: uuid.UUID) -> HttpResponse:
    """One assessment: its answers and score, every version with the reasons, its flags."""
    actor = actor_of(request)
    detail = selectors.assessment_detail(actor=actor, person_id=person_id,
                                         assessment_id=assessment_id)
    found = detail.assessment
    if found.status == rules.DRAFT:
        return redirect("assessments:page", person_id=detail.person.pk,
                        assessment_id=found.pk, number=max(1, found.page or 1))
    lang = _lang()
    versions = []
    for row in detail.history:
        _decorate(row, lang)
        versions.append(row)
    _decorate(found, lang)
    definition = found.definition
    own = detail.history[0].organisation_id == actor.organisation_id
    return render(request, "assessments/assessment.html", {
        "person": detail.person, "decision": detail.decision, "row": found,
        "current": detail.current, "versions": versions, "flags": detail.flags,
        "rows": answer_rows(definition, found.answers, found.language),
        "name": text_in(definition.get("title"), lang),
        "licence": text_in(definition.get("licence"), lang),
        "unscored": services.unscored_text(found.unscored_reason)
        if found.unscored_reason else "",
        "may_correct": own and found.pk == detail.current.pk and
        detail.decision.may(Action.RECORD_ASSESSMENT),
        "may_review": detail.decision.may(Action.REVIEW_SAFETY_FLAG),
        "has_trend": found.total is not None})


@gated
@require_http_methods(["GET", "POST"])
def correct(request: HttpRequest, person_id: uuid.UUID,
            assessment_id: uuid.UUID) -> HttpResponse:
    """Correct the answers: a new version with the reason; the original is kept."""
    actor = actor_of(request)
    detail = selectors.assessment_detail(actor=actor, person_id=person_id,
                                         assessment_id=assessment_id)
    current = detail.current
    if current.status != rules.SUBMITTED:
        raise Http404
    if not detail.decision.may(Action.RECORD_ASSESSMENT):
        check_change(actor, person_id, "Assessment", Action.RECORD_ASSESSMENT)
    definition = current.definition
    codes = [i["code"] for i in definition["items"]]

    class CorrectForm(forms.QuestionsForm, forms.ReasonMixin):
        pass

    make: dict[str, Any] = {"definition": definition, "codes": codes,
                            "language": current.language}
    status = 200
    if request.method == "POST":
        form = CorrectForm(request.POST, **make)
        status = 400
        if form.is_valid():
            given, _empty = form.answers()
            try:
                row = services.assessment_correct(
                    actor=actor, person_id=detail.person.pk, assessment_id=current.pk,
                    answers=given, reason=form.cleaned_data["reason"],
                    expected_version=_int(request.POST.get("version")))
            except ServiceError as exc:
                status = _status(exc)
                apply_service_error(form, exc)
            else:
                messages.success(request, _("The correction has been recorded. The original "
                                            "answers are kept."))
                return redirect("assessments:assessment", person_id=detail.person.pk,
                                assessment_id=row.pk)
    else:
        form = CorrectForm(initial=current.answers, **make)
    return render(request, "assessments/correct.html", {
        "person": detail.person, "decision": detail.decision, "row": current, "form": form,
        "question_names": codes, "name": text_in(definition.get("title"), current.language),
        "qlang": current.language if current.language != _lang() else ""}, status=status)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


# -- the trend --------------------------------------------------------------------------------------


def chart_spec(points: list[Any], definition: dict[str, Any], lang: str) -> dict[str, Any]:
    """A Vega-Lite spec: the severity bands as coloured backgrounds, the scores as a line,
    reliable changes and recoveries marked. The table beside it has the same figures."""
    bands = definition.get("scoring", {}).get("bands", [])
    low = min(b["min"] for b in bands)
    high = max(b["max"] for b in bands)
    values = [{"date": p.assessment.taken_on.isoformat(), "total": p.total,
               "band": band_label(definition, p.band, lang),
               "change": change_label(p.change), "kind": p.change} for p in points]
    marked = [v for v in values if v["kind"] not in ("first", "no_reliable_change")]
    first, last = values[0]["date"], values[-1]["date"]
    band_values = [{"from": b["min"] - (0.5 if b["min"] > low else 0),
                    "to": b["max"] + (0.5 if b["max"] < high else 0),
                    "label": text_in(b.get("label"), lang), "colour": b.get("colour", "#b1b4b6"),
                    "start": first, "end": last} for b in bands]
    y = {"field": "total", "type": "quantitative", "title": _("Score"),
         "scale": {"domain": [low, high], "nice": False}}
    layers: list[dict[str, Any]] = [
        {"data": {"values": band_values}, "mark": {"type": "rect", "opacity": 0.25},
         "encoding": {"x": {"field": "start", "type": "temporal"}, "x2": {"field": "end"},
                      "y": {"field": "from", "type": "quantitative",
                            "scale": {"domain": [low, high], "nice": False}},
                      "y2": {"field": "to"},
                      "color": {"field": "label", "type": "nominal", "title": _("Severity"),
                                "sort": None,
                                "scale": {"domain": [b["label"] for b in band_values],
                                          "range": [b["colour"] for b in band_values]}}}},
        {"data": {"values": values}, "mark": {"type": "line", "point": True,
                                              "color": "#0b0c0c"},
         "encoding": {"x": {"field": "date", "type": "temporal", "title": _("Date")},
                      "y": y}},
    ]
    if marked:
        layers.append({"data": {"values": marked},
                       "mark": {"type": "point", "size": 160, "filled": False,
                                "strokeWidth": 2},
                       "encoding": {"x": {"field": "date", "type": "temporal"}, "y": y,
                                    "shape": {"field": "change", "type": "nominal",
                                              "title": _("Change")}}})
    return {"$schema": "https://vega.github.io/schema/vega-lite/v6.json",
            "description": _("Scores over time with the severity bands"),
            "width": "container", "height": 260, "layer": layers,
            "resolve": {"scale": {"color": "independent", "shape": "independent"}}}


@gated
@require_http_methods(["GET"])
def trend(request: HttpRequest, person_id: uuid.UUID, code: str) -> HttpResponse:
    actor = actor_of(request)
    person, decision = selectors.open_for_assessments(actor, person_id)
    points = selectors.trend(actor=actor, person=person, instrument_code=code[:40])
    if not points:
        raise Http404
    lang = _lang()
    definition = points[-1].assessment.definition
    thresholds = change.thresholds_of(definition)
    for point in points:
        point.band_label = band_label(definition, point.band, lang)  # type: ignore[attr-defined]
        point.change_label = change_label(point.change)  # type: ignore[attr-defined]
    return render(request, "assessments/trend.html", {
        "person": person, "decision": decision, "points": points,
        "name": text_in(definition.get("title"), lang),
        "short": text_in(definition.get("name"), lang), "thresholds": thresholds,
        "chart": chart_spec(points, definition, lang),
        "bands": [{"label": text_in(b.get("label"), lang), "min": b["min"], "max": b["max"]}
                  for b in definition.get("scoring", {}).get("bands", [])]})


# -- self-completion ---------------------------------------------------------------------------------


@gated
@require_http_methods(["GET", "POST"])
def send_link(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """A one-time, expiring link for the person to complete an assessment themselves; the
    link is shown once."""
    actor = actor_of(request)
    choices = _choices(actor)
    if request.method == "POST":
        person = check_change(actor, person_id, "SelfCompletionLink", Action.RECORD_ASSESSMENT)
        form = forms.LinkForm(request.POST, instruments=choices)
        if form.is_valid():
            try:
                link, token = services.link_issue(
                    actor=actor, person_id=person.pk,
                    instrument=form.cleaned_data["instrument"],
                    days=form.cleaned_data["days"], language=form.cleaned_data["language"])
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                person = read_person(actor, person_id, object_type="SelfCompletionLink")
                return render(request, "assessments/link_sent.html", {
                    "person": person, "link": link,
                    "url": request.build_absolute_uri(reverse("assessments:complete",
                                                              kwargs={"token": token}))})
        person = read_person(actor, person_id, object_type="SelfCompletionLink",
                             action=Action.RECORD_ASSESSMENT)
        return render(request, "assessments/send_link.html", {"person": person, "form": form},
                      status=400)
    person = read_person(actor, person_id, object_type="SelfCompletionLink",
                         action=Action.RECORD_ASSESSMENT)
    form = forms.LinkForm(initial={"language": "sv" if person.country == "SE" else "en",
                                   "days": rules.LINK_DAYS_DEFAULT}, instruments=choices)
    return render(request, "assessments/send_link.html", {"person": person, "form": form})


@gated
@require_http_methods(["POST"])
def revoke_link(request: HttpRequest, person_id: uuid.UUID, link_id: uuid.UUID) -> HttpResponse:
    actor = actor_of(request)
    person = check_change(actor, person_id, "SelfCompletionLink", Action.RECORD_ASSESSMENT)
    services.link_revoke(actor=actor, person_id=person.pk, link_id=link_id)
    messages.success(request, _("The link no longer works."))
    return redirect("assessments:assessments", person_id=person.pk)


def _unusable(request: HttpRequest, state: str) -> HttpResponse:
    return render(request, "assessments/complete_unusable.html", {"state": state}, status=410
                  if state in ("used", "expired", "revoked") else 404)


@public
@require_http_methods(["GET", "POST"])
def complete(request: HttpRequest, token: str) -> HttpResponse:
    """The person's own form behind the link: only the questions, one page at a time, then
    check and send. No sign-in; the link works once and expires."""
    try:
        link = services.link_open(token=token) if request.method == "GET" else None
        if link is None:
            link = services.link_find(token=token)
    except services.LinkUnusable as exc:
        return _unusable(request, exc.state)
    draft = link.assessment
    definition = draft.definition
    pages = _pages(definition)
    try:
        number = int(request.GET.get("page") or request.POST.get("page") or 1)
    except ValueError:
        number = 1
    number = max(1, min(number, len(pages) + 1))
    language = draft.language
    status = 200
    form = None
    error = ""
    with translation.override(language):
        if number <= len(pages):
            make: dict[str, Any] = {"definition": definition, "codes": pages[number - 1],
                                    "language": language}
            if request.method == "POST":
                form = forms.QuestionsForm(request.POST, **make)
                status = 400
                if form.is_valid():
                    given, empty = form.answers()
                    missing = form.missing_required()
                    for code in missing:
                        form.add_error(code, _("Answer this question."))
                    if not missing:
                        try:
                            services.link_save(token=token, answers=given, remove=empty,
                                               page=number)
                        except services.LinkUnusable as exc:
                            return _unusable(request, exc.state)
                        except ServiceError as exc:
                            apply_service_error(form, exc)
                        else:
                            return redirect(reverse("assessments:complete",
                                                    kwargs={"token": token})
                                            + f"?page={number + 1}")
            else:
                form = forms.QuestionsForm(initial=draft.answers, **make)
        elif request.method == "POST":
            try:
                services.link_submit(token=token)
            except services.LinkUnusable as exc:
                return _unusable(request, exc.state)
            except ServiceError as exc:
                status = _status(exc)
                error = exc.message
            else:
                return render(request, "assessments/complete_done.html", {
                    "name": text_in(definition.get("title"), language)})
        response = render(request, "assessments/complete.html", {
            "form": form, "number": number, "pages": len(pages), "token": token,
            "name": text_in(definition.get("title"), language), "error": error,
            "intro": text_in(definition.get("intro"), language) if number == 1 else "",
            "rows": answer_rows(definition, draft.answers, language)
            if number > len(pages) else [],
            "licence": text_in(definition.get("licence"), language)}, status=status)
    response["Referrer-Policy"] = "same-origin"  # the token never leaves for another site
    return response


# -- safety flags -----------------------------------------------------------------------------------


@gated
@require_http_methods(["GET", "POST"])
def flag_review(request: HttpRequest, person_id: uuid.UUID, flag_id: uuid.UUID) -> HttpResponse:
    actor = actor_of(request)
    person, decision, flag = selectors.flag_for(actor=actor, person_id=person_id,
                                                flag_id=flag_id)
    if not decision.may(Action.REVIEW_SAFETY_FLAG):
        check_change(actor, person_id, "SafetyFlag", Action.REVIEW_SAFETY_FLAG)
    status = 200
    if request.method == "POST":
        form = forms.ReviewForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                services.flag_review(actor=actor, person_id=person.pk, flag_id=flag.pk,
                                     note=form.cleaned_data["note"],
                                     expected_version=_int(request.POST.get("version")))
            except ServiceError as exc:
                status = _status(exc)
                apply_service_error(form, exc)
            else:
                messages.success(request, _("The review has been recorded."))
                return redirect("people:person_detail", person_id=person.pk)
    else:
        form = forms.ReviewForm()
    definition = flag.assessment.instrument_version.definition
    label = next((text_in(f.get("label"), _lang()) for f in definition.get("flags", [])
                  if f["code"] == flag.code), flag.code)
    return render(request, "assessments/flag_review.html", {
        "person": person, "decision": decision, "flag": flag, "form": form, "label": label},
        status=status)


# -- the team view and notifications ----------------------------------------------------------------


@staff_required
@require_http_methods(["GET"])
def team(request: HttpRequest) -> HttpResponse:
    """People on my caseload whose latest score deteriorated reliably, or who are overdue a
    repeat."""
    actor = actor_of(request)
    page = selectors.team_view(actor=actor, cursor=cursor_of(request), size=page_size())
    lang = _lang()
    for row in page.items:
        definition = row.assessment.instrument_version.definition
        row.name = text_in(definition.get("name"), lang)  # type: ignore[attr-defined]
        row.band_label = band_label(definition, row.band, lang)  # type: ignore[attr-defined]
        row.reason = (_("Reliable deterioration")  # type: ignore[attr-defined]
                      if row.deteriorated else _("Overdue a repeat"))
    return render(request, "assessments/team.html", {
        "rows": page.items, "links": page_links(request, page.next_cursor),
        "what": _("of people to follow up"), "unread": selectors.unread_count(actor)})


@staff_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if request.method == "POST":
        services.notification_read(actor=actor,
                                   notification_id=request.POST.get("notification", ""))
        messages.success(request, _("Marked as read."))
        return redirect("assessments:notifications")
    page = selectors.notifications(actor=actor, cursor=cursor_of(request), size=page_size())
    lang = _lang()
    for note in page.items:
        definition = note.flag.assessment.instrument_version.definition if note.flag else {}
        note.text = next((text_in(f.get("label"), lang)  # type: ignore[attr-defined]
                          for f in definition.get("flags", [])
                          if note.flag and f["code"] == note.flag.code), "")
    return render(request, "assessments/notifications.html", {
        "rows": page.items, "links": page_links(request, page.next_cursor),
        "what": _("of notifications")})
