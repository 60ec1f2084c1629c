"""Reading the audit log: the privacy lead's viewer and the person's own access log."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from careweave.access.models import BreakGlass
from careweave.access.services import REVIEWER_ROLES, reviewable_break_glass
from careweave.audit.models import AuditEvent
from careweave.core.context import Actor
from careweave.core.errors import NotPermitted
from careweave.core.pagination import Page, keyset_page

PERSON_VISIBLE_ACTIONS = (
    AuditEvent.Action.READ,
    AuditEvent.Action.CREATE,
    AuditEvent.Action.UPDATE,
    AuditEvent.Action.EXPORT,
    AuditEvent.Action.BREAK_GLASS,
)


@dataclass(frozen=True)
class AccessLogEntry:
    at: dt.datetime
    organisation: str
    role: str
    what: str
    emergency: bool


def _plain(event: AuditEvent) -> str:
    if event.action == AuditEvent.Action.READ:
        return _("looked at your record")
    if event.action == AuditEvent.Action.CREATE:
        return _("created your record")
    if event.action == AuditEvent.Action.UPDATE:
        return _("changed your record")
    if event.action == AuditEvent.Action.EXPORT:
        return _("exported your record")
    if event.action == AuditEvent.Action.BREAK_GLASS:
        return _("used emergency access to your record")
    return event.get_action_display()


def person_access_log(
    *, person_id: uuid.UUID, cursor: str | None = None, size: int = 50
) -> Page[AccessLogEntry]:
    """Who looked at or changed this person's record, in plain language.

    Callers must already have passed the gate for the person (staff) or be the person.
    Staff names are not shown: the organisation and role are, as the person needs them.
    """
    qs = AuditEvent.objects.filter(
        person_id=person_id, outcome=AuditEvent.Outcome.ALLOWED,
        action__in=PERSON_VISIBLE_ACTIONS,
    ).only("id", "at", "organisation_name", "role", "action")
    page = keyset_page(qs, fields=("at", "id"), cursor=cursor, size=size, descending=True)
    from careweave.orgs.models import Role

    roles = dict(Role.choices)
    entries = [
        AccessLogEntry(
            at=e.at,
            organisation=e.organisation_name or _("Careweave"),
            role=str(roles.get(e.role, e.role)),
            what=_plain(e),
            emergency=e.action == AuditEvent.Action.BREAK_GLASS,
        )
        for e in page.items
    ]
    return Page(items=entries, next_cursor=page.next_cursor)


def require_privacy_lead(actor: Actor) -> None:
    if actor.role != "privacy_lead":
        raise NotPermitted(_("Only a privacy lead can see the audit log."))


def audit_events(
    *,
    actor: Actor,
    person_id: uuid.UUID | None = None,
    username: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    action: str = "",
    outcome: str = "",
) -> QuerySet[AuditEvent]:
    """Events made by the privacy lead's organisation's staff, filtered."""
    require_privacy_lead(actor)
    qs = AuditEvent.objects.filter(organisation_id=actor.organisation_id)
    if person_id:
        qs = qs.filter(person_id=person_id)
    if username:
        qs = qs.filter(username=username[:150])
    if date_from:
        qs = qs.filter(at__date__gte=date_from)
    if date_to:
        qs = qs.filter(at__date__lte=date_to)
    if action:
        qs = qs.filter(action=action)
    if outcome:
        qs = qs.filter(outcome=outcome)
    return qs


def break_glass_report(*, actor: Actor) -> QuerySet[BreakGlass]:
    """Every emergency access the reviewer answers for: by their organisation's staff, or
    to a person their organisation registered (a privacy lead); where neither organisation
    has a privacy lead (a platform reviewer)."""
    if actor.role not in REVIEWER_ROLES:
        raise NotPermitted(_("Only a privacy lead can see the audit log."))
    return (
        reviewable_break_glass(actor)
        .select_related("person", "user", "membership__organisation", "reviewed_by")
        .order_by("-started_at")
    )


def refused_lookups(*, actor: Actor) -> QuerySet[AuditEvent]:
    """Identifier lookups refused to the privacy lead's organisation's staff (a create or
    change hit a record they may not see)."""
    require_privacy_lead(actor)
    return AuditEvent.objects.filter(organisation_id=actor.organisation_id,
                                     action=AuditEvent.Action.LOOKUP,
                                     outcome=AuditEvent.Outcome.DENIED)


def person_names(person_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Names for the privacy lead's viewer (one query for a page of events)."""
    from careweave.people.models import Person

    if not person_ids:
        return {}
    rows = Person.objects.filter(pk__in=person_ids).values_list("pk", "given_name",
                                                               "family_name")
    return {pk: f"{given} {family}" for pk, given, family in rows}
