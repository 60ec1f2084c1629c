"""Writes to care teams, consent, break-glass and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from careweave.access import policy
from careweave.access.gate import Action, Basis, deny, require
from careweave.access.models import ApiToken, BreakGlass, CareTeamMember, Consent
from careweave.audit.models import AuditEvent
from careweave.audit.services import audit_record
from careweave.core.context import Actor
from careweave.core.db import atomic
from careweave.core.errors import NotPermitted, ValidationFailed
from careweave.orgs.models import Membership, Organisation
from careweave.people import identifiers as ids
from careweave.people.models import PersonIdentifier
from careweave.people.names import nfc
from careweave.people.timeline import timeline_add


def _uuid(value: Any, field: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, AttributeError):
        raise ValidationFailed(_("Check the highlighted fields."),
                               errors={field: [_("Not a valid reference.")]}) from None


def _text(value: Any, field: str, limit: int, errors: dict[str, list[str]],
          required: bool = False) -> str:
    text = nfc(str(value or ""))
    if required and not text:
        errors.setdefault(field, []).append(_("This is required."))
    if len(text) > limit:
        errors.setdefault(field, []).append(
            _("Must be %(limit)d characters or fewer.") % {"limit": limit})
    return text


# -- care team ---------------------------------------------------------------------------


def care_team_add(
    *,
    actor: Actor,
    person_id: uuid.UUID | str,
    organisation_id: uuid.UUID | str,
    role: str,
    staff_membership_id: uuid.UUID | str | None = None,
    start_date: dt.date | None = None,
) -> CareTeamMember:
    errors: dict[str, list[str]] = {}
    role = _text(role, "role", 100, errors, required=True)
    org = Organisation.objects.filter(pk=_uuid(organisation_id, "organisation_id"),
                                      is_active=True).first()
    if org is None:
        errors.setdefault("organisation_id", []).append(_("Choose an organisation."))
    staff = None
    if staff_membership_id:
        staff = Membership.objects.filter(pk=_uuid(staff_membership_id, "staff_membership_id"),
                                          is_active=True).first()
        if staff is None or (org is not None and staff.organisation_id != org.pk):
            errors.setdefault("staff_membership_id", []).append(
                _("Choose a staff member of that organisation."))
    start = start_date or timezone.localdate()
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    assert org is not None
    with atomic():
        person, decision = require(actor, person_id, Action.CHANGE, audit_action="update",
                                   object_type="CareTeamMember")
        member = CareTeamMember.objects.create(
            person=person, organisation=org, staff=staff, role=role, start_date=start,
            added_by=actor.membership,
        )
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                     object_type="CareTeamMember", object_id=str(member.pk),
                     purpose="direct_care", legal_basis=str(decision.basis),
                     detail={"change": "care_team_add", "organisation": str(org.pk)})
        timeline_add(actor=actor, person_id=person.pk, kind="access.care_team_joined",
                     object_type="CareTeamMember", object_id=str(member.pk),
                     data={"organisation": org.name, "role": role,
                           "staff": staff.user.get_full_name() if staff else "",
                           "start_date": start.isoformat()})
    return member


def care_team_end(
    *, actor: Actor, member_id: uuid.UUID | str, reason: str = "",
    end_date: dt.date | None = None,
) -> CareTeamMember:
    errors: dict[str, list[str]] = {}
    reason = _text(reason, "reason", 200, errors)
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    mid = _uuid(member_id, "member_id")
    with atomic():
        member = CareTeamMember.objects.filter(pk=mid).first()
        if member is None:
            deny(actor, None, "update", Basis.NOT_FOUND, "CareTeamMember", str(mid))
        person, decision = require(actor, member.person_id, Action.CHANGE,
                                   audit_action="update", object_type="CareTeamMember",
                                   object_id=str(mid))
        if member.end_date is not None and member.end_date <= timezone.localdate():
            raise ValidationFailed(_("This care-team membership has already ended."))
        member.end_date = end_date or timezone.localdate()
        member.end_reason = reason
        member.save(update_fields=["end_date", "end_reason"])
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                     object_type="CareTeamMember", object_id=str(member.pk),
                     purpose="direct_care", legal_basis=str(decision.basis),
                     detail={"change": "care_team_end"})
        timeline_add(actor=actor, person_id=person.pk, kind="access.care_team_left",
                     object_type="CareTeamMember", object_id=str(member.pk),
                     data={"organisation": member.organisation.name, "role": member.role,
                           "reason": reason, "end_date": member.end_date.isoformat()})
    return member


# -- consent -----------------------------------------------------------------------------


def consent_summary(consent: Consent, organisation_names: list[str]) -> dict[str, Any]:
    """What the timeline says about a consent, with names as they are now."""
    return {"purpose": consent.purpose, "decision": consent.decision,
            "organisations": sorted(organisation_names),
            "given_by": consent.given_by, "representative_name": consent.representative_name}


def consent_record(
    *,
    actor: Actor,
    person_id: uuid.UUID | str,
    purpose: str,
    decision: str,
    organisation_ids: Iterable[uuid.UUID | str] = (),
    given_by: str = Consent.GivenBy.PERSON,
    representative_name: str = "",
    method: str = Consent.Method.VERBAL,
    valid_from: dt.datetime | None = None,
    valid_to: dt.datetime | None = None,
) -> Consent:
    errors: dict[str, list[str]] = {}
    if purpose not in Consent.Purpose.values:
        errors["purpose"] = [_("Choose a purpose.")]
    if decision not in Consent.Decision.values:
        errors["decision"] = [_("Choose whether the person agrees or objects.")]
    if given_by not in Consent.GivenBy.values:
        errors["given_by"] = [_("Say who gave it.")]
    if method not in Consent.Method.values:
        errors["method"] = [_("Say how it was recorded.")]
    representative_name = _text(representative_name, "representative_name", 200, errors,
                                required=given_by == Consent.GivenBy.REPRESENTATIVE)
    org_ids = [_uuid(o, "organisation_ids") for o in organisation_ids]
    orgs = list(Organisation.objects.filter(pk__in=org_ids))
    if len(orgs) != len(set(org_ids)):
        errors.setdefault("organisation_ids", []).append(_("Unknown organisation."))
    start = valid_from or timezone.now()
    if valid_to is not None and valid_to <= start:
        errors["valid_to"] = [_("The end must be after the start.")]
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    with atomic():
        person, basis = require(actor, person_id, Action.CHANGE, audit_action="update",
                                object_type="Consent")
        consent = Consent.objects.create(
            person=person, purpose=purpose, decision=decision, given_by=given_by,
            representative_name=representative_name, method=method, valid_from=start,
            valid_to=valid_to, recorded_by=actor.membership,
            covers_all_organisations=not orgs,
        )
        if orgs:
            consent.organisations.set(orgs)
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                     object_type="Consent", object_id=str(consent.pk), purpose=purpose,
                     legal_basis=str(basis.basis),
                     detail={"change": "consent_record", "decision": decision})
        timeline_add(actor=actor, person_id=person.pk, kind="access.consent_recorded",
                     object_type="Consent", object_id=str(consent.pk),
                     data=consent_summary(consent, [o.name for o in orgs]))
    return consent


def consent_withdraw(*, actor: Actor, consent_id: uuid.UUID | str, reason: str = "") -> Consent:
    """Withdraw a consent. It takes effect on the very next request: the gate reads it live."""
    errors: dict[str, list[str]] = {}
    reason = _text(reason, "reason", 500, errors)
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    cid = _uuid(consent_id, "consent_id")
    with atomic():
        consent = Consent.objects.filter(pk=cid).first()
        if consent is None:
            deny(actor, None, "update", Basis.NOT_FOUND, "Consent", str(cid))
        person, decision = require(actor, consent.person_id, Action.CHANGE,
                                   audit_action="update", object_type="Consent",
                                   object_id=str(cid))
        if consent.withdrawn_at is not None:
            raise ValidationFailed(_("This consent has already been withdrawn."))
        consent.withdrawn_at = timezone.now()
        consent.withdrawn_reason = reason
        consent.withdrawn_by = actor.membership
        consent.save(update_fields=["withdrawn_at", "withdrawn_reason", "withdrawn_by"])
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                     object_type="Consent", object_id=str(consent.pk), purpose=consent.purpose,
                     legal_basis=str(decision.basis), detail={"change": "consent_withdraw"})
        timeline_add(actor=actor, person_id=person.pk, kind="access.consent_withdrawn",
                     object_type="Consent", object_id=str(consent.pk),
                     data={**consent_summary(consent, [o.name for o in consent.organisations.all()]),
                           "reason": reason})
    return consent


# -- break-glass -------------------------------------------------------------------------

MIN_REASON = 10


def break_glass_start(
    *,
    actor: Actor,
    reason: str,
    person_id: uuid.UUID | str | None = None,
    identifier: str | None = None,
) -> BreakGlass:
    """Emergency access for a clinician outside the care team: reason, time limit, audit.

    The person is named by id or by identifier (NHS number, personnummer,
    samordningsnummer). An unknown person is a 404 like any other refusal.
    """
    if actor.membership is None or not policy.may_break_glass(actor.role):
        raise NotPermitted(_("Only clinicians and social workers can use emergency access."))
    errors: dict[str, list[str]] = {}
    reason = _text(reason, "reason", 1000, errors, required=True)
    if reason and len(reason) < MIN_REASON:
        errors.setdefault("reason", []).append(
            _("Give the clinical reason in at least %(n)d characters.") % {"n": MIN_REASON})
    target: uuid.UUID | None = None
    if person_id:
        target = _uuid(person_id, "person_id")
    elif identifier:
        ident = ids.guess(identifier)
        if ident is None:
            errors.setdefault("identifier", []).append(
                _("Enter a valid NHS number, personnummer or samordningsnummer."))
        else:
            row = PersonIdentifier.objects.filter(system=ident.system, value=ident.value).first()
            target = row.person_id if row else None
            if target is None:
                deny(actor, None, "break_glass", Basis.NOT_FOUND, "Person", "")
    else:
        errors.setdefault("identifier", []).append(_("Enter the person's identifier."))
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    assert target is not None
    now = timezone.now()
    hours = int(settings.CAREWEAVE["BREAK_GLASS_HOURS"])
    with atomic():
        from careweave.people.models import Person

        person = Person.objects.filter(pk=target).first()
        if person is None:
            deny(actor, target, "break_glass", Basis.NOT_FOUND, "Person", "")
        bg = BreakGlass.objects.create(
            person=person, membership=actor.membership, user=actor.user,  # type: ignore[misc]
            reason=reason,
            started_at=now, expires_at=now + dt.timedelta(hours=hours),
        )
        audit_record(actor=actor, action=AuditEvent.Action.BREAK_GLASS, person_id=person.pk,
                     object_type="BreakGlass", object_id=str(bg.pk), purpose="emergency_care",
                     legal_basis=Basis.BREAK_GLASS.value,
                     detail={"reason": reason, "expires_at": bg.expires_at.isoformat()})
        timeline_add(actor=actor, person_id=person.pk, kind="access.break_glass",
                     object_type="BreakGlass", object_id=str(bg.pk), at=now,
                     data={"organisation": actor.membership.organisation.name,  # type: ignore[union-attr]
                           "reason": reason, "expires_at": bg.expires_at.isoformat()})
    return bg


def break_glass_review(*, actor: Actor, break_glass_id: uuid.UUID | str, note: str) -> BreakGlass:
    """The privacy lead marks a break-glass access as reviewed."""
    if actor.role != "privacy_lead":
        raise NotPermitted(_("Only a privacy lead can review emergency access."))
    errors: dict[str, list[str]] = {}
    note = _text(note, "note", 500, errors)
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    bid = _uuid(break_glass_id, "break_glass_id")
    with atomic():
        bg = BreakGlass.objects.filter(
            pk=bid, membership__organisation_id=actor.organisation_id,  # type: ignore[misc]
        ).first()
        if bg is None:
            deny(actor, None, "update", Basis.NOT_FOUND, "BreakGlass", str(bid))
        bg.reviewed_at = timezone.now()
        bg.reviewed_by = actor.user  # type: ignore[assignment]
        bg.review_note = note
        bg.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=bg.person_id,
                     object_type="BreakGlass", object_id=str(bg.pk), purpose="audit",
                     legal_basis="privacy-review", detail={"change": "break_glass_review"})
    return bg


# -- API tokens --------------------------------------------------------------------------

TOKEN_PREFIX = "cwt_"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def token_create(*, membership: Membership, name: str = "",
                 days: int | None = 365) -> tuple[ApiToken, str]:
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        membership=membership, name=name[:100], prefix=raw[:12], token_hash=hash_token(raw),
        expires_at=timezone.now() + dt.timedelta(days=days) if days else None,
    )
    return token, raw


def token_authenticate(raw: str) -> ApiToken | None:
    if not raw or len(raw) > 200 or not raw.startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("membership__organisation", "membership__user")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True,
                membership__is_active=True, membership__user__is_active=True,
                membership__organisation__is_active=True)
        .first()
    )
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
