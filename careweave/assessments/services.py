"""Writes: instruments (import), assessments (drafts, submission, corrections), the
self-completion link, safety flags and their notifications.

Keyword-only, ``actor`` first, one ``careweave.core.db.atomic()`` each: the gate
(``require`` with the action's row of the policy), the audience rule
(:mod:`careweave.assessments.rules`), the change, the audit event and the timeline entry in
the same transaction. Bad input is a ``ValidationFailed`` naming every problem, before
anything is written; scoring is the pure :func:`careweave.assessments.scoring.score`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from careweave.access.gate import Action, Basis, active_team_q, deny, require
from careweave.access.models import CareTeamMember
from careweave.assessments import change, fhir, rules, scoring
from careweave.assessments.definitions import SHIPPED, text_in
from careweave.assessments.models import (
    Assessment,
    Instrument,
    InstrumentVersion,
    LatestScore,
    Mode,
    Notification,
    SafetyFlag,
    SelfCompletionLink,
)
from careweave.audit.models import AuditEvent
from careweave.audit.services import audit_record
from careweave.core.context import Actor
from careweave.core.db import atomic
from careweave.core.errors import (
    Conflict,
    DuplicateRecord,
    NotPermitted,
    StaleVersion,
    ValidationFailed,
)
from careweave.core.text import has_visible_text
from careweave.orgs.models import Organisation
from careweave.people.names import nfc
from careweave.people.timeline import timeline_add

Errors = dict[str, list[str]]
EARLIEST = dt.date(1900, 1, 1)
LANGUAGES = ("en", "sv")
KEY_LIMIT = 100


# -- instruments --------------------------------------------------------------------------


def ensure_shipped() -> None:
    """The shipped instruments in the database (the data migration puts them there; this
    puts them back after a test flushed the tables). Idempotent."""
    for definition in SHIPPED:
        instrument, _created = Instrument.objects.get_or_create(
            code=definition["code"], defaults={"name": definition["name"]})
        version = InstrumentVersion.objects.filter(instrument=instrument,
                                                   version=definition["version"]).first()
        if version is None:
            version = InstrumentVersion.objects.create(
                instrument=instrument, version=definition["version"], definition=definition,
                content_hash=fhir.digest(definition), source="shipped")
        if instrument.current_id is None:
            instrument.current = version
            instrument.save(update_fields=["current"])


@dataclass(frozen=True)
class Imported:
    version: InstrumentVersion
    created: bool
    current: bool


def instrument_import(*, actor: Actor | None, raw: bytes, name: str,
                      make_current: bool = False) -> Imported:
    """Store a definition read from a FHIR R4 Questionnaire file as a new version of its
    instrument (``fhir.ImportRefused`` names the problem with a file that cannot be used).
    The same file again changes nothing; another definition under a version that exists is
    refused. It becomes the version recorded from now on when asked, or when the
    instrument had none."""
    definition = fhir.definition_from_questionnaire(raw, name=name)
    content = fhir.digest(definition)
    with atomic():
        instrument, _created = Instrument.objects.get_or_create(
            code=definition["code"], defaults={"name": definition.get("name") or
                                               {"en": definition["code"]}})
        existing = InstrumentVersion.objects.filter(instrument=instrument,
                                                    version=definition["version"]).first()
        if existing is not None:
            if existing.content_hash != content:
                raise fhir.ImportRefused(
                    f"{name}: {instrument.code} version {definition['version']} is already "
                    "stored with a different definition. A changed definition needs a new "
                    "version.")
            version, created = existing, False
        else:
            version = InstrumentVersion.objects.create(
                instrument=instrument, version=definition["version"], definition=definition,
                content_hash=content, source=name[:200])
            created = True
        current = make_current or instrument.current_id is None
        if current and instrument.current_id != version.pk:
            instrument.current = version
            instrument.save(update_fields=["current"])
        audit_record(actor=actor, action=AuditEvent.Action.CREATE if created
                     else AuditEvent.Action.UPDATE, object_type="InstrumentVersion",
                     object_id=str(version.pk), purpose="administration",
                     detail={"instrument": instrument.code, "version": version.version,
                             "file": name[:200], "created": created, "current": current})
    return Imported(version, created, instrument.current_id == version.pk)


def instrument_export(*, code: str, version: str | None = None) -> dict[str, Any]:
    """The instrument (its current version, or the one named) as a FHIR Questionnaire."""
    found = resolve_version(code, version)
    return fhir.questionnaire_from_definition(found.definition)


def resolve_version(code: Any, version: Any = None) -> InstrumentVersion:
    """The instrument's version named (or its current one): a 422 naming what is unknown."""
    instrument = Instrument.objects.filter(code=str(code or "")[:40]).select_related(
        "current").first()
    if instrument is None:
        raise ValidationFailed(_("There is no such instrument."),
                               errors={"instrument": [_("Choose an instrument from the list.")]})
    found: InstrumentVersion | None
    if version in (None, ""):
        found = instrument.current
        if found is None:
            raise ValidationFailed(_("This instrument has no version to record."),
                                   errors={"instrument": [_("Choose another instrument.")]})
    else:
        found = InstrumentVersion.objects.filter(instrument=instrument,
                                                 version=str(version)[:40]).first()
        if found is None:
            raise ValidationFailed(
                _("There is no version %(version)s of %(instrument)s.") % {
                    "version": str(version)[:40], "instrument": instrument.code},
                errors={"version": [_("Unknown version of this instrument.")]})
    found.instrument = instrument
    return found


# -- answers --------------------------------------------------------------------------------


def problem_text(code: str) -> str:
    return {
        scoring.UNKNOWN_ITEM: _("This question is not part of the instrument."),
        scoring.NOT_AN_OPTION: _("Choose one of the answers given."),
        scoring.MISSING_REQUIRED: _("Answer this question."),
        scoring.WRONG_TYPE: _("This answer has the wrong form."),
        scoring.TOO_LONG: _("Must be %(limit)d characters or fewer.") % {
            "limit": scoring.TEXT_LIMIT},
    }.get(code, _("Check this answer."))


def unscored_text(reason: str) -> str:
    return {
        scoring.TOO_MANY_MISSING: _("Not scored: too many questions were left unanswered "
                                    "for this instrument's rule."),
        scoring.NOT_SCORED: _("This instrument is not scored."),
    }.get(reason, reason)


def _clean_answers(definition: Mapping[str, Any], answers: Any, errors: Errors, *,
                   complete: bool) -> dict[str, Any]:
    if answers is None:
        answers = {}
    if not isinstance(answers, Mapping):
        errors.setdefault("answers", []).append(_("Send the answers as an object of question "
                                                  "codes."))
        return {}
    clean: dict[str, Any] = {}
    for code, value in answers.items():
        if isinstance(value, str):
            value = nfc(value).strip()
            if "\x00" in value:
                errors.setdefault(str(code)[:60], []).append(_("Remove the invalid "
                                                               "character."))
                continue
        elif isinstance(value, list):
            value = [nfc(v).strip() if isinstance(v, str) else v for v in value]
        clean[str(code)] = value
    for code, problem in scoring.answer_problems(definition, clean, complete=complete).items():
        errors.setdefault(code, []).append(problem_text(problem))
    return {k: v for k, v in clean.items() if scoring.is_answered(v)}


def _taken_on(value: Any, errors: Errors) -> dt.date:
    today = timezone.localdate()
    if value in (None, ""):
        return today
    day: dt.date | None = None
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            day = None
    if day is None:
        errors.setdefault("taken_on", []).append(_("Enter a real date, like 27 3 2026."))
        return today
    if day > today:
        errors.setdefault("taken_on", []).append(
            _("The date of the assessment cannot be in the future."))
    elif day < EARLIEST:
        errors.setdefault("taken_on", []).append(_("Enter a date after 1900."))
    return day


def _language(value: Any, definition: Mapping[str, Any], errors: Errors) -> str:
    language = str(value or "en")[:8]
    if language not in definition.get("languages", ["en"]):
        errors.setdefault("language", []).append(_("This instrument is not available in that "
                                                   "language."))
    return language


def _key(value: Any, errors: Errors) -> str:
    key = str(value or "").strip()
    if len(key) > KEY_LIMIT or (key and not key.isprintable()):
        errors.setdefault("idempotency_key", []).append(
            _("An idempotency key is at most 100 printable characters."))
    return key


def _required_text(errors: Errors, name: str, value: Any, *, limit: int, too_short: str,
                   minimum: int = 5) -> str:
    """``value`` as NFC text without surrounding space, or an error under ``name``: not
    text, longer than ``limit``, or fewer than ``minimum`` visible characters."""
    if not isinstance(value, str):
        errors[name] = [_("Enter text.")]
        return ""
    text = nfc(value).strip()
    if len(text) > limit:
        errors[name] = [_("Must be %(limit)d characters or fewer.") % {"limit": limit}]
    elif not has_visible_text(text, minimum):
        errors[name] = [too_short]
    return text


def _name(actor: Actor) -> str:
    user = actor.user
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return (full or user.get_username())[:200]


def _lock(qs: Any) -> Any:
    return qs.select_for_update(of=("self",)) if connection.vendor == "postgresql" else qs


def _may_record(actor: Actor, person: Any, version: InstrumentVersion) -> None:
    """The audience rule on top of the gate: a role records only what it may see (404
    otherwise, as for a record it may not see)."""
    if not rules.may_record(version.audience, actor.role):
        deny(actor, person.pk, "create", Basis.ROLE_MAY_NOT, "Assessment",
             version.instrument.code)


def _hash(*parts: Any) -> str:
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


# -- drafts -----------------------------------------------------------------------------------


def assessment_start(*, actor: Actor, person_id: Any, instrument: Any, version: Any = None,
                     taken_on: Any = None, language: Any = None,
                     idempotency_key: Any = "") -> tuple[Assessment, bool]:
    """A draft of the instrument for the person (the form saves into it page by page);
    returns (draft, created). The same idempotency key again gives the same draft."""
    errors: Errors = {}
    found = resolve_version(instrument, version)
    day = _taken_on(taken_on, errors)
    lang = _language(language, found.definition, errors)
    key = _key(idempotency_key, errors)
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    with atomic():
        person, decision = require(actor, person_id, Action.RECORD_ASSESSMENT,
                                   audit_action="create", object_type="Assessment")
        _may_record(actor, person, found)
        membership = actor.membership
        assert membership is not None
        digest = _hash(str(person.pk), found.pk, day, lang) if key else ""
        if key:
            existing = Assessment.objects.filter(recorded_by=membership,
                                                 idempotency_key=key).first()
            if existing is not None:
                return _replay(existing, person.pk, digest), False
        draft = Assessment(
            person=person, instrument=found.instrument, instrument_version=found,
            audience=found.audience, mode=Mode.STAFF, language=lang,
            organisation=membership.organisation, recorded_by=membership,
            recorded_by_name=_name(actor), taken_on=day, started_at=timezone.now(),
            idempotency_key=key, request_hash=digest)
        try:
            with transaction.atomic():
                draft.save(force_insert=True)
        except IntegrityError:
            existing = Assessment.objects.filter(recorded_by=membership,
                                                 idempotency_key=key).first()
            if existing is None:
                raise
            return _replay(existing, person.pk, digest), False
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, person_id=person.pk,
                     object_type="Assessment", object_id=str(draft.pk),
                     purpose=decision.purpose, legal_basis=str(decision.basis),
                     detail={"instrument": found.instrument.code, "version": found.version,
                             "status": rules.DRAFT})
    return draft, True


def _replay(existing: Assessment, person_pk: Any, digest: str) -> Assessment:
    if existing.person_id != person_pk or existing.request_hash != digest:
        raise DuplicateRecord(
            _("This idempotency key was already used for a different assessment. Use a new "
              "key for a new one."), errors={"idempotency_key": [_("Already used.")]})
    return existing


def _draft_for_change(actor: Actor, person: Any, assessment_id: Any) -> Assessment:
    """The actor's organisation's draft, locked (404 for anything else)."""
    try:
        aid = uuid.UUID(str(assessment_id))
    except ValueError:
        aid = None
    found = None
    if aid is not None:
        found = (_lock(Assessment.objects.filter(pk=aid, person_id=person.pk,
                                                 organisation=actor.membership.organisation
                                                 if actor.membership else None))
                 .select_related("instrument_version", "instrument").first())
    if found is None or not rules.may_see(found.audience, actor.role):
        deny(actor, person.pk, "update", Basis.NOT_FOUND, "Assessment", str(assessment_id))
    assert found is not None
    return found


def assessment_save(*, actor: Actor, person_id: Any, assessment_id: Any,
                    answers: Any, page: Any = None, taken_on: Any = None,
                    remove: Any = ()) -> Assessment:
    """Save answers into a draft (merged with those already saved; ``remove`` names the
    questions cleared on this page), and where the form was left."""
    with atomic():
        person, decision = require(actor, person_id, Action.RECORD_ASSESSMENT,
                                   audit_action="update", object_type="Assessment",
                                   object_id=str(assessment_id))
        draft = _draft_for_change(actor, person, assessment_id)
        _save_into(draft, answers, page, taken_on, remove)
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                     object_type="Assessment", object_id=str(draft.pk),
                     purpose=decision.purpose, legal_basis=str(decision.basis),
                     detail={"instrument": draft.instrument.code, "status": rules.DRAFT,
                             "event": "save"})
    return draft


def _save_into(draft: Assessment, answers: Any, page: Any, taken_on: Any,
               remove: Any) -> None:
    if rules.response_next(draft.status, "save") is None:
        raise Conflict(_("This assessment has been submitted: it cannot be changed. Record "
                         "a correction instead."))
    errors: Errors = {}
    clean = _clean_answers(draft.definition, answers, errors, complete=False)
    day = _taken_on(taken_on, errors) if taken_on not in (None, "") else draft.taken_on
    pages = len(draft.definition.get("pages") or [[]])
    position = draft.page
    if page is not None:
        if not isinstance(page, int) or isinstance(page, bool) or not 0 <= page <= pages:
            errors.setdefault("page", []).append(_("There is no such page."))
        else:
            position = page
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    merged = {k: v for k, v in (draft.answers or {}).items() if k not in set(remove or ())}
    merged.update(clean)
    draft.answers = merged
    draft.page = position
    draft.taken_on = day
    draft.save()


def assessment_discard(*, actor: Actor, person_id: Any, assessment_id: Any) -> Assessment:
    with atomic():
        person, decision = require(actor, person_id, Action.RECORD_ASSESSMENT,
                                   audit_action="update", object_type="Assessment",
                                   object_id=str(assessment_id))
        draft = _draft_for_change(actor, person, assessment_id)
        status = rules.response_next(draft.status, "discard")
        if status is None:
            raise Conflict(_("Only a draft can be discarded."))
        draft.status = status
        draft.save()
        if hasattr(draft, "link"):
            SelfCompletionLink.objects.filter(assessment=draft, used_at__isnull=True,
                                              revoked_at__isnull=True).update(
                revoked_at=timezone.now())
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                     object_type="Assessment", object_id=str(draft.pk),
                     purpose=decision.purpose, legal_basis=str(decision.basis),
                     detail={"instrument": draft.instrument.code, "event": "discard"})
    return draft


# -- submitting ------------------------------------------------------------------------------


def assessment_submit(*, actor: Actor, person_id: Any, assessment_id: Any) -> tuple[
        Assessment, bool]:
    """Submit a draft: every required question answered, scored, flags raised, the latest
    score kept, audited and on the timeline. Submitting it again (a double click) returns
    it as it was: (assessment, False)."""
    with atomic():
        person, decision = require(actor, person_id, Action.RECORD_ASSESSMENT,
                                   audit_action="update", object_type="Assessment",
                                   object_id=str(assessment_id))
        draft = _draft_for_change(actor, person, assessment_id)
        if draft.status == rules.SUBMITTED:
            return draft, False
        _finish(actor, person, decision, draft, channel_actor=actor)
    return draft, True


def _finish(actor: Actor | None, person: Any, decision: Any, draft: Assessment, *,
            channel_actor: Actor | None) -> None:
    """Score and submit ``draft`` (locked, in the caller's transaction)."""
    status = rules.response_next(draft.status, "submit")
    if status is None:
        raise Conflict(_("This assessment cannot be submitted: it was discarded."))
    errors: Errors = {}
    answers = _clean_answers(draft.definition, draft.answers, errors, complete=True)
    if errors:
        raise ValidationFailed(_("Some questions need an answer before you submit."),
                               errors=errors)
    result = scoring.score(draft.definition, answers)
    draft.answers = answers
    draft.status = status
    draft.submitted_at = timezone.now()
    _store_score(draft, result)
    draft.save()
    _after_submission(actor, person, decision, draft, result, event="recorded")


def _store_score(row: Assessment, result: scoring.Score) -> None:
    row.total = result.total
    row.band = result.band
    row.prorated = result.prorated
    row.scoring_version = result.scoring_version
    row.unscored_reason = result.unscored_reason
    data = result.as_dict()
    row.result = {k: data[k] for k in ("domains", "concerns", "flags", "missing", "answered")}


def _after_submission(actor: Actor | None, person: Any, decision: Any, row: Assessment,
                      result: scoring.Score, *, event: str,
                      previous_flags: frozenset[str] = frozenset()) -> None:
    definition = row.definition
    refresh_latest(person.pk, row.instrument_id)
    detail = {"instrument": row.instrument.code, "version": row.instrument_version.version,
              "status": row.status, "scoring_version": row.scoring_version,
              "mode": row.mode, "flags": list(result.flags), "event": event}
    purpose = getattr(decision, "purpose", "") or "direct_care"
    audit_record(actor=actor, action=AuditEvent.Action.CREATE if event == "corrected"
                 else AuditEvent.Action.UPDATE, person_id=person.pk, object_type="Assessment",
                 object_id=str(row.pk), purpose=purpose,
                 legal_basis=str(getattr(decision, "basis", "")) or "self-completion",
                 detail=detail)
    band_label = ""
    for band in definition.get("scoring", {}).get("bands", []):
        if band["code"] == row.band:
            band_label = band["label"]
    professional = row.audience == rules.PROFESSIONAL
    kind = f"assessments.{event}" + ("_professional" if professional else "")
    at = happened_at(row)
    timeline_add(actor=actor, person_id=person.pk, kind=kind, object_type="Assessment",
                 object_id=str(row.pk), at=at, data={
                     "instrument": row.instrument.code, "name": definition.get("name", {}),
                     "total": row.total, "band": band_label,
                     "organisation": row.organisation.name, "mode": row.mode,
                     "reason": row.correction_reason})
    for code in result.flags:
        if code in previous_flags:
            continue
        _raise_flag(actor, person, row, code, at=at)


def happened_at(row: Assessment) -> dt.datetime:
    """When the assessment happened, for the timeline: its date (at the time of day it was
    submitted), or now when that is today."""
    now = timezone.now()
    if row.taken_on >= timezone.localdate(now):
        return now
    local = timezone.localtime(row.submitted_at or now)
    return timezone.make_aware(dt.datetime.combine(row.taken_on, local.time()))


def assessment_record(*, actor: Actor, person_id: Any, instrument: Any, version: Any = None,
                      answers: Any = None, taken_on: Any = None, language: Any = None,
                      idempotency_key: Any = "") -> tuple[Assessment, bool]:
    """Record a completed assessment in one call (the API): validated, scored and submitted,
    or nothing stored. The same idempotency key with the same content returns the first
    (assessment, False); with other content it is refused (409)."""
    errors: Errors = {}
    found = resolve_version(instrument, version)
    day = _taken_on(taken_on, errors)
    lang = _language(language, found.definition, errors)
    key = _key(idempotency_key, errors)
    clean = _clean_answers(found.definition, answers, errors, complete=True)
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    with atomic():
        person, decision = require(actor, person_id, Action.RECORD_ASSESSMENT,
                                   audit_action="create", object_type="Assessment")
        _may_record(actor, person, found)
        membership = actor.membership
        assert membership is not None
        digest = _hash(str(person.pk), found.pk, day, lang, clean) if key else ""
        if key:
            existing = Assessment.objects.filter(recorded_by=membership,
                                                 idempotency_key=key).first()
            if existing is not None:
                return _replay(existing, person.pk, digest), False
        now = timezone.now()
        row = Assessment(
            person=person, instrument=found.instrument, instrument_version=found,
            audience=found.audience, mode=Mode.STAFF, language=lang, answers=clean,
            organisation=membership.organisation, recorded_by=membership,
            recorded_by_name=_name(actor), taken_on=day, started_at=now,
            idempotency_key=key, request_hash=digest)
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            existing = Assessment.objects.filter(recorded_by=membership,
                                                 idempotency_key=key).first()
            if existing is None:
                raise
            return _replay(existing, person.pk, digest), False
        row = _lock(Assessment.objects.filter(pk=row.pk)).select_related(
            "instrument", "instrument_version", "organisation").get()
        _finish(actor, person, decision, row, channel_actor=actor)
    return row, True


def assessment_correct(*, actor: Actor, person_id: Any, assessment_id: Any, answers: Any,
                       reason: Any, expected_version: int | None) -> Assessment:
    """A correction: a new version with the corrected answers and the reason, scored again;
    the version it corrects stays as it was. Only the organisation that recorded it."""
    errors: Errors = {}
    why = _required_text(errors, "reason", "" if reason is None else reason, limit=500,
                         too_short=_("Say why the answers are being corrected, in at least "
                                     "%(n)d characters.") % {"n": 5})
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    with atomic():
        person, decision = require(actor, person_id, Action.RECORD_ASSESSMENT,
                                   audit_action="update", object_type="Assessment",
                                   object_id=str(assessment_id))
        current = _current_version_for_change(actor, person, assessment_id)
        if expected_version is not None and current.version != expected_version:
            raise StaleVersion(
                _("Someone else corrected this assessment. Reload it and correct it again."),
                extra={"current_version": current.version})
        clean = _clean_answers(current.definition, answers, errors, complete=True)
        if errors:
            raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
        if clean == (current.answers or {}):
            raise ValidationFailed(_("Nothing was changed: the correction would give the same "
                                     "answers."), errors={"answers": [_("Change an answer, or "
                                                                       "cancel.")]})
        membership = actor.membership
        assert membership is not None
        result = scoring.score(current.definition, clean)
        now = timezone.now()
        row = Assessment(
            person=person, instrument=current.instrument,
            instrument_version=current.instrument_version, audience=current.audience,
            status=rules.SUBMITTED, mode=current.mode, language=current.language,
            answers=clean, organisation=membership.organisation, recorded_by=membership,
            recorded_by_name=_name(actor), taken_on=current.taken_on, started_at=now,
            submitted_at=now, root_id=current.root_id or current.pk, corrects=current,
            version=current.version + 1, correction_reason=why)
        _store_score(row, result)
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            raise StaleVersion(_("Someone else corrected this assessment at the same time. "
                                 "Reload it and correct it again."),
                               extra={"current_version": current.version + 1}) from None
        _after_submission(actor, person, decision, row, result, event="corrected",
                          previous_flags=frozenset(current.result.get("flags", [])))
    return row


def _current_version_for_change(actor: Actor, person: Any, assessment_id: Any) -> Assessment:
    try:
        aid = uuid.UUID(str(assessment_id))
    except ValueError:
        aid = None
    found = None
    if aid is not None:
        found = (Assessment.objects.filter(pk=aid, person_id=person.pk,
                                           status=rules.SUBMITTED)
                 .select_related("instrument", "instrument_version").first())
    if found is None or not rules.may_see(found.audience, actor.role):
        deny(actor, person.pk, "update", Basis.NOT_FOUND, "Assessment", str(assessment_id))
    assert found is not None
    root = found.root_id or found.pk
    chain = list(_lock(Assessment.objects.filter(Q(pk=root) | Q(root_id=root)))
                 .select_related("instrument", "instrument_version").order_by("version"))
    current = chain[-1]
    if current.organisation_id != actor.organisation_id and \
            chain[0].organisation_id != actor.organisation_id:
        raise NotPermitted(_("Only the organisation that recorded an assessment can correct "
                             "it. Record a new one instead."))
    return current


# -- the latest score --------------------------------------------------------------------------


def refresh_latest(person_id: Any, instrument_id: Any) -> LatestScore | None:
    """Keep the person's latest-score row for the instrument: the last two current, scored
    submissions by date, how they compare, when the next is due and when it needed
    attention (a reliable deterioration: from its date; otherwise: from the due date)."""
    rows = list(Assessment.objects.filter(
        person_id=person_id, instrument_id=instrument_id, status=rules.SUBMITTED,
        correction__isnull=True, unscored_reason="").select_related("instrument_version")
        .order_by("-taken_on", "-submitted_at")[:2])
    if not rows:
        LatestScore.objects.filter(person_id=person_id, instrument_id=instrument_id).delete()
        return None
    latest = rows[0]
    previous = rows[1] if len(rows) > 1 else None
    definition = latest.definition
    thresholds = change.thresholds_of(definition)
    kind = ""
    if latest.total is not None:
        kind = change.classify(previous.total if previous is not None else None,
                               latest.total, thresholds)
    due = rules.due_on(latest.taken_on, definition.get("repeat_days"))
    attention = latest.taken_on if kind == change.DETERIORATION else due
    values = {"assessment_id": latest.pk, "audience": latest.audience,
              "taken_on": latest.taken_on, "total": latest.total, "band": latest.band,
              "previous_total": previous.total if previous is not None else None,
              "change": kind, "due_on": due, "attention_on": attention}
    row, _created = LatestScore.objects.update_or_create(
        person_id=person_id, instrument_id=instrument_id, defaults=values)
    return row


# -- safety flags and notifications ----------------------------------------------------------


def _raise_flag(actor: Actor | None, person: Any, row: Assessment, code: str, *,
                at: dt.datetime | None = None) -> SafetyFlag:
    flag = SafetyFlag.objects.create(
        person=person, assessment=row, instrument=row.instrument, code=code,
        audience=row.audience, raised_at=timezone.now(), organisation=row.organisation)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, person_id=person.pk,
                 object_type="SafetyFlag", object_id=str(flag.pk), purpose="direct_care",
                 legal_basis="safety", detail={"code": code, "assessment": str(row.pk)})
    timeline_add(actor=actor, person_id=person.pk, kind="assessments.flag_raised",
                 object_type="SafetyFlag", object_id=str(flag.pk), at=at,
                 data={"code": code, "name": row.definition.get("name", {}),
                       "label": _flag_label(row.definition, code)})
    for recipient, organisation, why in recipients(person):
        note = Notification.objects.create(
            person=person, kind=Notification.Kind.SAFETY_FLAG, flag=flag,
            audience=flag.audience, recipient=recipient, organisation=organisation, why=why,
            created_at=timezone.now())
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, person_id=person.pk,
                     object_type="Notification", object_id=str(note.pk),
                     purpose="direct_care", legal_basis="safety",
                     detail={"flag": str(flag.pk), "why": why,
                             "recipient": str(recipient.pk) if recipient else "",
                             "organisation": organisation.name})
        if recipient is not None:
            from careweave.assessments.tasks import email_notification

            email_notification.enqueue(str(note.pk))
    return flag


def _flag_label(definition: Mapping[str, Any], code: str) -> dict[str, str]:
    for flag in definition.get("flags", []):
        if flag["code"] == code:
            return dict(flag.get("label") or {})
    return {"en": code}


def recipients(person: Any) -> list[tuple[Any, Organisation, str]]:
    """Who is told of a risk answer: the mental-health lead on the care team (the named
    member of a mental-health organisation, or that organisation's professionals when
    nobody is named); without one, the care coordinator (a named member in the coordinator
    role); without one, the registering organisation's professionals."""
    members = list(CareTeamMember.objects.filter(active_team_q(timezone.now()), person=person)
                   .select_related("organisation", "staff__organisation")
                   .order_by("start_date", "id"))
    out: list[tuple[Any, Organisation, str]] = []
    for member in members:
        if member.organisation.kind == Organisation.Kind.MENTAL_HEALTH:
            staff = member.staff if member.staff is not None and member.staff.is_active \
                else None
            out.append((staff, member.organisation, "mental_health_lead"))
    if out:
        return out
    for member in members:
        if member.staff is not None and member.staff.is_active and \
                member.staff.role == "coordinator":
            out.append((member.staff, member.organisation, "coordinator"))
    if out:
        return out
    return [(None, person.registered_by, "registering_organisation")]


def flag_review(*, actor: Actor, person_id: Any, flag_id: Any, note: Any,
                expected_version: int | None = None) -> SafetyFlag:
    """A clinician's review of a safety flag, with what was done: the flag leaves the
    person's pages and the caseload, and stays on the record with the review."""
    errors: Errors = {}
    text = _required_text(errors, "note", note, limit=2000,
                          too_short=_("Say what the review found and what was done, in at "
                                      "least %(n)d characters.") % {"n": 5})
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    with atomic():
        person, decision = require(actor, person_id, Action.REVIEW_SAFETY_FLAG,
                                   audit_action="update", object_type="SafetyFlag",
                                   object_id=str(flag_id))
        try:
            fid = uuid.UUID(str(flag_id))
        except ValueError:
            fid = None
        flag = None
        if fid is not None:
            flag = _lock(SafetyFlag.objects.filter(pk=fid, person_id=person.pk)).first()
        if flag is None or not rules.may_see(flag.audience, actor.role):
            deny(actor, person.pk, "update", Basis.NOT_FOUND, "SafetyFlag", str(flag_id))
        assert flag is not None
        if expected_version is not None and flag.version != expected_version:
            raise StaleVersion(_("Someone else reviewed this flag. Reload it."),
                               extra={"current_version": flag.version})
        status = rules.flag_next(flag.status, "review", actor.role)
        if status is None:
            raise Conflict(_("This flag has already been reviewed."))
        flag.status = status
        flag.reviewed_by = actor.membership
        flag.reviewed_by_name = _name(actor)
        flag.reviewed_at = timezone.now()
        flag.review_note = text
        flag.version += 1
        flag.save()
        Notification.objects.filter(flag=flag, read_at__isnull=True).update(
            read_at=flag.reviewed_at)
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                     object_type="SafetyFlag", object_id=str(flag.pk),
                     purpose=decision.purpose, legal_basis=str(decision.basis),
                     detail={"event": "review"})
        assert actor.membership is not None
        timeline_add(actor=actor, person_id=person.pk, kind="assessments.flag_reviewed",
                     object_type="SafetyFlag", object_id=str(flag.pk),
                     data={"code": flag.code, "by": flag.reviewed_by_name,
                           "organisation": actor.membership.organisation.name})
    return flag


def notification_read(*, actor: Actor, notification_id: Any) -> None:
    """Mark one of the actor's notifications read (it stays in the list)."""
    from careweave.assessments import selectors

    with atomic():
        note = selectors.notification_for(actor, notification_id)
        if note.read_at is None:
            Notification.objects.filter(pk=note.pk).update(read_at=timezone.now())
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=note.person_id,
                     object_type="Notification", object_id=str(note.pk),
                     purpose="direct_care", detail={"event": "read"})


# -- self-completion links ---------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def link_issue(*, actor: Actor, person_id: Any, instrument: Any, version: Any = None,
               days: Any = rules.LINK_DAYS_DEFAULT,
               language: Any = None) -> tuple[SelfCompletionLink, str]:
    """A one-time link for the person to complete the instrument themselves: (link, token).
    The token is shown once, to be given to the person; only its hash is stored."""
    errors: Errors = {}
    found = resolve_version(instrument, version)
    lang = _language(language, found.definition, errors)
    if not isinstance(days, int) or isinstance(days, bool) or \
            not 1 <= days <= rules.LINK_DAYS_MAX:
        errors.setdefault("days", []).append(
            _("The link can last from 1 to %(n)d days.") % {"n": rules.LINK_DAYS_MAX})
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    with atomic():
        person, decision = require(actor, person_id, Action.RECORD_ASSESSMENT,
                                   audit_action="create", object_type="SelfCompletionLink")
        _may_record(actor, person, found)
        membership = actor.membership
        assert membership is not None
        now = timezone.now()
        draft = Assessment.objects.create(
            person=person, instrument=found.instrument, instrument_version=found,
            audience=found.audience, mode=Mode.SELF, language=lang,
            organisation=membership.organisation, recorded_by=membership,
            recorded_by_name=_name(actor), taken_on=timezone.localdate(), started_at=now)
        token = secrets.token_urlsafe(32)
        link = SelfCompletionLink.objects.create(
            assessment=draft, person=person, token_hash=token_hash(token),
            created_by=membership, created_at=now, expires_at=now + dt.timedelta(days=days))
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, person_id=person.pk,
                     object_type="SelfCompletionLink", object_id=str(link.pk),
                     purpose=decision.purpose, legal_basis=str(decision.basis),
                     detail={"instrument": found.instrument.code, "days": days,
                             "assessment": str(draft.pk)})
    return link, token


class LinkUnusable(Exception):
    """A self-completion link that cannot be used: ``state`` is why (unknown, expired,
    used, revoked). Pages answer the same for every reason but "used"."""

    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state


def _link_for(token: Any, *, for_update: bool = False) -> SelfCompletionLink:
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise LinkUnusable("unknown")
    qs = SelfCompletionLink.objects.filter(token_hash=token_hash(token))
    if for_update:
        qs = _lock(qs)
    link = qs.select_related("assessment__instrument_version", "assessment__instrument",
                             "assessment__organisation", "person").first()
    if link is None:
        raise LinkUnusable("unknown")
    state = link.state(timezone.now())
    if state != rules.USABLE:
        raise LinkUnusable(state)
    return link


def _link_audit(link: SelfCompletionLink, event: str, outcome: str = "allowed") -> None:
    audit_record(actor=None, action=AuditEvent.Action.UPDATE if event != "open"
                 else AuditEvent.Action.READ, outcome=outcome, person_id=link.person_id,
                 object_type="SelfCompletionLink", object_id=str(link.pk),
                 purpose="direct_care", legal_basis="self-completion",
                 username="self-completion", detail={"event": event})


def link_find(*, token: Any) -> SelfCompletionLink:
    """The usable link for this token (LinkUnusable otherwise); no audit, no change."""
    return _link_for(token)


def link_open(*, token: Any) -> SelfCompletionLink:
    """The link's form, for the person (no sign-in: the token is the key)."""
    with atomic():
        link = _link_for(token, for_update=True)
        if link.opened_at is None:
            SelfCompletionLink.objects.filter(pk=link.pk).update(opened_at=timezone.now())
        _link_audit(link, "open")
    return link


def link_save(*, token: Any, answers: Any, page: Any = None,
              remove: Any = ()) -> SelfCompletionLink:
    with atomic():
        link = _link_for(token, for_update=True)
        draft = _lock(Assessment.objects.filter(pk=link.assessment_id)).select_related(
            "instrument_version", "instrument").get()
        _save_into(draft, answers, page, None, remove)
        link.assessment = draft
        _link_audit(link, "save")
    return link


def link_submit(*, token: Any) -> Assessment:
    """The person submits: scored and stored as any other, and the link is used up (a
    replay of the same submission is refused as a used link)."""
    with atomic():
        link = _link_for(token, for_update=True)
        draft = _lock(Assessment.objects.filter(pk=link.assessment_id)).select_related(
            "instrument_version", "instrument", "organisation").get()
        person = link.person
        _finish(None, person, None, draft, channel_actor=None)
        SelfCompletionLink.objects.filter(pk=link.pk).update(used_at=timezone.now())
        _link_audit(link, "submit")
    return draft


def link_revoke(*, actor: Actor, person_id: Any, link_id: Any) -> SelfCompletionLink:
    with atomic():
        person, decision = require(actor, person_id, Action.RECORD_ASSESSMENT,
                                   audit_action="update", object_type="SelfCompletionLink",
                                   object_id=str(link_id))
        try:
            lid = uuid.UUID(str(link_id))
        except ValueError:
            lid = None
        link = None
        if lid is not None:
            link = _lock(SelfCompletionLink.objects.filter(
                pk=lid, person_id=person.pk,
                assessment__organisation_id=str(actor.organisation_id))).first()
        if link is None:
            deny(actor, person.pk, "update", Basis.NOT_FOUND, "SelfCompletionLink",
                 str(link_id))
        assert link is not None
        if link.state(timezone.now()) == rules.USABLE:
            link.revoked_at = timezone.now()
            link.save(update_fields=["revoked_at"])
            Assessment.objects.filter(pk=link.assessment_id, status=rules.DRAFT).update(
                status=rules.DISCARDED)
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                     object_type="SelfCompletionLink", object_id=str(link.pk),
                     purpose=decision.purpose, legal_basis=str(decision.basis),
                     detail={"event": "revoke"})
    return link


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


def instrument_name(version: InstrumentVersion | Assessment, language: str) -> str:
    definition = version.definition
    return text_in(definition.get("name"), language) or definition.get("code", "")
