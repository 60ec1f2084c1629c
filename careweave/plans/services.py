"""Writes to plans and crisis plans. Pages, the API and the demo all call these.

Each service is keyword-only with ``actor`` first, runs in one
:func:`careweave.core.db.atomic` block, asks the gate for its own action
(``careweave.access.policy.POLICY``), checks the plan's version (the ETag: a stale one is
a :class:`~careweave.core.errors.StaleVersion`, nothing written), and writes its audit
event, its :class:`~careweave.plans.models.PlanChange` (who, what, why) and, for the
events the care team needs to know about, a timeline entry, all in that transaction.

A content change to an agreed plan makes it a draft again; the agreed versions stay as
they were (:class:`~careweave.plans.models.PlanVersion`). An action's status is delivery,
not content: moving it does not make a draft.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, connection
from django.utils import timezone
from django.utils.translation import gettext as _

from careweave.access.gate import Action, Basis, Decision, deny, require
from careweave.audit.models import AuditEvent
from careweave.audit.services import audit_record
from careweave.core.context import Actor
from careweave.core.db import atomic
from careweave.core.errors import DuplicateRecord, NotPermitted, StaleVersion, ValidationFailed
from careweave.core.text import has_visible_text
from careweave.orgs.models import Membership
from careweave.people.models import Person
from careweave.people.timeline import timeline_add
from careweave.plans import rules, selectors, states, versions
from careweave.plans.models import (
    AgreementMethod,
    CrisisContact,
    CrisisPlan,
    GivenBy,
    Goal,
    GoalRating,
    OrganisationAgreement,
    Participant,
    Plan,
    PlanAction,
    PlanChange,
    PlanLanguage,
    PlanSection,
    PlanType,
    PlanVersion,
    Review,
)

LIMITS = {
    "situation": 5000, "what_matters": 2000, "contingency": 3000, "own_words": 1000,
    "measurable": 500, "level": 300, "description": 500, "heading": 200, "body": 5000,
    "name": 200, "role": 200, "reason": 500, "note": 1000, "account": 5000, "comment": 500,
    "crisis": 3000, "phone": 40, "contact_notes": 300, "key": 100,
}
MAX_GOALS = 20
MAX_ACTIONS = 60
MAX_CONTACTS = 8
CRISIS_FIELDS = ("early_warning_signs", "triggers", "what_helps", "others_do", "others_avoid",
                 "medication_notes", "advance_statements")
_PHONE = re.compile(r"^[0-9+() \-]{3,40}$")


class VersionNotFound(ValidationFailed):
    """A version of a plan the reader may see that does not exist."""

    status = 404
    title = "Not found"


# -- checking input ------------------------------------------------------------------------------


class Input:
    """Collects every problem with the input before anything is written."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def check(self) -> None:
        if self.errors:
            raise ValidationFailed(_("Check the highlighted fields."), errors=self.errors)

    def text(self, value: Any, name: str, limit: int, *, required: bool = False,
             multiline: bool = True, minimum: int = 1) -> str:
        """NFC text; line breaks kept for multi-line fields, spaces collapsed. HTML is text
        like any other: pages escape it."""
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.fail(name, _("Enter text."))
            return ""
        value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
        if multiline:
            lines = [" ".join(line.split()) for line in value.split("\n")]
            value = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
        else:
            value = " ".join(value.split())
        if "\x00" in value:
            self.fail(name, _("Remove the invalid character."))
            return ""
        if "\ufffd" in value:
            self.fail(name, _("Some characters could not be read. Type the text again."))
            return ""
        if len(value) > limit:
            self.fail(name, _("Must be %(limit)d characters or fewer.") % {"limit": limit})
            return value[:limit]
        if required and not has_visible_text(value, minimum):
            self.fail(name, _("This is required.") if not value else
                      _("Write at least %(n)d letters or digits.") % {"n": minimum})
        return value

    def day(self, value: Any, name: str, *, required: bool = False,
            past_only: bool = False) -> dt.date | None:
        if value in (None, ""):
            if required:
                self.fail(name, _("Enter a date."))
            return None
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value.strip())
            except ValueError:
                self.fail(name, _("Enter a real date, like 2026-03-27."))
                return None
        if not isinstance(value, dt.date):
            self.fail(name, _("Enter a real date, like 2026-03-27."))
            return None
        today = timezone.localdate()
        problem = rules.date_problem(value, today, past_only=past_only)
        if problem == "too_early":
            self.fail(name, _("Enter a date from 1900 onwards."))
        elif problem == "too_late":
            self.fail(name, _("Enter a date no later than today.") if past_only else
                      _("Enter a date no later than %(date)s.")
                      % {"date": (today + rules.AHEAD).isoformat()})
        return value if problem is None else None

    def choice(self, value: Any, name: str, choices: Iterable[str], message: str) -> str:
        value = "" if value is None else str(value)
        if value not in set(choices):
            self.fail(name, message)
            return ""
        return value

    def ref(self, value: Any, name: str, message: str) -> uuid.UUID | None:
        if value in (None, ""):
            return None
        try:
            return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
        except (ValueError, AttributeError):
            self.fail(name, message)
            return None

    def key(self, value: Any) -> str:
        return self.text(value, "idempotency_key", LIMITS["key"], multiline=False)


def _full_name(actor: Actor) -> str:
    name = getattr(actor.user, "get_full_name", None)
    return str(name()) if callable(name) else ""


def _pg() -> bool:
    return connection.vendor == "postgresql"


# -- the plan, locked, at the version the writer read ------------------------------------------


def _plan_for_change(actor: Actor, person_id: Any, plan_id: Any, action: Action, *,
                     expected_version: int | None, object_type: str = "Plan",
                     object_id: str = "", allow_closed: bool = False
                     ) -> tuple[Person, Decision, Plan]:
    """Inside the service's transaction: the gate for ``action``, then the plan (locked on
    PostgreSQL), which must be this person's, open, and at the version the writer read."""
    person, decision = require(actor, person_id, action, audit_action="update",
                               object_type=object_type, object_id=object_id or str(plan_id)[:64],
                               for_update=True)
    try:
        pid = plan_id if isinstance(plan_id, uuid.UUID) else uuid.UUID(str(plan_id))
    except ValueError:
        deny(actor, person.pk, "update", Basis.NOT_FOUND, "Plan", str(plan_id)[:64])
    qs = Plan.objects.select_related("coordinating_organisation", "coordinator__user")
    if _pg():
        qs = qs.select_for_update(of=("self",))
    plan = qs.filter(pk=pid, person=person).first()
    if plan is None:
        deny(actor, person.pk, "update", Basis.NOT_FOUND, "Plan", str(pid))
    assert plan is not None
    if expected_version is not None and plan.version != expected_version:
        raise StaleVersion(
            _("Someone else changed this plan after you opened it, so your change has not "
              "been saved. Open the plan again to see what they changed, then make your "
              "change again."), extra={"current_version": plan.version})
    if plan.closed_at is not None and not allow_closed:
        raise ValidationFailed(_("This plan has been closed, so it can no longer change."))
    return person, decision, plan


def _record(actor: Actor, person: Person, decision: Decision, plan: Plan, *, kind: str,
            object_type: str, object_id: Any, fields: Iterable[str] = (), reason: str = "",
            content: bool = True, sensitive: bool = False,
            audit_action: str = AuditEvent.Action.UPDATE) -> None:
    """One change to a plan: bump its version (and make an agreed plan a draft when the
    content changed), log who/what/why, audit it."""
    plan.version += 1
    if content and plan.agreed_version:
        plan.status = Plan.Status.DRAFT
    plan.save(update_fields=["version", "status", "updated_at"])
    membership = actor.membership
    PlanChange.objects.create(
        plan=plan, person=person, revision=plan.version, at=timezone.now(), kind=kind,
        object_id=str(object_id)[:64], fields=sorted(set(fields)), sensitive=sensitive,
        reason=reason, membership=membership,
        organisation_id=membership.organisation_id if membership else None,
        staff_name=_full_name(actor) if membership else "",
        organisation_name=membership.organisation.name if membership else "",
    )
    audit_record(actor=actor, action=audit_action, person_id=person.pk,
                 object_type=object_type, object_id=str(object_id),
                 purpose=decision.purpose, legal_basis=str(decision.basis),
                 detail={"change": kind, "plan": str(plan.pk), "fields": sorted(set(fields))})


def _may_see(person: Person) -> dict[uuid.UUID, Any]:
    return selectors.organisations_that_may_see(person)


def _organisation(inp: Input, person: Person, value: Any, name: str, may_see: dict[uuid.UUID, Any],
                  *, required: bool = True) -> Any:
    """An organisation the gate lets see the person, or an error on ``name``."""
    oid = inp.ref(value, name, _("Choose an organisation from the list."))
    if oid is None:
        if required and not inp.errors.get(name):
            inp.fail(name, _("Choose an organisation."))
        return None
    org = may_see.get(oid)
    if org is None:
        inp.fail(name, _("That organisation cannot see this person's record (it is not on "
                         "the care team, or the person's consent does not cover it), so it "
                         "cannot be given a part in the plan."))
    return org


def _staff(inp: Input, value: Any, name: str, organisation: Any, *,
           professional: bool = False) -> Membership | None:
    sid = inp.ref(value, name, _("Choose a staff member from the list."))
    if sid is None or organisation is None:
        return None
    staff = selectors.staff_of([organisation.pk], professionals=professional).filter(pk=sid).first()
    if staff is None:
        inp.fail(name, _("Choose a staff member of that organisation."))
    return staff


# -- the plan --------------------------------------------------------------------------------


def _plan_fields(inp: Input, data: Mapping[str, Any], person: Person,
                 may_see: dict[uuid.UUID, Any], *, partial: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    known = {"language", "situation", "what_matters", "coordinating_organisation_id",
             "coordinator_id", "follow_up_date", "contingency"}
    for name in sorted(set(data) - known - {"plan_type", "idempotency_key"}):
        inp.fail(name[:60], _("Unknown field."))
    if "language" in data or not partial:
        out["language"] = inp.choice(data.get("language") or PlanLanguage.EN, "language",
                                     PlanLanguage.values, _("Choose English or Swedish."))
    for name in ("situation", "what_matters", "contingency"):
        if name in data or not partial:
            out[name] = inp.text(data.get(name), name, LIMITS[name])
    if "follow_up_date" in data or not partial:
        out["follow_up_date"] = inp.day(data.get("follow_up_date"), "follow_up_date")
    if "coordinating_organisation_id" in data or not partial:
        out["coordinating_organisation"] = _organisation(
            inp, person, data.get("coordinating_organisation_id"),
            "coordinating_organisation_id", may_see)
    if "coordinator_id" in data or "coordinating_organisation" in out:
        org = out.get("coordinating_organisation")
        out["coordinator"] = _staff(inp, data.get("coordinator_id"), "coordinator_id", org,
                                    professional=True) if data.get("coordinator_id") else None
    return out


def plan_create(*, actor: Actor, person_id: uuid.UUID | str, data: Mapping[str, Any],
                idempotency_key: str = "") -> Plan:
    """A new plan (a draft). One open plan per person and type of plan."""
    inp = Input()
    plan_type = inp.choice(data.get("plan_type"), "plan_type", PlanType.values,
                           _("Choose the type of plan: SIP, care and support plan or mental "
                             "health care plan."))
    key = inp.key(idempotency_key)
    with atomic():
        person, decision = require(actor, person_id, Action.CHANGE_PLAN, audit_action="create",
                                   object_type="Plan", for_update=True)
        if key:
            replay = Plan.objects.filter(person=person, idempotency_key=key).first()
            if replay is not None:
                return replay
        fields = _plan_fields(inp, data, person, _may_see(person), partial=False)
        inp.check()
        if Plan.objects.filter(person=person, plan_type=plan_type, closed_at__isnull=True).exists():
            raise DuplicateRecord(_("%(name)s already has an open %(type)s. Change that plan, "
                                    "or close it before starting a new one.")
                                  % {"name": person.display_name,
                                     "type": str(PlanType(plan_type).label).lower()},
                                  errors={"plan_type": [_("There is already an open plan of "
                                                          "this type.")]})
        try:
            with atomic():
                plan = Plan.objects.create(person=person, plan_type=plan_type,
                                           created_by=actor.membership, idempotency_key=key,
                                           **fields)
        except IntegrityError:  # a simultaneous create of the same type
            raise DuplicateRecord(_("There is already an open plan of this type."),
                                  errors={"plan_type": [_("There is already an open plan of "
                                                          "this type.")]}) from None
        PlanChange.objects.create(
            plan=plan, person=person, revision=plan.version, at=timezone.now(), kind="created",
            object_id=str(plan.pk), membership=actor.membership,
            organisation_id=actor.organisation_id, staff_name=_full_name(actor),
            organisation_name=actor.membership.organisation.name if actor.membership else "")
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, person_id=person.pk,
                     object_type="Plan", object_id=str(plan.pk), purpose=decision.purpose,
                     legal_basis=str(decision.basis),
                     detail={"change": "plan_create", "plan_type": plan_type})
        timeline_add(actor=actor, person_id=person.pk, kind="plans.created", object_type="Plan",
                     object_id=str(plan.pk),
                     data={"plan_type": plan_type,
                           "coordinator": plan.coordinating_organisation.name})
    return plan


def plan_update(*, actor: Actor, person_id: uuid.UUID | str, plan_id: uuid.UUID | str,
                expected_version: int | None, changes: Mapping[str, Any],
                reason: str = "") -> Plan:
    inp = Input()
    reason = inp.text(reason, "reason", LIMITS["reason"], multiline=False)
    with atomic():
        person, decision, plan = _plan_for_change(actor, person_id, plan_id, Action.CHANGE_PLAN,
                                                  expected_version=expected_version)
        fields = _plan_fields(inp, changes, person, _may_see(person), partial=True)
        inp.check()
        changed = [name for name, value in fields.items() if getattr(plan, name) != value]
        for name in changed:
            setattr(plan, name, fields[name])
        if changed:
            plan.save(update_fields=changed)
            _record(actor, person, decision, plan, kind="plan_changed", object_type="Plan",
                    object_id=plan.pk, fields=changed, reason=reason,
                    content=set(changed) != {"follow_up_date"})
    return plan


def plan_close(*, actor: Actor, person_id: uuid.UUID | str, plan_id: uuid.UUID | str,
               expected_version: int | None, reason: str) -> Plan:
    inp = Input()
    reason = inp.text(reason, "reason", LIMITS["reason"], multiline=False, required=True,
                      minimum=5)
    inp.check()
    with atomic():
        person, decision, plan = _plan_for_change(actor, person_id, plan_id, Action.CHANGE_PLAN,
                                                  expected_version=expected_version)
        plan.closed_at = timezone.now()
        plan.closed_reason = reason
        plan.save(update_fields=["closed_at", "closed_reason"])
        _record(actor, person, decision, plan, kind="plan_closed", object_type="Plan",
                object_id=plan.pk, reason=reason, content=False)
        timeline_add(actor=actor, person_id=person.pk, kind="plans.closed", object_type="Plan",
                     object_id=str(plan.pk), data={"plan_type": plan.plan_type, "reason": reason})
    return plan


# -- goals --------------------------------------------------------------------------------------


def _goal_fields(inp: Input, data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    known = {"kind", "own_words", "measurable", "target_date", *rules.GAS_LEVELS}
    for name in sorted(set(data) - known):
        inp.fail(name[:60], _("Unknown field."))
    if "kind" in data or not partial:
        out["kind"] = inp.choice(data.get("kind") or Goal.Kind.SUB, "kind", Goal.Kind.values,
                                 _("Choose the overall goal or a goal."))
    if "own_words" in data or not partial:
        out["own_words"] = inp.text(data.get("own_words"), "own_words", LIMITS["own_words"],
                                    required=True, minimum=3)
    if "measurable" in data or not partial:
        out["measurable"] = inp.text(data.get("measurable"), "measurable",
                                     LIMITS["measurable"], required=True, minimum=3,
                                     multiline=False)
    if "target_date" in data or not partial:
        out["target_date"] = inp.day(data.get("target_date"), "target_date", required=True)
    for name in rules.GAS_LEVELS:
        if name in data or not partial:
            out[name] = inp.text(data.get(name), name, LIMITS["level"], required=True,
                                 multiline=False)
    return out


def _overall_taken(plan: Plan, exclude: uuid.UUID | None = None) -> bool:
    qs = Goal.objects.filter(plan=plan, kind=Goal.Kind.OVERALL, removed_at__isnull=True)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.exists()


def goal_add(*, actor: Actor, person_id: uuid.UUID | str, plan_id: uuid.UUID | str,
             expected_version: int | None, data: Mapping[str, Any], reason: str = "",
             idempotency_key: str = "") -> Goal:
    inp = Input()
    fields = _goal_fields(inp, data, partial=False)
    reason = inp.text(reason, "reason", LIMITS["reason"], multiline=False)
    key = inp.key(idempotency_key)
    inp.check()
    with atomic():
        replay = _replay(Goal, actor, person_id, plan_id, key, Action.CHANGE_PLAN, "Goal")
        if replay is not None:
            return replay  # type: ignore[no-any-return]
        person, decision, plan = _plan_for_change(actor, person_id, plan_id, Action.CHANGE_PLAN,
                                                  expected_version=expected_version,
                                                  object_type="Goal")
        if fields["kind"] == Goal.Kind.OVERALL and _overall_taken(plan):
            raise ValidationFailed(_("Check the highlighted fields."), errors={
                "kind": [_("This plan already has an overall goal. Change that one instead.")]})
        count = Goal.objects.filter(plan=plan, removed_at__isnull=True).count()
        if count >= MAX_GOALS:
            raise ValidationFailed(_("A plan can have at most %(n)d goals.") % {"n": MAX_GOALS})
        goal = Goal.objects.create(plan=plan, person=person, position=count + 1,
                                   idempotency_key=key, **fields)
        _record(actor, person, decision, plan, kind="goal_added", object_type="Goal",
                object_id=goal.pk, fields=fields, reason=reason)
    return goal


def _plain_uuid(value: Any) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def _replay(model: Any, actor: Actor, person_id: Any, plan_id: Any, key: str,
            action: Action, object_type: str) -> Any:
    """What an earlier request with this idempotency key made, if any (after the gate)."""
    pid, plan = _plain_uuid(person_id), _plain_uuid(plan_id)
    if not key or pid is None or plan is None:
        return None
    found = model.objects.filter(plan_id=plan, person_id=pid, idempotency_key=key).first()
    if found is not None:
        require(actor, pid, action, audit_action="update", object_type=object_type)
    return found


def _goal_of(actor: Actor, person: Person, plan: Plan, goal_id: Any) -> Goal:
    gid = _plain_uuid(goal_id)
    goal = Goal.objects.filter(pk=gid, plan=plan, removed_at__isnull=True).first() if gid else None
    if goal is None:
        deny(actor, person.pk, "update", Basis.NOT_FOUND, "Goal", str(goal_id)[:64])
    assert goal is not None
    return goal


def goal_update(*, actor: Actor, person_id: uuid.UUID | str, plan_id: uuid.UUID | str,
                goal_id: uuid.UUID | str, expected_version: int | None,
                changes: Mapping[str, Any], reason: str = "") -> Goal:
    inp = Input()
    fields = _goal_fields(inp, changes, partial=True)
    reason = inp.text(reason, "reason", LIMITS["reason"], multiline=False)
    inp.check()
    with atomic():
        person, decision, plan = _plan_for_change(actor, person_id, plan_id, Action.CHANGE_PLAN,
                                                  expected_version=expected_version,
                                                  object_type="Goal", object_id=str(goal_id))
        goal = _goal_of(actor, person, plan, goal_id)
        changed = [n for n, v in fields.items() if getattr(goal, n) != v]
        if fields.get("kind") == Goal.Kind.OVERALL and "kind" in changed and \
                _overall_taken(plan, exclude=goal.pk):
            raise ValidationFailed(_("Check the highlighted fields."), errors={
                "kind": [_("This plan already has an overall goal. Change that one instead.")]})
        levels = [n for n in changed if n in rules.GAS_LEVELS]
        if levels and GoalRating.objects.filter(goal=goal).exists():
            raise ValidationFailed(_("Check the highlighted fields."), errors={
                name: [_("This goal has been rated at a follow-up, so what its scores mean "
                         "cannot change any more. Add a new goal instead.")] for name in levels})
        for name in changed:
            setattr(goal, name, fields[name])
        if changed:
            goal.save(update_fields=changed)
            _record(actor, person, decision, plan, kind="goal_changed", object_type="Goal",
                    object_id=goal.pk, fields=changed, reason=reason)
    return goal


def goal_remove(*, actor: Actor, person_id: uuid.UUID | str, plan_id: uuid.UUID | str,
                goal_id: uuid.UUID | str, expected_version: int | None, reason: str) -> Goal:
    inp = Input()
    reason = inp.text(reason, "reason", LIMITS["reason"], multiline=False, required=True,
                      minimum=5)
    inp.check()
    with atomic():
        person, decision, plan = _plan_for_change(actor, person_id, plan_id, Action.CHANGE_PLAN,
                                                  expected_version=expected_version,
                                                  object_type="Goal", object_id=str(goal_id))
        goal = _goal_of(actor, person, plan, goal_id)
        if PlanAction.objects.filter(goal=goal, removed_at__isnull=True).exists():
            raise ValidationFailed(_("Actions still work towards this goal. Remove them, or "
                                     "move them to another goal, first."))
        goal.removed_at = timezone.now()
        goal.save(update_fields=["removed_at"])
        _record(actor, person, decision, plan, kind="goal_removed", object_type="Goal",
                object_id=goal.pk, reason=reason)
    return goal


# -- actions ------------------------------------------------------------------------------------


def _action_fields(inp: Input, data: Mapping[str, Any], person: Person, plan: Plan,
                   may_see: dict[uuid.UUID, Any], *, partial: bool,
                   current: PlanAction | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    known = {"description", "organisation_id", "staff_id", "goal_id", "start_date", "due_date"}
    for name in sorted(set(data) - known):
        inp.fail(name[:60], _("Unknown field."))
    if "description" in data or not partial:
        out["description"] = inp.text(data.get("description"), "description",
                                      LIMITS["description"], required=True, minimum=3)
    if "organisation_id" in data or not partial:
        out["organisation"] = _organisation(inp, person, data.get("organisation_id"),
                                            "organisation_id", may_see)
    if "staff_id" in data or "organisation" in out:
        org = out.get("organisation") or (current.organisation if current else None)
        out["staff"] = _staff(inp, data.get("staff_id"), "staff_id", org) \
            if data.get("staff_id") else None
    if "goal_id" in data or not partial:
        gid = inp.ref(data.get("goal_id"), "goal_id", _("Choose a goal of this plan."))
        goal = None
        if gid is not None:
            goal = Goal.objects.filter(pk=gid, plan=plan, removed_at__isnull=True).first()
            if goal is None:
                inp.fail("goal_id", _("Choose a goal of this plan."))
        out["goal"] = goal
    for name in ("start_date", "due_date"):
        if name in data or not partial:
            out[name] = inp.day(data.get(name), name)
    start = out.get("start_date", current.start_date if current else None)
    due = out.get("due_date", current.due_date if current else None)
    if start and due and due < start and not inp.errors.get("due_date"):
        inp.fail("due_date", _("The due date must be on or after the start date."))
    return out


def action_add(*, actor: Actor, person_id: uuid.UUID | str, plan_id: uuid.UUID | str,
               expected_version: int | None, data: Mapping[str, Any], reason: str = "",
               idempotency_key: str = "") -> PlanAction:
    """An action owned by an organisation the gate lets see the person."""
    inp = Input()
    reason = inp.text(reason, "reason", LIMITS["reason"], multiline=False)
    key = inp.key(idempotency_key)
    with atomic():
        replay = _replay(PlanAction, actor, person_id, plan_id, key, Action.CHANGE_PLAN,
                         "PlanAction")
        if replay is not None:
            return replay  # type: ignore[no-any-return]
        person, decision, plan = _plan_for_change(actor, person_id, plan_id, Action.CHANGE_PLAN,
                                                  expected_version=expected_version,
                                                  object_type="PlanAction")
        fields = _action_fields(inp, data, person, plan, _may_see(person), partial=False)
        inp.check()
        count = PlanAction.objects.filter(plan=plan, removed_at__isnull=True).count()
        if count >= MAX_ACTIONS:
            raise ValidationFailed(_("A plan can have at most %(n)d actions.") % {"n": MAX_ACTIONS})
        action = PlanAction.objects.create(plan=plan, person=person, position=count + 1,
                                           idempotency_key=key, **fields)
        _record(actor, person, decision, plan, kind="action_added", object_type="PlanAction",
                object_id=action.pk, fields=[n for n in fields if fields[n] not in (None, "")],
                reason=reason)
    return action


def _action_of(actor: Actor, person: Person, plan: Plan, action_id: Any) -> PlanAction:
    aid = _plain_uuid(action_id)
    qs = PlanAction.objects.select_related("organisation", "goal")
    if _pg():
        qs = qs.select_for_update(of=("self",))
    action = qs.filter(pk=aid, plan=plan, removed_at__isnull=True).first() if aid else None
    if action is None:
        deny(actor, person.pk, "update", Basis.NOT_FOUND, "PlanAction", str(action_id)[:64])
    assert action is not None
    return action


def action_update(*, actor: Actor, person_id: uuid.UUID | str, plan_id: uuid.UUID | str,
                  action_id: uuid.UUID | str, expected_version: int | None,
                  changes: Mapping[str, Any], reason: str = "") -> PlanAction:
    inp = Input()
    reason = inp.text(reason, "reason", LIMITS["reason"], multiline=False)
    with atomic():
        person, decision, plan = _plan_for_change(actor, person_id, plan_id, Action.CHANGE_PLAN,
                                                  expected_version=expected_version,
                                                  object_type="PlanAction",
                                                  object_id=str(action_id))
        action = _action_of(actor, person, plan, action_id)
        fields = _action_fields(inp, changes, person, plan, _may_see(person), partial=True,
                                current=action)
        inp.check()
        changed = [n for n, v in fields.items() if getattr(action, n) != v]
        for name in changed:
            setattr(action, name, fields[name])
        if changed:
            action.save(update_fields=changed)
            _record(actor, person, decision, plan, kind="action_changed",
                    object_type="PlanAction", object_id=action.pk, fields=changed, reason=reason)
    return action


def action_remove(*, actor: Actor, person_id: uuid.UUID | str, plan_id: uuid.UUID | str,
                  action_id: uuid.UUID | str, expected_version: int | None,
                  reason: str) -> PlanAction:
    inp = Input()
    reason = inp.text(reason, "reason", LIMITS["reason"], multiline=False, required=True,
                      minimum=5)
    inp.check()
    with atomic():
        person, decision, plan = _plan_for_change(actor, person_id, plan_id, Action.CHANGE_PLAN,
                                                  expected_version=expected_version,
                                                  object_type="PlanAction",
                                                  object_id=str(action_id))
        action = _action_of(actor, person, plan, action_id)
        action.removed_at = timezone.now()
        action.save(update_fields=["removed_at"])
        _record(actor, person, decision, plan, kind="action_removed", object_type="PlanAction",
                object_id=action.pk, reason=reason)
    return action


def parties_of(actor: Actor, plan: Plan, action: PlanAction) -> frozenset[states.Party]:
    from careweave.access.policy import PROFESSIONAL_ROLES

    return states.parties(actor_organisation=str(actor.organisation_id or ""),
                          owner_organisation=str(action.organisation_id),
                          coordinating_organisation=str(plan.coordinating_organisation_id),
                          professional=actor.role in PROFESSIONAL_ROLES)


def action_transition(*, actor: Actor, person_id: uuid.UUID | str, plan_id: uuid.UUID | str,
                      action_id: uuid.UUID | str, expected_version: int | None, status: str,
                      note: str = "") -> PlanAction:
    """Move an action along the state table (careweave.plans.states), as its owner or the
    plan's coordinator."""
    inp = Input()
    target = inp.choice(status, "status", [s.value for s in states.Status],
                        _("Choose a status from the list."))
    note = inp.text(note, "note", LIMITS["reason"], multiline=False)
    inp.check()
    with atomic():
        person, decision, plan = _plan_for_change(actor, person_id, plan_id,
                                                  Action.UPDATE_ACTION_STATUS,
                                                  expected_version=expected_version,
                                                  object_type="PlanAction",
                                                  object_id=str(action_id))
        action = _action_of(actor, person, plan, action_id)
        who = parties_of(actor, plan, action)
        if not states.may_move(action.status, target, who):
            labels = dict(PlanAction.Status.choices)
            if not who:
                message = _("Only %(owner)s, which is responsible for this action, or the "
                            "plan's coordinating organisation can change its status.") % {
                    "owner": action.organisation.name}
                raise NotPermitted(message, errors={"status": [message]})
            raise ValidationFailed(_("Check the highlighted fields."), errors={"status": [
                _("An action that is %(current)s cannot be marked %(target)s by you.") % {
                    "current": str(labels[action.status]).lower(),
                    "target": str(labels[target]).lower()}]})
        before = action.status
        action.status = target
        action.status_changed_at = timezone.now()
        action.status_note = note
        action.save(update_fields=["status", "status_changed_at", "status_note"])
        _record(actor, person, decision, plan, kind="action_status", object_type="PlanAction",
                object_id=action.pk, fields=["status"], reason=note, content=False)
        if target in (states.Status.DONE, states.Status.CANCELLED, states.Status.ON_HOLD):
            timeline_add(actor=actor, person_id=person.pk, kind="plans.action_status",
                         object_type="PlanAction", object_id=str(action.pk),
                         data={"description": action.description[:200],
                               "organisation": action.organisation.name, "before": before,
                               "after": target, "note": note})
    return action


# -- sections and participants ----------------------------------------------------------------


def _section_fields(inp: Input, data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in sorted(set(data) - {"heading", "body", "sensitive"}):
        inp.fail(name[:60], _("Unknown field."))
    if "heading" in data or not partial:
        out["heading"] = inp.text(data.get("heading"), "heading", LIMITS["heading"],
                                  required=True, multiline=False)
    if "body" in data or not partial:
        out["body"] = inp.text(data.get("body"), "body", LIMITS["body"], required=True)
    if "sensitive" in data or not partial:
        value = data.get("sensitive", False)
        if not isinstance(value, bool):
            inp.fail("sensitive", _("Say yes or no."))
        out["sensitive"] = bool(value)
    return out


def section_add(*, actor: Actor, person_id: uuid.UUID | str, plan_id: uuid.UUID | str,
                expected_version: int | None, data: Mapping[str, Any],
                reason: str = "") -> PlanSection:
    inp = Input()
    fields = _section_fields(inp, data, partial=False)
    reason = inp.text(reason, "reason", LIMITS["reason"], multiline=False)
    inp.check()
    with atomic():
        person, decision, plan = _plan_for_change(actor, person_id, plan_id, Action.CHANGE_PLAN,
                                                  expected_version=expected_version,
                                                  object_type="PlanSection")
        count = PlanSection.objects.filter(plan=plan, removed_at__isnull=True).count()
        section = PlanSection.objects.create(plan=plan, person=person, position=count + 1,
                                             organisation_id=actor.organisation_id, **fields)
        _record(actor, person, decision, plan, kind="section_added", object_type="PlanSection",
                object_id=section.pk, fields=fields, reason=reason, sensitive=section.sensitive)
    return section


def _section_of(actor: Actor, person: Person, decision: Decision, plan: Plan,
                section_id: Any) -> PlanSection:
    sid = _plain_uuid(section_id)
    section = (PlanSection.objects.filter(pk=sid, plan=plan, removed_at__isnull=True).first()
               if sid else None)
    if section is not None and section.sensitive:
        viewer = selectors.viewer_for(actor, person, decision, plan)
        if not rules.section_visible(viewer, sensitive=True,
                                     author_id=str(section.organisation_id or ""),
                                     sees_all=rules.sees_sensitive(viewer, timezone.now())):
            section = None  # withheld from this reader: as if it did not exist
    if section is None:
        deny(actor, person.pk, "update", Basis.NOT_FOUND, "PlanSection", str(section_id)[:64])
    assert section is not None
    return section


def section_update(*, actor: Actor, person_id: uuid.UUID | str, plan_id: uuid.UUID | str,
                   section_id: uuid.UUID | str, expected_version: int | None,
                   changes: Mapping[str, Any], reason: str = "") -> PlanSection:
    inp = Input()
    fields = _section_fields(inp, changes, partial=True)
    reason = inp.text(reason, "reason", LIMITS["reason"], multiline=False)
    inp.check()
    with atomic():
        person, decision, plan = _plan_for_change(actor, person_id, plan_id, Action.CHANGE_PLAN,
                                                  expected_version=expected_version,
                                                  object_type="PlanSection",
                                                  object_id=str(section_id))
        section = _section_of(actor, person, decision, plan, section_id)
        was_sensitive = section.sensitive
        changed = [n for n, v in fields.items() if getattr(section, n) != v]
        for name in changed:
            setattr(section, name, fields[name])
        if changed:
            section.save(update_fields=changed)
            _record(actor, person, decision, plan, kind="section_changed",
                    object_type="PlanSection", object_id=section.pk, fields=changed,
                    reason=reason, sensitive=was_sensitive or section.sensitive)
    return section


def section_remove(*, actor: Actor, person_id: uuid.UUID | str, plan_id: uuid.UUID | str,
                   section_id: uuid.UUID | str, expected_version: int | None,
                   reason: str) -> PlanSection:
    inp = Input()
    reason = inp.text(reason, "reason", LIMITS["reason"], multiline=False, required=True,
                      minimum=5)
    inp.check()
    with atomic():
        person, decision, plan = _plan_for_change(actor, person_id, plan_id, Action.CHANGE_PLAN,
                                                  expected_version=expected_version,
                                                  object_type="PlanSection",
                                                  object_id=str(section_id))
        section = _section_of(actor, person, decision, plan, section_id)
        section.removed_at = timezone.now()
        section.save(update_fields=["removed_at"])
        _record(actor, person, decision, plan, kind="section_removed",
                object_type="PlanSection", object_id=section.pk, reason=reason,
                sensitive=section.sensitive)
    return section


def participant_add(*, actor: Actor, person_id: uuid.UUID | str, plan_id: uuid.UUID | str,
                    expected_version: int | None, data: Mapping[str, Any]) -> Participant:
    """Someone who took part in planning: the person, relatives, an advocate, an
    interpreter, staff (by organisation)."""
    inp = Input()
    for name in sorted(set(data) - {"kind", "name", "organisation_id", "role"}):
        inp.fail(name[:60], _("Unknown field."))
    kind = inp.choice(data.get("kind"), "kind", Participant.Kind.values,
                      _("Choose who took part."))
    name = inp.text(data.get("name"), "name", LIMITS["name"], required=True, multiline=False)
    role = inp.text(data.get("role"), "role", LIMITS["role"], multiline=False)
    with atomic():
        person, decision, plan = _plan_for_change(actor, person_id, plan_id, Action.CHANGE_PLAN,
                                                  expected_version=expected_version,
                                                  object_type="Participant")
        org = None
        if data.get("organisation_id") or kind == Participant.Kind.STAFF:
            org = _organisation(inp, person, data.get("organisation_id"), "organisation_id",
                                _may_see(person), required=kind == Participant.Kind.STAFF)
        inp.check()
        participant = Participant.objects.create(plan=plan, person=person, kind=kind, name=name,
                                                 role=role, organisation=org)
        _record(actor, person, decision, plan, kind="participant_added",
                object_type="Participant", object_id=participant.pk,
                fields=["kind", "name", "role"] + (["organisation"] if org else []))
    return participant


def participant_remove(*, actor: Actor, person_id: uuid.UUID | str, plan_id: uuid.UUID | str,
                       participant_id: uuid.UUID | str,
                       expected_version: int | None) -> Participant:
    with atomic():
        person, decision, plan = _plan_for_change(actor, person_id, plan_id, Action.CHANGE_PLAN,
                                                  expected_version=expected_version,
                                                  object_type="Participant",
                                                  object_id=str(participant_id))
        pid = _plain_uuid(participant_id)
        participant = Participant.objects.filter(pk=pid, plan=plan,
                                                 removed_at__isnull=True).first() if pid else None
        if participant is None:
            deny(actor, person.pk, "update", Basis.NOT_FOUND, "Participant",
                 str(participant_id)[:64])
        assert participant is not None
        participant.removed_at = timezone.now()
        participant.save(update_fields=["removed_at"])
        _record(actor, person, decision, plan, kind="participant_removed",
                object_type="Participant", object_id=participant.pk)
    return participant


# -- agreement and versions --------------------------------------------------------------------


def plan_agree(*, actor: Actor, person_id: uuid.UUID | str, plan_id: uuid.UUID | str,
               expected_version: int | None, given_by: str, method: str,
               agreed_on: dt.date | str | None = None, representative_name: str = "",
               note: str = "", idempotency_key: str = "") -> PlanVersion:
    """The person (or their representative) agrees to the plan as it reads now: a new
    version is frozen. Agreeing to a plan already agreed, with no change since, is refused
    (409); a replay with the same idempotency key gets the version it made."""
    inp = Input()
    given_by = inp.choice(given_by, "given_by", GivenBy.values,
                          _("Say who agreed: the person or a representative."))
    method = inp.choice(method, "method", AgreementMethod.values, _("Say how they agreed."))
    representative_name = inp.text(representative_name, "representative_name", LIMITS["name"],
                                   multiline=False,
                                   required=given_by == GivenBy.REPRESENTATIVE)
    day = inp.day(agreed_on or timezone.localdate(), "agreed_on", past_only=True)
    note = inp.text(note, "note", LIMITS["note"])
    key = inp.key(idempotency_key)
    inp.check()
    assert day is not None
    with atomic():
        replay = _replay(PlanVersion, actor, person_id, plan_id, key, Action.AGREE_PLAN,
                         "PlanVersion")
        if replay is not None:
            return replay  # type: ignore[no-any-return]
        person, decision, plan = _plan_for_change(actor, person_id, plan_id, Action.AGREE_PLAN,
                                                  expected_version=expected_version,
                                                  object_type="PlanVersion")
        if plan.status == Plan.Status.AGREED:
            raise DuplicateRecord(_("Version %(n)d of this plan has already been agreed, and "
                                    "nothing has changed since. There is nothing new to agree.")
                                  % {"n": plan.agreed_version})
        live = selectors.content(plan)
        if not live.goals:
            raise ValidationFailed(_("Add at least one goal, in the person's words, before "
                                     "recording their agreement."))
        snap = selectors.snapshot(plan, live)
        number = plan.agreed_version + 1
        version = PlanVersion.objects.create(
            plan=plan, person=person, number=number, revision=plan.version + 1, snapshot=snap,
            given_by=given_by, representative_name=representative_name, method=method,
            agreed_on=day, note=note, recorded_by=actor.membership,
            organisation_name=actor.membership.organisation.name if actor.membership else "",
            idempotency_key=key)
        plan.agreed_version = number
        plan.status = Plan.Status.AGREED
        plan.save(update_fields=["agreed_version", "status"])
        _record(actor, person, decision, plan, kind="agreed", object_type="PlanVersion",
                object_id=version.pk, reason=note[:500], content=False)
        timeline_add(actor=actor, person_id=person.pk, kind="plans.agreed",
                     object_type="PlanVersion", object_id=str(version.pk),
                     data={"plan_type": plan.plan_type, "number": number, "given_by": given_by,
                           "representative_name": representative_name, "method": method,
                           "agreed_on": day.isoformat()})
    return version


def actions_agree(*, actor: Actor, person_id: uuid.UUID | str, plan_id: uuid.UUID | str,
                  expected_version: int | None) -> OrganisationAgreement:
    """The actor's organisation agrees to carry out its actions as they read now."""
    with atomic():
        person, decision, plan = _plan_for_change(actor, person_id, plan_id, Action.AGREE_PLAN,
                                                  expected_version=expected_version,
                                                  object_type="OrganisationAgreement")
        live = selectors.content(plan)
        snap = selectors.snapshot(plan, live)
        org = str(actor.organisation_id)
        if not any(str(a.organisation_id) == org for a in live.actions):
            raise ValidationFailed(_("Your organisation has no actions in this plan to agree "
                                     "to."))
        digest = versions.actions_digest(snap["actions"], org)
        if OrganisationAgreement.objects.filter(plan=plan, organisation_id=org,
                                                digest=digest).exists():
            raise DuplicateRecord(_("Your organisation has already agreed to its actions as "
                                    "they read now."))
        agreement = OrganisationAgreement.objects.create(
            plan=plan, person=person, organisation_id=org,
            agreed_by=actor.membership, agreed_at=timezone.now(), digest=digest)
        _record(actor, person, decision, plan, kind="organisation_agreed",
                object_type="OrganisationAgreement", object_id=agreement.pk, content=False)
    return agreement


# -- reviews -----------------------------------------------------------------------------------


def review_record(*, actor: Actor, person_id: uuid.UUID | str, plan_id: uuid.UUID | str,
                  expected_version: int | None, held_on: dt.date | str | None,
                  ratings: Iterable[Mapping[str, Any]], account: str = "",
                  next_follow_up: dt.date | str | None = None,
                  idempotency_key: str = "") -> Review:
    """A follow-up: each goal rated −2…+2 by the professional, and by the person if they
    wish; the plan's next follow-up date moves on."""
    inp = Input()
    day = inp.day(held_on, "held_on", required=True, past_only=True)
    account = inp.text(account, "account", LIMITS["account"])
    upcoming = inp.day(next_follow_up, "next_follow_up")
    if day and upcoming and upcoming <= day:
        inp.fail("next_follow_up", _("The next follow-up must be after this one."))
    key = inp.key(idempotency_key)
    raw = list(ratings)
    inp.check()
    with atomic():
        replay = _replay(Review, actor, person_id, plan_id, key, Action.REVIEW_PLAN, "Review")
        if replay is not None:
            return replay  # type: ignore[no-any-return]
        person, decision, plan = _plan_for_change(actor, person_id, plan_id, Action.REVIEW_PLAN,
                                                  expected_version=expected_version,
                                                  object_type="Review")
        goals = {g.pk: g for g in Goal.objects.filter(plan=plan, removed_at__isnull=True)}
        rows: list[GoalRating] = []
        seen: set[uuid.UUID] = set()
        for i, item in enumerate(raw):
            where = f"ratings.{i}"
            gid = _plain_uuid(item.get("goal_id"))
            if gid is None or gid not in goals:
                inp.fail(f"{where}.goal_id", _("That goal is not part of this plan: rate only "
                                               "this plan's goals."))
                continue
            if gid in seen:
                inp.fail(f"{where}.goal_id", _("Each goal can be rated once per follow-up."))
                continue
            seen.add(gid)
            professional = item.get("professional_score")
            own = item.get("person_score")
            if not rules.valid_score(professional):
                inp.fail(f"{where}.professional_score", _("Choose a score from −2 to +2."))
            if own is not None and not rules.valid_score(own):
                inp.fail(f"{where}.person_score", _("Choose a score from −2 to +2, or leave "
                                                    "it out if the person did not rate it."))
            comment = inp.text(item.get("comment"), f"{where}.comment", LIMITS["comment"],
                               multiline=False)
            score = professional if isinstance(professional, int) and rules.valid_score(
                professional) else 0
            rows.append(GoalRating(goal=goals[gid], person=person, professional_score=score,
                                   person_score=own, comment=comment))
        if not raw:
            inp.fail("ratings", _("Rate at least one goal."))
        inp.check()
        assert day is not None
        review = Review.objects.create(plan=plan, person=person, held_on=day, account=account,
                                       next_follow_up=upcoming, recorded_by=actor.membership,
                                       organisation_id=actor.organisation_id,
                                       idempotency_key=key)
        for row in rows:
            row.review = review
        GoalRating.objects.bulk_create(rows)
        if upcoming is not None:
            plan.follow_up_date = upcoming
            plan.save(update_fields=["follow_up_date"])
        _record(actor, person, decision, plan, kind="reviewed", object_type="Review",
                object_id=review.pk, fields=["ratings"], content=False,
                audit_action=AuditEvent.Action.CREATE)
        assert day is not None
        timeline_add(actor=actor, person_id=person.pk, kind="plans.reviewed",
                     object_type="Review", object_id=str(review.pk),
                     data={"plan_type": plan.plan_type, "held_on": day.isoformat(),
                           "goals": len(rows),
                           "next": upcoming.isoformat() if upcoming else ""})
    return review


# -- the relapse-prevention and crisis plan ----------------------------------------------------


def _crisis_fields(inp: Input, data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in sorted(set(data) - set(CRISIS_FIELDS) - {"plan_id"}):
        inp.fail(name[:60], _("Unknown field."))
    for name in CRISIS_FIELDS:
        if name in data or not partial:
            out[name] = inp.text(data.get(name), name, LIMITS["crisis"],
                                 required=name == "early_warning_signs", minimum=3)
    return out


def _contacts(inp: Input, contacts: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    out = []
    items = list(contacts)
    if len(items) > MAX_CONTACTS:
        inp.fail("contacts", _("List at most %(n)d people to contact.") % {"n": MAX_CONTACTS})
        return []
    for i, item in enumerate(items):
        where = f"contacts.{i}"
        for name in sorted(set(item) - {"name", "relationship", "phone", "notes"}):
            inp.fail(f"{where}.{name[:40]}", _("Unknown field."))
        name = inp.text(item.get("name"), f"{where}.name", LIMITS["name"], required=True,
                        multiline=False)
        phone = inp.text(item.get("phone"), f"{where}.phone", LIMITS["phone"], required=True,
                         multiline=False)
        if phone and not _PHONE.match(phone):
            inp.fail(f"{where}.phone", _("Enter a phone number, like 07700 900123 or "
                                         "070-123 45 67."))
        out.append({"name": name, "phone": phone,
                    "relationship": inp.text(item.get("relationship"), f"{where}.relationship",
                                             LIMITS["role"], multiline=False),
                    "notes": inp.text(item.get("notes"), f"{where}.notes",
                                      LIMITS["contact_notes"], multiline=False)})
    return out


def _write_contacts(crisis: CrisisPlan, person: Person, contacts: list[dict[str, str]]) -> None:
    CrisisContact.objects.filter(crisis_plan=crisis).delete()
    CrisisContact.objects.bulk_create([
        CrisisContact(crisis_plan=crisis, person=person, position=i, **c)
        for i, c in enumerate(contacts, start=1)])


def crisis_plan_create(*, actor: Actor, person_id: uuid.UUID | str, data: Mapping[str, Any],
                       contacts: Iterable[Mapping[str, Any]] = ()) -> CrisisPlan:
    inp = Input()
    fields = _crisis_fields(inp, data, partial=False)
    rows = _contacts(inp, contacts)
    inp.check()
    with atomic():
        person, decision = require(actor, person_id, Action.CHANGE_CRISIS_PLAN,
                                   audit_action="create", object_type="CrisisPlan",
                                   for_update=True)
        if CrisisPlan.objects.filter(person=person).exists():
            raise DuplicateRecord(_("%(name)s already has a crisis plan: change that one.")
                                  % {"name": person.display_name})
        plan = None
        if data.get("plan_id"):
            found = _plain_uuid(data["plan_id"])
            plan = Plan.objects.filter(pk=found, person=person).first() if found else None
            if plan is None:
                raise ValidationFailed(_("Check the highlighted fields."),
                                       errors={"plan_id": [_("Choose one of this person's "
                                                             "plans.")]})
        crisis = CrisisPlan.objects.create(person=person, plan=plan, updated_by=actor.membership,
                                           **fields)
        _write_contacts(crisis, person, rows)
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, person_id=person.pk,
                     object_type="CrisisPlan", object_id=str(crisis.pk), purpose=decision.purpose,
                     legal_basis=str(decision.basis), detail={"change": "crisis_plan_create"})
    return crisis


def _crisis_for_change(actor: Actor, person_id: Any, action: Action,
                       expected_version: int | None) -> tuple[Person, Decision, CrisisPlan]:
    person, decision = require(actor, person_id, action, audit_action="update",
                               object_type="CrisisPlan", for_update=True)
    qs = CrisisPlan.objects.all()
    if _pg():
        qs = qs.select_for_update()
    crisis = qs.filter(person=person).first()
    if crisis is None:
        raise ValidationFailed(_("%(name)s has no crisis plan yet. Write one first.")
                               % {"name": person.display_name})
    if expected_version is not None and crisis.version != expected_version:
        raise StaleVersion(_("Someone else changed this crisis plan after you opened it, so "
                             "your change has not been saved. Open it again, then make your "
                             "change again."), extra={"current_version": crisis.version})
    return person, decision, crisis


def crisis_plan_update(*, actor: Actor, person_id: uuid.UUID | str,
                       expected_version: int | None, data: Mapping[str, Any],
                       contacts: Iterable[Mapping[str, Any]] | None = None) -> CrisisPlan:
    inp = Input()
    fields = _crisis_fields(inp, data, partial=True)
    rows = _contacts(inp, contacts) if contacts is not None else None
    inp.check()
    with atomic():
        person, decision, crisis = _crisis_for_change(actor, person_id,
                                                      Action.CHANGE_CRISIS_PLAN,
                                                      expected_version)
        for name, value in fields.items():
            setattr(crisis, name, value)
        crisis.version += 1
        crisis.updated_by = actor.membership
        crisis.save()
        if rows is not None:
            _write_contacts(crisis, person, rows)
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                     object_type="CrisisPlan", object_id=str(crisis.pk), purpose=decision.purpose,
                     legal_basis=str(decision.basis),
                     detail={"change": "crisis_plan_update", "fields": sorted(fields),
                             "contacts": rows is not None})
    return crisis


def crisis_start(*, actor: Actor, person_id: uuid.UUID | str, note: str,
                 source: str = "staff") -> CrisisPlan:
    """A crisis is recorded (by staff, or by an alert through this service): the crisis plan
    is shown first, as a banner, on the person's pages until it is ended."""
    inp = Input()
    note = inp.text(note, "note", LIMITS["reason"], multiline=False, required=True, minimum=5)
    source = inp.choice(source, "source", ("staff", "alert"), _("Unknown source."))
    inp.check()
    with atomic():
        person, decision, crisis = _crisis_for_change(actor, person_id, Action.RECORD_CRISIS,
                                                      None)
        if crisis.crisis_since is not None:
            raise DuplicateRecord(_("A crisis is already recorded for %(name)s.")
                                  % {"name": person.display_name})
        crisis.crisis_since = timezone.now()
        crisis.crisis_note = note
        crisis.crisis_source = source
        crisis.crisis_recorded_by = actor.membership
        crisis.version += 1
        crisis.save()
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                     object_type="CrisisPlan", object_id=str(crisis.pk), purpose=decision.purpose,
                     legal_basis=str(decision.basis),
                     detail={"change": "crisis_start", "source": source})
        timeline_add(actor=actor, person_id=person.pk, kind="plans.crisis_started",
                     object_type="CrisisPlan", object_id=str(crisis.pk),
                     data={"note": note, "source": source})
    return crisis


def crisis_end(*, actor: Actor, person_id: uuid.UUID | str, note: str = "") -> CrisisPlan:
    inp = Input()
    note = inp.text(note, "note", LIMITS["reason"], multiline=False)
    inp.check()
    with atomic():
        person, decision, crisis = _crisis_for_change(actor, person_id, Action.RECORD_CRISIS,
                                                      None)
        if crisis.crisis_since is None:
            raise ValidationFailed(_("No crisis is recorded for %(name)s.")
                                   % {"name": person.display_name})
        crisis.crisis_since = None
        crisis.crisis_note = ""
        crisis.crisis_source = ""
        crisis.crisis_recorded_by = None
        crisis.version += 1
        crisis.save()
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, person_id=person.pk,
                     object_type="CrisisPlan", object_id=str(crisis.pk), purpose=decision.purpose,
                     legal_basis=str(decision.basis), detail={"change": "crisis_end"})
        timeline_add(actor=actor, person_id=person.pk, kind="plans.crisis_ended",
                     object_type="CrisisPlan", object_id=str(crisis.pk), data={"note": note})
    return crisis


def export_audited(*, actor: Actor, person_id: uuid.UUID | str, plan_id: uuid.UUID | str,
                   version: int | None, fmt: str, language: str) -> tuple[Person, Decision]:
    """May the actor take a copy of the plan? Audited as an export (the person's access log
    shows it)."""
    with atomic():
        person, decision = require(actor, person_id, Action.EXPORT_PLAN, audit_action="export",
                                   object_type="Plan", object_id=str(plan_id)[:64])
        audit_record(actor=actor, action=AuditEvent.Action.EXPORT, person_id=person.pk,
                     object_type="Plan", object_id=str(plan_id)[:64], purpose=decision.purpose,
                     legal_basis=str(decision.basis),
                     detail={"format": fmt, "language": language,
                             "version": version if version is not None else "draft"})
    return person, decision
