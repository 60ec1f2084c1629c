"""Writes to care teams, consent, break-glass, requests to join a care team, and API tokens.

Every write asks the gate for its own action (``careweave.access.policy.POLICY``): who may
add to the care team, end a place on it, record or withdraw consent. Emergency access
(break-glass) reads and never changes: the policy refuses every change to it, so it can
never become a way into the care team or the consent records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from careweave.access import policy, sharing
from careweave.access.gate import Action, Basis, check, decide, deny, require
from careweave.access.models import ApiToken, BreakGlass, CareTeamMember, Consent, JoinRequest
from careweave.audit.models import AuditEvent
from careweave.audit.services import audit_record
from careweave.core import dates, rawsql
from careweave.core.context import Actor
from careweave.core.db import atomic
from careweave.core.errors import NotPermitted, RateLimited, ValidationFailed
from careweave.core.text import has_visible_text
from careweave.orgs.models import Membership, Organisation
from careweave.people import identifiers as ids
from careweave.people.models import Person, PersonIdentifier
from careweave.people.names import nfc
from careweave.people.timeline import timeline_add

PRIVACY_LEAD = "privacy_lead"
PLATFORM_REVIEWER = "platform_reviewer"
REVIEWER_ROLES = frozenset({PRIVACY_LEAD, PLATFORM_REVIEWER})
# Dates a care record can hold (careweave.core.dates): nothing before 1900 for care-team
# places and consents, nothing more than a year ahead for a start, the far bound for an end.
EARLIEST = dt.date(1900, 1, 1)
LATEST_END = dates.LATEST
MAX_AHEAD = dt.timedelta(days=366)
MIN_REASON = 10


def _uuid(value: Any, field: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, AttributeError):
        raise ValidationFailed(_("Check the highlighted fields."),
                               errors={field: [_("Not a valid reference.")]}) from None


def _text(value: Any, field: str, limit: int, errors: dict[str, list[str]],
          required: bool = False, minimum: int = 1) -> str:
    """Normalised text; ``required`` text must have ``minimum`` visible characters (spaces
    and zero-width characters do not count)."""
    text = nfc(str(value or ""))
    if required and not has_visible_text(text, minimum):
        if not text:
            errors.setdefault(field, []).append(_("This is required."))
        else:
            errors.setdefault(field, []).append(
                _("Write at least %(n)d letters or digits.") % {"n": minimum})
    if len(text) > limit:
        errors.setdefault(field, []).append(
            _("Must be %(limit)d characters or fewer.") % {"limit": limit})
    return text


def _day_in_range(day: dt.date | None, field: str, errors: dict[str, list[str]], *,
                  latest: dt.date | None = None) -> None:
    if day is None:
        return
    latest = latest or (timezone.localdate() + MAX_AHEAD)
    if not dates.in_sane_range(day, earliest=EARLIEST, latest=latest):
        errors.setdefault(field, []).append(
            _("Enter a date between %(start)s and %(end)s.")
            % {"start": EARLIEST.isoformat(), "end": latest.isoformat()})


def _day_of(moment: dt.datetime | None) -> dt.date | None:
    """The local day of a moment; for one so far out that the time zone cannot convert it
    (the year 1, the year 9999), its UTC day, which the range check then refuses."""
    if moment is None:
        return None
    try:
        return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()
    except (OverflowError, ValueError):
        return moment.date()


def _invalid(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)


def active_member(person_id: uuid.UUID, organisation_id: uuid.UUID) -> CareTeamMember | None:
    today = timezone.localdate()
    return (CareTeamMember.objects.filter(person_id=person_id, organisation_id=organisation_id,
                                          start_date__lte=today)
            .filter(Q(end_date__isnull=True) | Q(end_date__gt=today)).first())


# -- care team ---------------------------------------------------------------------------


def staff_for(organisation_id: uuid.UUID | str) -> QuerySet[Membership]:
    """The staff who can be named on a care team for this organisation: its active
    memberships in a care role (no privacy leads, analysts or administrators), one each."""
    return (Membership.objects.filter(organisation_id=organisation_id, is_active=True,
                                      user__is_active=True, role__in=policy.CARE_ROLES)
            .select_related("user").order_by("user__last_name", "user__first_name", "id"))


def care_team_add(
    *,
    actor: Actor,
    person_id: uuid.UUID | str,
    organisation_id: uuid.UUID | str,
    role: str,
    staff_membership_id: uuid.UUID | str | None = None,
    start_date: dt.date | None = None,
    on_request: JoinRequest | None = None,
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
                                          is_active=True, role__in=policy.CARE_ROLES,
                                          user__is_active=True).select_related("user").first()
        if staff is None or (org is not None and staff.organisation_id != org.pk):
            errors.setdefault("staff_membership_id", []).append(
                _("Choose a staff member of that organisation."))
    start = start_date or timezone.localdate()
    _day_in_range(start, "start_date", errors)
    _invalid(errors)
    assert org is not None
    with atomic():
        person, decision = require(actor, person_id, Action.ADD_TO_CARE_TEAM,
                                   audit_action="update", object_type="CareTeamMember",
                                   for_update=True)
        if active_member(person.pk, org.pk) is not None:
            raise ValidationFailed(_("Check the highlighted fields."), errors={
                "organisation_id": [_("%(org)s is already on the care team.") % {"org": org.name}]})
        member = CareTeamMember.objects.create(
            person=person, organisation=org, staff=staff, role=role, start_date=start,
            added_by=actor.membership,
        )
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                     object_type="CareTeamMember", object_id=str(member.pk),
                     purpose=decision.purpose, legal_basis=str(decision.basis),
                     detail={"change": "care_team_add", "organisation": str(org.pk),
                             "on_request": str(on_request.pk) if on_request else ""})
        timeline_add(actor=actor, person_id=person.pk, kind="access.care_team_joined",
                     object_type="CareTeamMember", object_id=str(member.pk),
                     data={"organisation": org.name, "role": role,
                           "staff": staff.user.get_full_name() if staff else "",
                           "start_date": start.isoformat(), "on_request": bool(on_request)})
        sharing.recompute([person.pk])
    return member


def care_team_end(
    *, actor: Actor, member_id: uuid.UUID | str, reason: str = "",
    end_date: dt.date | None = None,
) -> CareTeamMember:
    """End a place on the care team: an organisation may leave; only the registering
    organisation ends another's place; nobody ends the registering organisation's place
    (transfer the registration first)."""
    errors: dict[str, list[str]] = {}
    reason = _text(reason, "reason", 200, errors)
    _day_in_range(end_date, "end_date", errors)
    _invalid(errors)
    mid = _uuid(member_id, "member_id")
    with atomic():
        member = CareTeamMember.objects.select_related("organisation").filter(pk=mid).first()
        if member is None:
            deny(actor, None, "update", Basis.NOT_FOUND, "CareTeamMember", str(mid))
        person, _read = require(actor, member.person_id, Action.READ, audit_action="update",
                                object_type="CareTeamMember", object_id=str(mid),
                                for_update=True)
        own_place = member.organisation_id == actor.organisation_id
        decision = check(actor, person,
                         Action.LEAVE_CARE_TEAM if own_place else Action.END_CARE_TEAM_PLACE,
                         object_type="CareTeamMember", object_id=str(mid)) \
            if member.organisation_id != person.registered_by_id else None
        if decision is None:
            raise ValidationFailed(_(
                "%(org)s registered this person, so its place on the care team cannot end. "
                "Transfer the registration to another organisation on the care team first."
            ) % {"org": member.organisation.name})
        if member.end_date is not None and member.end_date <= timezone.localdate():
            raise ValidationFailed(_("This care-team membership has already ended."))
        member.end_date = end_date or timezone.localdate()
        member.end_reason = reason
        member.save(update_fields=["end_date", "end_reason"])
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                     object_type="CareTeamMember", object_id=str(member.pk),
                     purpose=decision.purpose, legal_basis=str(decision.basis),
                     detail={"change": "care_team_end"})
        timeline_add(actor=actor, person_id=person.pk, kind="access.care_team_left",
                     object_type="CareTeamMember", object_id=str(member.pk),
                     data={"organisation": member.organisation.name, "role": member.role,
                           "reason": reason, "end_date": member.end_date.isoformat()})
        sharing.recompute([person.pk])
    return member


def transfer_registration(*, actor: Actor, person_id: uuid.UUID | str,
                          organisation_id: uuid.UUID | str, reason: str) -> Person:
    """Hand the registration to another organisation on the active care team (for example
    when the person moves to a new GP practice). Only the registering organisation can."""
    errors: dict[str, list[str]] = {}
    reason = _text(reason, "reason", 500, errors, required=True, minimum=MIN_REASON)
    target = _uuid(organisation_id, "organisation_id")
    _invalid(errors)
    with atomic():
        person, decision = require(actor, person_id, Action.TRANSFER_REGISTRATION,
                                   audit_action="update", object_type="Person",
                                   for_update=True)
        member = active_member(person.pk, target)
        if member is None or target == person.registered_by_id:
            raise ValidationFailed(_("Check the highlighted fields."), errors={
                "organisation_id": [_("Choose another organisation on the care team.")]})
        before = person.registered_by
        Person.objects.filter(pk=person.pk).update(registered_by_id=target,
                                                   version=person.version + 1)
        after = Organisation.objects.get(pk=target)
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                     object_type="Person", object_id=str(person.pk),
                     purpose=decision.purpose, legal_basis=str(decision.basis),
                     detail={"change": "transfer_registration", "before": str(before.pk),
                             "after": str(target), "reason": reason})
        timeline_add(actor=actor, person_id=person.pk, kind="access.registration_transferred",
                     object_type="Person", object_id=str(person.pk),
                     data={"before": before.name, "after": after.name, "reason": reason})
        sharing.recompute([person.pk])
    person.refresh_from_db()
    return person


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
    _day_in_range(_day_of(valid_from), "valid_from", errors)
    _day_in_range(_day_of(valid_to), "valid_to", errors, latest=LATEST_END)
    if valid_to is not None and valid_to <= start:
        errors.setdefault("valid_to", []).append(_("The end must be after the start."))
    _invalid(errors)
    with atomic():
        person, basis = require(actor, person_id, Action.RECORD_CONSENT, audit_action="update",
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
        sharing.recompute([person.pk])
    return consent


def consent_withdraw(*, actor: Actor, consent_id: uuid.UUID | str, reason: str = "") -> Consent:
    """Withdraw a consent. It takes effect on the very next request: the gate reads it live."""
    errors: dict[str, list[str]] = {}
    reason = _text(reason, "reason", 500, errors)
    _invalid(errors)
    cid = _uuid(consent_id, "consent_id")
    with atomic():
        consent = Consent.objects.filter(pk=cid).first()
        if consent is None:
            deny(actor, None, "update", Basis.NOT_FOUND, "Consent", str(cid))
        person, decision = require(actor, consent.person_id, Action.RECORD_CONSENT,
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
        sharing.recompute([person.pk])
    return consent


# -- break-glass -------------------------------------------------------------------------


def _same_reason(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def break_glass_start(
    *,
    actor: Actor,
    reason: str,
    person_id: uuid.UUID | str | None = None,
    identifier: str | None = None,
) -> BreakGlass:
    """Emergency access for a clinician outside the care team: reason, time limit, audit.

    The person is named by id or by identifier (NHS number, personnummer,
    samordningsnummer). An unknown person is a 404 like any other refusal. Renewing while
    access is in force needs a new reason, and one user may start emergency access to the
    same person at most ``BREAK_GLASS_MAX_PER_DAY`` times in 24 hours.
    """
    if actor.membership is None or not policy.may_break_glass(actor.role):
        raise NotPermitted(_("Only clinicians and social workers can use emergency access."))
    errors: dict[str, list[str]] = {}
    reason = _text(reason, "reason", 1000, errors, required=True, minimum=MIN_REASON)
    if reason and has_visible_text(reason) and not has_visible_text(reason, MIN_REASON):
        errors["reason"] = [
            _("Give the clinical reason in at least %(n)d characters.") % {"n": MIN_REASON}]
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
    _invalid(errors)
    assert target is not None
    now = timezone.now()
    conf = settings.CAREWEAVE
    hours = int(conf["BREAK_GLASS_HOURS"])
    with atomic():
        person = Person.objects.filter(pk=target).first()
        if person is None:
            deny(actor, target, "break_glass", Basis.NOT_FOUND, "Person", "")
        current = decide(actor, person)
        if current.allowed and current.relation != policy.Relation.BREAK_GLASS:
            raise ValidationFailed(_("You can already see this record through the care team: "
                                     "emergency access is not needed."))
        recent = list(BreakGlass.objects.filter(
            user=actor.user, person=person,  # type: ignore[misc]
            started_at__gt=now - dt.timedelta(hours=24)).order_by("-started_at"))
        in_force = [b for b in recent if b.ended_at is None and b.expires_at > now
                    and b.membership_id == actor.membership.pk]
        if in_force and any(_same_reason(b.reason, reason) for b in in_force):
            raise ValidationFailed(_("Check the highlighted fields."), errors={"reason": [
                _("To renew emergency access, give the reason it is still needed now.")]})
        if len(recent) >= int(conf["BREAK_GLASS_MAX_PER_DAY"]):
            raise ValidationFailed(_(
                "You have used emergency access to this record %(n)d times in 24 hours, the "
                "most allowed. Ask a member of the care team or your privacy lead.")
                % {"n": len(recent)})
        BreakGlass.objects.filter(pk__in=[b.pk for b in in_force]).update(ended_at=now)
        bg = BreakGlass.objects.create(
            person=person, membership=actor.membership, user=actor.user,  # type: ignore[misc]
            reason=reason,
            started_at=now, expires_at=now + dt.timedelta(hours=hours),
        )
        audit_record(actor=actor, action=AuditEvent.Action.BREAK_GLASS, person_id=person.pk,
                     object_type="BreakGlass", object_id=str(bg.pk), purpose="emergency_care",
                     legal_basis=Basis.BREAK_GLASS.value,
                     detail={"reason": reason, "expires_at": bg.expires_at.isoformat(),
                             "renewal": bool(in_force)})
        timeline_add(actor=actor, person_id=person.pk, kind="access.break_glass",
                     object_type="BreakGlass", object_id=str(bg.pk), at=now,
                     data={"organisation": actor.membership.organisation.name,  # type: ignore[union-attr]
                           "reason": reason, "expires_at": bg.expires_at.isoformat()})
    return bg


def _has_privacy_lead(organisation_field: str) -> Exists:
    return Exists(Membership.objects.filter(
        organisation_id=OuterRef(organisation_field), role=PRIVACY_LEAD, is_active=True,
        user__is_active=True))


def reviewable_break_glass(actor: Actor) -> QuerySet[BreakGlass]:
    """The emergency access a reviewer answers for: a privacy lead, every episode by their
    organisation's staff and every episode on a person their organisation registered; a
    platform reviewer, every episode where neither organisation has a privacy lead."""
    if actor.membership is None or actor.role not in REVIEWER_ROLES:
        return BreakGlass.objects.none()
    if actor.role == PLATFORM_REVIEWER:
        return BreakGlass.objects.filter(~_has_privacy_lead("membership__organisation_id"),
                                         ~_has_privacy_lead("person__registered_by_id"))
    org = actor.organisation_id
    return BreakGlass.objects.filter(Q(membership__organisation_id=org)
                                     | Q(person__registered_by_id=org))


def break_glass_review(*, actor: Actor, break_glass_id: uuid.UUID | str, note: str) -> BreakGlass:
    """The privacy lead marks a break-glass access as reviewed."""
    if actor.role not in REVIEWER_ROLES:
        raise NotPermitted(_("Only a privacy lead can review emergency access."))
    errors: dict[str, list[str]] = {}
    note = _text(note, "note", 500, errors)
    if errors:
        raise ValidationFailed(_("Check the highlighted fields."), errors=errors)
    bid = _uuid(break_glass_id, "break_glass_id")
    with atomic():
        bg = reviewable_break_glass(actor).filter(pk=bid).first()
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


# -- refused lookups and requests to join a care team -----------------------------------


def lookup_refused(*, actor: Actor, person_id: uuid.UUID, system: str) -> None:
    """A create or change hit an identifier held by a record the actor may not see: audit
    it as a refused lookup (the privacy lead's report lists them) and limit how many a user
    may make, so that identifiers cannot be probed unseen."""
    limit = int(settings.CAREWEAVE["LOOKUP_REFUSALS_PER_HOUR"])
    since = timezone.now() - dt.timedelta(hours=1)
    with atomic():
        recent = AuditEvent.objects.filter(user_id=actor.user.pk, action=AuditEvent.Action.LOOKUP,
                                           outcome=AuditEvent.Outcome.DENIED,
                                           at__gte=since).count()
        audit_record(actor=actor, action=AuditEvent.Action.LOOKUP,
                     outcome=AuditEvent.Outcome.DENIED, person_id=person_id,
                     object_type="PersonIdentifier", object_id=system,
                     legal_basis=Basis.NOT_IN_CARE_TEAM.value,
                     detail={"system": system, "limited": recent >= limit})
    if recent >= limit:
        raise RateLimited(_("You have tried too many identifiers that belong to records you "
                            "cannot see. Wait an hour, or ask your privacy lead."))


def join_request_create(*, actor: Actor, identifier: str, role: str,
                        reason: str) -> JoinRequest | None:
    """Ask the organisation that holds the record with this identifier to add the actor's
    organisation to the person's care team. The answer is the same whether or not there
    is such a record, or a request already: the requester learns nothing more until the
    registering organisation accepts."""
    if actor.membership is None or actor.role not in policy.PROFESSIONAL_ROLES:
        raise NotPermitted(_("Your role cannot ask to join a care team."))
    errors: dict[str, list[str]] = {}
    role = _text(role, "role", 100, errors, required=True)
    reason = _text(reason, "reason", 1000, errors, required=True, minimum=MIN_REASON)
    ident = ids.guess(identifier or "")
    if ident is None:
        errors["identifier"] = [_("Enter a valid NHS number, personnummer or samordningsnummer.")]
    _invalid(errors)
    assert ident is not None
    row = PersonIdentifier.objects.select_related("person").filter(
        system=ident.system, value=ident.value).first()
    org_id = actor.membership.organisation_id
    with atomic():
        if row is None or decide(actor, row.person).allowed:
            audit_record(actor=actor, action=AuditEvent.Action.CREATE, object_type="JoinRequest",
                         detail={"system": ident.system, "created": False})
            return None
        existing = JoinRequest.objects.filter(person=row.person,
                                              organisation_id=org_id,
                                              status=JoinRequest.Status.PENDING).first()
        if existing is not None:
            request = existing
        else:
            try:
                with atomic():
                    request = JoinRequest.objects.create(
                        person=row.person, organisation_id=org_id,
                        requested_by=actor.membership, role=role, reason=reason)
            except IntegrityError:  # the same request, made at the same moment
                request = JoinRequest.objects.get(person=row.person,
                                                  organisation_id=org_id,
                                                  status=JoinRequest.Status.PENDING)
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, person_id=row.person_id,
                     object_type="JoinRequest", object_id=str(request.pk),
                     legal_basis=Basis.NOT_IN_CARE_TEAM.value,
                     detail={"system": ident.system, "created": existing is None})
    return request


def join_request_decide(*, actor: Actor, request_id: uuid.UUID | str, accept: bool,
                        note: str = "") -> JoinRequest:
    """The registering organisation accepts (the requester joins the care team) or
    declines a request to join."""
    errors: dict[str, list[str]] = {}
    note = _text(note, "note", 500, errors)
    _invalid(errors)
    rid = _uuid(request_id, "request_id")
    with atomic():
        request = JoinRequest.objects.select_related("organisation").filter(pk=rid).first()
        if request is None:
            deny(actor, None, "update", Basis.NOT_FOUND, "JoinRequest", str(rid))
        person, decision = require(actor, request.person_id, Action.DECIDE_JOIN_REQUEST,
                                   audit_action="update", object_type="JoinRequest",
                                   object_id=str(rid), for_update=True)
        request = JoinRequest.objects.select_related("organisation").get(pk=rid)
        if request.status != JoinRequest.Status.PENDING:
            raise ValidationFailed(_("This request has already been decided."))
        if accept and active_member(person.pk, request.organisation_id) is None:
            care_team_add(actor=actor, person_id=person.pk,
                          organisation_id=request.organisation_id, role=request.role,
                          on_request=request)
        request.status = JoinRequest.Status.ACCEPTED if accept else JoinRequest.Status.DECLINED
        request.decided_by = actor.membership
        request.decided_at = timezone.now()
        request.decision_note = note
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                     object_type="JoinRequest", object_id=str(request.pk),
                     purpose=decision.purpose, legal_basis=str(decision.basis),
                     detail={"change": "join_request_decide", "accepted": accept})
    return request


def join_requests_to_decide(actor: Actor) -> QuerySet[JoinRequest]:
    """Pending requests about people the actor's organisation registered, for its
    professionals (nobody else sees that a request exists)."""
    if actor.membership is None or actor.role not in policy.PROFESSIONAL_ROLES:
        return JoinRequest.objects.none()
    # The status as a constant in the text: the prepared statement's generic plan then uses
    # join_pending_idx (the few pending requests) instead of probing every person the
    # organisation registered for theirs.
    return (JoinRequest.objects.filter(status=rawsql.constant(JoinRequest.Status.PENDING),
                                       person__registered_by_id=actor.organisation_id)
            .select_related("person", "organisation", "requested_by__user"))


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
    """The token, with its membership, user and organisation, if it is valid now: not
    revoked or expired, and its membership, user and organisation all active. One
    statement, hand-written (careweave.core.rawsql): it runs on every API request, so on
    PostgreSQL its row is kept for a few seconds by careweave.access.tokencache, which
    every change of a token, membership, user or organisation clears at once."""
    if not raw or len(raw) > 200 or not raw.startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    from django.contrib.auth import get_user_model

    from careweave.access import tokencache

    user_model = get_user_model()
    key = hash_token(raw)
    entry = tokencache.get(key)
    if entry is not None:
        row: Sequence[Any] = entry.row
    else:
        generation = tokencache.begin()
        sql = (
            f"SELECT {rawsql.select_list(ApiToken, 't')}, "
            f"{rawsql.select_list(Membership, 'm')}, "
            f"{rawsql.select_list(user_model, 'u')}, {rawsql.select_list(Organisation, 'o')} "
            f"FROM {rawsql.table(ApiToken)} t "
            f"JOIN {rawsql.table(Membership)} m ON m.id = t.membership_id "
            f"JOIN {rawsql.table(user_model)} u ON u.id = m.user_id "
            f"JOIN {rawsql.table(Organisation)} o ON o.id = m.organisation_id "
            "WHERE t.token_hash = %s AND t.revoked_at IS NULL AND m.is_active AND u.is_active "
            "AND o.is_active"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [key])
            found = cursor.fetchone()
        if found is None:
            return None
        row = found
    (t, m, u, o), _rest = rawsql.split(row, ApiToken, Membership, user_model, Organisation)
    token = rawsql.build(ApiToken, t)
    membership = rawsql.build(Membership, m)
    rawsql.relate(membership, "user", rawsql.build(user_model, u))
    rawsql.relate(membership, "organisation", rawsql.build(Organisation, o))
    rawsql.relate(token, "membership", membership)
    assert isinstance(token, ApiToken)
    if entry is not None:
        token.last_used_at = entry.last_used_at
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
        if entry is not None:
            entry.last_used_at = now
    if entry is None:
        tokencache.put(key, row, generation, token.last_used_at)
    return token
